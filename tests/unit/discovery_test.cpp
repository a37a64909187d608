// Discovery's pure parts (issue 13): entity names from site, web and list URL;
// title globs; rules expanded over an inventory (templates, hidden and system
// lists, subwebs, explicit entities first); the registry across runs (a
// renamed list keeps its name, a deleted one is gone, a list recreated at the
// same URL takes the old name over, a rule that stops matching).
#include "spsync/engine/discovery/discovery.hpp"
#include "spsync/engine/config.hpp"
#include "spsync/engine/discovery/list_names.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

using namespace spsync::engine;

namespace {

TEST(DiscoveryNames, FromSiteWebAndListUrl) {
  EXPECT_EQ(DiscoveredEntityName("sales", "", "Orders"), "sales_orders");
  EXPECT_EQ(DiscoveredEntityName("sales", "emea/north", "Invoices 2024"),
            "sales_emea_north_invoices_2024");
  EXPECT_EQ(DiscoveredEntityName("Sales-EU", "", "Shared Documents"), "sales_eu_shared_documents");
  EXPECT_EQ(DiscoveredEntityName("s", "", "--A.b--"), "s_a_b");
  // A title in another script: a stable hash, not an empty part.
  std::string jp = DiscoveredEntityName("s", "", "注文");
  EXPECT_EQ(jp.rfind("s_l", 0), 0u) << jp;
  EXPECT_EQ(jp.size(), 2u + 9u) << jp;
  EXPECT_EQ(jp, DiscoveredEntityName("s", "", "注文"));
  EXPECT_NE(jp, DiscoveredEntityName("s", "", "顧客"));
  // Safe everywhere: [a-z0-9_], at most 80 characters.
  std::string longname = DiscoveredEntityName(std::string(50, 'a'), "", std::string(50, 'b'));
  EXPECT_LE(longname.size(), 80u);
  for (char c : longname) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  EXPECT_EQ(WithListIdSuffix("s_orders", "5C77031A-9621-4dfc-bb5d-57803a94e91d"),
            "s_orders_5c77031a");
}

TEST(DiscoveryNames, Globs) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("Orders*", "orders 2024"));
  EXPECT_TRUE(GlobMatch("*Archive", "Old archive"));
  EXPECT_TRUE(GlobMatch("T?sks", "Tasks"));
  EXPECT_FALSE(GlobMatch("T?sks", "Tsks"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
  EXPECT_TRUE(GlobMatch("注文*", "注文2024"));
}

ListSummary List(std::string id, std::string title, std::string url, int tmpl = 100,
                 bool hidden = false, bool system = false) {
  ListSummary l;
  l.id = std::move(id);
  l.title = std::move(title);
  l.server_relative_url = std::move(url);
  l.base_template = tmpl;
  l.hidden = hidden;
  l.system = system;
  l.last_modified = "2026-01-01T00:00:00Z";
  return l;
}

struct World {
  std::filesystem::path dir;
  Config config;
  std::map<std::string, SiteInventory> inv;

  World() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("spsync-discovery-" + std::to_string(rd()));
    config = ParseConfig(R"({"sites": {"sales": {"url": "https://t.example/sites/sales",
      "discover": [{"exclude": ["*Archive"], "templates": ["list", "library"], "subwebs": true, "sinks": ["db"]},
                   {"include": ["Hidden*"], "hidden": true, "sinks": ["db"]}]}},
      "sinks": {"db": {"plugin": "sqlite", "path": "x.db"}},
      "entities": [{"name": "orders", "list": "Lists/Orders", "sinks": ["db"]}],
      "run": {"workDir": ")" +
                             dir.string() + R"("}})",
                         (dir / "c.json").string());
    SiteInventory s;
    s.site = "sales";
    WebLists root;
    root.web.url = "https://t.example/sites/sales";
    root.web.server_relative_url = "/sites/sales";
    root.lists = {
        List("00000000-0000-0000-0000-000000000001", "Orders", "/sites/sales/Lists/Orders"),
        List("00000000-0000-0000-0000-000000000002", "Tasks", "/sites/sales/Lists/Tasks"),
        List("00000000-0000-0000-0000-000000000003", "Documents", "/sites/sales/Shared Documents",
             101),
        List("00000000-0000-0000-0000-000000000004", "Old Archive",
             "/sites/sales/Lists/OldArchive"),
        List("00000000-0000-0000-0000-000000000005", "User Information List",
             "/sites/sales/_catalogs/users", 112, true, true),
        List("00000000-0000-0000-0000-000000000006", "Hidden Settings",
             "/sites/sales/Lists/HiddenSettings", 100, true),
        List("00000000-0000-0000-0000-000000000007", "Calendar", "/sites/sales/Lists/Calendar",
             106)};
    WebLists emea;
    emea.web.url = "https://t.example/sites/sales/emea";
    emea.path = "emea";
    emea.lists = {
        List("00000000-0000-0000-0000-000000000008", "Tasks", "/sites/sales/emea/Lists/Tasks")};
    s.webs = {root, emea};
    inv["sales"] = s;
  }
  ~World() { std::filesystem::remove_all(dir); }

  Expansion Run(int64_t now) {
    std::map<std::string, ListRegistry> registries;
    registries.emplace("sales", ListRegistry(config.run.work_dir, "sales"));
    registries.at("sales").Load();
    auto e = Expand(config, inv, registries, now);
    registries.at("sales").Save();
    return e;
  }
  static std::map<std::string, const EntityEntry*> ByName(const Expansion& e) {
    std::map<std::string, const EntityEntry*> m;
    for (const auto& x : e.entities) m[x.entity.name] = &x;
    return m;
  }
};

TEST(DiscoveryExpand, RulesFiltersAndExplicitEntitiesFirst) {
  World w;
  auto e = w.Run(1000);
  auto by = World::ByName(e);
  // Explicit "orders" names Lists/Orders: the rule does not take it again.
  ASSERT_TRUE(by.count("orders"));
  EXPECT_FALSE(by.at("orders")->discovered);
  EXPECT_FALSE(by.count("sales_orders"));
  EXPECT_EQ(e.lists.at("orders").id, "00000000-0000-0000-0000-000000000001");
  // The first rule: lists and libraries, subwebs, not the archive, not hidden/system,
  // not other templates.
  ASSERT_TRUE(by.count("sales_tasks"));
  EXPECT_EQ(by.at("sales_tasks")->entity.list, "00000000-0000-0000-0000-000000000002");
  EXPECT_TRUE(by.at("sales_tasks")->web_url.empty());
  EXPECT_TRUE(by.count("sales_shared_documents"));
  ASSERT_TRUE(by.count("sales_emea_tasks"));
  EXPECT_EQ(by.at("sales_emea_tasks")->web_url, "https://t.example/sites/sales/emea");
  EXPECT_FALSE(by.count("sales_oldarchive"));
  EXPECT_FALSE(by.count("sales_calendar"));
  EXPECT_FALSE(by.count("sales_users"));
  // The second rule takes hidden lists it names.
  EXPECT_TRUE(by.count("sales_hiddensettings"));
  EXPECT_EQ(e.entities.size(), 5u);
  EXPECT_EQ(e.appeared.size(), 4u);
  EXPECT_TRUE(e.gone.empty());
}

TEST(DiscoveryExpand, RenamedKeepsItsNameDeletedIsGoneRecreatedTakesTheNameOver) {
  World w;
  w.Run(1000);
  auto& root = w.inv["sales"].webs[0].lists;
  // Tasks renamed (same GUID and URL), Documents deleted, Hidden Settings
  // recreated at the same URL with a new GUID.
  root[1].title = "Team Tasks";
  root.erase(root.begin() + 2);
  for (auto& l : root)
    if (l.title == "Hidden Settings") l.id = "00000000-0000-0000-0000-000000000099";
  auto e = w.Run(2000);
  auto by = World::ByName(e);
  ASSERT_TRUE(by.count("sales_tasks")) << "a renamed list keeps its entity name (and state)";
  EXPECT_EQ(by.at("sales_tasks")->entity.list, "00000000-0000-0000-0000-000000000002");
  ASSERT_TRUE(by.count("sales_hiddensettings")) << "a recreated list takes the name over";
  EXPECT_EQ(by.at("sales_hiddensettings")->entity.list, "00000000-0000-0000-0000-000000000099");
  ASSERT_EQ(e.gone.size(), 1u);
  EXPECT_EQ(e.gone[0].name, "sales_shared_documents");
  EXPECT_EQ(e.gone[0].gone_reason, "deleted from SharePoint");
  EXPECT_EQ(e.gone[0].gone_since, 2000);
  // Still gone next time, with the time it went.
  auto again = w.Run(3000);
  ASSERT_EQ(again.gone.size(), 1u);
  EXPECT_EQ(again.gone[0].gone_since, 2000);
}

TEST(DiscoveryExpand, SameNameTwiceIsToldApartByTheListId) {
  World w;
  // A library whose URL makes the same name as the Tasks list.
  w.inv["sales"].webs[0].lists.push_back(
      List("abcdef01-0000-0000-0000-000000000010", "Tasks!", "/sites/sales/Tasks", 101));
  auto by = World::ByName(w.Run(1000));
  EXPECT_TRUE(by.count("sales_tasks"));
  EXPECT_TRUE(by.count("sales_tasks_abcdef01"));
}

}  // namespace
