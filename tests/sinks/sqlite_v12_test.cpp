// The SQLite sink's ABI 1.2 features, loaded through the C ABI: attachments
// (one BLOB written in place, or chunk rows), versions, the stored schema,
// reading back, two entities sharing one file, and crashes in the middle of
// an attachment. Data is checked with the sqlite3 CLI, as a user would.
#include <csignal>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "attachment_kit.hpp"
#include "attachment_ops.hpp"
#include "sink_test_support.hpp"

namespace spsync::test {
namespace {

using attachments::HardNames;
using attachments::Pattern;
using attachments::PatternChunk;
using attachments::PatternSha256;
using attachments::Sha256;
using attachments::Sha256Hex;

std::string Lit(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string Hex(const std::string& bytes) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

class SqliteV12Test : public ::testing::Test {
 protected:
  Plugin& plugin() { return Plugin::Load("sqlite"); }
  std::map<std::string, std::string> Config(std::map<std::string, std::string> extra = {}) {
    extra.emplace("path", db_);
    return extra;
  }
  Instance OpenBegun(const SchemaHolder& schema, std::map<std::string, std::string> extra = {},
                     std::string* state = nullptr) {
    Instance inst = plugin().MustOpen(Config(std::move(extra)));
    Result r = inst.LoadState("orders", state);
    EXPECT_TRUE(r.ok()) << r.message;
    r = inst.Begin(schema.get());
    EXPECT_TRUE(r.ok()) << r.message;
    return inst;
  }
  int64_t Count(const std::string& sql) {
    return SqliteQuery(db_, sql)->getObject(0)->getValue<int64_t>("n");
  }
  // The content of one attachment as the CLI reads it (BLOB or chunk rows).
  std::string CliContentHex(int64_t id, const std::string& name) {
    auto rows = SqliteQuery(
        db_,
        "SELECT CASE WHEN a.content_id IS NULL THEN (SELECT group_concat(h, '') FROM (SELECT "
        "hex(data) h FROM \"orders__attachment_chunks\" c WHERE c.attachment = a.rowid ORDER "
        "BY c.\"offset\")) ELSE (SELECT hex(content) FROM \"orders__attachment_content\" WHERE "
        "rowid = a.content_id) END h FROM \"orders__attachments\" a WHERE item_id = " +
            std::to_string(id) + " AND file_name = " + Lit(name));
    if (rows->size() != 1) return "<" + std::to_string(rows->size()) + " rows>";
    return rows->getObject(0)->isNull("h") ? std::string()
                                           : rows->getObject(0)->getValue<std::string>("h");
  }
  // Chunk and content rows no attachment refers to.
  int64_t OrphanChunks() {
    return Count(
        "SELECT (SELECT count(*) FROM \"orders__attachment_chunks\" WHERE attachment NOT IN "
        "(SELECT rowid FROM \"orders__attachments\")) + (SELECT count(*) FROM "
        "\"orders__attachment_content\" WHERE rowid NOT IN (SELECT content_id FROM "
        "\"orders__attachments\" WHERE content_id IS NOT NULL)) n");
  }

  TempDir tmp_;
  std::string db_ = tmp_ / "v12.db";
  SchemaHolder schema_{"orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}}};
};

TEST_F(SqliteV12Test, DeclaresTheNewCapabilities) {
  const auto& vt = plugin().vtable();
  EXPECT_EQ(vt.abi_version, SPSYNC_SINK_ABI_VERSION);
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_ATTACHMENTS);
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_VERSIONS);
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_READ_BACK);
  EXPECT_NE(vt.attachment_read, nullptr);
  EXPECT_NE(vt.read_versions, nullptr);
}

// Hard names, both storage forms, etag / modified / url as given, content
// read back by the CLI and through the ABI; then replace, delete one, delete
// all of an item, and items deleted by ID and by range take theirs along.
TEST_F(SqliteV12Test, AttachmentsStoredListedReplacedAndDeleted) {
  Instance inst = OpenBegun(schema_);
  Batch items;
  for (int64_t id = 1; id <= 6; ++id) items.Add({id, {V::Text("t")}});
  ASSERT_TRUE(inst.Upsert(items.items()).ok());
  const auto& names = HardNames();
  for (size_t i = 0; i < names.size(); ++i) {
    // Item 1: sizes announced (one BLOB); item 2: not (chunk rows).
    Result r = PutAttachment(inst, 1, names[i], Pattern(i, 10000 + i * 777), 4096, true);
    ASSERT_TRUE(r.ok()) << names[i] << ": " << r.message;
    r = PutAttachment(inst, 2, names[i], Pattern(100 + i, 9000 + i), 3000, false);
    ASSERT_TRUE(r.ok()) << names[i] << ": " << r.message;
  }
  ASSERT_TRUE(PutAttachment(inst, 3, "three.txt", "333", 2, true).ok());
  ASSERT_TRUE(PutAttachment(inst, 4, "four.txt", "4444", 2, false).ok());
  ASSERT_TRUE(PutAttachment(inst, 5, "empty.txt", "", 2, true).ok());
  ASSERT_TRUE(inst.Persist("one").ok());

  // The CLI sees every name byte for byte, and the contents.
  auto rows =
      SqliteQuery(db_,
                  "SELECT item_id, file_name, size, sha256, etag, modified, url, "
                  "content_id IS NULL chunked FROM \"orders__attachments\" ORDER BY item_id, "
                  "file_name");
  ASSERT_EQ(rows->size(), 2 * names.size() + 3);
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    EXPECT_EQ(CliContentHex(1, names[i]), Hex(Pattern(i, 10000 + i * 777)));
    EXPECT_EQ(CliContentHex(2, names[i]), Hex(Pattern(100 + i, 9000 + i)));
  }
  for (size_t i = 0; i < rows->size(); ++i) {
    auto row = rows->getObject(static_cast<unsigned>(i));
    EXPECT_EQ(row->getValue<int>("chunked"), row->getValue<int64_t>("item_id") % 2 == 0 ? 1 : 0);
    EXPECT_EQ(row->getValue<std::string>("etag"), "\"{A1}\",1");
    EXPECT_EQ(row->getValue<std::string>("modified"), "2024-03-01T12:00:00Z");
  }
  EXPECT_EQ(CliContentHex(5, "empty.txt"), "");

  // Listed through the ABI, ordered by item then name, as given at commit.
  std::vector<AttachmentRecord> list;
  ASSERT_TRUE(inst.ListAttachments({2, 1, 99}, &list).ok());
  ASSERT_EQ(list.size(), 2 * names.size());
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(list[i].item_id, 1);
    EXPECT_EQ(list[i].file_name, sorted[i]);
    EXPECT_EQ(list[names.size() + i].item_id, 2);
  }
  size_t k = std::find(names.begin(), names.end(), list[0].file_name) - names.begin();
  EXPECT_EQ(list[0].size, static_cast<int64_t>(10000 + k * 777));
  EXPECT_EQ(list[0].sha256, Sha256Hex(Pattern(k, 10000 + k * 777)));
  EXPECT_EQ(list[0].etag, "\"{A1}\",1");
  EXPECT_EQ(list[0].modified_unix, 1709294400);
  EXPECT_EQ(list[0].url, "/sites/s/Lists/Orders/Attachments/1/" + list[0].file_name);
  std::string content;
  ASSERT_TRUE(inst.ReadAttachment(2, names[0], &content, 1000).ok());
  EXPECT_EQ(content, Pattern(100, 9000));
  Result missing = inst.ReadAttachment(2, "nope.txt", &content);
  EXPECT_EQ(missing.status, SPSYNC_FATAL);
  EXPECT_NE(missing.message.find("nope.txt"), std::string::npos) << missing.message;

  // Replace, delete one, delete all of item 2, delete items 3 and 4..5.
  ASSERT_TRUE(PutAttachment(inst, 1, names[0], "replaced", 3, false, "\"{A1}\",2").ok());
  ASSERT_TRUE(inst.AttachmentDelete(1, names[1]).ok());
  ASSERT_TRUE(inst.AttachmentDelete(1, "never existed").ok());
  ASSERT_TRUE(inst.AttachmentDelete(2, "").ok());
  ASSERT_TRUE(inst.Delete({3}).ok());
  ASSERT_TRUE(inst.DeleteRanges({{4, INT64_MAX}}).ok());
  ASSERT_TRUE(inst.Persist("two").ok());
  EXPECT_EQ(Count("SELECT count(*) n FROM \"orders__attachments\""),
            static_cast<int64_t>(names.size()) - 1);
  EXPECT_EQ(Count("SELECT count(*) n FROM \"orders__attachments\" WHERE item_id <> 1"), 0);
  EXPECT_EQ(CliContentHex(1, names[0]), Hex("replaced"));
  EXPECT_EQ(
      Count("SELECT count(*) n FROM \"orders__attachments\" WHERE file_name = " + Lit(names[0]) +
            " AND sha256 = " + Lit(Sha256Hex("replaced")) + " AND etag = '\"{A1}\",2'"),
      1);
  EXPECT_EQ(OrphanChunks(), 0);
  EXPECT_EQ(Count("SELECT count(*) n FROM \"orders__attachment_chunks\""), 3);  // "replaced"
}

// A soft-deleted item keeps its attachments (its row is kept too).
TEST_F(SqliteV12Test, SoftDeletedItemsKeepTheirAttachments) {
  Instance inst = OpenBegun(schema_, {{"softDelete", "true"}});
  Batch items({{1, {V::Text("a")}}, {2, {V::Text("b")}}});
  ASSERT_TRUE(inst.Upsert(items.items()).ok());
  ASSERT_TRUE(PutAttachment(inst, 1, "a.txt", "aaa", 2, true).ok());
  ASSERT_TRUE(inst.Delete({1}).ok());
  ASSERT_TRUE(inst.Persist("s").ok());
  EXPECT_EQ(Count("SELECT count(*) n FROM \"orders__attachments\" WHERE item_id = 1"), 1);
  // Reading back skips the soft-deleted item.
  auto all = inst.ReadAllItems(10);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, 2);
}

// An aborted replacement keeps what it would have replaced; a session that
// ends without persist leaves nothing behind.
TEST_F(SqliteV12Test, AbortAndCloseWithoutPersistLeaveNoTrace) {
  {
    Instance inst = OpenBegun(schema_);
    Batch items({{1, {V::Text("a")}}});
    ASSERT_TRUE(inst.Upsert(items.items()).ok());
    ASSERT_TRUE(PutAttachment(inst, 1, "keep.bin", Pattern(1, 50000), 8192, false).ok());
    ASSERT_TRUE(inst.Persist("one").ok());

    AttachmentRecord a;
    a.item_id = 1;
    a.file_name = "keep.bin";
    ASSERT_TRUE(inst.AttachmentBegin(a).ok());
    ASSERT_TRUE(inst.AttachmentWrite("half a replacement").ok());
    inst.AttachmentAbort();
    std::vector<AttachmentRecord> list;
    ASSERT_TRUE(inst.ListAttachments({1}, &list).ok());
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].sha256, Sha256Hex(Pattern(1, 50000)));

    // Not persisted: a new file, a replacement and a deletion.
    ASSERT_TRUE(PutAttachment(inst, 1, "new.bin", Pattern(2, 70000), 8192, false).ok());
    ASSERT_TRUE(PutAttachment(inst, 1, "keep.bin", Pattern(3, 60000), 8192, true).ok());
    ASSERT_TRUE(inst.ListAttachments({1}, &list).ok());
    EXPECT_EQ(list.size(), 2u) << "an instance sees its own writes";
    ASSERT_TRUE(inst.Delete({1}).ok());
  }
  std::string state;
  Instance inst = OpenBegun(schema_, {}, &state);
  EXPECT_EQ(state, "one");
  EXPECT_EQ(Count("SELECT count(*) n FROM \"orders__attachments\""), 1);
  EXPECT_EQ(CliContentHex(1, "keep.bin"), Hex(Pattern(1, 50000)));
  EXPECT_EQ(OrphanChunks(), 0);
  EXPECT_EQ(Count("SELECT count(*) n FROM \"orders__attachment_chunks\""), 7);  // 50000 / 8192
}

// What the crash tests check after a restart (see ExpectAttachmentIterations),
// plus what the CLI sees: no orphan content or chunk rows, n items.
void ExpectIterations(Instance& inst, const std::string& db, int64_t n, size_t size) {
  auto count = [&](const std::string& sql) {
    return SqliteQuery(db, sql)->getObject(0)->getValue<int64_t>("n");
  };
  EXPECT_EQ(count("SELECT count(*) n FROM \"orders__attachments\""), n == 0 ? 0 : n + 1);
  EXPECT_EQ(count("SELECT (SELECT count(*) FROM \"orders__attachment_chunks\" WHERE attachment "
                  "NOT IN (SELECT rowid FROM \"orders__attachments\")) + (SELECT count(*) FROM "
                  "\"orders__attachment_content\" WHERE rowid NOT IN (SELECT content_id FROM "
                  "\"orders__attachments\" WHERE content_id IS NOT NULL)) n"),
            0);
  EXPECT_EQ(count("SELECT count(*) n FROM orders"), n);
  ExpectAttachmentIterations(inst, n, size);
}

// Killed at random instants (most land in an attachment's chunks): after
// each restart the database holds exactly the persisted iterations, and a
// resumed session re-sends the lost one once.
TEST_F(SqliteV12Test, KillDuringAttachmentWritesLosesAndDuplicatesNothing) {
  const size_t size = 384 << 10;
  std::mt19937 rng(2024);
  int64_t last_seen = 0;
  for (int round = 0; round < 6; ++round) {
    RunChildKillAfter(40000 + rng() % 120000,
                      [&] { CrashLoop(plugin(), Config(), schema_, size, nullptr); });
    Instance inst = plugin().MustOpen(Config());
    std::string state;
    ASSERT_TRUE(inst.LoadState("orders", &state).ok());
    const int64_t n = state.empty() ? 0 : std::stoll(state);
    EXPECT_GE(n, last_seen);
    last_seen = n;
    SCOPED_TRACE("state " + std::to_string(n));
    // A child killed before its first Begin leaves no tables: nothing to check.
    const bool tables =
        fs::exists(db_) &&
        SqliteQuery(db_, "SELECT count(*) n FROM sqlite_master WHERE name = 'orders__attachments'")
                ->getObject(0)
                ->getValue<int64_t>("n") > 0;
    if (n > 0 || tables) ExpectIterations(inst, db_, n, size);
  }
  EXPECT_GT(last_seen, 0) << "the child never got to persist";
  // Killed exactly while an attachment streams: the signal comes just
  // before the first chunk of iteration n + 1.
  for (useconds_t delay : {0u, 2000u, 10000u}) {
    RunChildKillAtSignal(delay, [&](auto signal) {
      Instance inst = plugin().MustOpen(Config());
      std::string state;
      if (!inst.LoadState("orders", &state).ok() || !inst.Begin(schema_.get()).ok()) _exit(5);
      const int64_t n = std::stoll(state) + 1;
      Batch b;
      b.Add({n, {V::Text("item")}});
      if (!inst.Upsert(b.items()).ok()) _exit(6);
      signal();
      PutAttachment(inst, n, "file-" + std::to_string(n) + ".bin", Pattern(n, 8 * size), 4096,
                    n % 2 == 1);
    });
    Instance inst = plugin().MustOpen(Config());
    std::string state;
    ASSERT_TRUE(inst.LoadState("orders", &state).ok());
    EXPECT_EQ(std::stoll(state), last_seen);
    ExpectIterations(inst, db_, last_seen, size);
  }
  // Resume: one more iteration, nothing twice.
  {
    Instance inst = plugin().MustOpen(Config());
    std::string state;
    ASSERT_TRUE(inst.LoadState("orders", &state).ok());
    ASSERT_TRUE(inst.Begin(schema_.get()).ok());
    const int64_t n = std::stoll(state) + 1;
    Batch b;
    b.Add({n, {V::Text("item")}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(
        PutAttachment(inst, n, "file-" + std::to_string(n) + ".bin", Pattern(n, size), 65536, true)
            .ok());
    ASSERT_TRUE(PutAttachment(inst, 1, "latest.bin", Pattern(n, size), 65536, false).ok());
    ASSERT_TRUE(inst.Persist(std::to_string(n)).ok());
    ExpectIterations(inst, db_, n, size);
  }
  EXPECT_EQ(SqliteQuery(db_, "PRAGMA integrity_check")
                ->getObject(0)
                ->getValue<std::string>("integrity_check"),
            "ok");
}

// 200 MB streamed in 1 MiB chunks, once as one BLOB (size announced) and
// once as chunk rows (size unknown), in a child whose peak RSS must not
// grow with the file.
TEST_F(SqliteV12Test, TwoHundredMegabytesStreamWithFlatMemory) {
  constexpr uint64_t kSize = spsync::test::attachments::kBigFileBytes;
  auto [error, growth_kb] = attachments::MeasureInChild([&]() -> std::string {
    Instance inst = plugin().MustOpen(Config());
    if (!inst.LoadState("orders").ok() || !inst.Begin(schema_.get()).ok()) return "begin failed";
    Batch b({{1, {V::Text("big")}}});
    if (!inst.Upsert(b.items()).ok()) return "upsert failed";
    std::string chunk;
    for (bool known : {true, false}) {
      AttachmentRecord a;
      a.item_id = 1;
      a.file_name = known ? "big known.bin" : "big unknown.bin";
      a.size = known ? static_cast<int64_t>(kSize) : -1;
      Result r = inst.AttachmentBegin(a);
      if (!r.ok()) return "begin: " + r.message;
      Sha256 hash;
      for (uint64_t off = 0; off < kSize; off += 1 << 20) {
        PatternChunk(known ? 7 : 8, off, 1 << 20, &chunk);
        hash.Update(chunk);
        r = inst.AttachmentWrite(chunk);
        if (!r.ok()) return "write: " + r.message;
      }
      a.size = static_cast<int64_t>(kSize);
      a.sha256 = hash.Hex();
      r = inst.AttachmentCommit(a);
      if (!r.ok()) return "commit: " + r.message;
    }
    Result r = inst.Persist("big");
    return r.ok() ? "" : "persist: " + r.message;
  });
  ASSERT_EQ(error, "");
  std::cout << "peak RSS growth while streaming 2 x " << (kSize >> 20)
            << " MiB into SQLite: " << growth_kb / 1024 << " MiB\n";
  if (attachments::kCheckMemory) {
    EXPECT_LT(growth_kb, attachments::kFlatMemoryKb);
  }

  auto rows = SqliteQuery(db_,
                          "SELECT file_name, size, sha256, (SELECT length(content) FROM "
                          "\"orders__attachment_content\" WHERE rowid = content_id) len FROM "
                          "\"orders__attachments\" ORDER BY file_name");
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->getObject(0)->getValue<int64_t>("size"), static_cast<int64_t>(kSize));
  EXPECT_EQ(rows->getObject(0)->getValue<int64_t>("len"), static_cast<int64_t>(kSize));
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("sha256"), PatternSha256(7, kSize));
  EXPECT_TRUE(rows->getObject(1)->isNull("len"));
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("sha256"), PatternSha256(8, kSize));
  EXPECT_EQ(Count("SELECT sum(length(data)) n FROM \"orders__attachment_chunks\""),
            static_cast<int64_t>(kSize));
  // Read back through the ABI in 1 MiB pieces, hashed as it comes.
  Instance inst = plugin().MustOpen(Config());
  ASSERT_TRUE(inst.LoadState("orders").ok());
  for (const char* name : {"big known.bin", "big unknown.bin"}) {
    Sha256 hash;
    std::vector<char> buf(1 << 20);
    uint64_t total = 0;
    for (;;) {
      size_t n = 0;
      Result r = inst.ReadAttachmentAt(1, name, total, buf.data(), buf.size(), &n);
      ASSERT_TRUE(r.ok()) << r.message;
      if (n == 0) break;
      hash.Update(std::string_view(buf.data(), n));
      total += n;
    }
    EXPECT_EQ(total, kSize);
    EXPECT_EQ(hash.Hex(), PatternSha256(std::string(name) == "big known.bin" ? 7 : 8, kSize));
  }
}

// Versions: typed columns mirroring the item table, idempotent by (item,
// version), extended when a field is added, read back in order.
TEST_F(SqliteV12Test, VersionsAreStoredIdempotentlyAndReadBack) {
  SchemaHolder v1("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                             {"Amount", "Amount", "Number", SPSYNC_VALUE_REAL}});
  {
    Instance inst = OpenBegun(v1);
    VersionBatch first({{7, 512, "1.0", {V::Text("first"), V::Real(1.5)}},
                        {7, 1024, "2.0", {V::Text("second"), V::Real(2.5)}},
                        {3, 512, "1.0", {V::Text("three"), V::Null()}},
                        {9, 512, "1.0", {}, "", "", 0, "2024-02-02T00:00:00Z", "{\"ID\":9}"}});
    Result r = inst.WriteVersions(first.versions());
    ASSERT_TRUE(r.ok()) << r.message;
    // Written again (a resync): replaced, not duplicated.
    VersionBatch again({{7, 1024, "2.0", {V::Text("second, again"), V::Real(2.75)}}});
    ASSERT_TRUE(inst.WriteVersions(again.versions()).ok());
    VersionBatch bad({{8, 512, "1.0", {V::Text("too few")}}});
    r = inst.WriteVersions(bad.versions());
    EXPECT_EQ(r.status, SPSYNC_REJECTED);
    ASSERT_EQ(r.rejects.size(), 1u);
    ASSERT_TRUE(inst.Persist("v").ok());
  }
  auto rows = SqliteQuery(db_,
                          "SELECT _item_id, _version_id, _label, _editor_name, _editor_email, "
                          "_editor_id, Title, Amount, typeof(Amount) ta, _raw FROM "
                          "\"orders__versions\" ORDER BY _item_id, _version_id");
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ(rows->getObject(2)->getValue<std::string>("Title"), "second, again");
  EXPECT_DOUBLE_EQ(rows->getObject(2)->getValue<double>("Amount"), 2.75);
  EXPECT_EQ(rows->getObject(2)->getValue<std::string>("ta"), "real");
  EXPECT_EQ(rows->getObject(2)->getValue<std::string>("_editor_email"), "ada@contoso.com");
  EXPECT_EQ(rows->getObject(3)->getValue<std::string>("_raw"), "{\"ID\":9}");
  EXPECT_TRUE(rows->getObject(3)->isNull("Title"));

  // A new field: the versions table gets its column too.
  SchemaHolder v2("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                             {"Amount", "Amount", "Number", SPSYNC_VALUE_REAL},
                             {"Due", "Due", "DateTime", SPSYNC_VALUE_DATETIME}});
  Instance inst = OpenBegun(v2);
  VersionBatch later(
      {{7, 1536, "3.0", {V::Text("third"), V::Real(3), V::Date(0, "2024-05-01T00:00:00Z")}}});
  ASSERT_TRUE(inst.WriteVersions(later.versions()).ok());
  ASSERT_TRUE(inst.Persist("v2").ok());
  EXPECT_EQ(Count("SELECT count(*) n FROM \"orders__versions\" WHERE Due = '2024-05-01T00:00:00Z'"),
            1);
  auto all = inst.ReadAllVersions(2);
  ASSERT_EQ(all.size(), 5u);
  std::vector<std::pair<int64_t, int64_t>> keys;
  for (const auto& v : all) keys.emplace_back(v.item_id, v.version_id);
  EXPECT_EQ(keys, (std::vector<std::pair<int64_t, int64_t>>{
                      {3, 512}, {7, 512}, {7, 1024}, {7, 1536}, {9, 512}}));
  EXPECT_EQ(all[3].label, "3.0");
  EXPECT_EQ(all[3].editor_name, "Ada Lovelace");
  ASSERT_EQ(all[3].values.size(), 3u);
  EXPECT_EQ(all[3].values[2].type, SPSYNC_VALUE_DATETIME);
  EXPECT_EQ(all[3].values[2].s, "2024-05-01T00:00:00Z");
  EXPECT_EQ(all[3].values[2].i, 1714521600);
  EXPECT_EQ(all[1].values[1].type, SPSYNC_VALUE_REAL);
  EXPECT_EQ(all[0].values[1].type, SPSYNC_VALUE_NULL);
}

// The stored schema (with roles, resolved ID fields and SharePoint's
// definitions) and the items, read back typed in ID order.
TEST_F(SqliteV12Test, SchemaAndItemsReadBackTyped) {
  std::vector<FieldDef> fields = SharePointFields();
  fields[2].definition = "{\"TypeAsString\":\"Number\",\"Required\":true}";
  fields.push_back({"Author.Title", "Author", "User", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_USER_NAME,
                    "AssignedToId"});
  fields.push_back({"Author.EMail", "Author e-mail", "User", SPSYNC_VALUE_TEXT,
                    SPSYNC_FIELD_USER_EMAIL, "AssignedToId"});
  fields.push_back({"Customer.Title", "Customer", "Lookup", SPSYNC_VALUE_TEXT,
                    SPSYNC_FIELD_LOOKUP_VALUE, "CustomerId"});
  SchemaHolder schema("orders", fields);
  Instance inst = OpenBegun(schema);
  Batch batch;
  for (int64_t id = 1; id <= 50; ++id) {
    auto values = SharePointValues(id, "Item " + std::to_string(id));
    values.push_back(V::Text("Grace Hopper"));
    values.push_back(V::Text("grace@contoso.com"));
    values.push_back(id % 3 == 0 ? V::Null() : V::Text("Contoso Ltd"));
    std::string etag(1, '"');  // appended: GCC 12's false -Wrestrict on "x" + string&&
    etag += std::to_string(id) + '"';
    batch.Add({id, std::move(values), "", "2024-01-31T08:00:00Z", etag});
  }
  ASSERT_TRUE(inst.Upsert(batch.items()).ok());
  ASSERT_TRUE(inst.Delete({5, 6}).ok());
  ASSERT_TRUE(inst.Persist("s").ok());

  // Resolved values are just columns, next to the ID columns.
  auto row = SqliteQuery(db_,
                         "SELECT AssignedToId, \"Author.Title\" n, \"Author.EMail\" e, "
                         "CustomerId, \"Customer.Title\" c FROM orders WHERE id = 4")
                 ->getObject(0);
  EXPECT_EQ(row->getValue<int>("AssignedToId"), 12);
  EXPECT_EQ(row->getValue<std::string>("n"), "Grace Hopper");
  EXPECT_EQ(row->getValue<std::string>("e"), "grace@contoso.com");
  EXPECT_EQ(row->getValue<std::string>("c"), "Contoso Ltd");

  Instance reader = plugin().MustOpen(Config());
  ASSERT_TRUE(reader.LoadState("orders").ok());
  ReadSchemaResult stored;
  ASSERT_TRUE(reader.ReadSchema(&stored).ok());
  ASSERT_TRUE(stored.present);
  EXPECT_EQ(stored.entity, "orders");
  EXPECT_EQ(stored.list_id, "8f2c1d3e-0000-4000-8000-000000000001");
  EXPECT_EQ(stored.definition, "{\"BaseTemplate\":100,\"Title\":\"orders\"}");
  ASSERT_EQ(stored.fields.size(), fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    SCOPED_TRACE(fields[i].name);
    EXPECT_EQ(stored.fields[i].name, fields[i].name);
    EXPECT_EQ(stored.fields[i].title, fields[i].title);
    EXPECT_EQ(stored.fields[i].sp_type, fields[i].sp_type);
    EXPECT_EQ(stored.fields[i].value_type, fields[i].type);
    EXPECT_EQ(stored.fields[i].role, fields[i].role);
    EXPECT_EQ(stored.fields[i].resolves, fields[i].resolves);
    EXPECT_EQ(stored.fields[i].definition, fields[i].definition);
  }

  auto items = reader.ReadAllItems(7);
  ASSERT_EQ(items.size(), 48u);
  EXPECT_EQ(items[4].id, 7);
  for (const auto& item : items) {
    SCOPED_TRACE(item.id);
    auto expected = SharePointValues(item.id, "Item " + std::to_string(item.id));
    ASSERT_EQ(item.values.size(), fields.size());
    EXPECT_EQ(item.version, "\"" + std::to_string(item.id) + "\"");
    EXPECT_EQ(item.modified, "2024-01-31T08:00:00Z");
    EXPECT_EQ(item.raw_json, "{\"ID\":" + std::to_string(item.id) + ",\"odata.etag\":\"\"" +
                                 std::to_string(item.id) + "\"\"}");
    for (size_t f = 0; f < expected.size(); ++f) {
      const ReadValue& got = item.values[f];
      const V& want = expected[f];
      if (want.type == SPSYNC_VALUE_DATETIME) {
        EXPECT_EQ(got.type, SPSYNC_VALUE_DATETIME) << f;
        EXPECT_EQ(got.s, want.s.empty() ? Iso(want.i) : want.s) << f;
        continue;
      }
      EXPECT_EQ(got.type, want.type) << f;
      EXPECT_EQ(got.s, want.s) << f;
      EXPECT_EQ(got.i, want.i) << f;
      EXPECT_DOUBLE_EQ(got.r, want.r) << f;
    }
    EXPECT_EQ(item.values[14].s, "grace@contoso.com");
  }
  // Past the end: nothing.
  std::vector<ReadItem> none;
  ASSERT_TRUE(reader.ReadItems(50, 10, &none).ok());
  EXPECT_TRUE(none.empty());
  // An entity never written has no schema.
  Instance other = plugin().MustOpen(Config({{"table", "elsewhere"}}));
  ASSERT_TRUE(other.LoadState("elsewhere").ok());
  ASSERT_TRUE(other.ReadSchema(&stored).ok());
  EXPECT_FALSE(stored.present);
}

// Two entities in one file: begin() no longer holds the write lock, so a
// session that has begun and then waits (on SharePoint) blocks no one, and
// sessions interleave page by page. With busyTimeoutMs=0 any lock held
// across calls would show as RETRYABLE.
TEST_F(SqliteV12Test, TwoEntitiesInOneFileInterleaveBeginUpsertPersist) {
  SchemaHolder a_schema("a", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  SchemaHolder b_schema("b", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                              {"N", "N", "Integer", SPSYNC_VALUE_INTEGER}});
  Instance a = plugin().MustOpen(Config({{"busyTimeoutMs", "0"}}));
  Instance b = plugin().MustOpen(Config({{"busyTimeoutMs", "0"}}));
  ASSERT_TRUE(a.LoadState("a").ok());
  ASSERT_TRUE(b.LoadState("b").ok());
  Result r = a.Begin(a_schema.get());
  ASSERT_TRUE(r.ok()) << r.message;
  r = b.Begin(b_schema.get());  // a has begun and is "waiting on the network"
  ASSERT_TRUE(r.ok()) << r.message;
  for (int page = 1; page <= 3; ++page) {
    Batch pa, pb;
    for (int i = 0; i < 10; ++i) {
      pa.Add({page * 100 + i, {V::Text("a")}});
      pb.Add({page * 100 + i, {V::Text("b"), V::Int(page)}});
    }
    r = a.Upsert(pa.items());
    ASSERT_TRUE(r.ok()) << r.message;
    ASSERT_TRUE(a.Persist("a" + std::to_string(page)).ok());
    r = b.Upsert(pb.items());
    ASSERT_TRUE(r.ok()) << r.message;
    ASSERT_TRUE(PutAttachment(b, page * 100, "f.txt", "bytes", 2, true).ok());
    ASSERT_TRUE(b.Persist("b" + std::to_string(page)).ok());
    // A schema change of a, between pages, while b is idle.
    r = a.Begin(a_schema.get());
    ASSERT_TRUE(r.ok()) << r.message;
  }
  EXPECT_EQ(Count("SELECT count(*) n FROM a"), 30);
  EXPECT_EQ(Count("SELECT count(*) n FROM b"), 30);
  EXPECT_EQ(Count("SELECT count(*) n FROM \"b__attachments\""), 3);
  EXPECT_EQ(Count("SELECT count(*) n FROM _spsync_state"), 2);
  // While a write is open the other writer is refused at once, retryably.
  Batch more({{999, {V::Text("a")}}});
  ASSERT_TRUE(a.Upsert(more.items()).ok());
  Batch other({{999, {V::Text("b"), V::Int(9)}}});
  r = b.Upsert(other.items());
  EXPECT_EQ(r.status, SPSYNC_RETRYABLE) << r.message;
  ASSERT_TRUE(a.Persist("a4").ok());
  ASSERT_TRUE(b.Upsert(other.items()).ok());
  ASSERT_TRUE(b.Persist("b4").ok());
}

}  // namespace
}  // namespace spsync::test
