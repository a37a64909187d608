// `spsync validate` says which sinks cannot keep what an entity or a
// discovery rule asks for (attachments, versions), without failing the
// config: such a sink simply gets none of it (issue 14).
#include "../cli/cli_support.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace {

using spsync_cli_test::Spsync;

TEST(BackupValidate, SinksWithoutTheFeaturesAreNamed) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() / ("spsync-validate-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  const std::string old_sink = std::string(SPSYNC_TEST_SINK_DIR) + "/libspsync-sink-abi11.so";
  const std::string path = (dir / "c.json").string();
  std::ofstream(path) << R"({"site": {"url": "https://contoso.sharepoint.com/sites/x",
  "discover": {"include": ["Tasks*"], "sinks": ["old"], "versions": true}},
  "sinks": {"db": {"plugin": "sqlite", "path": "a.db"}, "old": {"plugin": ")"
                      << old_sink << R"("}},
  "entities": [
    {"list": "Orders", "sinks": ["db", "old"], "attachments": true, "versions": true},
    {"list": "Plain", "sinks": ["old"]}]})";
  auto r =
      Spsync("validate --plugin-dir " + std::string(SPSYNC_PLUGIN_BUILD_DIR) + " --config " + path);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("entities.Orders: note: sink 'old' (abi11 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sink ABI 1.1) keeps no attachments and versions: it gets none"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("site.discover: note: sink 'old' (abi11 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("keeps no versions: it gets none"), std::string::npos) << r.out;
  // The SQLite sink keeps both; an entity that asks for nothing is not named.
  EXPECT_EQ(r.out.find("sink 'db'"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("entities.Plain"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("config is valid"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
