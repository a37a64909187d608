// The CSV sink, loaded through the C ABI; files are read back with Python's
// csv module, an independent RFC 4180 reader.
#include <csignal>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sink_test_support.hpp"

namespace spsync::test {
namespace {

class CsvSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { LogCollector::Get().Clear(); }
  Plugin& plugin() { return Plugin::Load("csv"); }
  std::map<std::string, std::string> Config(std::map<std::string, std::string> extra = {}) {
    extra.emplace("dir", root_);
    return extra;
  }
  Instance OpenBegun(const SchemaHolder& schema, std::map<std::string, std::string> extra = {},
                     std::string* state = nullptr, const std::string& entity = "orders") {
    Instance inst = plugin().MustOpen(Config(std::move(extra)));
    Result r = inst.LoadState(entity, state);
    EXPECT_TRUE(r.ok()) << r.message;
    r = inst.Begin(schema.get());
    EXPECT_TRUE(r.ok()) << r.message;
    return inst;
  }
  std::string Folder(const std::string& entity = "orders") { return root_ + "/" + entity; }
  std::vector<std::string> ChangeFiles(const std::string& entity = "orders") {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(Folder(entity))) {
      std::string name = e.path().filename().string();
      if (name.rfind("changes-", 0) == 0) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  Poco::JSON::Array::Ptr Rows(const std::string& file, const std::string& delim = ",") {
    return PythonCsv(Folder() + "/" + file, delim);
  }
  // The rows of every change file, in file order, read in one Python run.
  std::vector<Poco::JSON::Array::Ptr> AllChangeRows() {
    std::vector<std::string> paths;
    for (const auto& f : ChangeFiles()) paths.push_back(Folder() + "/" + f);
    return PythonCsvFiles(paths, ",");
  }

  TempDir tmp_;
  std::string root_ = tmp_ / "out";
};

TEST_F(CsvSinkTest, DeclaresCapabilitiesAndOptions) {
  const auto& vt = plugin().vtable();
  EXPECT_STREQ(vt.name, "csv");
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_TRANSACTIONAL_PERSIST);
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_SNAPSHOT);
  // A change log cannot expand ID ranges; the engine sends IDs instead.
  EXPECT_FALSE(vt.capabilities & SPSYNC_CAP_DELETE_RANGES);
  EXPECT_EQ(vt.delete_ranges, nullptr);
  std::map<std::string, std::string> defaults;
  for (const spsync_option* o : plugin().Options())
    defaults[o->name] = o->default_value == nullptr ? "" : o->default_value;
  EXPECT_EQ(defaults["delimiter"], ",");
  EXPECT_EQ(defaults["formulaEscape"], "true");
  EXPECT_EQ(defaults["rotateBytes"], "67108864");
  EXPECT_EQ(defaults.count("dir"), 1u);
  Instance good = plugin().MustOpen(Config());
  Result check = good.Check();
  EXPECT_TRUE(check.ok()) << check.message;
  EXPECT_TRUE(fs::is_directory(root_));
  // A `dir` below a regular file can never be created.
  WriteAll(tmp_ / "file", "x");
  Instance blocked = plugin().MustOpen({{"dir", tmp_ / "file/sub"}});
  EXPECT_EQ(blocked.Check().status, SPSYNC_FATAL);
  auto [bad, inst] = plugin().Open({{"dir", root_}, {"delimiter", "\""}});
  EXPECT_EQ(bad.status, SPSYNC_FATAL);
  EXPECT_NE(bad.message.find("delimiter"), std::string::npos);
}

TEST_F(CsvSinkTest, RoundTripsThroughPythonCsv) {
  SchemaHolder schema("orders", SharePointFields());
  {
    Instance inst = OpenBegun(schema);
    Batch batch;
    batch.Add({1, SharePointValues(1, "-1 + 2")});
    batch.Add({2, SharePointValues(2, "@SUM(A1:A2)")});
    batch.Add({3, SharePointValues(3, "plain, with \"quotes\"")});
    ASSERT_TRUE(inst.Upsert(batch.items()).ok());
    ASSERT_TRUE(inst.Delete({2}).ok());
    ASSERT_TRUE(inst.Persist("s1").ok());
  }
  ASSERT_EQ(ChangeFiles(), std::vector<std::string>{"changes-000001.csv"});
  const std::string raw = ReadAll(Folder() + "/changes-000001.csv");
  EXPECT_EQ(raw.rfind("_op,_seq,_at,id,Title,Notes,Amount,Price,Quantity,ID,Due,Done,Status,Tags,"
                      "CustomerId,AssignedToId,Link\r\n",
                      0),
            0u)
      << raw.substr(0, 200);
  auto rows = Rows("changes-000001.csv");
  ASSERT_EQ(rows->size(), 5u);
  for (size_t r = 0; r < rows->size(); ++r)
    EXPECT_EQ(rows->getArray(static_cast<unsigned>(r))->size(), 17u) << "row " << r;

  // Row 1: every value type.
  EXPECT_EQ(Cell(rows, 1, 0), "upsert");
  EXPECT_EQ(Cell(rows, 1, 1), "1");
  EXPECT_EQ(Cell(rows, 1, 2).size(), 20u);  // ISO-8601 UTC
  EXPECT_EQ(Cell(rows, 1, 2).back(), 'Z');
  EXPECT_EQ(Cell(rows, 1, 3), "1");
  EXPECT_EQ(Cell(rows, 1, 4), "'-1 + 2");                              // formula-escaped
  EXPECT_EQ(Cell(rows, 1, 5), kNote);                                  // unicode, quotes, newlines
  EXPECT_EQ(Cell(rows, 1, 6), "1.75");                                 // Number
  EXPECT_EQ(Cell(rows, 1, 7), "19.99");                                // Currency
  EXPECT_EQ(Cell(rows, 1, 8), "5");                                    // Integer
  EXPECT_EQ(Cell(rows, 1, 9), "1");                                    // Counter
  EXPECT_EQ(Cell(rows, 1, 10), "2024-01-31T08:00:00Z");                // DateTime
  EXPECT_EQ(Cell(rows, 1, 11), "true");                                // Boolean
  EXPECT_EQ(Cell(rows, 1, 12), "'=HYPERLINK(\"http://evil\",\"x\")");  // Choice
  EXPECT_EQ(Cell(rows, 1, 13), "[\"Red\",\"Blue, dark\"]");            // MultiChoice JSON
  EXPECT_EQ(Cell(rows, 1, 14), "7");                                   // Lookup id
  EXPECT_EQ(Cell(rows, 1, 15), "12");                                  // User id
  EXPECT_EQ(Cell(rows, 1, 16),
            "{\"Url\":\"https://example.com/a?b=1\",\"Description\":\"Ex, \\\"ample\\\"\"}");
  // Row 2: a negative-looking number stays a number; dates from Unix seconds.
  EXPECT_EQ(Cell(rows, 2, 4), "'@SUM(A1:A2)");
  EXPECT_EQ(Cell(rows, 2, 10), Iso(1706688002));
  EXPECT_EQ(Cell(rows, 2, 11), "false");
  EXPECT_EQ(Cell(rows, 3, 4), "plain, with \"quotes\"");
  EXPECT_EQ(Cell(rows, 3, 14), "");  // NULL
  // The delete row.
  EXPECT_EQ(Cell(rows, 4, 0), "delete");
  EXPECT_EQ(Cell(rows, 4, 1), "4");
  EXPECT_EQ(Cell(rows, 4, 3), "2");
  EXPECT_EQ(Cell(rows, 4, 4), "");
}

TEST_F(CsvSinkTest, DelimiterAndFormulaEscapeOptions) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                                 {"N", "N", "Integer", SPSYNC_VALUE_INTEGER}});
  {
    Instance inst = OpenBegun(schema, {{"delimiter", ";"}, {"formulaEscape", "false"}});
    Batch b({{1, {V::Text("=1+1; a,b"), V::Int(-4)}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("s").ok());
  }
  EXPECT_EQ(ReadAll(Folder() + "/changes-000001.csv").substr(0, 25), "_op;_seq;_at;id;Title;N\r\n");
  auto rows = Rows("changes-000001.csv", ";");
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(Cell(rows, 1, 4), "=1+1; a,b");
  EXPECT_EQ(Cell(rows, 1, 5), "-4");
}

TEST_F(CsvSinkTest, StateRoundTripsWithBinaryBytes) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  const std::string binary("\x00\x01{\"json\":\"like\"}\xff\n", 19);
  {
    Instance inst = OpenBegun(schema);
    ASSERT_TRUE(inst.Persist(binary).ok());
  }
  std::string state;
  Instance inst = OpenBegun(schema, {}, &state);
  EXPECT_EQ(state, binary);
  EXPECT_TRUE(fs::exists(Folder() + "/state.json"));
  EXPECT_FALSE(fs::exists(Folder() + "/state.json.tmp"));
}

TEST_F(CsvSinkTest, UnpersistedBytesAreTruncatedOnLoad) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  std::string persisted_bytes;
  {
    Instance inst = OpenBegun(schema);
    Batch b({{1, {V::Text("one")}}, {2, {V::Text("two")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("p1").ok());
    persisted_bytes = ReadAll(Folder() + "/changes-000001.csv");
    Batch more({{3, {V::Text("three")}}});
    ASSERT_TRUE(inst.Upsert(more.items()).ok());
    ASSERT_TRUE(inst.Snapshot().ok());  // flushes the unpersisted row to the file
  }
  // A torn write after the persisted point, and a later file a crashed
  // session left behind.
  {
    std::ofstream out(Folder() + "/changes-000001.csv", std::ios::app | std::ios::binary);
    out << "upsert,9,2024-01-01T00:00:00Z,9,\"torn";
  }
  WriteAll(Folder() + "/changes-000002.csv", "_op,_seq,_at,id,Other\r\n");
  ASSERT_GT(ReadAll(Folder() + "/changes-000001.csv").size(), persisted_bytes.size());
  std::string state;
  {
    Instance inst = OpenBegun(schema, {}, &state);
    EXPECT_EQ(state, "p1");
    EXPECT_EQ(ReadAll(Folder() + "/changes-000001.csv"), persisted_bytes);
    EXPECT_EQ(ChangeFiles(), std::vector<std::string>{"changes-000001.csv"});
    // The session resumes: the sequence continues from the persisted one.
    Batch more({{3, {V::Text("three")}}});
    ASSERT_TRUE(inst.Upsert(more.items()).ok());
    ASSERT_TRUE(inst.Persist("p2").ok());
  }
  auto rows = Rows("changes-000001.csv");
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ(Cell(rows, 3, 1), "3");
  EXPECT_EQ(Cell(rows, 3, 4), "three");
}

TEST_F(CsvSinkTest, NoStateMeansNothingWasPersisted) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  {
    Instance inst = OpenBegun(schema);
    Batch b({{1, {V::Text("one")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Snapshot().ok());
  }
  ASSERT_EQ(ChangeFiles().size(), 1u);
  std::string state = "x";
  Instance inst = plugin().MustOpen(Config());
  ASSERT_TRUE(inst.LoadState("orders", &state).ok());
  EXPECT_EQ(state, "");
  EXPECT_TRUE(ChangeFiles().empty());
}

TEST_F(CsvSinkTest, SchemaChangeStartsNewFileWithNewHeader) {
  SchemaHolder v1("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  SchemaHolder v2("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                             {"Added", "Added", "Number", SPSYNC_VALUE_REAL}});
  {
    Instance inst = OpenBegun(v1);
    Batch b({{1, {V::Text("a")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("1").ok());
  }
  {
    // Same schema in a new session: appends to the same file.
    Instance inst = OpenBegun(v1);
    Batch b({{2, {V::Text("b")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("2").ok());
  }
  EXPECT_EQ(ChangeFiles(), std::vector<std::string>{"changes-000001.csv"});
  {
    Instance inst = OpenBegun(v2);
    Batch b({{3, {V::Text("c"), V::Real(0.1)}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("3").ok());
  }
  EXPECT_EQ(ChangeFiles(), (std::vector<std::string>{"changes-000001.csv", "changes-000002.csv"}));
  auto r1 = Rows("changes-000001.csv");
  auto r2 = Rows("changes-000002.csv");
  ASSERT_EQ(r1->size(), 3u);
  ASSERT_EQ(r2->size(), 2u);
  EXPECT_EQ(r1->getArray(0)->size(), 5u);
  EXPECT_EQ(Cell(r2, 0, 5), "Added");
  EXPECT_EQ(Cell(r2, 1, 1), "3");
  EXPECT_EQ(Cell(r2, 1, 5), "0.1");
}

TEST_F(CsvSinkTest, TypeChangeAloneStartsNewFileAndTabDelimiterWorks) {
  SchemaHolder v1("orders", {{"Code", "Code", "Text", SPSYNC_VALUE_TEXT}});
  SchemaHolder v2("orders", {{"Code", "Code", "Integer", SPSYNC_VALUE_INTEGER}});
  {
    Instance inst = OpenBegun(v1, {{"delimiter", "tab"}});
    Batch b({{1, {V::Text("a\tb")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("1").ok());
  }
  {
    Instance inst = OpenBegun(v2, {{"delimiter", "tab"}});
    Batch b({{2, {V::Int(-3)}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("2").ok());
    ASSERT_TRUE(inst.Snapshot().ok());
  }
  EXPECT_EQ(ChangeFiles(), (std::vector<std::string>{"changes-000001.csv", "changes-000002.csv"}));
  auto r1 = Rows("changes-000001.csv", "\t");
  auto r2 = Rows("changes-000002.csv", "\t");
  EXPECT_EQ(Cell(r1, 1, 4), "a\tb");
  EXPECT_EQ(Cell(r2, 1, 4), "-3");
  auto snap = PythonCsv(Folder() + "/snapshot.csv", "\t");
  ASSERT_EQ(snap->size(), 3u);
  EXPECT_EQ(Cell(snap, 1, 1), "a\tb");
  EXPECT_EQ(Cell(snap, 2, 1), "-3");
}

TEST_F(CsvSinkTest, RotatesFilesAtRotateBytes) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  {
    Instance inst = OpenBegun(schema, {{"rotateBytes", "200"}});
    Batch b;
    for (int64_t id = 1; id <= 40; ++id) b.Add({id, {V::Text("row " + std::to_string(id))}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("s").ok());
  }
  auto files = ChangeFiles();
  ASSERT_GT(files.size(), 3u);
  std::set<int64_t> ids;
  int64_t last_seq = 0;
  auto all = AllChangeRows();
  ASSERT_EQ(all.size(), files.size());
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const auto& f = files[fi];
    auto rows = all[fi];
    EXPECT_EQ(Cell(rows, 0, 0), "_op") << f;
    // Rotation happens between rows, once the file reached the limit.
    EXPECT_LT(ReadAll(Folder() + "/" + f).size(), 200u + 60u) << f;
    for (size_t r = 1; r < rows->size(); ++r) {
      int64_t seq = std::stoll(Cell(rows, r, 1));
      EXPECT_EQ(seq, last_seq + 1);
      last_seq = seq;
      EXPECT_TRUE(ids.insert(std::stoll(Cell(rows, r, 3))).second);
    }
  }
  EXPECT_EQ(ids.size(), 40u);
}

TEST_F(CsvSinkTest, SnapshotHasLatestRowOfEveryLiveItem) {
  SchemaHolder v1("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                             {"Gone", "Gone", "Text", SPSYNC_VALUE_TEXT}});
  SchemaHolder v2("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                             {"Price", "Price", "Currency", SPSYNC_VALUE_REAL}});
  {
    Instance inst = OpenBegun(v1, {{"rotateBytes", "150"}});
    Batch b;
    for (int64_t id = 1; id <= 6; ++id)
      b.Add({id, {V::Text("v1 " + std::to_string(id)), V::Text("g" + std::to_string(id))}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Delete({2, 5}).ok());
    Batch again({{5, {V::Text("v1 5 restored"), V::Text("g5b")}}});
    ASSERT_TRUE(inst.Upsert(again.items()).ok());
    ASSERT_TRUE(inst.Persist("1").ok());
  }
  std::string message;
  {
    Instance inst = OpenBegun(v2);
    Batch b({{3, {V::Text("=v2, \"three\"\n"), V::Real(9.5)}}, {7, {V::Text("v2 7"), V::Real(1)}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Delete({4, 100}).ok());
    ASSERT_TRUE(inst.Persist("2").ok());
    Result r = inst.Snapshot();
    ASSERT_TRUE(r.ok()) << r.message;
    message = r.message;
  }
  EXPECT_EQ(message, Folder() + "/snapshot.csv");
  ASSERT_GT(ChangeFiles().size(), 2u);
  auto rows = PythonCsv(Folder() + "/snapshot.csv", ",");
  ASSERT_EQ(rows->size(), 6u);
  // Newest header first, then fields only older files had.
  EXPECT_EQ(Cell(rows, 0, 0), "id");
  EXPECT_EQ(Cell(rows, 0, 1), "Title");
  EXPECT_EQ(Cell(rows, 0, 2), "Price");
  EXPECT_EQ(Cell(rows, 0, 3), "Gone");
  std::vector<std::vector<std::string>> expected = {
      {"1", "v1 1", "", "g1"},
      {"3", "'=v2, \"three\"\n", "9.5", ""},
      {"5", "v1 5 restored", "", "g5b"},
      {"6", "v1 6", "", "g6"},
      {"7", "v2 7", "1", ""},
  };
  for (size_t r = 0; r < expected.size(); ++r)
    for (size_t c = 0; c < 4; ++c)
      EXPECT_EQ(Cell(rows, r + 1, c), expected[r][c]) << "row " << r + 1 << " col " << c;
  // What `spsync snapshot --entity orders` does: open, load_state, snapshot,
  // with no begin(). The same file comes out.
  const std::string first = ReadAll(Folder() + "/snapshot.csv");
  fs::remove(Folder() + "/snapshot.csv");
  Instance again = plugin().MustOpen(Config());
  ASSERT_TRUE(again.LoadState("orders").ok());
  Result r = again.Snapshot();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(ReadAll(Folder() + "/snapshot.csv"), first);
  EXPECT_FALSE(fs::exists(Folder() + "/snapshot.csv.tmp"));
}

TEST_F(CsvSinkTest, EntityNamesStayInsideDir) {
  SchemaHolder schema("x", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  const std::vector<std::string> names = {"../../escape", "..",      "a/b",
                                          "/abs/path",    "..\\win", ".hidden",
                                          "ctl\x01\n",    "",        "Liste · Aufträge"};
  std::set<std::string> folders;
  for (const auto& name : names) {
    Instance inst = plugin().MustOpen(Config());
    Result r = inst.LoadState(name);
    ASSERT_TRUE(r.ok()) << r.message;
    ASSERT_TRUE(inst.Begin(schema.get()).ok());
    ASSERT_TRUE(inst.Persist("s").ok());
  }
  // Nothing was created outside `dir`.
  for (const auto& e : fs::directory_iterator(tmp_.path()))
    EXPECT_EQ(e.path().filename().string(), "out");
  for (const auto& e : fs::directory_iterator(root_)) {
    ASSERT_TRUE(e.is_directory()) << e.path();
    std::string f = e.path().filename().string();
    folders.insert(f);
    EXPECT_EQ(f.find('/'), std::string::npos);
    EXPECT_NE(f[0], '.') << f;
    for (unsigned char c : f) EXPECT_GE(c, 0x20) << f;
    EXPECT_TRUE(fs::exists(e.path() / "changes-000001.csv")) << f;
  }
  // Every entity got its own folder; a clean name is kept as it is.
  EXPECT_EQ(folders.size(), names.size());
  EXPECT_EQ(folders.count("Liste · Aufträge"), 1u);
}

TEST_F(CsvSinkTest, SecondInstanceOnSameEntityIsRetryable) {
  Instance first = plugin().MustOpen(Config());
  ASSERT_TRUE(first.LoadState("orders").ok());
  Instance second = plugin().MustOpen(Config());
  Result r = second.LoadState("orders");
  EXPECT_EQ(r.status, SPSYNC_RETRYABLE);
  EXPECT_NE(r.message.find("in use"), std::string::npos) << r.message;
  first.Close();
  EXPECT_TRUE(second.LoadState("orders").ok());
}

// Killed after upserting, before persisting: the files are cut back to the
// last persist, and the replay writes every row exactly once.
TEST_F(CsvSinkTest, KillBeforePersistThenResumeIsExactlyOnce) {
  SchemaHolder schema("orders", SharePointFields());
  RunChildAndKill([&] {
    Instance inst = OpenBegun(schema, {{"rotateBytes", "20000"}});
    Batch first;
    for (int64_t id = 1; id <= 50; ++id) first.Add({id, SharePointValues(id, "first")});
    if (!inst.Upsert(first.items()).ok() || !inst.Persist("page-1").ok()) _exit(5);
    Batch second;
    for (int64_t id = 51; id <= 200; ++id) second.Add({id, SharePointValues(id, "second")});
    if (!inst.Upsert(second.items()).ok() || !inst.Snapshot().ok()) _exit(6);
    // killed here: page 2's rows are in the files but not persisted
  });
  std::string state;
  {
    Instance inst = OpenBegun(schema, {{"rotateBytes", "20000"}}, &state);
    EXPECT_EQ(state, "page-1");
    Batch second;
    for (int64_t id = 51; id <= 200; ++id) second.Add({id, SharePointValues(id, "second")});
    ASSERT_TRUE(inst.Upsert(second.items()).ok());
    ASSERT_TRUE(inst.Persist("page-2").ok());
  }
  std::vector<int64_t> ids;
  int64_t last_seq = 0;
  for (const auto& rows : AllChangeRows()) {
    for (size_t r = 1; r < rows->size(); ++r) {
      EXPECT_EQ(std::stoll(Cell(rows, r, 1)), ++last_seq);
      ids.push_back(std::stoll(Cell(rows, r, 3)));
    }
  }
  ASSERT_EQ(ids.size(), 200u);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], static_cast<int64_t>(i + 1));
}

// Batch n holds IDs [n*10, n*10+9] and is followed by persist("n"); killed
// at arbitrary instants, the log must always hold exactly batches 1..n.
TEST_F(CsvSinkTest, KillAtAnyInstantLeavesExactlyThePersistedRows) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  std::mt19937 rng(777);
  int64_t last_seen = 0;
  for (int round = 0; round < 6; ++round) {
    RunChildKillAfter(30000 + rng() % 100000, [&] {
      Instance inst = plugin().MustOpen(Config({{"rotateBytes", "4000"}}));
      std::string state;
      if (!inst.LoadState("orders", &state).ok() || !inst.Begin(schema.get()).ok()) _exit(5);
      for (int64_t n = state.empty() ? 1 : std::stoll(state) + 1;; ++n) {
        Batch b;
        for (int64_t id = n * 10; id < n * 10 + 10; ++id)
          b.Add({id, {V::Text("batch " + std::to_string(n) + ", \"q\"\n")}});
        if (!inst.Upsert(b.items()).ok()) _exit(6);
        if (!inst.Persist(std::to_string(n)).ok()) _exit(7);
      }
    });
    std::string state;
    {
      Instance inst = plugin().MustOpen(Config({{"rotateBytes", "4000"}}));
      ASSERT_TRUE(inst.LoadState("orders", &state).ok());
    }
    int64_t n = state.empty() ? 0 : std::stoll(state);
    EXPECT_GE(n, last_seen);
    last_seen = n;
    std::vector<int64_t> ids;
    for (const auto& rows : AllChangeRows())
      for (size_t r = 1; r < rows->size(); ++r) ids.push_back(std::stoll(Cell(rows, r, 3)));
    ASSERT_EQ(ids.size(), static_cast<size_t>(n * 10)) << "state " << n;
    for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], static_cast<int64_t>(i + 10));
  }
  EXPECT_GT(last_seen, 0) << "the child never got to persist";
}

// Killed while persist() writes a large state.json: either the old state
// and rows or the new ones survive, and the leftover temp file is ignored.
TEST_F(CsvSinkTest, KillInTheMiddleOfPersistKeepsRowsAndStateTogether) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  const std::string big = "two" + std::string(16 << 20, 'z');
  int old_outcomes = 0;
  for (useconds_t delay : {0u, 1000u, 5000u, 20000u, 200000u}) {
    fs::remove_all(root_);
    RunChildKillAtSignal(delay, [&](auto signal) {
      Instance inst = OpenBegun(schema);
      Batch a, b;
      for (int64_t id = 1; id <= 100; ++id) a.Add({id, {V::Text("A")}});
      for (int64_t id = 101; id <= 200; ++id) b.Add({id, {V::Text("B")}});
      if (!inst.Upsert(a.items()).ok() || !inst.Persist("one").ok()) _exit(5);
      if (!inst.Upsert(b.items()).ok()) _exit(6);
      signal();
      if (!inst.Persist(big).ok()) _exit(7);
    });
    std::string state;
    {
      Instance inst = plugin().MustOpen(Config());
      ASSERT_TRUE(inst.LoadState("orders", &state).ok());
    }
    EXPECT_FALSE(fs::exists(Folder() + "/state.json.tmp"));
    auto rows = Rows("changes-000001.csv");
    if (state == "one") {
      ++old_outcomes;
      EXPECT_EQ(rows->size(), 101u) << "delay " << delay;
    } else {
      EXPECT_EQ(state, big) << "delay " << delay;
      EXPECT_EQ(rows->size(), 201u) << "delay " << delay;
    }
    for (size_t r = 1; r < rows->size(); ++r)
      EXPECT_EQ(Cell(rows, r, 3), std::to_string(r)) << "delay " << delay;
  }
  EXPECT_GE(old_outcomes, 1);
}

}  // namespace
}  // namespace spsync::test
