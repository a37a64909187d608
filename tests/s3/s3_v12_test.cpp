// The S3 sink's ABI 1.2 features, loaded through the C ABI, against s3rver:
// attachment files (single PUT and streamed multipart), their log, version
// parts, the schema object and resolved values, read back by
// @aws-sdk/client-s3 (read_bucket.mjs, which hashes the files itself) and
// through the sink's read-back; a killed session's objects are removed and
// never seen by readers that follow the state; 200 MB with flat memory.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <set>

#include "../sinks/attachment_ops.hpp"
#include "../sinks/sink_test_support.hpp"
#include "s3_peer.hpp"

#include <spsync/sink.hpp>

namespace {

using namespace spsync::test;  // NOLINT: the sink test kit
using spsync::test::attachments::HardNames;
using spsync::test::attachments::Pattern;
using spsync::test::attachments::PatternChunk;
using spsync::test::attachments::PatternSha256;
using spsync::test::attachments::Sha256;
using spsync::test::attachments::Sha256Hex;
using spsync_s3_test::Bucket;
using spsync_s3_test::S3rver;

Plugin& S3() {
  return Plugin::Load("s3");
}

std::vector<FieldDef> Fields() {
  return {
      {"Title", "Title", "Text", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_PLAIN, "",
       "{\"TypeAsString\":\"Text\",\"Required\":true}"},
      {"Amount", "Amount", "Number", SPSYNC_VALUE_REAL},
      {"AuthorId", "Author", "User", SPSYNC_VALUE_INTEGER},
      {"Author.Title", "Author", "User", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_USER_NAME, "AuthorId"},
      {"Author.EMail", "Author", "User", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_USER_EMAIL, "AuthorId"}};
}

ItemDef Item(int64_t id, const std::string& title) {
  return ItemDef(id,
                 {V::Text(title), V::Real(id * 1.5), V::Int(12), V::Text("Grace Hopper"),
                  V::Text("grace@contoso.com")},
                 "{\"ID\":" + std::to_string(id) + ",\"Title\":\"" + title +
                     "\",\"Amount\":" + std::to_string(id * 1.5) + ",\"AuthorId\":12}",
                 "2024-01-31T08:00:00Z", "\"" + std::to_string(id) + "\"");
}

Instance OpenBegun(const S3rver& server, const SchemaHolder& schema,
                   std::map<std::string, std::string> extra = {}, std::string* state = nullptr) {
  Instance inst = S3().MustOpen(server.Config(std::move(extra)));
  Result r = inst.LoadState("orders", state);
  EXPECT_TRUE(r.ok()) << r.message;
  r = inst.Begin(schema.get());
  EXPECT_TRUE(r.ok()) << r.message;
  return inst;
}

std::vector<Poco::JSON::Object::Ptr> Records(const Poco::JSON::Object::Ptr& part) {
  std::vector<Poco::JSON::Object::Ptr> out;
  auto records = part->getArray("records");
  for (size_t i = 0; i < records->size(); ++i)
    out.push_back(records->getObject(static_cast<unsigned>(i)));
  return out;
}

TEST(S3V12, DeclaresTheNewCapabilities) {
  const auto& vt = S3().vtable();
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_ATTACHMENTS);
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_VERSIONS);
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_READ_BACK);
}

// Everything a persist commits, as the AWS SDK reads it: attachment objects
// whose SHA-256 (computed by the reader) matches the log, all keyed at or
// below committedSeq; versions; the schema; resolved values in the records.
TEST(S3V12, AttachmentsVersionsAndSchemaAsTheAwsSdkSeesThem) {
  S3rver server;
  SchemaHolder schema("orders", Fields());
  Instance inst = OpenBegun(server, schema, {{"multipartBytes", "5242880"}});
  Batch items;
  for (int64_t id = 1; id <= 4; ++id) items.Add(Item(id, "Order " + std::to_string(id)));
  ASSERT_TRUE(inst.Upsert(items.items()).ok());
  const auto& names = HardNames();
  for (size_t i = 0; i < names.size(); ++i) {
    Result r = PutAttachment(inst, 1, names[i], Pattern(i, 3000 + i), 1000, i % 2 == 0);
    ASSERT_TRUE(r.ok()) << names[i] << ": " << r.message;
  }
  // 12 MiB in 1 MiB chunks: a multipart upload of three parts.
  const std::string big = Pattern(99, 12 << 20);
  ASSERT_TRUE(PutAttachment(inst, 2, "big.bin", big, 1 << 20, false).ok());
  ASSERT_TRUE(PutAttachment(inst, 3, "three.txt", "333", 2, true).ok());
  VersionBatch versions({{1,
                          512,
                          "1.0",
                          {V::Text("first"), V::Real(1), V::Int(12), V::Text("Grace Hopper"),
                           V::Text("grace@contoso.com")}},
                         {1, 1024, "2.0", {}}});
  ASSERT_TRUE(inst.WriteVersions(versions.versions()).ok());
  ASSERT_TRUE(inst.Persist("one").ok());

  Bucket b = spsync_s3_test::Read(server, "orders");
  EXPECT_TRUE(b.other_keys.empty()) << (b.other_keys.empty() ? "" : b.other_keys.front());
  const long long committed = b.state->getValue<long long>("committedSeq");
  ASSERT_EQ(b.schemas.size(), 1u);
  EXPECT_LE(b.schemas[0].first, committed);
  EXPECT_EQ(b.state->getValue<std::string>("schemaKey"),
            b.schemas[0].second->getValue<std::string>("key"));
  auto fields = b.schemas[0].second->getObject("schema")->getArray("fields");
  ASSERT_EQ(fields->size(), 5u);
  EXPECT_EQ(fields->getObject(0)->getValue<std::string>("definition"),
            "{\"TypeAsString\":\"Text\",\"Required\":true}");
  EXPECT_EQ(fields->getObject(3)->getValue<int>("role"), SPSYNC_FIELD_USER_NAME);
  EXPECT_EQ(fields->getObject(3)->getValue<std::string>("resolves"), "AuthorId");

  // Resolved values ride in the item records, next to SharePoint's JSON.
  auto data = Records(b.parts[0].second);
  ASSERT_EQ(data.size(), 4u);
  EXPECT_EQ(data[0]->getObject("resolved")->getValue<std::string>("Author.Title"), "Grace Hopper");
  EXPECT_EQ(data[0]->getObject("item")->getValue<int>("AuthorId"), 12);

  ASSERT_EQ(b.version_parts.size(), 1u);
  auto vrecs = Records(b.version_parts[0].second);
  ASSERT_EQ(vrecs.size(), 2u);
  EXPECT_EQ(vrecs[0]->getValue<int64_t>("versionId"), 512);
  EXPECT_EQ(vrecs[0]->getObject("editor")->getValue<std::string>("email"), "ada@contoso.com");

  ASSERT_EQ(b.attachment_logs.size(), 1u);
  auto log = Records(b.attachment_logs[0].second);
  ASSERT_EQ(log.size(), names.size() + 2);
  std::set<std::string> logged;
  for (const auto& rec : log) {
    EXPECT_EQ(rec->getValue<std::string>("op"), "put");
    const std::string key = rec->getValue<std::string>("key");
    ASSERT_EQ(b.files.count(key), 1u) << key;
    // The AWS SDK's bytes hash to what the log says.
    EXPECT_EQ(b.files[key]->getValue<std::string>("sha256"), rec->getValue<std::string>("sha256"));
    EXPECT_EQ(b.files[key]->getValue<int64_t>("size"), rec->getValue<int64_t>("size"));
    EXPECT_LE(spsync_s3_test::SeqAfter(key, "exports/sp/orders/attachments/files/"), committed);
    logged.insert(rec->getValue<std::string>("name"));
  }
  for (const auto& n : names) EXPECT_EQ(logged.count(n), 1u) << n;
  EXPECT_EQ(b.files.size(), names.size() + 2);
  for (const auto& rec : log)
    if (rec->getValue<std::string>("name") == "big.bin") {
      EXPECT_EQ(rec->getValue<std::string>("sha256"), Sha256Hex(big));
    }

  // Replace one, delete one, delete an item: the objects nothing refers to
  // any more are gone after the commit.
  ASSERT_TRUE(PutAttachment(inst, 1, names[0], "replaced", 3, true).ok());
  ASSERT_TRUE(inst.AttachmentDelete(1, names[1]).ok());
  ASSERT_TRUE(inst.Delete({2}).ok());
  ASSERT_TRUE(inst.Persist("two").ok());
  b = spsync_s3_test::Read(server, "orders");
  EXPECT_EQ(b.files.size(), names.size() + 2 - 2);
  ASSERT_EQ(b.attachment_logs.size(), 2u);
  auto second = Records(b.attachment_logs[1].second);
  std::map<std::string, int> ops;
  for (const auto& rec : second) ++ops[rec->getValue<std::string>("op")];
  EXPECT_EQ(ops["put"], 1);
  EXPECT_EQ(ops["delete"], 2);
  EXPECT_EQ(b.schemas.size(), 1u) << "an unchanged schema is not written again";
}

// Reading back through the ABI: the schema, typed items with their resolved
// values, versions, and attachment content by range.
TEST(S3V12, ReadBackThroughTheAbi) {
  S3rver server;
  SchemaHolder schema("orders", Fields());
  {
    Instance inst = OpenBegun(server, schema, {{"partBytes", "2000"}});
    Batch items;
    for (int64_t id = 1; id <= 40; ++id) items.Add(Item(id, "Order " + std::to_string(id)));
    ASSERT_TRUE(inst.Upsert(items.items()).ok());
    ASSERT_TRUE(inst.Delete({7, 8}).ok());
    ASSERT_TRUE(PutAttachment(inst, 5, "a b#1.txt", Pattern(5, 100000), 7000, true).ok());
    VersionBatch versions(
        {{5,
          512,
          "1.0",
          {V::Text("v1"), V::Real(1), V::Int(12), V::Text("Ada"), V::Text("ada@contoso.com")}},
         {3, 512, "1.0", {}}});
    ASSERT_TRUE(inst.WriteVersions(versions.versions()).ok());
    ASSERT_TRUE(inst.Persist("s").ok());
    // Written but not persisted: a reader that follows the state sees none.
    Batch later;
    later.Add(Item(99, "unpersisted"));
    ASSERT_TRUE(inst.Upsert(later.items()).ok());
  }
  Instance reader = S3().MustOpen(server.Config());
  ASSERT_TRUE(reader.LoadState("orders").ok());
  ReadSchemaResult stored;
  ASSERT_TRUE(reader.ReadSchema(&stored).ok());
  ASSERT_TRUE(stored.present);
  ASSERT_EQ(stored.fields.size(), 5u);
  EXPECT_EQ(stored.fields[4].role, SPSYNC_FIELD_USER_EMAIL);
  EXPECT_EQ(stored.definition, "{\"BaseTemplate\":100,\"Title\":\"orders\"}");

  auto items = reader.ReadAllItems(6);
  ASSERT_EQ(items.size(), 38u);
  EXPECT_EQ(items[6].id, 9);
  for (const auto& item : items) {
    SCOPED_TRACE(item.id);
    EXPECT_EQ(item.version, "\"" + std::to_string(item.id) + "\"");
    EXPECT_EQ(item.modified, "2024-01-31T08:00:00Z");
    EXPECT_EQ(item.raw_json.substr(0, 6 + std::to_string(item.id).size()),
              "{\"ID\":" + std::to_string(item.id));
    ASSERT_EQ(item.values.size(), 5u);
    EXPECT_EQ(item.values[0].s, "Order " + std::to_string(item.id));
    EXPECT_EQ(item.values[1].type, SPSYNC_VALUE_REAL);
    EXPECT_DOUBLE_EQ(item.values[1].r, item.id * 1.5);
    EXPECT_EQ(item.values[2].type, SPSYNC_VALUE_INTEGER);
    EXPECT_EQ(item.values[2].i, 12);
    EXPECT_EQ(item.values[3].s, "Grace Hopper");
    EXPECT_EQ(item.values[4].s, "grace@contoso.com");
  }
  auto versions = reader.ReadAllVersions(1);
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].item_id, 3);
  EXPECT_EQ(versions[1].editor_name, "Ada Lovelace");
  EXPECT_EQ(versions[1].values[3].s, "Ada");
  std::vector<AttachmentRecord> list;
  ASSERT_TRUE(reader.ListAttachments({5, 6}, &list).ok());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].file_name, "a b#1.txt");
  EXPECT_EQ(list[0].sha256, Sha256Hex(Pattern(5, 100000)));
  std::string content;
  ASSERT_TRUE(reader.ReadAttachment(5, "a b#1.txt", &content, 30000).ok());
  EXPECT_EQ(content, Pattern(5, 100000));
}

// A session killed in the middle of a multipart upload, after writing
// versions and committing an attachment but before its persist: readers
// that follow the state see nothing of it, and the next load_state removes
// its objects.
TEST(S3V12, KilledSessionsObjectsAreNeverSeenAndRemoved) {
  S3rver server;
  SchemaHolder schema("orders", Fields());
  const auto config = server.Config({{"multipartBytes", "5242880"}});
  {
    Instance inst = OpenBegun(server, schema, {{"multipartBytes", "5242880"}});
    Batch items;
    items.Add(Item(1, "one"));
    ASSERT_TRUE(inst.Upsert(items.items()).ok());
    ASSERT_TRUE(PutAttachment(inst, 1, "kept.txt", "kept", 2, true).ok());
    ASSERT_TRUE(inst.Persist("one").ok());
  }
  const Bucket before = spsync_s3_test::Read(server, "orders");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Instance inst = S3().MustOpen(config);
    if (!inst.LoadState("orders").ok() || !inst.Begin(schema.get()).ok()) _exit(5);
    Batch items;
    items.Add(Item(2, "two"));
    if (!inst.Upsert(items.items()).ok()) _exit(6);
    VersionBatch versions({{2, 512, "1.0", {}}});
    if (!inst.WriteVersions(versions.versions()).ok()) _exit(7);
    if (!PutAttachment(inst, 1, "kept.txt", "replacement", 3, true).ok()) _exit(8);
    if (!PutAttachment(inst, 2, "new.txt", "new", 3, true).ok()) _exit(9);
    // A file that streams past one multipart part when the kill comes.
    AttachmentRecord big;
    big.item_id = 2;
    big.file_name = "streaming.bin";
    if (!inst.AttachmentBegin(big).ok()) _exit(10);
    std::string chunk = Pattern(3, 6 << 20);  // one multipart part goes up
    if (!inst.AttachmentWrite(chunk).ok()) _exit(11);
    if (write(fds[1], "x", 1) != 1) _exit(12);
    for (;;) pause();
  }
  close(fds[1]);
  char c;
  ASSERT_EQ(read(fds[0], &c, 1), 1) << "the child failed before the kill";
  close(fds[0]);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);

  Bucket crashed = spsync_s3_test::Read(server, "orders");
  const long long committed = crashed.state->getValue<long long>("committedSeq");
  EXPECT_EQ(committed, before.state->getValue<long long>("committedSeq"));
  EXPECT_GT(crashed.files.size(), before.files.size()) << "the killed session uploaded files";
  for (const auto& [key, file] : before.files) EXPECT_EQ(crashed.files.count(key), 1u) << key;

  Instance inst = S3().MustOpen(config);
  std::string state;
  ASSERT_TRUE(inst.LoadState("orders", &state).ok());
  EXPECT_EQ(state, "one");
  Bucket cleaned = spsync_s3_test::Read(server, "orders");
  EXPECT_EQ(cleaned.files.size(), before.files.size());
  for (const auto& [key, file] : cleaned.files)
    EXPECT_LE(spsync_s3_test::SeqAfter(key, "exports/sp/orders/attachments/files/"), committed);
  std::vector<AttachmentRecord> list;
  ASSERT_TRUE(inst.ListAttachments({1, 2}, &list).ok());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].sha256, Sha256Hex("kept"));
  std::string content;
  ASSERT_TRUE(inst.ReadAttachment(1, "kept.txt", &content).ok());
  EXPECT_EQ(content, "kept");
}

TEST(S3V12, TwoHundredMegabytesMultipartWithFlatMemory) {
  constexpr uint64_t kSize = spsync::test::attachments::kBigFileBytes;
  S3rver server;
  SchemaHolder schema("orders", Fields());
  const auto config = server.Config({{"multipartBytes", "8388608"}});
  auto [error, growth_kb] = attachments::MeasureInChild([&]() -> std::string {
    Instance inst = S3().MustOpen(config);
    if (!inst.LoadState("orders").ok() || !inst.Begin(schema.get()).ok()) return "begin failed";
    AttachmentRecord a;
    a.item_id = 1;
    a.file_name = "big file.bin";
    a.size = static_cast<int64_t>(kSize);
    Result r = inst.AttachmentBegin(a);
    if (!r.ok()) return "begin: " + r.message;
    Sha256 hash;
    std::string chunk;
    for (uint64_t off = 0; off < kSize; off += 1 << 20) {
      PatternChunk(11, off, 1 << 20, &chunk);
      hash.Update(chunk);
      r = inst.AttachmentWrite(chunk);
      if (!r.ok()) return "write: " + r.message;
    }
    a.sha256 = hash.Hex();
    r = inst.AttachmentCommit(a);
    if (!r.ok()) return "commit: " + r.message;
    r = inst.Persist("big");
    return r.ok() ? "" : "persist: " + r.message;
  });
  ASSERT_EQ(error, "");
  std::cout << "peak RSS growth while streaming " << (kSize >> 20)
            << " MiB to S3: " << growth_kb / 1024 << " MiB\n";
  if (attachments::kCheckMemory) {
    EXPECT_LT(growth_kb, attachments::kFlatMemoryKb);
  }
  Bucket b = spsync_s3_test::Read(server, "orders");
  ASSERT_EQ(b.files.size(), 1u);
  EXPECT_EQ(b.files.begin()->second->getValue<int64_t>("size"), static_cast<int64_t>(kSize));
  EXPECT_EQ(b.files.begin()->second->getValue<std::string>("sha256"), PatternSha256(11, kSize));
}

}  // namespace
