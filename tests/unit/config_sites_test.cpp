// The `sites` map, entities naming their site, and `discover` rules (issue
// 13): the shapes operators write, and every new key's mistakes named with
// its key path.
#include "config_error_of.hpp"
#include "spsync/engine/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using spsync::engine::Config;
using spsync::engine::ConfigError;
using spsync::engine::ParseConfig;
using spsync_config_test::ErrorOf;

namespace {

const char* kTwoTenants = R"({
  "sites": {
    "contoso": { "url": "https://contoso.sharepoint.com/sites/sales/",
                 "auth": { "type": "bearer", "token": "a" },
                 "discover": { "include": ["Orders*", "Invoices"], "exclude": ["*Archive"],
                               "templates": ["list", "library", 107], "subwebs": true,
                               "sinks": ["db"], "select": ["Title"], "pageSize": 1000 } },
    "fabrikam": { "url": "https://fabrikam.sharepoint.com/sites/ops",
                  "auth": { "type": "bearer", "token": "b" },
                  "discover": [ { "sinks": ["db"] }, { "include": ["Hidden*"], "hidden": true, "sinks": ["db"] } ] }
  },
  "sinks": { "db": { "plugin": "sqlite", "path": "x.db" } },
  "entities": [ { "name": "tasks", "site": "fabrikam", "list": "Tasks", "sinks": ["db"] } ],
  "run": { "idleCheckEvery": "2h" }
})";

}  // namespace

TEST(ConfigSites, TwoTenantsWithDiscoveryRules) {
  Config c = ParseConfig(kTwoTenants, "sites.json");
  ASSERT_EQ(c.sites.size(), 2u);
  const auto& contoso = c.sites.at("contoso");
  EXPECT_EQ(contoso.url, "https://contoso.sharepoint.com/sites/sales");
  EXPECT_EQ(contoso.auth.token, "a");
  ASSERT_EQ(contoso.discover.size(), 1u);
  const auto& rule = contoso.discover[0];
  EXPECT_EQ(rule.include, (std::vector<std::string>{"Orders*", "Invoices"}));
  EXPECT_EQ(rule.exclude, (std::vector<std::string>{"*Archive"}));
  EXPECT_EQ(rule.templates, (std::vector<int>{100, 101, 107}));
  EXPECT_TRUE(rule.subwebs);
  EXPECT_FALSE(rule.hidden);
  EXPECT_EQ(rule.entity.page_size, 1000);
  EXPECT_EQ(rule.where, "sites.contoso.discover");
  const auto& fabrikam = c.sites.at("fabrikam");
  ASSERT_EQ(fabrikam.discover.size(), 2u);
  EXPECT_EQ(fabrikam.discover[0].include, (std::vector<std::string>{"*"}));
  EXPECT_EQ(fabrikam.discover[0].templates, (std::vector<int>{100}));
  EXPECT_TRUE(fabrikam.discover[1].hidden);
  ASSERT_EQ(c.entities.size(), 1u);
  EXPECT_EQ(c.entities[0].site, "fabrikam");
  EXPECT_EQ(c.run.idle_check_every, std::chrono::hours(2));
}

TEST(ConfigSites, TheSingleSiteIsShorthandForOneNamedDefault) {
  Config c = ParseConfig(R"({"site": {"url": "https://a.b/sites/x"},
    "sinks": {"db": {"plugin": "sqlite", "path": "a.db"}},
    "entities": [{"list": "Orders", "sinks": ["db"]}]})",
                         "t.json");
  ASSERT_EQ(c.sites.size(), 1u);
  EXPECT_EQ(c.sites.at("default").where, "site");
  EXPECT_EQ(c.entities[0].site, "default");
  EXPECT_EQ(c.run.idle_check_every, std::chrono::hours(6));
}

TEST(ConfigSites, DiscoveryAloneNeedsNoEntities) {
  Config c = ParseConfig(R"({"sites": {"s": {"url": "https://a.b", "discover": {"sinks": ["db"]}}},
    "sinks": {"db": {"plugin": "sqlite", "path": "a.db"}}})",
                         "t.json");
  EXPECT_TRUE(c.entities.empty());
  EXPECT_EQ(c.sites.at("s").discover.size(), 1u);
}

TEST(ConfigSites, EveryNewKeyNamesItsMistake) {
  const std::string sinks = R"("sinks": {"db": {"plugin": "sqlite", "path": "a.db"}})";
  struct Case {
    std::string text, expect;
  };
  std::vector<Case> cases = {
      {R"({"site": {"url": "https://a.b"}, "sites": {}, )" + sinks + "}",
       "`sites`: give either `site` (one site) or `sites`"},
      {R"({"sites": [], )" + sinks + "}", "`sites`: must be an object mapping a name to a site"},
      {R"({"sites": {}, )" + sinks + "}", "`sites`: must name at least one site"},
      {R"({"sites": {"a b": {"url": "https://a.b"}}, )" + sinks + "}",
       "`sites.a b`: a site name may hold letters, digits"},
      {R"({"sites": {"s": {"url": "ftp://a.b"}}, )" + sinks + "}",
       "`sites.s.url`: must be an absolute http(s) URL"},
      {R"({"sites": {"s": {"url": "https://a.b", "auth": {"type": "bearer"}}}, )" + sinks + "}",
       "`sites.s.auth`: type bearer needs exactly one of"},
      {R"({"sites": {"s": {"url": "https://a.b", "color": 1}}, )" + sinks + "}",
       "`sites.s.color`: unknown key (expected one of: url, auth, discover)"},
      {R"({"sites": {"s": {"url": "https://a.b"}, "t": {"url": "https://c.d"}}, )" + sinks +
           R"(, "entities": [{"list": "L", "sinks": ["db"]}]})",
       "`entities[0].site`: is required: the config has several sites (s, t)"},
      {R"({"sites": {"s": {"url": "https://a.b"}}, )" + sinks +
           R"(, "entities": [{"list": "L", "site": "x", "sinks": ["db"]}]})",
       "`entities[0].site`: names site \"x\", which `sites` does not define (it defines: s)"},
      {R"({"sites": {"s": {"url": "https://a.b"}}, )" + sinks + "}",
       "`entities`: is required (an array of entities), unless a site has `discover` rules"},
      {R"({"sites": {"s": {"url": "https://a.b", "discover": 3}}, )" + sinks + "}",
       "`sites.s.discover`: must be a rule object or an array of them"},
      {R"({"sites": {"s": {"url": "https://a.b", "discover": {}}}, )" + sinks + "}",
       "`sites.s.discover.sinks`: must name at least one sink"},
      {R"({"sites": {"s": {"url": "https://a.b", "discover": {"sinks": ["nope"]}}}, )" + sinks +
           "}",
       "`sites.s.discover.sinks[0]`: names sink \"nope\""},
      {R"({"sites": {"s": {"url": "https://a.b", "discover": {"sinks": ["db"], "templates": ["wiki"]}}}, )" +
           sinks + "}",
       "`sites.s.discover.templates[0]`: must be \"list\", \"library\" or a BaseTemplate number"},
      {R"({"sites": {"s": {"url": "https://a.b", "discover": {"sinks": ["db"], "subwebs": "yes"}}}, )" +
           sinks + "}",
       "`sites.s.discover.subwebs`: must be true or false"},
      {R"({"sites": {"s": {"url": "https://a.b", "discover": [{"sinks": ["db"], "depth": 2}]}}, )" +
           sinks + "}",
       "`sites.s.discover[0].depth`: unknown key"},
      {R"({"sites": {"s": {"url": "https://a.b", "discover": {"sinks": ["db"], "include": []}}}, )" +
           sinks + "}",
       "`sites.s.discover.include`: must hold at least one title glob"},
      {R"({"sites": {"s": {"url": "https://a.b", "discover": {"sinks": ["db"], "pageSize": 0}}}, )" +
           sinks + "}",
       "`sites.s.discover.pageSize`: must be between 1 and 5000"},
      {R"({"sites": {"s": {"url": "https://a.b", "discover": {"sinks": ["db"]}}}, )" + sinks +
           R"(, "run": {"idleCheckEvery": "often"}})",
       "`run.idleCheckEvery`: must be a duration like 6h or 30m"},
  };
  for (const auto& c : cases) {
    std::string err = ErrorOf(c.text, "sites.json");
    EXPECT_NE(err.find(c.expect), std::string::npos) << "input: " << c.text << "\nerror: " << err;
    EXPECT_EQ(err.rfind("sites.json:", 0), 0u) << "errors start with file:line: " << err;
  }
}

TEST(ConfigSites, TheSampleConfigsParse) {
  setenv("SP_CLIENT_ID", "id", 1);
  setenv("CONTOSO_CLIENT_ID", "c", 1);
  setenv("FABRIKAM_CLIENT_ID", "f", 1);
  setenv("AWS_ACCESS_KEY_ID", "k", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
  for (const char* name :
       {"department.json", "two-tenants.json", "sales.json", "backup-to-s3.json"}) {
    std::ifstream in(std::string(SPSYNC_SAMPLES_DIR) + "/configs/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      ParseConfig(ss.str(), name);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  std::ifstream in(std::string(SPSYNC_SAMPLES_DIR) + "/configs/department.json");
  std::stringstream ss;
  ss << in.rdbuf();
  Config c = ParseConfig(ss.str(), "department.json");
  EXPECT_EQ(c.sites.size(), 2u);
  EXPECT_EQ(c.sites.at("sales").discover.size(), 2u);
  EXPECT_TRUE(c.sites.at("sales").discover[0].subwebs);
}
