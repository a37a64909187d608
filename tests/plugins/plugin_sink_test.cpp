// PluginSink over a well-behaved plugin: a full session, rejects, delete
// ranges, snapshot, check, library lifetime, serialisation of calls into a
// plugin that is not thread safe, and plugin log lines reaching spdlog.
#include <spsync/plugins/loaded_plugin.hpp>
#include <spsync/plugins/plugin_sink.hpp>

#include "test_items.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <thread>

namespace {

using spsync::plugins::LoadedPlugin;
using spsync::testing::TestBatch;

std::filesystem::path TestSink(const std::string& name) {
  return std::filesystem::path(SPSYNC_TEST_SINK_DIR) / ("libspsync-sink-" + name + ".so");
}

TEST(PluginSink, InfoDescribesThePlugin) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  const auto& info = plugin->info();
  EXPECT_EQ(info.name, "memory");
  EXPECT_EQ(info.version, "2.3.4");
  EXPECT_EQ(info.description, "keeps items in memory, for host tests");
  EXPECT_EQ(info.file, TestSink("memory").string());
  EXPECT_EQ(info.abi_version, SPSYNC_SINK_ABI_VERSION);
  EXPECT_TRUE(info.delete_ranges());
  EXPECT_TRUE(info.snapshot());
  EXPECT_FALSE(info.transactional());
  EXPECT_FALSE(plugin->thread_safe());
  EXPECT_EQ(spsync::plugins::CapabilityNames(info.capabilities),
            (std::vector<std::string>{"delete-ranges", "snapshot"}));
  EXPECT_EQ(spsync::plugins::CapabilityNames(SPSYNC_CAP_THREAD_SAFE | (uint64_t{1} << 40)),
            (std::vector<std::string>{"thread-safe", "0x10000000000"}));
}

TEST(PluginSink, FullSessionRoundTrip) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  auto sink = plugin->Open({{"path", "/tmp/memory"}});
  EXPECT_EQ(&sink->info(), &plugin->info());
  std::string state = "junk";
  ASSERT_TRUE(sink->LoadState("roundtrip", &state).ok());
  EXPECT_EQ(state, "");
  TestBatch batch("roundtrip");
  for (int id = 1; id <= 10; ++id) batch.Add(id, "item " + std::to_string(id));
  ASSERT_TRUE(sink->Begin(batch.schema()).ok());
  ASSERT_TRUE(sink->Upsert(batch.items(), batch.size()).ok());
  int64_t ids[] = {2, 99};
  ASSERT_TRUE(sink->Delete(ids, 2).ok());
  spsync_id_range ranges[] = {{4, 5}, {9, INT64_MAX}};
  ASSERT_TRUE(sink->DeleteRanges(ranges, 2).ok());
  ASSERT_TRUE(sink->Persist(std::string("bin\0ary", 7)).ok());
  auto snapshot = sink->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot.message, "items of roundtrip: 1,3,6,7,8");
  sink.reset();

  auto again = plugin->Open({{"path", "/tmp/memory"}});
  ASSERT_TRUE(again->LoadState("roundtrip", &state).ok());
  EXPECT_EQ(state, std::string("bin\0ary", 7));
}

TEST(PluginSink, RejectedRecordsAreReportedByIndex) {
  auto sink = LoadedPlugin::Load(TestSink("memory"))->Open({{"path", "/tmp/memory"}});
  std::string state;
  ASSERT_TRUE(sink->LoadState("rejects", &state).ok());
  TestBatch batch("rejects");
  batch.Add(1, "ok").Add(-5, "bad").Add(3, "ok").Add(0, "bad");
  auto r = sink->Upsert(batch.items(), batch.size());
  EXPECT_EQ(r.status, SPSYNC_REJECTED);
  EXPECT_EQ(r.message, "2 of 4 records rejected");
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[0], (std::pair<size_t, std::string>{1, "item ID must be positive"}));
  EXPECT_EQ(r.rejected[1].first, 3u);
}

TEST(PluginSink, OpenFailureNamesPluginAndFile) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  try {
    plugin->Open({});
    FAIL() << "open without path should fail";
  } catch (const spsync::plugins::PluginError& e) {
    EXPECT_EQ(std::string(e.what()), "sink 'memory' (" + TestSink("memory").string() +
                                         ") failed to open: option 'path' is required");
  }
}

TEST(PluginSink, SinkKeepsTheLibraryLoaded) {
  auto sink = LoadedPlugin::Load(TestSink("memory"))->Open({{"path", "/tmp/memory"}});
  // The only LoadedPlugin reference is now the sink's own.
  std::string state;
  EXPECT_TRUE(sink->LoadState("lifetime", &state).ok());
  EXPECT_EQ(sink->info().name, "memory");
}

TEST(PluginSink, CallsIntoANonThreadSafePluginAreSerialised) {
  auto plugin = LoadedPlugin::Load(TestSink("memory"));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto sink = plugin->Open({{"path", "/tmp/memory"}});
      std::string entity = "threads" + std::to_string(t);
      std::string state;
      if (!sink->LoadState(entity, &state).ok()) ++failures;
      TestBatch batch(entity);
      batch.Add(1, "a").Add(2, "b");
      for (int i = 0; i < 25; ++i) {
        if (!sink->Upsert(batch.items(), batch.size()).ok()) ++failures;
        if (!sink->Persist(std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto check = plugin->Open({{"path", "/tmp/memory"}})->Check();
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check.message, "max_inside=1");
}

TEST(PluginSink, PluginLogLinesGoToSpdlogPrefixedWithTheName) {
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", ring));
  ring->set_pattern("%l %v");
  { auto sink = LoadedPlugin::Load(TestSink("memory"))->Open({{"path", "/tmp/logged"}}); }
  spdlog::set_default_logger(previous);
  auto lines = ring->last_formatted();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "info [sink memory] opened memory sink at /tmp/logged\n");
}

TEST(PluginSink, CheckWithoutCallbackIsOk) {
  auto sink = LoadedPlugin::Load(TestSink("abi10"))->Open({});
  auto r = sink->Check();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.message, "sink 'abi10' has no connection check");
}

}  // namespace
