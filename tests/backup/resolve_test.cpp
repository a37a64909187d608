// People and lookups resolved (`resolve`, issue 14) against the emulator over
// HTTP into the real SQLite sink: names and e-mails next to person IDs,
// looked-up values next to lookup IDs, read from the targets once per session
// (no $expand), an ID first seen mid-run, and only the fields asked for.
#include "backup_support.hpp"

#include <atomic>
#include <mutex>

namespace spsync::backup_test {
namespace {

using engine::Outcome;

emulator::Options OrdersAndCustomers() {
  return Lists({{"Orders", 300}, {"Customers", 120}});
}

engine::EntityConfig Orders(bool all, std::vector<std::string> fields = {}) {
  engine::EntityConfig e;
  e.name = "orders";
  e.list = "Orders";
  e.resolve_all = all;
  e.resolve_fields = std::move(fields);
  return e;
}

std::string TitleOf(const Env& env, const std::string& list, int64_t id) {
  std::string json = env.emu.ItemJson(list, id);
  if (json.empty()) return "";
  return ParseObject(json)->getValue<std::string>("Title");
}

// Every person column pair (name, e-mail) matches the site's users and every
// Customer.Title the Customers item; returns how many values were checked.
size_t CheckResolved(Env& env, const std::string& db, const std::string& person) {
  auto people = env.People();
  size_t checked = 0;
  auto rows = Query(db, "SELECT id, \"" + person + "Id\", \"" + person + ".Title\", \"" + person +
                            ".EMail\", CustomerId, \"Customer.Title\" FROM orders ORDER BY id");
  EXPECT_EQ(rows.size(), env.Ids("Orders").size());
  for (const auto& r : rows) {
    if (r[1]) {
      int64_t id = std::stoll(*r[1]);
      if (!people.count(id)) {
        ADD_FAILURE() << "item " << *r[0] << ": no user " << id;
        continue;
      }
      EXPECT_EQ(r[2].value_or("(null)"), people[id].name) << "item " << *r[0];
      EXPECT_EQ(r[3].value_or(""), people[id].email) << "item " << *r[0];
      ++checked;
    } else {
      EXPECT_FALSE(r[2]) << "item " << *r[0];
    }
    if (r[4]) {
      EXPECT_EQ(r[5].value_or("(null)"), TitleOf(env, "Customers", std::stoll(*r[4])))
          << "item " << *r[0];
      ++checked;
    } else {
      EXPECT_FALSE(r[5]) << "item " << *r[0];
    }
  }
  return checked;
}

TEST(Resolve, PeopleAndLookupsLandNextToTheirIds) {
  Env env(OrdersAndCustomers());
  auto dir = TempDir("resolve");
  const std::string db = (dir / "x.db").string();
  std::mutex mu;
  std::vector<std::string> requested;
  engine::SessionEvents events;
  events.page_requested = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    requested.push_back(what);
  };
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders(true), events);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  EXPECT_GT(CheckResolved(env, db, "Owner"), 300u);
  EXPECT_GT(CheckResolved(env, db, "Author"), 300u);
  EXPECT_GT(CheckResolved(env, db, "Editor"), 300u);
  // No item page expands anything: the targets were read on their own, once
  // (the User Information List and Customers: one page each), plus the
  // system account, which the User Information List does not hold.
  size_t targets = 0, users = 0;
  for (const auto& url : requested) {
    EXPECT_EQ(url.find("expand"), std::string::npos) << url;
    if (url.find("/items?%24select=ID%2cTitle") != std::string::npos) ++targets;
    if (url.find("getuserbyid") != std::string::npos) ++users;
  }
  EXPECT_EQ(targets, 2u);
  EXPECT_LE(users, 1u);
  // The sink knows which column resolves which: the schema table.
  auto roles = Query(db,
                     "SELECT field, role, resolves FROM _spsync_schema WHERE tbl = 'orders' AND "
                     "role > 0 ORDER BY field");
  std::map<std::string, std::pair<std::string, std::string>> by_field;
  for (const auto& r : roles) by_field[*r[0]] = {*r[1], *r[2]};
  EXPECT_EQ(by_field["Owner.Title"], std::make_pair(std::string("1"), std::string("OwnerId")));
  EXPECT_EQ(by_field["Owner.EMail"], std::make_pair(std::string("2"), std::string("OwnerId")));
  EXPECT_EQ(by_field["Customer.Title"],
            std::make_pair(std::string("3"), std::string("CustomerId")));

  // Incremental: a renamed customer and a reassigned owner come out resolved.
  auto ids = env.Ids("Orders");
  auto customers = env.Ids("Customers");
  env.emu.UpdateItem("Customers", customers[0], R"({"Title":"Renamed & Co"})");
  env.emu.UpdateItem("Orders", ids[5],
                     "{\"CustomerId\":" + std::to_string(customers[0]) + ",\"OwnerId\":3}");
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders(true));
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
    EXPECT_EQ(r.mode, engine::SyncMode::kIncremental);
  }
  auto row = Query(db, "SELECT \"Customer.Title\", \"Owner.Title\" FROM orders WHERE id = " +
                           std::to_string(ids[5]));
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].value_or(""), "Renamed & Co");
  EXPECT_EQ(row[0][1].value_or(""), env.People()[3].name);
  std::filesystem::remove_all(dir);
}

TEST(Resolve, AnIdFirstSeenMidRunIsFetched) {
  Env env(OrdersAndCustomers());
  auto dir = TempDir("resolve-mid");
  const std::string db = (dir / "x.db").string();
  const auto ids = env.Ids("Orders");
  engine::EntityConfig e = Orders(false, {"Owner"});
  e.page_size = 100;
  e.streams = 1;
  // Once the first item page was read (and the people with it), a colleague
  // joins the site and becomes the owner of the last item: its page is read
  // later in the same session.
  std::atomic<int> pages{0};
  std::atomic<int64_t> jane{0};
  std::atomic<int> targeted{0};
  engine::SessionEvents events;
  events.page_requested = [&](const std::string& what) {
    if (what.find("GetItems (resolve)") != std::string::npos) ++targeted;
    if (what.find("lists(guid'" + env.emu.ListId("Orders") + "')/items") == std::string::npos ||
        what.find("p_ID") == std::string::npos)
      return;
    if (pages++ == 0) {
      jane = env.EnsureUser("jane.doe@contoso.com");
      env.emu.UpdateItem("Orders", ids.back(), "{\"OwnerId\":" + std::to_string(jane) + "}");
    }
  };
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, e, events);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  ASSERT_GT(jane.load(), 0);
  EXPECT_GE(targeted.load(), 1);
  auto row = Query(db, "SELECT OwnerId, \"Owner.Title\", \"Owner.EMail\" FROM orders WHERE id = " +
                           std::to_string(ids.back()));
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].value_or(""), std::to_string(jane.load()));
  EXPECT_EQ(row[0][1].value_or(""), "Jane Doe");
  EXPECT_EQ(row[0][2].value_or(""), "jane.doe@contoso.com");
  // Only Owner was asked for.
  auto columns = Query(db, "SELECT name FROM pragma_table_info('orders') WHERE name LIKE '%.%'");
  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(*c[0]);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"Owner.EMail", "Owner.Title"}));
  std::filesystem::remove_all(dir);
}

TEST(Resolve, MultiValuedPeopleAreArraysInIdOrder) {
  Env env(OrdersAndCustomers());
  env.emu.AddField("Orders", "Reviewers", "UserMulti");
  const auto ids = env.Ids("Orders");
  env.emu.UpdateItem("Orders", ids[1], R"({"ReviewersId":[5,3]})");
  auto dir = TempDir("resolve-multi");
  const std::string db = (dir / "x.db").string();
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders(false, {"Reviewers"}));
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  auto people = env.People();
  auto row = Query(db, "SELECT \"Reviewers.Title\", \"Reviewers.EMail\" FROM orders WHERE id = " +
                           std::to_string(ids[1]));
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].value_or(""), "[\"" + people[5].name + "\",\"" + people[3].name + "\"]");
  EXPECT_EQ(row[0][1].value_or(""), "[\"" + people[5].email + "\",\"" + people[3].email + "\"]");
  std::filesystem::remove_all(dir);
}

TEST(Resolve, MoreThanTwelveLookupColumnsAreReadAndResolved) {
  // Orders has 4 lookup / person fields (Customer, Owner, Author, Editor); 9
  // more make 13, past SharePoint's lookup column threshold of 12.
  Env env(OrdersAndCustomers());
  for (int i = 1; i <= 9; ++i)
    env.emu.AddField("Orders", "Ref" + std::to_string(i), i % 2 ? "Lookup" : "User");
  const auto ids = env.Ids("Orders");
  const auto customers = env.Ids("Customers");
  for (size_t k = 0; k < ids.size(); k += 7) {
    std::string fields = "{";
    for (int i = 1; i <= 9; ++i) {
      int64_t target = i % 2 ? customers[(k + i) % customers.size()] : int64_t(1 + (k + i) % 20);
      fields +=
          (i > 1 ? "," : "") + ("\"Ref" + std::to_string(i) + "Id\":") + std::to_string(target);
    }
    env.emu.UpdateItem("Orders", ids[k], fields + "}");
  }
  auto dir = TempDir("resolve-13");
  const std::string db = (dir / "x.db").string();
  engine::EntityConfig e = Orders(true);
  e.page_size = 100;
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, e);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  auto people = env.People();
  size_t checked = 0;
  for (int i = 1; i <= 9; ++i) {
    const std::string ref = "Ref" + std::to_string(i);
    auto rows = Query(db, "SELECT id, \"" + ref + "Id\", \"" + ref + ".Title\" FROM orders");
    ASSERT_EQ(rows.size(), ids.size());
    for (const auto& r : rows) {
      auto truth = ParseObject(env.emu.ItemJson("Orders", std::stoll(*r[0])));
      if (truth->isNull(ref + "Id")) {
        EXPECT_FALSE(r[1]) << ref << " of " << *r[0];
        continue;
      }
      const int64_t target = truth->getValue<int64_t>(ref + "Id");
      ASSERT_TRUE(r[1]) << ref << " of " << *r[0];
      EXPECT_EQ(*r[1], std::to_string(target));
      EXPECT_EQ(r[2].value_or(""), i % 2 ? TitleOf(env, "Customers", target) : people[target].name)
          << ref << " of " << *r[0];
      ++checked;
    }
  }
  EXPECT_GE(checked, 9 * ((ids.size() + 6) / 7));
  // The incremental path reads them too.
  env.emu.UpdateItem("Orders", ids[1], "{\"Ref9Id\":" + std::to_string(customers[3]) + "}");
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, e);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  auto row =
      Query(db, "SELECT Ref9Id, \"Ref9.Title\" FROM orders WHERE id = " + std::to_string(ids[1]));
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].value_or(""), std::to_string(customers[3]));
  EXPECT_EQ(row[0][1].value_or(""), TitleOf(env, "Customers", customers[3]));
  std::filesystem::remove_all(dir);
}

TEST(Resolve, AFieldThatIsNoLookupIsRefusedByName) {
  Env env(OrdersAndCustomers());
  auto dir = TempDir("resolve-bad");
  auto sink = OpenSqlite((dir / "x.db").string());
  auto r = env.Run(*sink, Orders(false, {"Amount"}));
  EXPECT_EQ(r.outcome, Outcome::kFailed);
  EXPECT_NE(r.error.find("'Amount' in `resolve` is a Currency field"), std::string::npos)
      << r.error;
  auto r2 = env.Run(*sink, Orders(false, {"Nope"}));
  EXPECT_NE(r2.error.find("field 'Nope' in `resolve` is not a selected field"), std::string::npos)
      << r2.error;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spsync::backup_test
