// The SQLite sink, loaded through the C ABI; every assertion on data reads the
// database through the sqlite3 CLI, as a user would.
#include <atomic>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sink_test_support.hpp"

namespace spsync::test {
namespace {

class SqliteSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { LogCollector::Get().Clear(); }
  Plugin& plugin() { return Plugin::Load("sqlite"); }
  std::map<std::string, std::string> Config(std::map<std::string, std::string> extra = {}) {
    extra.emplace("path", db_);
    return extra;
  }
  // Opens, loads state and begins `schema`; asserts every step is OK.
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
    auto rows = SqliteQuery(db_, sql);
    return rows->getObject(0)->getValue<int64_t>("n");
  }

  TempDir tmp_;
  std::string db_ = tmp_ / "nested/folder/sync.db";
};

TEST_F(SqliteSinkTest, DeclaresCapabilitiesAndOptions) {
  const auto& vt = plugin().vtable();
  EXPECT_STREQ(vt.name, "sqlite");
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_TRANSACTIONAL_PERSIST);
  EXPECT_TRUE(vt.capabilities & SPSYNC_CAP_DELETE_RANGES);
  EXPECT_NE(vt.delete_ranges, nullptr);
  std::map<std::string, std::string> defaults;
  for (const spsync_option* o : plugin().Options())
    defaults[o->name] = o->default_value == nullptr ? "" : o->default_value;
  EXPECT_EQ(defaults.count("path"), 1u);
  EXPECT_EQ(defaults.count("table"), 1u);
  EXPECT_EQ(defaults["softDelete"], "false");
  EXPECT_EQ(defaults["journal"], "WAL");

  auto [bad, inst] = plugin().Open({{"path", db_}, {"journal", "OFF"}});
  EXPECT_EQ(bad.status, SPSYNC_FATAL);
  EXPECT_NE(bad.message.find("journal"), std::string::npos) << bad.message;
  Instance good = plugin().MustOpen(Config());
  Result check = good.Check();
  EXPECT_TRUE(check.ok()) << check.message;
  EXPECT_NE(check.message.find(db_), std::string::npos) << check.message;
  auto [missing, inst2] = plugin().Open({});
  EXPECT_EQ(missing.status, SPSYNC_FATAL);
  EXPECT_NE(missing.message.find("path"), std::string::npos) << missing.message;
}

TEST_F(SqliteSinkTest, TypedColumnsAndValuesReadBackThroughCli) {
  SchemaHolder schema("orders", SharePointFields());
  {
    Instance inst = OpenBegun(schema);
    Batch batch;
    for (int64_t id : {1, 2, 3})
      batch.Add({id, SharePointValues(id, "Item " + std::to_string(id))});
    Result r = inst.Upsert(batch.items());
    ASSERT_TRUE(r.ok()) << r.message;
    r = inst.Persist("state-1");
    ASSERT_TRUE(r.ok()) << r.message;
  }
  ASSERT_TRUE(fs::exists(db_));
  EXPECT_EQ(
      SqliteQuery(db_, "PRAGMA journal_mode")->getObject(0)->getValue<std::string>("journal_mode"),
      "wal");

  // Declared column types.
  std::map<std::string, std::string> declared;
  auto cols = SqliteQuery(db_, "SELECT name, type, pk FROM pragma_table_info('orders')");
  for (size_t i = 0; i < cols->size(); ++i) {
    auto c = cols->getObject(static_cast<unsigned>(i));
    declared[c->getValue<std::string>("name")] = c->getValue<std::string>("type");
    if (c->getValue<std::string>("name") == "id") {
      EXPECT_EQ(c->getValue<int>("pk"), 1);
    }
  }
  std::map<std::string, std::string> expected = {
      {"id", "INTEGER"},           {"Title", "TEXT"},    {"Notes", "TEXT"},
      {"Amount", "REAL"},          {"Price", "REAL"},    {"Quantity", "INTEGER"},
      {"ID_2", "INTEGER"},         {"Due", "TEXT"},      {"Done", "INTEGER"},
      {"Status", "TEXT"},          {"Tags", "TEXT"},     {"CustomerId", "INTEGER"},
      {"AssignedToId", "INTEGER"}, {"Link", "TEXT"},     {"_raw", "TEXT"},
      {"_modified", "TEXT"},       {"_version", "TEXT"}, {"_synced_at", "TEXT"}};
  EXPECT_EQ(declared, expected);
  // The SharePoint ID field clashes with the key column (SQLite names are
  // case-insensitive), so it was given another column and a warning.
  EXPECT_TRUE(LogCollector::Get().Contains(SPSYNC_LOG_WARN, "\"ID_2\""));

  // Storage classes and values, as the CLI sees them.
  auto rows = SqliteQuery(db_,
                          "SELECT id, typeof(Title) tt, Title, Notes, typeof(Amount) ta, Amount, "
                          "Price, typeof(Quantity) tq, Quantity, ID_2, Due, typeof(Done) td, Done, "
                          "Status, Tags, json_extract(Tags, '$[1]') tag2, typeof(CustomerId) tc, "
                          "CustomerId, AssignedToId, json_extract(Link, '$.Url') url, _raw, "
                          "_modified, _version, _synced_at FROM orders ORDER BY id");
  ASSERT_EQ(rows->size(), 3u);
  for (unsigned n = 0; n < 3; ++n) {
    auto row = rows->getObject(n);
    int64_t id = n + 1;
    EXPECT_EQ(row->getValue<int64_t>("id"), id);
    EXPECT_EQ(row->getValue<std::string>("tt"), "text");
    EXPECT_EQ(row->getValue<std::string>("Title"), "Item " + std::to_string(id));
    EXPECT_EQ(row->getValue<std::string>("Notes"), kNote);
    EXPECT_EQ(row->getValue<std::string>("ta"), "real");
    EXPECT_DOUBLE_EQ(row->getValue<double>("Amount"), 1.5 * id + 0.25);
    EXPECT_DOUBLE_EQ(row->getValue<double>("Price"), 19.99);
    EXPECT_EQ(row->getValue<std::string>("tq"), "integer");
    EXPECT_EQ(row->getValue<int64_t>("Quantity"), id * 10 - 5);
    EXPECT_EQ(row->getValue<int64_t>("ID_2"), id);
    EXPECT_EQ(row->getValue<std::string>("Due"),
              id % 2 == 0 ? Iso(1706688000 + id) : "2024-01-31T08:00:00Z");
    EXPECT_EQ(row->getValue<std::string>("td"), "integer");
    EXPECT_EQ(row->getValue<int>("Done"), id % 2 == 1 ? 1 : 0);
    EXPECT_EQ(row->getValue<std::string>("Status"), "=HYPERLINK(\"http://evil\",\"x\")");
    EXPECT_EQ(row->getValue<std::string>("tag2"), "Blue, dark");
    if (id % 3 == 0) {
      EXPECT_EQ(row->getValue<std::string>("tc"), "null");
    } else {
      EXPECT_EQ(row->getValue<int64_t>("CustomerId"), 7);
    }
    EXPECT_EQ(row->getValue<int64_t>("AssignedToId"), 12);
    EXPECT_EQ(row->getValue<std::string>("url"), "https://example.com/a?b=1");
    EXPECT_EQ(row->getValue<std::string>("_raw"),
              "{\"ID\":" + std::to_string(id) + ",\"odata.etag\":\"\"1\"\"}");
    EXPECT_EQ(row->getValue<std::string>("_modified"), "2024-01-31T08:00:00Z");
    EXPECT_EQ(row->getValue<std::string>("_version"), "\"1\"");
    EXPECT_EQ(row->getValue<std::string>("_synced_at").size(), 20u);
  }
}

TEST_F(SqliteSinkTest, UpsertReplacesByIdWithoutDuplicates) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  Instance inst = OpenBegun(schema);
  Batch first({{1, {V::Text("one")}}, {2, {V::Text("two")}}});
  ASSERT_TRUE(inst.Upsert(first.items()).ok());
  Batch second(
      {{2, {V::Text("two, updated")}, "", "2024-02-01T00:00:00Z", "\"2\""}, {3, {V::Null()}}});
  ASSERT_TRUE(inst.Upsert(second.items()).ok());
  ASSERT_TRUE(inst.Persist("s").ok());
  auto rows = SqliteQuery(db_, "SELECT id, Title, _version FROM orders ORDER BY id");
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("Title"), "two, updated");
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("_version"), "\"2\"");
  EXPECT_TRUE(rows->getObject(2)->isNull("Title"));
}

TEST_F(SqliteSinkTest, InjectionLookingNamesAreJustIdentifiers) {
  const std::string evil_field = "x\"; DROP TABLE t; --";
  const std::string evil_table = "t'); DROP TABLE \"_spsync_state\"; --";
  // A victim table the injection would drop.
  {
    SchemaHolder victim("t", {{"a", "a", "Text", SPSYNC_VALUE_TEXT}});
    Instance inst = plugin().MustOpen({{"path", db_}, {"table", "t"}});
    ASSERT_TRUE(inst.LoadState("t").ok());
    ASSERT_TRUE(inst.Begin(victim.get()).ok());
    Batch b({{1, {V::Text("still here")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("victim").ok());
  }
  SchemaHolder schema("orders", {{evil_field, "Evil", "Text", SPSYNC_VALUE_TEXT},
                                 {"sel'ect", "Quote", "Integer", SPSYNC_VALUE_INTEGER}});
  {
    Instance inst = plugin().MustOpen({{"path", db_}, {"table", evil_table}});
    ASSERT_TRUE(inst.LoadState("orders").ok());
    Result r = inst.Begin(schema.get());
    ASSERT_TRUE(r.ok()) << r.message;
    Batch b({{5, {V::Text("payload'); DROP TABLE t; --"), V::Int(9)}}});
    r = inst.Upsert(b.items());
    ASSERT_TRUE(r.ok()) << r.message;
    ASSERT_TRUE(inst.Persist("evil").ok());
  }
  auto tables =
      SqliteQuery(db_, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::vector<std::string> names;
  for (size_t i = 0; i < tables->size(); ++i)
    names.push_back(tables->getObject(static_cast<unsigned>(i))->getValue<std::string>("name"));
  EXPECT_NE(std::find(names.begin(), names.end(), "t"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), evil_table), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "_spsync_state"), names.end());
  EXPECT_EQ(SqliteQuery(db_, "SELECT a FROM t")->getObject(0)->getValue<std::string>("a"),
            "still here");
  auto rows = SqliteQuery(db_,
                          "SELECT \"x\"\"; DROP TABLE t; --\" AS v, \"sel'ect\" AS q FROM \"t'); "
                          "DROP TABLE \"\"_spsync_state\"\"; --\"");
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("v"), "payload'); DROP TABLE t; --");
  EXPECT_EQ(rows->getObject(0)->getValue<int>("q"), 9);
  EXPECT_EQ(Count("SELECT count(*) n FROM _spsync_state"), 2);
}

TEST_F(SqliteSinkTest, SchemaEvolutionAddRemoveAndTypeChange) {
  {
    SchemaHolder v1("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                               {"Old", "Old", "Text", SPSYNC_VALUE_TEXT},
                               {"Code", "Code", "Integer", SPSYNC_VALUE_INTEGER}});
    Instance inst = OpenBegun(v1);
    Batch b({{1, {V::Text("a"), V::Text("legacy"), V::Int(42)}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("v1").ok());
  }
  // v2: "Old" removed, "Added" new, "Code" changed from Integer to Text.
  SchemaHolder v2("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                             {"Code", "Code", "Text", SPSYNC_VALUE_TEXT},
                             {"Added", "Added", "Number", SPSYNC_VALUE_REAL}});
  std::string state;
  Instance inst = OpenBegun(v2, {}, &state);
  EXPECT_EQ(state, "v1");
  EXPECT_TRUE(LogCollector::Get().Contains(SPSYNC_LOG_WARN, "'Code'"));
  EXPECT_TRUE(LogCollector::Get().Contains(SPSYNC_LOG_WARN, "from INTEGER to TEXT"));
  Batch b({{2, {V::Text("b"), V::Text("A-17"), V::Real(2.5)}}});
  ASSERT_TRUE(inst.Upsert(b.items()).ok());
  ASSERT_TRUE(inst.Persist("v2").ok());

  auto rows = SqliteQuery(db_,
                          "SELECT id, Title, Old, Code, typeof(Code) tcode, Added, typeof(Added) "
                          "tadded FROM orders ORDER BY id");
  ASSERT_EQ(rows->size(), 2u);
  auto r1 = rows->getObject(0), r2 = rows->getObject(1);
  // The removed field's column stays, with its data.
  EXPECT_EQ(r1->getValue<std::string>("Old"), "legacy");
  EXPECT_TRUE(r2->isNull("Old"));
  // The new column: NULL for existing rows.
  EXPECT_EQ(r1->getValue<std::string>("tadded"), "null");
  EXPECT_DOUBLE_EQ(r2->getValue<double>("Added"), 2.5);
  // The type change loses nothing: the old integer and the new text are both there.
  EXPECT_EQ(r1->getValue<int>("Code"), 42);
  EXPECT_EQ(r2->getValue<std::string>("Code"), "A-17");
  EXPECT_EQ(r2->getValue<std::string>("tcode"), "text");
  auto meta =
      SqliteQuery(db_, "SELECT value_type FROM _spsync_schema WHERE tbl='orders' AND field='Code'");
  EXPECT_EQ(meta->getObject(0)->getValue<std::string>("value_type"), "TEXT");
}

TEST_F(SqliteSinkTest, HardDeleteAndDeleteRanges) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  Instance inst = OpenBegun(schema);
  Batch b;
  for (int64_t id = 1; id <= 30; ++id)
    b.Add({id, {V::Text(std::string("t").append(std::to_string(id)))}});
  ASSERT_TRUE(inst.Upsert(b.items()).ok());
  ASSERT_TRUE(inst.Persist("a").ok());
  ASSERT_TRUE(inst.Delete({2, 4, 999}).ok());
  Result r = inst.DeleteRanges({{10, 12}, {25, INT64_MAX}});
  ASSERT_TRUE(r.ok()) << r.message;
  r = inst.DeleteRanges({{8, 7}});
  EXPECT_EQ(r.status, SPSYNC_REJECTED);
  ASSERT_EQ(r.rejects.size(), 1u);
  ASSERT_TRUE(inst.Persist("b").ok());
  auto rows =
      SqliteQuery(db_, "SELECT group_concat(id) ids FROM (SELECT id FROM orders ORDER BY id)");
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("ids"),
            "1,3,5,6,7,8,9,13,14,15,16,17,18,19,20,21,22,23,24");
}

TEST_F(SqliteSinkTest, SoftDeleteMarksRowsAndUpsertRestores) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  Instance inst = OpenBegun(schema, {{"softDelete", "true"}});
  Batch b;
  for (int64_t id = 1; id <= 6; ++id) b.Add({id, {V::Text("t" + std::to_string(id))}});
  ASSERT_TRUE(inst.Upsert(b.items()).ok());
  ASSERT_TRUE(inst.Delete({2}).ok());
  ASSERT_TRUE(inst.DeleteRanges({{5, INT64_MAX}}).ok());
  ASSERT_TRUE(inst.Persist("a").ok());
  auto rows = SqliteQuery(db_, "SELECT id, Title, _deleted, _deleted_at FROM orders ORDER BY id");
  ASSERT_EQ(rows->size(), 6u);  // nothing removed
  for (unsigned i = 0; i < 6; ++i) {
    auto row = rows->getObject(i);
    bool deleted = i == 1 || i >= 4;
    EXPECT_EQ(row->getValue<int>("_deleted"), deleted ? 1 : 0) << "id " << i + 1;
    EXPECT_EQ(row->isNull("_deleted_at"), !deleted) << "id " << i + 1;
    EXPECT_EQ(row->getValue<std::string>("Title"), "t" + std::to_string(i + 1));
  }
  // Restored from the recycle bin: live again.
  Batch restore({{2, {V::Text("back")}}});
  ASSERT_TRUE(inst.Upsert(restore.items()).ok());
  ASSERT_TRUE(inst.Persist("b").ok());
  auto back = SqliteQuery(db_, "SELECT Title, _deleted, _deleted_at FROM orders WHERE id = 2");
  EXPECT_EQ(back->getObject(0)->getValue<std::string>("Title"), "back");
  EXPECT_EQ(back->getObject(0)->getValue<int>("_deleted"), 0);
  EXPECT_TRUE(back->getObject(0)->isNull("_deleted_at"));
}

TEST_F(SqliteSinkTest, StateRoundTripsAndCloseWithoutPersistRollsBack) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  const std::string binary(
      "\x00\x01state\xff\x00"
      "end",
      12);
  {
    Instance inst = OpenBegun(schema);
    Batch b({{1, {V::Text("kept")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist(binary).ok());
    Batch lost({{2, {V::Text("lost")}}});
    ASSERT_TRUE(inst.Upsert(lost.items()).ok());
    ASSERT_TRUE(inst.Delete({1}).ok());
    // Closed without persist.
  }
  std::string state;
  {
    Instance inst = OpenBegun(schema, {}, &state);
    EXPECT_EQ(state, binary);
  }
  EXPECT_EQ(Count("SELECT count(*) n FROM orders"), 1);
  EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE id = 1 AND Title = 'kept'"), 1);
  // The stored bytes, as the CLI sees them: all 12, NULs included.
  auto st = SqliteQuery(
      db_, "SELECT hex(state) h, typeof(state) t FROM _spsync_state WHERE entity = 'orders'");
  ASSERT_EQ(st->size(), 1u);
  EXPECT_EQ(st->getObject(0)->getValue<std::string>("h"), "00017374617465FF00656E64");
  EXPECT_EQ(st->getObject(0)->getValue<std::string>("t"), "blob");
  // An empty persist forgets the state.
  {
    Instance inst = OpenBegun(schema);
    ASSERT_TRUE(inst.Persist("").ok());
  }
  Instance inst = OpenBegun(schema, {}, &state);
  EXPECT_EQ(state, "");
}

// A closed instance's connection is kept for the next instance of the same
// file (hundreds of entities in one database would otherwise re-parse the
// schema on every open); a file removed meanwhile must not be written
// through the old connection: the next instance creates it again.
TEST_F(SqliteSinkTest, ReopenAfterTheFileWasRemovedWritesTheNewFile) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  {
    Instance inst = OpenBegun(schema);
    Batch b({{1, {V::Text("first file")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("one").ok());
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_ + suffix);
  std::string state = "unset";
  {
    Instance inst = OpenBegun(schema, {}, &state);
    EXPECT_EQ(state, "") << "state read from the removed file";
    Batch b({{2, {V::Text("second file")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("two").ok());
  }
  ASSERT_TRUE(std::filesystem::exists(db_));
  EXPECT_EQ(Count("SELECT count(*) n FROM orders"), 1);
  EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE id = 2"), 1);
  // And a third instance (on the pooled connection) sees what the second wrote.
  Instance inst = OpenBegun(schema, {}, &state);
  EXPECT_EQ(state, "two");
}

TEST_F(SqliteSinkTest, RejectsMalformedItemsAndKeepsTheRest) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
                                 {"N", "N", "Integer", SPSYNC_VALUE_INTEGER}});
  Instance inst = OpenBegun(schema);
  Batch b(
      {{1, {V::Text("ok"), V::Int(1)}}, {2, {V::Text("short")}}, {3, {V::Text("ok3"), V::Int(3)}}});
  Result r = inst.Upsert(b.items());
  EXPECT_EQ(r.status, SPSYNC_REJECTED);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].first, 1u);
  ASSERT_TRUE(inst.Persist("s").ok());
  EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE id IN (1, 3)"), 2);
  EXPECT_EQ(Count("SELECT count(*) n FROM orders"), 2);
}

// Another writer holds the database's write lock (it has written and not
// yet persisted): the call reports RETRYABLE (nothing committed) and
// succeeds once the lock is released.
TEST_F(SqliteSinkTest, LockedDatabaseIsRetryable) {
  SchemaHolder a_schema("a", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  SchemaHolder b_schema("b", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  Instance a = plugin().MustOpen(Config());
  ASSERT_TRUE(a.LoadState("a").ok());
  ASSERT_TRUE(a.Begin(a_schema.get()).ok());
  Batch a_rows({{1, {V::Text("a row")}}});
  ASSERT_TRUE(a.Upsert(a_rows.items()).ok());  // holds the write transaction
  Instance b = plugin().MustOpen(Config({{"busyTimeoutMs", "50"}}));
  ASSERT_TRUE(b.LoadState("b").ok());
  Result r = b.Begin(b_schema.get());
  EXPECT_EQ(r.status, SPSYNC_RETRYABLE);
  EXPECT_NE(r.message.find("locked"), std::string::npos) << r.message;
  ASSERT_TRUE(a.Persist("a1").ok());
  r = b.Begin(b_schema.get());
  ASSERT_TRUE(r.ok()) << r.message;
  Batch batch({{1, {V::Text("b row")}}});
  ASSERT_TRUE(b.Upsert(batch.items()).ok());
  ASSERT_TRUE(b.Persist("b1").ok());
  EXPECT_EQ(Count("SELECT count(*) n FROM b"), 1);
  EXPECT_EQ(Count("SELECT count(*) n FROM _spsync_state"), 2);
}

// Several processes opening one new database file at once (the entities of
// one run sharing a file, or two runs): each must open, though switching a
// new file to WAL takes a lock SQLite does not wait for on its own.
TEST_F(SqliteSinkTest, ManyProcessesOpenOneNewFileAtOnce) {
  for (int round = 0; round < 10; ++round) {
    std::string path = tmp_ / ("fresh-" + std::to_string(round) + ".db");
    std::vector<pid_t> children;
    for (int i = 0; i < 6; ++i) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        auto [r, inst] = plugin().Open({{"path", path}});
        _exit(r.ok() ? 0 : 1);
      }
      children.push_back(pid);
    }
    int failed = 0;
    for (pid_t pid : children) {
      int status = 0;
      waitpid(pid, &status, 0);
      failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    EXPECT_EQ(failed, 0) << "round " << round << ": " << failed << " of 6 opens failed";
  }
}

// Rollback journal instead of WAL, and Text -> Integer / Boolean -> Text
// type changes in that mode.
TEST_F(SqliteSinkTest, DeleteJournalAndReverseTypeChanges) {
  {
    SchemaHolder v1("orders", {{"Code", "Code", "Text", SPSYNC_VALUE_TEXT},
                               {"Flag", "Flag", "Boolean", SPSYNC_VALUE_BOOLEAN}});
    Instance inst = OpenBegun(v1, {{"journal", "delete"}});
    Batch b({{1, {V::Text("x-1"), V::Bool(true)}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("1").ok());
  }
  EXPECT_EQ(
      SqliteQuery(db_, "PRAGMA journal_mode")->getObject(0)->getValue<std::string>("journal_mode"),
      "delete");
  SchemaHolder v2("orders", {{"Code", "Code", "Integer", SPSYNC_VALUE_INTEGER},
                             {"Flag", "Flag", "Choice", SPSYNC_VALUE_TEXT}});
  {
    Instance inst = OpenBegun(v2, {{"journal", "DELETE"}});
    EXPECT_TRUE(LogCollector::Get().Contains(SPSYNC_LOG_WARN, "from TEXT to INTEGER"));
    EXPECT_TRUE(LogCollector::Get().Contains(SPSYNC_LOG_WARN, "from BOOLEAN to TEXT"));
    Batch b({{2, {V::Int(77), V::Text("Maybe")}}});
    ASSERT_TRUE(inst.Upsert(b.items()).ok());
    ASSERT_TRUE(inst.Persist("2").ok());
  }
  auto rows = SqliteQuery(
      db_, "SELECT Code, typeof(Code) tc, Flag, typeof(Flag) tf FROM orders ORDER BY id");
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("Code"), "x-1");
  EXPECT_EQ(rows->getObject(0)->getValue<int>("Flag"), 1);
  // The TEXT column stores the new integer as its text form; the INTEGER
  // column keeps the new text as text: nothing is lost either way.
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("tc"), "text");
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("Code"), "77");
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("tf"), "text");
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("Flag"), "Maybe");
}

// A session killed after upserting but before persisting: on reopen the
// database is exactly at the last persist.
TEST_F(SqliteSinkTest, KillBeforePersistLeavesLastPersistedState) {
  SchemaHolder schema("orders", SharePointFields());
  RunChildAndKill([&] {
    Instance inst = OpenBegun(schema);
    Batch first;
    for (int64_t id = 1; id <= 100; ++id) first.Add({id, SharePointValues(id, "first")});
    if (!inst.Upsert(first.items()).ok() || !inst.Persist("page-1").ok()) _exit(5);
    Batch second;
    for (int64_t id = 50; id <= 300; ++id) second.Add({id, SharePointValues(id, "second")});
    if (!inst.Upsert(second.items()).ok() || !inst.Delete({1, 2, 3}).ok()) _exit(6);
    // killed here, before persist("page-2")
  });
  std::string state;
  {
    Instance inst = OpenBegun(schema, {}, &state);
    EXPECT_EQ(state, "page-1");
  }
  EXPECT_EQ(Count("SELECT count(*) n FROM orders"), 100);
  EXPECT_EQ(
      Count(
          "SELECT count(DISTINCT id) n FROM orders WHERE Title = 'first' AND id BETWEEN 1 AND 100"),
      100);

  // Resuming from page-1 replays the second page once: nothing duplicated.
  {
    Instance inst = OpenBegun(schema);
    Batch second;
    for (int64_t id = 50; id <= 300; ++id) second.Add({id, SharePointValues(id, "second")});
    ASSERT_TRUE(inst.Upsert(second.items()).ok());
    ASSERT_TRUE(inst.Delete({1, 2, 3}).ok());
    ASSERT_TRUE(inst.Persist("page-2").ok());
  }
  EXPECT_EQ(Count("SELECT count(*) n FROM orders"), 297);
  EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE Title = 'second'"), 251);
}

// A child persists batch after batch; each batch n adds IDs [n*10, n*10+9]
// and sets item 1's Title to n, and persists state "n". Killed at arbitrary
// instants (in the middle of an upsert, a commit, anything), the database
// must always hold exactly the batches up to the persisted n.
TEST_F(SqliteSinkTest, KillAtAnyInstantNeverSeparatesDataFromState) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  std::mt19937 rng(12345);
  int64_t last_seen = 0;
  for (int round = 0; round < 6; ++round) {
    useconds_t delay = 30000 + rng() % 100000;
    RunChildKillAfter(delay, [&] {
      Instance inst = plugin().MustOpen(Config());
      std::string state;
      if (!inst.LoadState("orders", &state).ok() || !inst.Begin(schema.get()).ok()) _exit(5);
      for (int64_t n = state.empty() ? 1 : std::stoll(state) + 1;; ++n) {
        Batch b;
        b.Add({1, {V::Text(std::to_string(n))}});
        for (int64_t id = n * 10; id < n * 10 + 10; ++id) b.Add({id, {V::Text("batch")}});
        if (!inst.Upsert(b.items()).ok()) _exit(6);
        if (!inst.Persist(std::to_string(n)).ok()) _exit(7);
      }
    });
    std::string state;
    {
      Instance inst = plugin().MustOpen(Config());
      ASSERT_TRUE(inst.LoadState("orders", &state).ok());
    }
    int64_t n = state.empty() ? 0 : std::stoll(state);
    EXPECT_GE(n, last_seen);
    last_seen = n;
    if (n == 0) {
      // Killed before the first persist: begin() may have committed the
      // (empty) table, but no row.
      if (Count("SELECT count(*) n FROM sqlite_master WHERE name = 'orders'") == 1) {
        EXPECT_EQ(Count("SELECT count(*) n FROM orders"), 0);
      }
      continue;
    }
    EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE id >= 10"), n * 10) << "state " << n;
    EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE id >= 10 AND id < " +
                    std::to_string(n * 10 + 10)),
              n * 10);
    if (n > 0) {
      auto rows = SqliteQuery(db_, "SELECT Title FROM orders WHERE id = 1");
      EXPECT_EQ(rows->getObject(0)->getValue<std::string>("Title"), std::to_string(n));
    }
  }
  EXPECT_GT(last_seen, 0) << "the child never got to persist";
  auto check = SqliteQuery(db_, "PRAGMA integrity_check");
  EXPECT_EQ(check->getObject(0)->getValue<std::string>("integrity_check"), "ok");
}

// Killed while persist() writes a large state and commits: either the old
// (data, state) pair or the new one survives, never a mix.
TEST_F(SqliteSinkTest, KillInTheMiddleOfPersistKeepsDataAndStateTogether) {
  SchemaHolder schema("orders", {{"Title", "Title", "Text", SPSYNC_VALUE_TEXT}});
  const std::string big = "two" + std::string(16 << 20, 'z');
  int old_outcomes = 0;
  for (useconds_t delay : {0u, 1000u, 5000u, 20000u, 200000u}) {
    fs::remove_all(fs::path(db_).parent_path());
    RunChildKillAtSignal(delay, [&](auto signal) {
      Instance inst = OpenBegun(schema);
      Batch a, b;
      for (int64_t id = 1; id <= 100; ++id) a.Add({id, {V::Text("A")}});
      for (int64_t id = 1; id <= 200; ++id) b.Add({id, {V::Text("B")}});
      if (!inst.Upsert(a.items()).ok() || !inst.Persist("one").ok()) _exit(5);
      if (!inst.Upsert(b.items()).ok()) _exit(6);
      signal();
      if (!inst.Persist(big).ok()) _exit(7);
    });
    std::string state;
    { Instance inst = OpenBegun(schema, {}, &state); }
    if (state == "one") {
      ++old_outcomes;
      EXPECT_EQ(Count("SELECT count(*) n FROM orders"), 100) << "delay " << delay;
      EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE Title = 'A'"), 100) << "delay " << delay;
    } else {
      EXPECT_EQ(state, big) << "delay " << delay;
      EXPECT_EQ(Count("SELECT count(*) n FROM orders"), 200) << "delay " << delay;
      EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE Title = 'B'"), 200) << "delay " << delay;
    }
  }
  // With no delay the kill lands while the 16 MiB state is being written.
  EXPECT_GE(old_outcomes, 1);
}

}  // namespace
}  // namespace spsync::test
