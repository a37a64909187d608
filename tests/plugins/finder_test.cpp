// PluginFinder: search order, lookup by name and by path, discovery with
// broken libraries listed rather than fatal, and the `spsync sinks` table.
#include <spsync/plugins/plugin_error.hpp>
#include <spsync/plugins/plugin_finder.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using spsync::plugins::DiscoveredPlugin;
using spsync::plugins::PluginError;
using spsync::plugins::PluginFinder;

const fs::path kTestSinks = SPSYNC_TEST_SINK_DIR;

fs::path FreshDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(PluginFinder, SearchOrderIsExplicitThenEnvThenExecutableThenInstallDir) {
  PluginFinder finder({"/opt/a", "/opt/b"}, "/env/x::/env/y:", "/usr/local/bin/spsync");
  std::vector<fs::path> expected = {"/opt/a",
                                    "/opt/b",
                                    "/env/x",
                                    "/env/y",
                                    "/usr/local/lib/spsync/sinks",
                                    SPSYNC_INSTALLED_PLUGIN_DIR};
  EXPECT_EQ(finder.search_path(), expected);
}

TEST(PluginFinder, DuplicateDirectoriesAreSearchedOnce) {
  PluginFinder finder({"/opt/a", "/opt/a/"}, "/opt/a", {});
  ASSERT_EQ(finder.search_path().size(), 2u);
  EXPECT_EQ(finder.search_path()[0], "/opt/a");
}

TEST(PluginFinder, DefaultConstructorReadsTheEnvironment) {
  ::setenv("SPSYNC_PLUGIN_PATH", "/from/env", 1);
  PluginFinder finder({"/explicit"});
  ::unsetenv("SPSYNC_PLUGIN_PATH");
  ASSERT_GE(finder.search_path().size(), 3u);
  EXPECT_EQ(finder.search_path()[0], "/explicit");
  EXPECT_EQ(finder.search_path()[1], "/from/env");
  // Then the running binary's ../lib/spsync/sinks: binaries are built into
  // <build>/bin, so this is the build tree's plugin directory.
  EXPECT_EQ(finder.search_path()[2], fs::path(SPSYNC_BINARY_DIR) / "lib/spsync/sinks");
}

TEST(PluginFinder, FindsByNameInTheFirstDirectoryThatHasIt) {
  fs::path first = FreshDir("spsync-finder-first");
  fs::copy_file(kTestSinks / "libspsync-sink-memory.so", first / "libspsync-sink-memory.so");
  PluginFinder finder({first, kTestSinks}, "", {});
  EXPECT_EQ(finder.Find("memory"), first / "libspsync-sink-memory.so");
  EXPECT_EQ(finder.Find("abi10"), kTestSinks / "libspsync-sink-abi10.so");
  EXPECT_EQ(finder.Load("memory")->info().file, (first / "libspsync-sink-memory.so").string());
}

TEST(PluginFinder, FindsByPath) {
  PluginFinder finder({}, "", {});
  fs::path file = kTestSinks / "libspsync-sink-abi10.so";
  EXPECT_EQ(finder.Find(file.string()), file);
  EXPECT_EQ(finder.Load(file.string())->info().name, "abi10");
}

TEST(PluginFinder, UnknownNameListsTheDirectoriesSearched) {
  PluginFinder finder({"/nowhere/one"}, "/nowhere/two", {});
  try {
    finder.Find("kafak");
    FAIL() << "should not be found";
  } catch (const PluginError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind("sink plugin 'kafak' not found: no libspsync-sink-kafak.so in any of:\n"
                         "  /nowhere/one\n  /nowhere/two\n",
                         0),
              0u)
        << what;
    EXPECT_NE(what.find("--plugin-dir"), std::string::npos);
  }
}

TEST(PluginFinder, DiscoverListsGoodAndBrokenLibraries) {
  fs::path dir = FreshDir("spsync-discover");
  for (const char* name : {"memory", "abi10", "major2", "noentry"}) {
    std::string file = std::string("libspsync-sink-") + name + ".so";
    fs::copy_file(kTestSinks / file, dir / file);
  }
  std::ofstream(dir / "libspsync-sink-text.so") << "not a library";
  std::ofstream(dir / "README.txt") << "not a plugin name: ignored";
  PluginFinder finder({dir}, "", {});
  std::vector<DiscoveredPlugin> found;
  for (auto& p : finder.Discover())
    if (p.file.parent_path() == dir) found.push_back(p);
  ASSERT_EQ(found.size(), 5u);
  // Sorted by file name within a directory.
  EXPECT_EQ(found[0].file.filename(), "libspsync-sink-abi10.so");
  ASSERT_TRUE(found[0].info.has_value()) << found[0].error;
  EXPECT_EQ(found[0].info->abi_version, SPSYNC_SINK_ABI_MAKE(1, 0));
  EXPECT_FALSE(found[1].info.has_value());
  EXPECT_NE(found[1].error.find("speaks sink ABI 2.0"), std::string::npos);
  EXPECT_EQ(found[2].info->name, "memory");
  EXPECT_NE(found[3].error.find("does not export spsync_sink_entry"), std::string::npos);
  EXPECT_NE(found[4].error.find("no ELF header"), std::string::npos);

  std::string table = spsync::plugins::FormatPluginTable(found);
  EXPECT_NE(table.find("NAME"), std::string::npos) << table;
  // One row for a good plugin: name, version, ABI, capabilities, file.
  std::string memory_row =
      "memory   2.3.4    1.2  delete-ranges,snapshot,attachments,versions,read-back  " +
      (dir / "libspsync-sink-memory.so").string() + "\n";
  EXPECT_NE(table.find(memory_row), std::string::npos) << table;
  EXPECT_NE(table.find("abi10    1.0.0    1.0  -  "), std::string::npos) << table;
  EXPECT_NE(table.find("  error: plugin " + (dir / "libspsync-sink-major2.so").string() +
                       " speaks sink ABI 2.0"),
            std::string::npos)
      << table;
}

TEST(PluginFinder, ShadowedLibrariesAreMarked) {
  fs::path first = FreshDir("spsync-shadow-a");
  fs::path second = FreshDir("spsync-shadow-b");
  fs::copy_file(kTestSinks / "libspsync-sink-memory.so", first / "libspsync-sink-memory.so");
  fs::copy_file(kTestSinks / "libspsync-sink-memory.so", second / "libspsync-sink-memory.so");
  PluginFinder finder({first, second}, "", {});
  auto found = finder.Discover();
  ASSERT_GE(found.size(), 2u);
  EXPECT_FALSE(found[0].shadowed);
  EXPECT_TRUE(found[1].shadowed);
  EXPECT_NE(spsync::plugins::FormatPluginTable(found).find("(shadowed by an earlier directory)"),
            std::string::npos);
}

TEST(PluginFinder, EmptyDiscoveryIsSaidPlainly) {
  EXPECT_EQ(spsync::plugins::FormatPluginTable({}), "no sink plugins found\n");
}

}  // namespace
