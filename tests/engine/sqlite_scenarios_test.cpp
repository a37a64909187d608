// The engine driving the real SQLite plugin (loaded through the C ABI), read
// back with sqlite3 and compared with the emulator's truth.
#include "sqlite_plugin.hpp"
#include "test_support.hpp"

#include <sqlite3.h>

#include <cstdlib>

namespace spsync::test {
namespace {

using engine::Outcome;
using engine::SessionOptions;

std::map<int64_t, std::string> ReadTable(const std::string& db_path, const std::string& table) {
  std::map<int64_t, std::string> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path;
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* st = nullptr;
  std::string sql = "SELECT id, _raw FROM \"" + table + "\" ORDER BY id";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
      rows[sqlite3_column_int64(st, 0)] = text ? text : "";
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

TEST(EngineSqlite, FullThenIncrementalOfSmallList) {
  Env env;
  auto dir = TempDir("sqlite-small");
  const std::string db = (dir / "x.db").string();
  engine::EntityConfig e{"small", "", {}, 5000, 2000, 55};
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, "Small", {}, {}, engine::Deadline(), e);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  EXPECT_TRUE(SameAsTruth(env.Truth("Small"), ReadTable(db, "small")));
  const auto live = env.Ids("Small");
  env.emu.AddItem("Small", R"({"Title":"new"})");
  env.emu.UpdateItem("Small", live[3 - 1], R"({"Title":"changed"})");
  env.emu.DeleteItem("Small", live[4 - 1]);
  env.emu.RecycleItem("Small", live[5 - 1]);
  env.emu.RestoreItem("Small", live[5 - 1]);
  {
    auto sink = OpenSqlite(db);  // a new process: state comes from the DB
    auto r = env.Run(*sink, "Small", {}, {}, engine::Deadline(), e);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
    EXPECT_EQ(r.mode, engine::SyncMode::kIncremental);
    EXPECT_FALSE(r.fell_back_to_full);
  }
  EXPECT_TRUE(SameAsTruth(env.Truth("Small"), ReadTable(db, "small")));
  std::filesystem::remove_all(dir);
}

TEST(EngineSqlite, ForcedFullDetectsDeletionsInLargeList) {
  Env env;
  auto dir = TempDir("sqlite-big");
  const std::string db = (dir / "x.db").string();
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, "Orders");
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), ReadTable(db, "orders")));
  const auto live = env.Ids("Orders");
  for (size_t p : {1, 4999, 5000, 5001, 8000, 11999, 12000})
    env.emu.DeleteItem("Orders", live[p - 1]);
  {
    auto sink = OpenSqlite(db);
    SessionOptions o;
    o.force_full = true;
    auto r = env.Run(*sink, "Orders", o);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
    EXPECT_GE(r.deleted, 7);  // IDs sent, historical gaps included
  }
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), ReadTable(db, "orders")));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spsync::test
