// PluginSink over a well-behaved plugin: a full session, rejects, delete
// ranges, snapshot, check, library lifetime, serialisation of calls into a
// plugin that is not thread safe, and plugin log lines reaching spdlog.
#include <spsync/plugins/loaded_plugin.hpp>
#include <spsync/plugins/plugin_sink.hpp>

#include "test_items.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>
#include <thread>

namespace {

using spsync::plugins::LoadedPlugin;
using spsync::testing::TestBatch;

std::filesystem::path TestSink(const std::string& name) {
  return std::filesystem::path(SPSYNC_TEST_SINK_DIR) / ("libspsync-sink-" + name + ".so");
}

TEST(PluginSink, InfoDescribesThePlugin) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  const auto& info = plugin->info();
  EXPECT_EQ(info.name, "memory");
  EXPECT_EQ(info.version, "2.3.4");
  EXPECT_EQ(info.description, "keeps items in memory, for host tests");
  EXPECT_EQ(info.file, TestSink("memory").string());
  EXPECT_EQ(info.abi_version, SPSYNC_SINK_ABI_VERSION);
  EXPECT_TRUE(info.delete_ranges());
  EXPECT_TRUE(info.snapshot());
  EXPECT_FALSE(info.transactional());
  EXPECT_FALSE(plugin->thread_safe());
  EXPECT_TRUE(info.attachments());
  EXPECT_TRUE(info.versions());
  EXPECT_TRUE(info.read_back());
  EXPECT_EQ(spsync::plugins::CapabilityNames(info.capabilities),
            (std::vector<std::string>{"delete-ranges", "snapshot", "attachments", "versions",
                                      "read-back"}));
  EXPECT_EQ(spsync::plugins::CapabilityNames(SPSYNC_CAP_THREAD_SAFE | (uint64_t{1} << 40)),
            (std::vector<std::string>{"thread-safe", "0x10000000000"}));
}

TEST(PluginSink, FullSessionRoundTrip) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  auto sink = plugin->Open({{"path", "/tmp/memory"}});
  EXPECT_EQ(sink->info().name, plugin->info().name);
  EXPECT_EQ(sink->info().capabilities, plugin->info().capabilities);
  std::string state = "junk";
  ASSERT_TRUE(sink->LoadState("roundtrip", &state).ok());
  EXPECT_EQ(state, "");
  TestBatch batch("roundtrip");
  for (int id = 1; id <= 10; ++id) batch.Add(id, "item " + std::to_string(id));
  ASSERT_TRUE(sink->Begin(batch.schema()).ok());
  ASSERT_TRUE(sink->Upsert(batch.items(), batch.size()).ok());
  int64_t ids[] = {2, 99};
  ASSERT_TRUE(sink->Delete(ids, 2).ok());
  spsync_id_range ranges[] = {{4, 5}, {9, INT64_MAX}};
  ASSERT_TRUE(sink->DeleteRanges(ranges, 2).ok());
  ASSERT_TRUE(sink->Persist(std::string("bin\0ary", 7)).ok());
  auto snapshot = sink->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot.message, "items of roundtrip: 1,3,6,7,8");
  sink.reset();

  auto again = plugin->Open({{"path", "/tmp/memory"}});
  ASSERT_TRUE(again->LoadState("roundtrip", &state).ok());
  EXPECT_EQ(state, std::string("bin\0ary", 7));
}

TEST(PluginSink, RejectedRecordsAreReportedByIndex) {
  auto sink = LoadedPlugin::Load(TestSink("memory"))->Open({{"path", "/tmp/memory"}});
  std::string state;
  ASSERT_TRUE(sink->LoadState("rejects", &state).ok());
  TestBatch batch("rejects");
  batch.Add(1, "ok").Add(-5, "bad").Add(3, "ok").Add(0, "bad");
  auto r = sink->Upsert(batch.items(), batch.size());
  EXPECT_EQ(r.status, SPSYNC_REJECTED);
  EXPECT_EQ(r.message, "2 of 4 records rejected");
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[0], (std::pair<size_t, std::string>{1, "item ID must be positive"}));
  EXPECT_EQ(r.rejected[1].first, 3u);
}

TEST(PluginSink, OpenFailureNamesPluginAndFile) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  try {
    plugin->Open({});
    FAIL() << "open without path should fail";
  } catch (const spsync::plugins::PluginError& e) {
    EXPECT_EQ(std::string(e.what()), "sink 'memory' (" + TestSink("memory").string() +
                                         ") failed to open: option 'path' is required");
  }
}

TEST(PluginSink, SinkKeepsTheLibraryLoaded) {
  auto sink = LoadedPlugin::Load(TestSink("memory"))->Open({{"path", "/tmp/memory"}});
  // The only LoadedPlugin reference is now the sink's own.
  std::string state;
  EXPECT_TRUE(sink->LoadState("lifetime", &state).ok());
  EXPECT_EQ(sink->info().name, "memory");
}

TEST(PluginSink, CallsIntoANonThreadSafePluginAreSerialised) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto sink = plugin->Open({{"path", "/tmp/memory"}});
      std::string entity = "threads" + std::to_string(t);
      std::string state;
      if (!sink->LoadState(entity, &state).ok()) ++failures;
      TestBatch batch(entity);
      batch.Add(1, "a").Add(2, "b");
      for (int i = 0; i < 25; ++i) {
        if (!sink->Upsert(batch.items(), batch.size()).ok()) ++failures;
        if (!sink->Persist(std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto check = plugin->Open({{"path", "/tmp/memory"}})->Check();
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check.message, "max_inside=1");
}

TEST(PluginSink, PluginLogLinesGoToSpdlogPrefixedWithTheName) {
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", ring));
  ring->set_pattern("%l %v");
  { auto sink = LoadedPlugin::Load(TestSink("memory"))->Open({{"path", "/tmp/logged"}}); }
  spdlog::set_default_logger(previous);
  auto lines = ring->last_formatted();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "info [sink memory] opened memory sink at /tmp/logged\n");
}

// ---- ABI 1.2 through the C++ helper ---------------------------------------

// `name` must outlive the record (a literal or a string the caller keeps).
spsync_attachment Attachment(int64_t id, std::string_view name, int64_t size = -1) {
  spsync_attachment a{};
  a.struct_size = sizeof(a);
  a.item_id = id;
  a.file_name = {name.data(), name.size()};
  a.size = size;
  a.etag = {"\"{E1}\",1", 8};
  return a;
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : digest) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

// Streams `content` as one attachment, in writes of `write_size` bytes.
void PutAttachment(spsync::engine::Sink& sink, int64_t id, const std::string& name,
                   const std::string& content, size_t write_size) {
  auto a = Attachment(id, name);
  ASSERT_TRUE(sink.AttachmentBegin(a).ok());
  for (size_t off = 0; off < content.size(); off += write_size) {
    auto r = sink.AttachmentWrite(content.data() + off, std::min(write_size, content.size() - off));
    ASSERT_TRUE(r.ok()) << r.message;
  }
  auto r = sink.AttachmentCommit(a);  // size -1, no hash: the host fills both
  ASSERT_TRUE(r.ok()) << r.message;
}

TEST(PluginSink, AttachmentsStreamWithTheHostsHashAndAreListed) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  auto sink = plugin->Open({{"path", "/tmp/memory"}});
  std::string state;
  ASSERT_TRUE(sink->LoadState("attach", &state).ok());
  TestBatch batch("attach");
  batch.Add(1, "a").Add(2, "b").Add(3, "c");
  ASSERT_TRUE(sink->Begin(batch.schema()).ok());
  ASSERT_TRUE(sink->Upsert(batch.items(), batch.size()).ok());

  // 20 MiB in one write: the host splits it into chunks the ABI allows (the
  // memory sink refuses larger ones).
  std::string big(20 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 3);
  PutAttachment(*sink, 2, "big file #1.bin", big, big.size());
  PutAttachment(*sink, 2, "\xe6\x97\xa5\xe6\x9c\xac 50%.txt", "hello", 2);
  PutAttachment(*sink, 1, "a.txt", "abc", 3);
  int64_t ids[] = {3, 2, 1};
  const spsync_attachment* const* list = nullptr;
  size_t n = 0;
  auto r = sink->ListAttachments(ids, 3, &list, &n);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(n, 3u);
  // Ordered by item, then name bytewise (the helper sorts what the sink gave).
  EXPECT_EQ(list[0]->item_id, 1);
  EXPECT_EQ(std::string(list[0]->sha256.data, list[0]->sha256.len),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(list[1]->item_id, 2);
  EXPECT_EQ(std::string(list[1]->file_name.data, list[1]->file_name.len), "big file #1.bin");
  EXPECT_EQ(list[1]->size, 20 << 20);
  EXPECT_EQ(std::string(list[1]->sha256.data, list[1]->sha256.len), Sha256Hex(big));
  EXPECT_EQ(std::string(list[1]->etag.data, list[1]->etag.len), "\"{E1}\",1");
  EXPECT_EQ(std::string(list[2]->file_name.data, list[2]->file_name.len),
            "\xe6\x97\xa5\xe6\x9c\xac 50%.txt");
  EXPECT_EQ(list[2]->size, 5);

  // Read back in pieces.
  std::string back;
  char buf[3];
  for (uint64_t off = 0;;) {
    size_t got = 0;
    ASSERT_TRUE(
        sink->ReadAttachment(2, "\xe6\x97\xa5\xe6\x9c\xac 50%.txt", off, buf, sizeof(buf), &got)
            .ok());
    if (got == 0) break;
    back.append(buf, got);
    off += got;
  }
  EXPECT_EQ(back, "hello");

  // Removing one, then the item: its attachments go with it.
  ASSERT_TRUE(sink->AttachmentDelete(2, "big file #1.bin").ok());
  ASSERT_TRUE(sink->ListAttachments(ids, 3, &list, &n).ok());
  EXPECT_EQ(n, 2u);
  int64_t gone[] = {2};
  ASSERT_TRUE(sink->Delete(gone, 1).ok());
  ASSERT_TRUE(sink->ListAttachments(ids, 3, &list, &n).ok());
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(list[0]->item_id, 1);
}

TEST(PluginSink, AttachmentStateMachineIsEnforcedByTheHost) {
  auto sink = LoadedPlugin::Load(TestSink("memory"))->Open({{"path", "/tmp/memory"}});
  std::string state;
  ASSERT_TRUE(sink->LoadState("machine", &state).ok());
  auto r = sink->AttachmentWrite("x", 1);
  EXPECT_EQ(r.message, "sink 'memory': attachment_write without attachment_begin");
  auto a = Attachment(5, "five.txt", 4);
  ASSERT_TRUE(sink->AttachmentBegin(a).ok());
  r = sink->AttachmentBegin(a);
  EXPECT_EQ(r.message,
            "sink 'memory': attachment_begin called while attachment 'five.txt' of "
            "item 5 is open (commit or abort it first)");
  TestBatch batch("machine");
  batch.Add(1, "a");
  EXPECT_EQ(sink->Upsert(batch.items(), batch.size()).status, SPSYNC_FATAL);
  r = sink->AttachmentWrite("12345", 5);
  EXPECT_EQ(r.message, "attachment 'five.txt' of item 5 is longer than the 4 bytes announced");
  ASSERT_TRUE(sink->AttachmentWrite("123", 3).ok());
  r = sink->AttachmentCommit(a);
  EXPECT_EQ(r.message, "attachment 'five.txt' of item 5: 3 bytes written, 4 announced");
  ASSERT_TRUE(sink->AttachmentWrite("4", 1).ok());
  auto wrong = a;
  wrong.sha256 = {"0000000000000000000000000000000000000000000000000000000000000000", 64};
  r = sink->AttachmentCommit(wrong);
  EXPECT_NE(r.message.find("differs from the bytes written (" + Sha256Hex("1234") + ")"),
            std::string::npos)
      << r.message;
  ASSERT_TRUE(sink->AttachmentCommit(a).ok());
  // Aborting a replacement keeps what was there.
  ASSERT_TRUE(sink->AttachmentBegin(Attachment(5, "five.txt")).ok());
  ASSERT_TRUE(sink->AttachmentWrite("zz", 2).ok());
  sink->AttachmentAbort();
  int64_t id = 5;
  const spsync_attachment* const* list = nullptr;
  size_t n = 0;
  ASSERT_TRUE(sink->ListAttachments(&id, 1, &list, &n).ok());
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(list[0]->size, 4);
  ASSERT_TRUE(sink->Persist("ok").ok());
}

TEST(PluginSink, CapabilitiesArePerInstance) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  auto with = plugin->Open({{"path", "/tmp/memory"}});
  auto without = plugin->Open({{"path", "/tmp/memory"}, {"attachments", "false"}});
  EXPECT_TRUE(plugin->info().attachments());
  EXPECT_TRUE(with->info().attachments());
  EXPECT_FALSE(without->info().attachments());
  EXPECT_TRUE(without->info().versions());
  EXPECT_EQ(without->info().Missing(true, true, false), std::vector<std::string>{"attachments"});
  std::string state;
  ASSERT_TRUE(without->LoadState("percaps", &state).ok());
  auto r = without->AttachmentBegin(Attachment(1, "a.txt"));
  EXPECT_EQ(r.message, "sink plugin " + TestSink("memory").string() +
                           " (memory) does not support attachments");
}

TEST(PluginSink, VersionsAndReadBackInBatches) {
  auto sink = LoadedPlugin::Load(TestSink("memory"))->Open({{"path", "/tmp/memory"}});
  std::string state;
  ASSERT_TRUE(sink->LoadState("readback", &state).ok());
  const spsync_schema* schema = nullptr;
  ASSERT_TRUE(sink->ReadSchema(&schema).ok());
  EXPECT_EQ(schema, nullptr) << "nothing stored yet";
  TestBatch batch("readback");
  for (int id = 1; id <= 7; ++id) batch.Add(id * 10, "item " + std::to_string(id));
  ASSERT_TRUE(sink->Begin(batch.schema()).ok());
  ASSERT_TRUE(sink->Upsert(batch.items(), batch.size()).ok());

  std::vector<spsync_version> raw(5);
  std::vector<const spsync_version*> ptrs;
  const int64_t keys[5][2] = {{20, 1024}, {10, 512}, {20, 512}, {10, 513}, {30, 0}};
  for (int i = 0; i < 5; ++i) {
    raw[i] = spsync_version{};
    raw[i].struct_size = sizeof(spsync_version);
    raw[i].item_id = keys[i][0];
    raw[i].version_id = keys[i][1];
    raw[i].label = {"x", 1};
    ptrs.push_back(&raw[i]);
  }
  auto r = sink->WriteVersions(ptrs.data(), ptrs.size());
  EXPECT_EQ(r.status, SPSYNC_REJECTED);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].first, 4u);

  ASSERT_TRUE(sink->ReadSchema(&schema).ok());
  ASSERT_NE(schema, nullptr);
  ASSERT_EQ(schema->field_count, 2u);
  EXPECT_EQ(std::string(schema->fields[1]->definition.data, schema->fields[1]->definition.len),
            "{\"TypeAsString\":\"Number\",\"Required\":true}");

  std::vector<int64_t> ids;
  for (int64_t after = 0;;) {
    const spsync_item* const* items = nullptr;
    size_t n = 0;
    ASSERT_TRUE(sink->ReadItems(after, 3, &items, &n).ok());
    if (n == 0) break;
    EXPECT_LE(n, 3u);
    for (size_t i = 0; i < n; ++i) ids.push_back(items[i]->id);
    after = items[n - 1]->id;
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{10, 20, 30, 40, 50, 60, 70}));

  std::vector<std::pair<int64_t, int64_t>> seen;
  for (std::pair<int64_t, int64_t> after{0, 0};;) {
    const spsync_version* const* versions = nullptr;
    size_t n = 0;
    ASSERT_TRUE(sink->ReadVersions(after.first, after.second, 2, &versions, &n).ok());
    if (n == 0) break;
    for (size_t i = 0; i < n; ++i) seen.emplace_back(versions[i]->item_id, versions[i]->version_id);
    after = seen.back();
  }
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, int64_t>>{
                      {10, 512}, {10, 513}, {20, 512}, {20, 1024}}));
}

TEST(PluginSink, CheckWithoutCallbackIsOk) {
  auto sink = LoadedPlugin::Load(TestSink("abi10"))->Open({});
  auto r = sink->Check();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.message, "sink 'abi10' has no connection check");
}

}  // namespace
