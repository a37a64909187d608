// The complete-backup keys (issue 14): attachments, versions and resolve, on
// entities and on discovery rules, with their defaults and their mistakes
// named by key, line and column.
#include "config_error_of.hpp"
#include "spsync/engine/config.hpp"

#include <gtest/gtest.h>

using spsync::engine::Config;
using spsync::engine::ConfigError;
using spsync::engine::ParseConfig;
using spsync_config_test::ErrorOf;

namespace {

std::string WithEntity(const std::string& extra) {
  return R"({"site": {"url": "https://contoso.sharepoint.com/sites/x"},
  "sinks": {"db": {"plugin": "sqlite", "path": "a.db"}},
  "entities": [{"list": "Orders", "sinks": ["db"])" +
         extra + "}]}";
}

}  // namespace

TEST(ConfigBackup, OffByDefault) {
  Config c = ParseConfig(WithEntity(""), "t.json");
  const auto& e = c.entities[0].entity;
  EXPECT_FALSE(e.attachments);
  EXPECT_FALSE(e.versions);
  EXPECT_FALSE(e.resolve_all);
  EXPECT_TRUE(e.resolve_fields.empty());
  EXPECT_FALSE(e.resolves());
}

TEST(ConfigBackup, SwitchesAndFieldLists) {
  Config c = ParseConfig(
      WithEntity(R"(, "attachments": true, "versions": "true", "resolve": true)"), "t.json");
  const auto& e = c.entities[0].entity;
  EXPECT_TRUE(e.attachments);
  EXPECT_TRUE(e.versions);
  EXPECT_TRUE(e.resolve_all);
  EXPECT_TRUE(e.resolves());

  Config named = ParseConfig(WithEntity(R"(, "resolve": ["Owner", "Customer"])"), "t.json");
  EXPECT_FALSE(named.entities[0].entity.resolve_all);
  EXPECT_EQ(named.entities[0].entity.resolve_fields,
            (std::vector<std::string>{"Owner", "Customer"}));
  EXPECT_TRUE(named.entities[0].entity.resolves());

  Config off = ParseConfig(WithEntity(R"(, "resolve": false, "attachments": false)"), "t.json");
  EXPECT_FALSE(off.entities[0].entity.resolves());
  EXPECT_FALSE(off.entities[0].entity.attachments);
}

TEST(ConfigBackup, DiscoveryRulesTakeTheSameKeys) {
  Config c = ParseConfig(R"({"site": {"url": "https://contoso.sharepoint.com/sites/x",
    "discover": [{"include": ["*"], "sinks": ["db"], "attachments": true, "versions": true,
                  "resolve": ["Author"]}]},
    "sinks": {"db": {"plugin": "sqlite", "path": "a.db"}}})",
                         "t.json");
  const auto& rule = c.sites.at("default").discover.at(0);
  EXPECT_TRUE(rule.entity.attachments);
  EXPECT_TRUE(rule.entity.versions);
  EXPECT_EQ(rule.entity.resolve_fields, std::vector<std::string>{"Author"});
}

TEST(ConfigBackup, MistakesNameTheirKeyAndLine) {
  struct Case {
    std::string extra, expected;
  };
  const std::vector<Case> cases = {
      {R"(, "attachments": "yes")",
       "test.json:3:67: `entities[0].attachments`: must be true or "
       "false, got \"yes\""},
      {R"(, "versions": 1)",
       "test.json:3:64: `entities[0].versions`: must be true or false, "
       "not a number"},
      {R"(, "resolve": {"Owner": true})",
       "test.json:3:63: `entities[0].resolve`: must be true, false or an array of field names, "
       "not an object"},
      {R"(, "resolve": [])", "test.json:3:63: `entities[0].resolve`: names no field"},
      {R"(, "resolve": ["Owner", 3])",
       "test.json:3:73: `entities[0].resolve[1]`: must be a field name (a string), not a number"},
      {R"(, "resolve": [""])", "test.json:3:64: `entities[0].resolve[0]`: must not be empty"},
  };
  for (const auto& c : cases) {
    std::string error = ErrorOf(WithEntity(c.extra));
    EXPECT_EQ(error.rfind(c.expected, 0), 0u) << c.extra << "\n got: " << error;
  }
  // An unknown key lists the new ones among the valid keys.
  std::string unknown = ErrorOf(WithEntity(R"(, "attachment": true)"));
  EXPECT_NE(unknown.find("unknown key (expected one of: "), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("attachments, versions, resolve"), std::string::npos) << unknown;
}
