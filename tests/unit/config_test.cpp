// Config parsing: the shapes operators write, and every mistake named by key.
#include "spsync/engine/config.hpp"
#include "config_error_of.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using spsync::engine::Config;
using spsync::engine::ConfigError;
using spsync::engine::ParseConfig;
using spsync_config_test::ErrorOf;

namespace {

const char* kMinimal = R"({"site": {"url": "https://contoso.sharepoint.com/sites/x"},
  "sinks": {"db": {"plugin": "sqlite", "path": "a.db"}},
  "entities": [{"list": "Orders", "sinks": ["db"]}]})";

}  // namespace

TEST(Config, TheIssueExampleParses) {
  setenv("SP_CLIENT_ID", "00000000-1111-2222-3333-444444444444", 1);
  std::ifstream in(std::string(SPSYNC_SAMPLES_DIR) + "/configs/sales.json");
  std::stringstream ss;
  ss << in.rdbuf();
  Config c = ParseConfig(ss.str(), "sales.json");
  EXPECT_EQ(c.sites.at("default").url, "https://contoso.sharepoint.com/sites/sales");
  EXPECT_EQ(c.sites.at("default").auth.type, "azure-certificate");
  EXPECT_EQ(c.sites.at("default").auth.client_id, "00000000-1111-2222-3333-444444444444");
  ASSERT_EQ(c.entities.size(), 2u);
  EXPECT_EQ(c.entities[0].entity.select, (std::vector<std::string>{"Title", "Amount", "Status"}));
  EXPECT_EQ(c.entities[0].sinks, (std::vector<std::string>{"db", "events"}));
  EXPECT_EQ(c.entities[1].entity.page_size, 2000);
  EXPECT_EQ(c.entities[1].entity.name, "tasks");
  EXPECT_EQ(c.run.timeout, std::chrono::minutes(10));
  EXPECT_EQ(c.run.parallel, 4);
  EXPECT_EQ(c.run.incident_after_fails, 5);
  ASSERT_TRUE(c.sinks.count("events"));
  EXPECT_EQ(c.sinks.at("events").plugin, "kafka");
}

TEST(Config, DefaultsAreSensible) {
  Config c = ParseConfig(kMinimal, "t.json");
  EXPECT_EQ(c.sites.at("default").auth.type, "none");
  EXPECT_EQ(c.entities[0].entity.name, "Orders");
  EXPECT_EQ(c.entities[0].entity.page_size, 5000);
  EXPECT_EQ(c.entities[0].entity.fetch_limit, 2000);
  EXPECT_EQ(c.run.timeout.count(), 0);
  EXPECT_EQ(c.sinks.at("db").options,
            (std::vector<std::pair<std::string, std::string>>{{"path", "a.db"}}));
}

TEST(Config, SinkOptionsBecomeStrings) {
  Config c = ParseConfig(R"({"site": {"url": "https://x.sharepoint.com"},
    "sinks": {"k": {"plugin": "kafka", "brokers": "b:9092", "kafka.linger.ms": 5, "gzip": false}},
    "entities": [{"list": "L", "sinks": ["k"]}]})",
                         "t.json");
  auto opts = c.sinks.at("k").options;
  std::map<std::string, std::string> m(opts.begin(), opts.end());
  EXPECT_EQ(m["kafka.linger.ms"], "5");
  EXPECT_EQ(m["gzip"], "false");
}

TEST(Config, EnvironmentExpansionWithDefaultsAndNoRecursion) {
  setenv("SPSYNC_T_DIR", "/data", 1);
  setenv("SPSYNC_T_LOOP", "${SPSYNC_T_LOOP}", 1);
  EXPECT_EQ(spsync::engine::ExpandEnv("${SPSYNC_T_DIR}/x.db", "k"), "/data/x.db");
  EXPECT_EQ(spsync::engine::ExpandEnv("${SPSYNC_T_NOPE:-/tmp}/x", "k"), "/tmp/x");
  // A value from the environment is not expanded again: no loops.
  EXPECT_EQ(spsync::engine::ExpandEnv("${SPSYNC_T_LOOP}", "k"), "${SPSYNC_T_LOOP}");
  EXPECT_THROW(spsync::engine::ExpandEnv("${SPSYNC_T_NOPE}", "k"), ConfigError);
  EXPECT_THROW(spsync::engine::ExpandEnv("${bad name}", "k"), ConfigError);
  EXPECT_THROW(spsync::engine::ExpandEnv("${UNTERMINATED", "k"), ConfigError);
}

TEST(Config, EveryMistakeNamesItsKey) {
  struct Case {
    std::string text, expect;
  };
  std::vector<Case> cases = {
      {"[]", "the top level must be a JSON object"},
      {R"({"site": {"url": "x"}, "sinks": {}, "entities": []})",
       "`site.url`: must be an absolute http(s) URL"},
      {R"({"sinks": {}, "entities": []})", "`sites` is required"},
      {R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"plugin": "sqlite"}}, "entities": [], "extra": 1})",
       "`extra`: unknown key"},
      {R"({"site": {"url": "https://a.b", "auth": {"type": "kerberos"}}, "sinks": {}, "entities": []})",
       "`site.auth.type`: must be one of"},
      {R"({"site": {"url": "https://a.b", "auth": {"type": "bearer"}}, "sinks": {}, "entities": []})",
       "needs exactly one of token, tokenFile, tokenEnv"},
      {R"({"site": {"url": "https://a.b", "auth": {"type": "azure-certificate", "tenant": "t", "clientId": "c"}}, "sinks": {}, "entities": []})",
       "`site.auth.certificate`: is required"},
      {R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"path": "x"}}, "entities": []})",
       "`sinks.d.plugin`: is required"},
      {R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"plugin": "s", "nested": {"a": 1}}}, "entities": [{"list": "L", "sinks": ["d"]}]})",
       "`sinks.d.nested`: must be a string, number or boolean"},
      {R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"plugin": "s"}}, "entities": [{"list": "L", "sinks": ["d"], "pageSize": 6000}]})",
       "`entities[0].pageSize`: must be between 1 and 5000"},
      {R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"plugin": "s"}}, "entities": [{"list": "L", "sinks": ["d"]}, {"list": "L", "sinks": ["d"]}]})",
       "`entities[1].name`: \"L\" is used twice"},
      {R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"plugin": "s"}}, "entities": [{"list": "L", "sinks": ["d"], "select": "Title"}]})",
       "`entities[0].select`: must be an array of strings"},
      {R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"plugin": "s"}}, "entities": [{"list": "L", "sinks": ["d"]}], "run": {"parallel": 0}})",
       "`run.parallel`: must be between 1 and 64"},
  };
  for (const auto& c : cases) {
    std::string err = ErrorOf(c.text);
    EXPECT_NE(err.find(c.expect), std::string::npos) << "input: " << c.text << "\nerror: " << err;
    EXPECT_EQ(err.rfind("test.json", 0), 0u) << "errors start with the file name: " << err;
  }
}

TEST(Config, HugeValuesAreRefused) {
  std::string big(100000, 'x');
  std::string err = ErrorOf(R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"plugin": ")" +
                            big + R"("}}, "entities": [{"list": "L", "sinks": ["d"]}]})");
  EXPECT_NE(err.find("`sinks.d.plugin`: is longer than"), std::string::npos) << err.substr(0, 200);
}

TEST(Config, Durations) {
  using spsync::engine::ParseDuration;
  EXPECT_EQ(ParseDuration("90s").count(), 90);
  EXPECT_EQ(ParseDuration("10m").count(), 600);
  EXPECT_EQ(ParseDuration("1h30m").count(), 5400);
  EXPECT_EQ(ParseDuration("45").count(), 45);
  EXPECT_THROW(ParseDuration("soon"), std::invalid_argument);
  EXPECT_THROW(ParseDuration("5y"), std::invalid_argument);
  EXPECT_THROW(ParseDuration("99999999999999h"), std::invalid_argument);
}
