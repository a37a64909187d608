// Attachment calls the sink tests share (SQLite, CSV): streaming a file
// through a plugin instance, and the loop of the crash tests.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "attachment_kit.hpp"
#include "sink_test_support.hpp"

namespace spsync::test {

// Streams `content` as attachment (id, name) in chunks of `chunk` bytes;
// `known_size` decides whether begin() announces the size. Returns the
// first failure, or OK.
inline Result PutAttachment(Instance& inst, int64_t id, const std::string& name,
                            const std::string& content, size_t chunk, bool known_size,
                            const std::string& etag = "\"{A1}\",1") {
  AttachmentRecord a;
  a.item_id = id;
  a.file_name = name;
  a.size = known_size ? static_cast<int64_t>(content.size()) : -1;
  a.etag = etag;
  a.modified = "2024-03-01T12:00:00Z";
  a.modified_unix = 1709294400;
  a.url = "/sites/s/Lists/Orders/Attachments/" + std::to_string(id) + "/" + name;
  Result r = inst.AttachmentBegin(a);
  if (!r.ok()) return r;
  for (size_t off = 0; off < content.size(); off += chunk) {
    r = inst.AttachmentWrite(std::string_view(content).substr(off, chunk));
    if (!r.ok()) return r;
  }
  a.size = static_cast<int64_t>(content.size());
  a.sha256 = attachments::Sha256Hex(content);
  return inst.AttachmentCommit(a);
}

// The child's loop for the crash tests: from the persisted state on, one
// iteration after another, until killed.
inline void CrashLoop(Plugin& plugin, const std::map<std::string, std::string>& config,
                      const SchemaHolder& schema, size_t size,
                      const std::function<void()>& before_write) {
  Instance inst = plugin.MustOpen(config);
  std::string state;
  if (!inst.LoadState("orders", &state).ok() || !inst.Begin(schema.get()).ok()) _exit(5);
  for (int64_t n = state.empty() ? 1 : std::stoll(state) + 1;; ++n) {
    Batch b;
    b.Add({n, {V::Text("item")}});
    if (!inst.Upsert(b.items()).ok()) _exit(6);
    if (before_write) before_write();
    if (!PutAttachment(inst, n, "file-" + std::to_string(n) + ".bin", attachments::Pattern(n, size),
                       65536, n % 2 == 1)
             .ok())
      _exit(7);
    if (!PutAttachment(inst, 1, "latest.bin", attachments::Pattern(n, size), 65536, n % 2 == 0)
             .ok())
      _exit(8);
    if (!inst.Persist(std::to_string(n)).ok()) _exit(9);
  }
}

// What the crash tests check after a restart, through the ABI: iteration k
// (1..n) persisted "file-k.bin" (seed k) on item k and replaced item 1's
// "latest.bin" with seed k; nothing of iteration n + 1. Every file reads back
// with the SHA-256 the list reports.
inline void ExpectAttachmentIterations(Instance& inst, int64_t n, size_t size) {
  std::vector<int64_t> ids;
  for (int64_t k = 1; k <= n + 1; ++k) ids.push_back(k);
  std::vector<AttachmentRecord> list;
  ASSERT_TRUE(inst.ListAttachments(ids, &list).ok());
  ASSERT_EQ(list.size(), static_cast<size_t>(n == 0 ? 0 : n + 1));
  for (const auto& a : list) {
    const uint64_t seed = a.file_name == "latest.bin" ? static_cast<uint64_t>(n) : a.item_id;
    if (a.file_name != "latest.bin") {
      EXPECT_EQ(a.file_name, "file-" + std::to_string(a.item_id) + ".bin");
    }
    EXPECT_EQ(a.size, static_cast<int64_t>(size));
    EXPECT_EQ(a.sha256, attachments::PatternSha256(seed, size)) << a.file_name;
    std::string content;
    ASSERT_TRUE(inst.ReadAttachment(a.item_id, a.file_name, &content, 1 << 20).ok());
    EXPECT_EQ(attachments::Sha256Hex(content), a.sha256) << a.item_id << " " << a.file_name;
  }
}

}  // namespace spsync::test
