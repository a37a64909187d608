// The out-of-tree vendor sample (samples/vendor-sink), built against the
// installed SDK by the sdk.vendor_sample.build fixture, loaded by this host:
// discovery, option validation and an upsert / persist / load_state round
// trip, including the rollback of writes made after the last persist, and
// its attachments (sink ABI 1.2) through the host's PluginSink.
#include <spsync/plugins/option_validation.hpp>
#include <spsync/plugins/plugin_error.hpp>
#include <spsync/plugins/plugin_finder.hpp>

#include "test_items.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
  EXPECT_EQ(found[0].info->version, "1.1.0");
  EXPECT_EQ(found[0].info->abi_version, SPSYNC_SINK_ABI_VERSION);
  std::string table = spsync::plugins::FormatPluginTable(found);
  EXPECT_NE(table.find("jsonl"), std::string::npos) << table;
  EXPECT_NE(table.find("transactional,attachments"), std::string::npos) << table;
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

// Streams `content` through the host in chunks of `chunk` bytes.
void Put(spsync::engine::Sink& sink, int64_t id, const std::string& name,
         const std::string& content, size_t chunk) {
  spsync_attachment a{};
  a.struct_size = sizeof(a);
  a.item_id = id;
  a.file_name = {name.data(), name.size()};
  a.size = static_cast<int64_t>(content.size());
  a.etag = {"\"{7}\",2", 7};
  ASSERT_TRUE(sink.AttachmentBegin(a).ok());
  for (size_t off = 0; off < content.size(); off += chunk)
    ASSERT_TRUE(
        sink.AttachmentWrite(content.data() + off, std::min(chunk, content.size() - off)).ok());
  auto r = sink.AttachmentCommit(a);
  ASSERT_TRUE(r.ok()) << r.message;
}

std::vector<std::pair<std::string, std::string>> Listed(spsync::engine::Sink& sink, int64_t id) {
  const spsync_attachment* const* list = nullptr;
  size_t n = 0;
  EXPECT_TRUE(sink.ListAttachments(&id, 1, &list, &n).ok());
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < n; ++i)
    out.emplace_back(std::string(list[i]->file_name.data, list[i]->file_name.len),
                     std::string(list[i]->sha256.data, list[i]->sha256.len));
  return out;
}

TEST(VendorSample, AttachmentsCommitWithTheStateAndUnpersistedOnesVanish) {
  PluginFinder finder({VendorDir()}, "", {});
  auto plugin = finder.Load("jsonl");
  EXPECT_TRUE(plugin->info().attachments());
  EXPECT_FALSE(plugin->info().versions()) << "the sample does not override WriteVersions";
  const fs::path dir = FreshDir("spsync-vendor-jsonl-attachments");
  spsync::plugins::SinkConfig config = {{"dir", dir.string()}};
  const std::string name = "Q3 report #2 (100%) \xc3\xa9t\xc3\xa9.pdf";
  const std::string abc_sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  {
    auto sink = plugin->Open(config);
    std::string state;
    ASSERT_TRUE(sink->LoadState("orders", &state).ok());
    TestBatch batch;
    batch.Add(1, "first");
    ASSERT_TRUE(sink->Begin(batch.schema()).ok());
    ASSERT_TRUE(sink->Upsert(batch.items(), batch.size()).ok());
    Put(*sink, 1, name, "abc", 1);
    ASSERT_TRUE(sink->Persist("one").ok());
    // Not persisted: a replacement and a new file.
    Put(*sink, 1, name, std::string(100000, 'z'), 4096);
    Put(*sink, 1, "other.txt", "other", 2);
    EXPECT_EQ(Listed(*sink, 1).size(), 2u);
  }
  auto sink = plugin->Open(config);
  std::string state;
  ASSERT_TRUE(sink->LoadState("orders", &state).ok());
  EXPECT_EQ(state, "one");
  auto listed = Listed(*sink, 1);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].first, name);
  EXPECT_EQ(listed[0].second, abc_sha);
  // Exactly one file on disk, under a safe name, holding the persisted bytes.
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir / "orders.attachments"))
    if (e.is_regular_file()) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(ReadAll(files[0]), "abc");
  EXPECT_EQ(files[0].parent_path().filename(), "1");
  EXPECT_NE(files[0].filename().string().find("Q3%20report%20%232"), std::string::npos) << files[0];
  // Deleting the item deletes its attachments, once persisted.
  int64_t gone[] = {1};
  ASSERT_TRUE(sink->Delete(gone, 1).ok());
  ASSERT_TRUE(sink->Persist("two").ok());
  EXPECT_TRUE(Listed(*sink, 1).empty());
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
