// The CSV sink's ABI 1.2 features, loaded through the C ABI: attachment
// files under attachments/<id>/ with safe, injective names and their log,
// the truncate-on-resume protocol for them (kills, unpersisted sessions, a
// crash between the commit and the file moves), versions files, schema files
// and reading back. Files are read with Python's csv module and from disk.
#include <csignal>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "attachment_kit.hpp"
#include "attachment_ops.hpp"
#include "sink_test_support.hpp"

#include <spsync/sink.hpp>

namespace spsync::test {
namespace {

using attachments::HardNames;
using attachments::Pattern;
using attachments::PatternChunk;
using attachments::PatternSha256;
using attachments::Sha256;
using attachments::Sha256Hex;
using spsync::sdk::EncodeFileName;

class CsvV12Test : public ::testing::Test {
 protected:
  Plugin& plugin() { return Plugin::Load("csv"); }
  std::map<std::string, std::string> Config(std::map<std::string, std::string> extra = {}) {
    extra.emplace("dir", root_);
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
  std::string Folder() { return root_ + "/orders"; }
  std::string FileOf(int64_t id, const std::string& name) {
    return Folder() + "/attachments/" + std::to_string(id) + "/" + EncodeFileName(name);
  }
  // Every regular file under attachments/, relative, sorted.
  std::vector<std::string> AttachmentFiles() {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::exists(Folder() + "/attachments", ec)) return out;
    for (const auto& e : fs::recursive_directory_iterator(Folder() + "/attachments"))
      if (e.is_regular_file())
        out.push_back(fs::relative(e.path(), Folder() + "/attachments").string());
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir tmp_;
  std::string root_ = tmp_ / "out";
  SchemaHolder schema_{"orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}}};
};

TEST_F(CsvV12Test, DeclaresTheNewCapabilities) {
  const auto& vt = plugin().vtable();
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_ATTACHMENTS);
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_VERSIONS);
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_READ_BACK);
}

// Hard names become distinct, safe files (nothing outside attachments/, no
// hidden or dot-dot names); the log names each with its original name; a
// replacement or deletion touches the files only at persist.
TEST_F(CsvV12Test, AttachmentFilesAreSafeInjectiveAndMovedAtPersist) {
  Instance inst = OpenBegun(schema_);
  Batch items;
  for (int64_t id = 1; id <= 4; ++id) items.Add({id, {V::Text("t")}});
  ASSERT_TRUE(inst.Upsert(items.items()).ok());
  const auto& names = HardNames();
  std::vector<std::string> evil = names;
  evil.push_back("../../escape.txt");
  evil.push_back("..");
  evil.push_back("=HYPERLINK(\"http://evil\").txt");
  for (size_t i = 0; i < evil.size(); ++i) {
    Result r = PutAttachment(inst, 1, evil[i], Pattern(i, 5000 + i), 1000, i % 2 == 0);
    ASSERT_TRUE(r.ok()) << evil[i] << ": " << r.message;
  }
  ASSERT_TRUE(PutAttachment(inst, 2, "two.txt", "22", 1, true).ok());
  ASSERT_TRUE(PutAttachment(inst, 3, "three.txt", "333", 1, true).ok());
  // Before persist nothing is in place.
  EXPECT_TRUE(AttachmentFiles().size() == evil.size() + 2);  // all still incoming
  for (const auto& f : AttachmentFiles()) EXPECT_EQ(f.rfind(".incoming/", 0), 0u) << f;
  ASSERT_TRUE(inst.Persist("one").ok());

  auto files = AttachmentFiles();
  ASSERT_EQ(files.size(), evil.size() + 2);
  std::set<std::string> distinct(files.begin(), files.end());
  EXPECT_EQ(distinct.size(), files.size());
  for (size_t i = 0; i < evil.size(); ++i) {
    SCOPED_TRACE(evil[i]);
    EXPECT_EQ(ReadAll(FileOf(1, evil[i])), Pattern(i, 5000 + i));
    const std::string leaf = EncodeFileName(evil[i]);
    EXPECT_NE(leaf[0], '.');
    EXPECT_EQ(leaf.find('/'), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(root_ + "/escape.txt"));
  EXPECT_FALSE(fs::exists(Folder() + "/escape.txt"));

  // The log, read by Python: header, then one put per file with its
  // original name (formula-escaped: the '=' name gains a leading ').
  auto log = PythonCsv(Folder() + "/attachments.csv", ",");
  ASSERT_EQ(log->size(), evil.size() + 3);
  EXPECT_EQ(Cell(log, 0, 0), "_op");
  EXPECT_EQ(Cell(log, 0, 7), "sha256");
  std::set<std::string> logged;
  for (size_t r = 1; r < log->size(); ++r) {
    EXPECT_EQ(Cell(log, r, 0), "put");
    logged.insert(Cell(log, r, 4));
    if (Cell(log, r, 3) == "1") {
      const std::string name =
          Cell(log, r, 4)[0] == '\'' ? Cell(log, r, 4).substr(1) : Cell(log, r, 4);
      EXPECT_EQ(Cell(log, r, 5), "attachments/1/" + EncodeFileName(name));
      size_t i = std::find(evil.begin(), evil.end(), name) - evil.begin();
      ASSERT_LT(i, evil.size()) << name;
      EXPECT_EQ(Cell(log, r, 6), std::to_string(5000 + i));
      EXPECT_EQ(Cell(log, r, 7), Sha256Hex(Pattern(i, 5000 + i)));
      EXPECT_EQ(Cell(log, r, 8), "\"{A1}\",1");
    }
  }
  EXPECT_EQ(logged.count("'=HYPERLINK(\"http://evil\").txt"), 1u);

  // Listed with the original names, in order.
  std::vector<AttachmentRecord> list;
  ASSERT_TRUE(inst.ListAttachments({1}, &list).ok());
  ASSERT_EQ(list.size(), evil.size());
  std::vector<std::string> sorted = evil;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(list[i].file_name, sorted[i]);

  // Replace and delete: the files change only when persisted.
  ASSERT_TRUE(PutAttachment(inst, 1, names[0], "replaced", 3, false).ok());
  ASSERT_TRUE(inst.AttachmentDelete(1, names[1]).ok());
  ASSERT_TRUE(inst.Delete({2}).ok());
  ASSERT_TRUE(inst.AttachmentDelete(3, "").ok());
  EXPECT_EQ(ReadAll(FileOf(1, names[0])), Pattern(0, 5000));
  EXPECT_TRUE(fs::exists(FileOf(1, names[1])));
  std::string content;
  ASSERT_TRUE(inst.ReadAttachment(1, names[0], &content).ok());
  EXPECT_EQ(content, "replaced") << "the instance reads its own write";
  ASSERT_TRUE(inst.Persist("two").ok());
  EXPECT_EQ(ReadAll(FileOf(1, names[0])), "replaced");
  EXPECT_FALSE(fs::exists(FileOf(1, names[1])));
  EXPECT_FALSE(fs::exists(Folder() + "/attachments/2"));
  EXPECT_FALSE(fs::exists(Folder() + "/attachments/3"));
  EXPECT_EQ(AttachmentFiles().size(), evil.size() - 1);
  log = PythonCsv(Folder() + "/attachments.csv", ",");
  EXPECT_EQ(Cell(log, log->size() - 1, 0), "delete");
}

// A session that ends without persist leaves no trace: the files and the
// log are as at the last persist, and .incoming is emptied.
TEST_F(CsvV12Test, UnpersistedAttachmentsLeaveNoTrace) {
  {
    Instance inst = OpenBegun(schema_);
    Batch items({{1, {V::Text("a")}}});
    ASSERT_TRUE(inst.Upsert(items.items()).ok());
    ASSERT_TRUE(PutAttachment(inst, 1, "keep.bin", Pattern(1, 30000), 4096, true).ok());
    ASSERT_TRUE(inst.Persist("one").ok());
  }
  const std::string log_before = ReadAll(Folder() + "/attachments.csv");
  {
    Instance inst = OpenBegun(schema_);
    ASSERT_TRUE(PutAttachment(inst, 1, "keep.bin", Pattern(2, 30000), 4096, true).ok());
    ASSERT_TRUE(PutAttachment(inst, 1, "new.bin", Pattern(3, 30000), 4096, false).ok());
    ASSERT_TRUE(inst.AttachmentDelete(1, "keep.bin").ok());
    AttachmentRecord open;
    open.item_id = 1;
    open.file_name = "streaming.bin";
    ASSERT_TRUE(inst.AttachmentBegin(open).ok());
    ASSERT_TRUE(inst.AttachmentWrite("abc").ok());
    // Closed without persist, an attachment still open.
  }
  // Left behind by the session: new.bin in .incoming (the replacement of
  // keep.bin was dropped by its deletion, the open file by close; the log
  // rows are only flushed at persist).
  auto left = AttachmentFiles();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].rfind(".incoming/", 0), 0u);
  EXPECT_EQ(left[1], "1/keep.bin");
  std::string state;
  Instance inst = OpenBegun(schema_, {}, &state);
  EXPECT_EQ(state, "one");
  EXPECT_EQ(ReadAll(Folder() + "/attachments.csv"), log_before);
  EXPECT_EQ(AttachmentFiles(), std::vector<std::string>{"1/keep.bin"});
  EXPECT_EQ(ReadAll(FileOf(1, "keep.bin")), Pattern(1, 30000));
  std::vector<AttachmentRecord> list;
  ASSERT_TRUE(inst.ListAttachments({1}, &list).ok());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].sha256, Sha256Hex(Pattern(1, 30000)));
}

// A crash right after state.json was committed, before the files were moved
// into place: load_state redoes the moves the state names.
TEST_F(CsvV12Test, CrashBetweenCommitAndFileMovesIsRedone) {
  {
    Instance inst = OpenBegun(schema_);
    Batch items({{5, {V::Text("a")}}});
    ASSERT_TRUE(inst.Upsert(items.items()).ok());
    ASSERT_TRUE(PutAttachment(inst, 5, "old.txt", "old", 1, true).ok());
    ASSERT_TRUE(inst.Persist("one").ok());
    ASSERT_TRUE(PutAttachment(inst, 5, "x y.txt", "moved later", 4, true).ok());
    ASSERT_TRUE(inst.AttachmentDelete(5, "old.txt").ok());
    ASSERT_TRUE(inst.Persist("two").ok());
  }
  // Undo what happened after the commit, as if the process died there.
  auto state = ParseJsonFile(Folder() + "/state.json");
  const std::string ops = state->getValue<std::string>("attachmentOps");
  ASSERT_NE(ops.find("put\tattachments/.incoming/"), std::string::npos) << ops;
  ASSERT_NE(ops.find("del\tattachments/5/old.txt"), std::string::npos) << ops;
  const std::string incoming = ops.substr(
      ops.find("attachments/.incoming/"),
      ops.find('\t', ops.find("attachments/.incoming/")) - ops.find("attachments/.incoming/"));
  fs::create_directories(Folder() + "/attachments/.incoming");
  fs::rename(FileOf(5, "x y.txt"), Folder() + "/" + incoming);
  WriteAll(FileOf(5, "old.txt"), "old");

  std::string s;
  Instance inst = OpenBegun(schema_, {}, &s);
  EXPECT_EQ(s, "two");
  EXPECT_EQ(ReadAll(FileOf(5, "x y.txt")), "moved later");
  EXPECT_FALSE(fs::exists(FileOf(5, "old.txt")));
  EXPECT_EQ(AttachmentFiles(), std::vector<std::string>{"5/x%20y.txt"});
}

// Killed at random instants: after each restart the folder holds exactly
// the persisted iterations, .incoming is empty, a resume adds one more.
TEST_F(CsvV12Test, KillDuringAttachmentWritesLosesAndDuplicatesNothing) {
  const size_t size = 256 << 10;
  std::mt19937 rng(77);
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
    ExpectAttachmentIterations(inst, n, size);
    auto files = AttachmentFiles();
    EXPECT_EQ(files.size(), static_cast<size_t>(n == 0 ? 0 : n + 1));
    for (const auto& f : files) EXPECT_NE(f.rfind(".incoming/", 0), 0u) << f;
  }
  EXPECT_GT(last_seen, 0) << "the child never got to persist";
  Instance inst = OpenBegun(schema_);
  const int64_t n = last_seen + 1;
  Batch b({{n, {V::Text("item")}}});
  ASSERT_TRUE(inst.Upsert(b.items()).ok());
  ASSERT_TRUE(
      PutAttachment(inst, n, "file-" + std::to_string(n) + ".bin", Pattern(n, size), 65536, true)
          .ok());
  ASSERT_TRUE(PutAttachment(inst, 1, "latest.bin", Pattern(n, size), 65536, false).ok());
  ASSERT_TRUE(inst.Persist(std::to_string(n)).ok());
  ExpectAttachmentIterations(inst, n, size);
  EXPECT_EQ(AttachmentFiles().size(), static_cast<size_t>(n + 1));
}

TEST_F(CsvV12Test, TwoHundredMegabytesStreamWithFlatMemory) {
  constexpr uint64_t kSize = spsync::test::attachments::kBigFileBytes;
  auto [error, growth_kb] = attachments::MeasureInChild([&]() -> std::string {
    Instance inst = plugin().MustOpen(Config());
    if (!inst.LoadState("orders").ok() || !inst.Begin(schema_.get()).ok()) return "begin failed";
    Batch b({{1, {V::Text("big")}}});
    if (!inst.Upsert(b.items()).ok()) return "upsert failed";
    AttachmentRecord a;
    a.item_id = 1;
    a.file_name = "big file.bin";
    a.size = static_cast<int64_t>(kSize);
    Result r = inst.AttachmentBegin(a);
    if (!r.ok()) return "begin: " + r.message;
    Sha256 hash;
    std::string chunk;
    for (uint64_t off = 0; off < kSize; off += 1 << 20) {
      PatternChunk(9, off, 1 << 20, &chunk);
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
            << " MiB into CSV: " << growth_kb / 1024 << " MiB\n";
  if (attachments::kCheckMemory) {
    EXPECT_LT(growth_kb, attachments::kFlatMemoryKb);
  }
  EXPECT_EQ(fs::file_size(FileOf(1, "big file.bin")), kSize);
  Sha256 hash;
  std::ifstream in(FileOf(1, "big file.bin"), std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0)
    hash.Update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  EXPECT_EQ(hash.Hex(), PatternSha256(9, kSize));
}

// Versions: rows in versions-00000N.csv next to the change file, read by
// Python and back through the ABI (latest row per (item, version)).
TEST_F(CsvV12Test, VersionsFilesAndReadBack) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                                 {"Amount", "Amount", "Number", SPSYNC_VALUE_REAL}});
  Instance inst = OpenBegun(schema);
  VersionBatch first({{7, 512, "1.0", {V::Text("=first"), V::Real(1.5)}},
                      {7, 1024, "2.0", {V::Text("second, \"quoted\""), V::Real(2.5)}},
                      {3, 512, "1.0", {}}});
  ASSERT_TRUE(inst.WriteVersions(first.versions()).ok());
  ASSERT_TRUE(inst.Persist("v1").ok());
  VersionBatch again({{7, 1024, "2.0", {V::Text("second, again"), V::Real(2.75)}}});
  ASSERT_TRUE(inst.WriteVersions(again.versions()).ok());
  VersionBatch lost({{9, 512, "1.0", {V::Text("never persisted"), V::Null()}}});
  ASSERT_TRUE(inst.WriteVersions(lost.versions()).ok());
  ASSERT_TRUE(inst.Persist("v2").ok());
  ASSERT_TRUE(inst.WriteVersions(lost.versions()).ok());  // not persisted
  inst.Close();

  Instance reader = plugin().MustOpen(Config());
  ASSERT_TRUE(reader.LoadState("orders").ok());
  auto rows = PythonCsv(Folder() + "/versions-000001.csv", ",");
  ASSERT_EQ(rows->size(), 1u + 5u) << "the unpersisted row was cut";
  EXPECT_EQ(Cell(rows, 0, 1), "item_id");
  EXPECT_EQ(Cell(rows, 0, 8), "Title");
  EXPECT_EQ(Cell(rows, 1, 8), "'=first");
  EXPECT_EQ(Cell(rows, 1, 6), "Ada Lovelace");
  auto all = reader.ReadAllVersions(2);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].item_id, 3);
  EXPECT_EQ(all[0].values[0].type, SPSYNC_VALUE_NULL);
  EXPECT_EQ(all[1].values[0].s, "=first") << "the formula escape is undone";
  EXPECT_EQ(all[2].version_id, 1024);
  EXPECT_EQ(all[2].values[0].s, "second, again");
  EXPECT_DOUBLE_EQ(all[2].values[1].r, 2.75);
  EXPECT_EQ(all[2].editor_email, "ada@contoso.com");
  EXPECT_EQ(all[3].item_id, 9);
}

// The schema files and reading back: typed values through a type change
// (each file's own types), escaped text undone exactly, deleted items gone.
TEST_F(CsvV12Test, SchemaAndItemsReadBackAcrossFiles) {
  std::vector<FieldDef> v1_fields = {
      {"Title", "Title", "Text", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_PLAIN, "",
       "{\"TypeAsString\":\"Text\",\"Required\":true}"},
      {"Code", "Code", "Integer", SPSYNC_VALUE_INTEGER},
      {"Due", "Due", "DateTime", SPSYNC_VALUE_DATETIME}};
  {
    SchemaHolder v1("orders", v1_fields);
    Instance inst = OpenBegun(v1);
    Batch b({{1, {V::Text("=SUM(A1)"), V::Int(42), V::Date(0, "2024-05-01T00:00:00Z")}},
             {2, {V::Text("'quoted"), V::Int(-7), V::Null()}},
             {3, {V::Text("plain, text"), V::Int(3), V::Null()}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("1").ok());
  }
  // v2: Code becomes text, a resolved person appears.
  std::vector<FieldDef> v2_fields = {
      {"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
      {"Code", "Code", "Text", SPSYNC_VALUE_TEXT},
      {"Due", "Due", "DateTime", SPSYNC_VALUE_DATETIME},
      {"AuthorId", "Author", "User", SPSYNC_VALUE_INTEGER},
      {"Author.Title", "Author", "User", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_USER_NAME, "AuthorId"}};
  SchemaHolder v2("orders", v2_fields);
  Instance inst = OpenBegun(v2);
  Batch b({{4, {V::Text("four"), V::Text("A-4"), V::Null(), V::Int(12), V::Text("Grace")}}});
  ASSERT_TRUE(inst.Upsert(b.items()).ok());
  ASSERT_TRUE(inst.Delete({3}).ok());
  ASSERT_TRUE(inst.Persist("2").ok());

  EXPECT_TRUE(fs::exists(Folder() + "/schema-000001.ndjson"));
  EXPECT_TRUE(fs::exists(Folder() + "/schema-000002.ndjson"));
  ReadSchemaResult stored;
  ASSERT_TRUE(inst.ReadSchema(&stored).ok());
  ASSERT_TRUE(stored.present);
  ASSERT_EQ(stored.fields.size(), 5u);
  EXPECT_EQ(stored.list_id, "8f2c1d3e-0000-4000-8000-000000000001");
  EXPECT_EQ(stored.definition, "{\"BaseTemplate\":100,\"Title\":\"orders\"}");
  EXPECT_EQ(stored.fields[1].value_type, SPSYNC_VALUE_TEXT);
  EXPECT_EQ(stored.fields[4].role, SPSYNC_FIELD_USER_NAME);
  EXPECT_EQ(stored.fields[4].resolves, "AuthorId");

  inst.Close();  // one instance per entity folder (flock)
  Instance reader = plugin().MustOpen(Config());
  ASSERT_TRUE(reader.LoadState("orders").ok());
  auto items = reader.ReadAllItems(2);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].id, 1);
  EXPECT_EQ(items[0].values[0].s, "=SUM(A1)");
  EXPECT_EQ(items[0].values[1].type, SPSYNC_VALUE_INTEGER) << "typed by the file it is in";
  EXPECT_EQ(items[0].values[1].i, 42);
  EXPECT_EQ(items[0].values[2].type, SPSYNC_VALUE_DATETIME);
  EXPECT_EQ(items[0].values[2].i, 1714521600);
  EXPECT_EQ(items[0].values[3].type, SPSYNC_VALUE_NULL) << "not in the older file";
  EXPECT_EQ(items[1].values[0].s, "'quoted");
  EXPECT_EQ(items[1].values[1].i, -7);
  EXPECT_EQ(items[2].id, 4);
  EXPECT_EQ(items[2].values[1].type, SPSYNC_VALUE_TEXT);
  EXPECT_EQ(items[2].values[1].s, "A-4");
  EXPECT_EQ(items[2].values[4].s, "Grace");
  auto raw = ParseJson(items[2].raw_json);
  EXPECT_EQ(raw->getValue<int>("ID"), 4);
  EXPECT_EQ(raw->getValue<std::string>("Author.Title"), "Grace");
  EXPECT_EQ(raw->getValue<int>("AuthorId"), 12);
}

}  // namespace
}  // namespace spsync::test
