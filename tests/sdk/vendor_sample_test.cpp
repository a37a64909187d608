// The out-of-tree vendor sample (samples/vendor-sink), built against the
// installed SDK by the sdk.vendor_sample.build fixture, loaded by this host:
// discovery, option validation and an upsert / persist / load_state round
// trip, including the rollback of writes made after the last persist.
#include <spsync/plugins/option_validation.hpp>
#include <spsync/plugins/plugin_error.hpp>
#include <spsync/plugins/plugin_finder.hpp>

#include "test_items.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using spsync::plugins::PluginFinder;
using spsync::testing::TestBatch;

fs::path VendorDir() {
  const char* dir = std::getenv("SPSYNC_VENDOR_SINK_DIR");
  return dir == nullptr ? fs::path() : fs::path(dir);
}

std::string ReadAll(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path FreshDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(VendorSample, IsDiscoveredInItsBuildDir) {
  ASSERT_FALSE(VendorDir().empty()) << "SPSYNC_VENDOR_SINK_DIR is not set (run through ctest)";
  PluginFinder finder({VendorDir()}, "", {});
  auto found = finder.Discover();
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].file, VendorDir() / "libspsync-sink-jsonl.so");
  ASSERT_TRUE(found[0].info.has_value()) << found[0].error;
  EXPECT_EQ(found[0].info->name, "jsonl");
  EXPECT_EQ(found[0].info->version, "1.0.0");
  EXPECT_EQ(found[0].info->abi_version, SPSYNC_SINK_ABI_VERSION);
  std::string table = spsync::plugins::FormatPluginTable(found);
  EXPECT_NE(table.find("jsonl"), std::string::npos) << table;
  EXPECT_NE(table.find("transactional"), std::string::npos) << table;
}

TEST(VendorSample, MissingDirIsReportedBeforeOpen) {
  PluginFinder finder({VendorDir()}, "", {});
  auto plugin = finder.Load("jsonl");
  auto errors = spsync::plugins::ValidateOptions(*plugin, {{"folder", "/tmp"}});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "sink 'jsonl': unknown option 'folder'; valid options: dir");
  EXPECT_EQ(errors[1],
            "sink 'jsonl': missing required option 'dir' (folder for <entity>.jsonl and "
            "<entity>.state (must exist))");
}

TEST(VendorSample, UpsertPersistLoadStateRoundTrip) {
  PluginFinder finder({VendorDir()}, "", {});
  auto plugin = finder.Load("jsonl");
  const fs::path dir = FreshDir("spsync-vendor-jsonl");
  spsync::plugins::SinkConfig config = {{"dir", dir.string()}};
  ASSERT_TRUE(spsync::plugins::ValidateOptions(*plugin, config).empty());

  {
    auto sink = plugin->Open(config);
    std::string state = "x";
    ASSERT_TRUE(sink->LoadState("orders", &state).ok());
    EXPECT_EQ(state, "");
    TestBatch batch;
    batch.Add(1, "first").Add(2, "second");
    ASSERT_TRUE(sink->Begin(batch.schema()).ok());
    auto r = sink->Upsert(batch.items(), batch.size());
    ASSERT_TRUE(r.ok()) << r.message;
    int64_t gone[] = {1};
    ASSERT_TRUE(sink->Delete(gone, 1).ok());
    r = sink->Persist("cursor=2");
    ASSERT_TRUE(r.ok()) << r.message;

    // Written but never persisted: must not survive a reopen.
    TestBatch more;
    more.Add(3, "unpersisted");
    ASSERT_TRUE(sink->Upsert(more.items(), more.size()).ok());
  }

  const std::string persisted =
      "{\"op\":\"upsert\",\"id\":1,\"kind\":\"add\",\"modified\":\"2024-01-31T08:00:00Z\","
      "\"version\":\"\\\"1\\\"\",\"item\":{\"ID\":1,\"Title\":\"first\"}}\n"
      "{\"op\":\"upsert\",\"id\":2,\"kind\":\"add\",\"modified\":\"2024-01-31T08:00:00Z\","
      "\"version\":\"\\\"1\\\"\",\"item\":{\"ID\":2,\"Title\":\"second\"}}\n"
      "{\"op\":\"delete\",\"id\":1}\n";
  EXPECT_NE(ReadAll(dir / "orders.jsonl").find("unpersisted"), std::string::npos);

  auto sink = plugin->Open(config);
  std::string state;
  ASSERT_TRUE(sink->LoadState("orders", &state).ok());
  EXPECT_EQ(state, "cursor=2");
  EXPECT_EQ(ReadAll(dir / "orders.jsonl"), persisted);
  EXPECT_TRUE(sink->Check().ok());
}

TEST(VendorSample, OpenFailsWithThePluginsMessage) {
  PluginFinder finder({VendorDir()}, "", {});
  auto plugin = finder.Load("jsonl");
  try {
    plugin->Open({{"dir", "/nonexistent/spsync"}});
    FAIL() << "open should have failed";
  } catch (const spsync::plugins::PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("option 'dir': /nonexistent/spsync is not a folder"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
