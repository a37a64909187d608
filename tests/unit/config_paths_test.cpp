// Relative paths in a config resolve against the config file's folder, not
// the current directory; state left at the old, current-directory-relative
// place by an earlier spsync is still found, with a warning.
#include "spsync/engine/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using spsync::engine::Config;
using spsync::engine::ParseConfig;
using spsync::engine::ResolveConfigPath;

namespace {

// A scratch tree: <root>/conf holds the config, <root>/elsewhere is the
// current directory for the test (restored afterwards).
class ConfigPaths : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("spsync-paths-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "conf");
    fs::create_directories(root_ / "elsewhere");
    saved_ = fs::current_path();
    fs::current_path(root_ / "elsewhere");
  }
  void TearDown() override {
    fs::current_path(saved_);
    fs::remove_all(root_);
  }
  std::string Conf(const std::string& rel = "") const {
    fs::path p = root_ / "conf";
    return (rel.empty() ? p : p / rel).lexically_normal().string();
  }
  std::string Cwd(const std::string& rel) const {
    return (root_ / "elsewhere" / rel).lexically_normal().string();
  }

  fs::path root_, saved_;
};

const char* kConfig = R"({
  "site": {"url": "https://a.b", "auth": {"type": "azure-certificate", "tenant": "t",
           "clientId": "c", "certificate": "secrets/app.pem", "privateKey": "/abs/key.pem"}},
  "sinks": {"db": {"plugin": "sqlite", "path": "data/x.db"},
            "v": {"plugin": "./plugins/libspsync-sink-v.so"}},
  "entities": [{"list": "Orders", "sinks": ["db", "v"]}],
  "run": {"caFile": "ca.pem"},
  "pluginDirs": ["plugins", "${SPSYNC_T_ABS_DIR}", "../shared"]
})";

}  // namespace

TEST_F(ConfigPaths, RelativePathsResolveAgainstTheConfigFolder) {
  setenv("SPSYNC_T_ABS_DIR", "/opt/vendor", 1);
  Config c = ParseConfig(kConfig, Conf("spsync.json"));
  EXPECT_EQ(c.dir, Conf());
  EXPECT_EQ(c.run.work_dir, Conf(".spsync")) << "the default work directory too";
  EXPECT_EQ(c.run.ca_file, Conf("ca.pem"));
  EXPECT_EQ(c.sites.at("default").auth.certificate, Conf("secrets/app.pem"));
  EXPECT_EQ(c.sites.at("default").auth.private_key, "/abs/key.pem") << "absolute paths stay";
  EXPECT_EQ(c.plugin_dirs, (std::vector<std::string>{Conf("plugins"), "/opt/vendor",
                                                     (root_ / "shared").string()}));
  EXPECT_EQ(c.sinks.at("v").plugin, Conf("plugins/libspsync-sink-v.so")) << "a plugin by path";
  EXPECT_EQ(c.sinks.at("db").plugin, "sqlite") << "a plugin by name is no path";
  // Sink options are strings to the config; the runtime resolves those the
  // plugin declares as paths (it knows their types).
  EXPECT_EQ(c.sinks.at("db").options.at(0).second, "data/x.db");
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(ConfigPaths, ARelativeConfigPathNamesItsFolder) {
  // spsync run --config ../conf/spsync.json, from elsewhere/.
  Config c = ParseConfig(R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"plugin": "s"}},
      "entities": [{"list": "L", "sinks": ["d"]}], "run": {"workDir": "state"}})",
                         "../conf/spsync.json");
  EXPECT_EQ(c.run.work_dir, Conf("state"));
  EXPECT_EQ(c.dir, Conf());
}

TEST_F(ConfigPaths, TokenFileResolvesToo) {
  Config c = ParseConfig(
      R"({"site": {"url": "https://a.b", "auth": {"type": "bearer", "tokenFile": "token.txt"}},
      "sinks": {"d": {"plugin": "s"}}, "entities": [{"list": "L", "sinks": ["d"]}]})",
      Conf("spsync.json"));
  EXPECT_EQ(c.sites.at("default").auth.token_file, Conf("token.txt"));
}

TEST_F(ConfigPaths, StateAtTheOldCurrentDirectoryPlaceIsUsedWithAWarning) {
  // What an earlier spsync left: data/x.db relative to where it was run.
  fs::create_directories(Cwd("data"));
  std::ofstream(Cwd("data/x.db")) << "x";
  std::vector<std::string> warnings;
  std::string got = ResolveConfigPath("data/x.db", "sinks.db.path", Conf(), &warnings);
  EXPECT_EQ(got, Cwd("data/x.db"));
  ASSERT_EQ(warnings.size(), 1u);
  const std::string& w = warnings[0];
  EXPECT_NE(w.find("`sinks.db.path`"), std::string::npos) << w;
  EXPECT_NE(w.find(Conf("data/x.db")), std::string::npos) << "names the new place: " << w;
  EXPECT_NE(w.find(Cwd("data/x.db")), std::string::npos) << "names the old place: " << w;
  EXPECT_NE(w.find("To silence this warning, move it to " + Conf("data/x.db")), std::string::npos)
      << w;
  EXPECT_NE(w.find("as an absolute path"), std::string::npos) << w;

  // Once it is next to the config, that one wins, silently.
  fs::create_directories(Conf("data"));
  std::ofstream(Conf("data/x.db")) << "x";
  warnings.clear();
  EXPECT_EQ(ResolveConfigPath("data/x.db", "sinks.db.path", Conf(), &warnings), Conf("data/x.db"));
  EXPECT_TRUE(warnings.empty());
}

TEST_F(ConfigPaths, TheOldDefaultWorkDirIsFoundThroughParseConfig) {
  fs::create_directories(Cwd(".spsync/locks"));
  Config c = ParseConfig(R"({"site": {"url": "https://a.b"}, "sinks": {"d": {"plugin": "s"}},
      "entities": [{"list": "L", "sinks": ["d"]}]})",
                         Conf("spsync.json"));
  EXPECT_EQ(c.run.work_dir, Cwd(".spsync"));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("`run.workDir`"), std::string::npos) << c.warnings[0];
}

TEST_F(ConfigPaths, NothingAnywhereMeansNextToTheConfig) {
  std::vector<std::string> warnings;
  EXPECT_EQ(ResolveConfigPath("new.db", "k", Conf(), &warnings), Conf("new.db"));
  EXPECT_EQ(ResolveConfigPath("", "k", Conf(), &warnings), "");
  EXPECT_EQ(ResolveConfigPath("/abs/x", "k", Conf(), &warnings), "/abs/x");
  EXPECT_TRUE(warnings.empty());
  // Run from the config's own folder: one place, nothing to warn about.
  fs::current_path(Conf());
  std::ofstream(Conf("here.db")) << "x";
  EXPECT_EQ(ResolveConfigPath("here.db", "k", Conf(), &warnings), Conf("here.db"));
  EXPECT_TRUE(warnings.empty());
}
