// Item versions (`versions: true`, issue 14) from the emulator over HTTP into
// the real SQLite sink: what a session costs and what the versions table
// holds.
#include "backup_support.hpp"

#include <atomic>

namespace spsync::backup_test {
namespace {

using engine::Outcome;

TEST(Versions, ItemsWithOneVersionCostNoRequest) {
  Env env(Lists({{"Orders", 300}, {"Customers", 120}}));
  auto dir = TempDir("versions-one");
  const std::string db = (dir / "x.db").string();
  engine::EntityConfig e;
  e.name = "orders";
  e.list = "Orders";
  e.versions = true;
  e.page_size = 100;
  std::atomic<int> version_requests{0};
  engine::SessionEvents events;
  events.page_requested = [&](const std::string& what) {
    if (what.find("/versions") != std::string::npos) ++version_requests;
  };
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, e, events);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  // An item at version 1.0 has one version, itself: no request; any other
  // item costs one.
  const auto ids = env.Ids("Orders");
  std::vector<int64_t> single;
  for (int64_t id : ids)
    if (ParseObject(env.emu.ItemJson("Orders", id))
            ->getValue<std::string>("OData__UIVersionString") == "1.0")
      single.push_back(id);
  ASSERT_GT(single.size(), 10u);
  ASSERT_LT(single.size(), ids.size());
  EXPECT_EQ(version_requests.load(), static_cast<int>(ids.size() - single.size()));
  auto rows = Query(db,
                    "SELECT v._item_id, v._version_id, v._label, v._modified, v._editor_id, "
                    "v.Title, o.Title, v._raw = o._raw, o.EditorId FROM orders__versions v JOIN "
                    "orders o ON o.id = v._item_id WHERE o._version = '1.0' ORDER BY v._item_id");
  ASSERT_EQ(rows.size(), single.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k];
    EXPECT_EQ(*r[0], std::to_string(single[k]));
    EXPECT_EQ(*r[1], "512");
    EXPECT_EQ(*r[2], "1.0");
    EXPECT_FALSE(r[3].value_or("").empty());
    EXPECT_EQ(r[4], r[8]) << "the editor of item " << single[k];
    EXPECT_EQ(r[5], r[6]);
    EXPECT_EQ(r[7].value_or(""), "1");
  }
  // Turning versions on for an entity synced without them re-reads it once.
  auto plain_dir = TempDir("versions-later");
  const std::string plain = (plain_dir / "x.db").string();
  engine::EntityConfig off = e;
  off.versions = false;
  {
    auto sink = OpenSqlite(plain);
    ASSERT_EQ(env.Run(*sink, off).outcome, Outcome::kComplete);
  }
  {
    auto sink = OpenSqlite(plain);
    auto r = env.Run(*sink, e);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
    EXPECT_EQ(r.upserted, static_cast<int64_t>(ids.size()));
  }
  EXPECT_EQ(Query(plain,
                  "SELECT count(*) FROM orders__versions v JOIN orders o ON o.id = "
                  "v._item_id WHERE o._version = '1.0'")[0][0]
                .value_or(""),
            std::to_string(single.size()));
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(plain_dir);
}

// An item edited several times between runs: the incremental run reads its
// history once (one request for the item) and the versions table then holds
// every version, oldest first, each with its own title, label and time, so
// a reader sees the item as of any version.
TEST(Versions, SeveralUpdatesKeepEveryVersion) {
  Env env(Lists({{"Orders", 120}, {"Customers", 40}}));
  auto dir = TempDir("versions-several");
  const std::string db = (dir / "x.db").string();
  engine::EntityConfig e;
  e.name = "orders";
  e.list = "Orders";
  e.versions = true;
  e.page_size = 100;
  {
    auto sink = OpenSqlite(db);
    ASSERT_EQ(env.Run(*sink, e).outcome, Outcome::kComplete);
  }
  const auto ids = env.Ids("Orders");
  const int64_t id = ids[5], other = ids[6];
  const std::string before =
      ParseObject(env.emu.ItemJson("Orders", id))->getValue<std::string>("OData__UIVersionString");
  const int first = std::stoi(before);
  for (int k = 1; k <= 3; ++k) {
    env.emu.AdvanceClock(std::chrono::minutes(10));
    env.emu.UpdateItem("Orders", id, "{\"Title\":\"edit " + std::to_string(k) + "\"}");
  }
  env.emu.UpdateItem("Orders", other, R"({"Title":"once"})");
  std::atomic<int> version_requests{0};
  engine::SessionEvents events;
  events.page_requested = [&](const std::string& what) {
    if (what.find("/versions") != std::string::npos) ++version_requests;
  };
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, e, events);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  EXPECT_EQ(version_requests.load(), 2) << "one request per changed item";
  auto rows = Query(db, "SELECT _label, Title, _modified FROM orders__versions WHERE _item_id = " +
                            std::to_string(id) + " ORDER BY _version_id");
  ASSERT_EQ(rows.size(), static_cast<size_t>(first + 3));
  for (int k = 1; k <= 3; ++k) {
    const auto& r = rows[static_cast<size_t>(first - 1 + k)];
    EXPECT_EQ(*r[0], std::to_string(first + k) + ".0");
    EXPECT_EQ(*r[1], "edit " + std::to_string(k));
    EXPECT_LT(*rows[static_cast<size_t>(first - 2 + k)][2], *r[2]) << "later than the one before";
  }
  EXPECT_NE(*rows[static_cast<size_t>(first - 1)][1], "edit 1") << "the version before the edits";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spsync::backup_test
