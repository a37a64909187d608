// A full sync that reads several ID ranges at once (issue 15): the same rows
// as one stream, ranges with gaps, empty ranges, deletions found across range
// boundaries, a dense and a sparse half balanced by splitting ranges, and a
// failure mid-way that resumes every range from its own position.
#include "memory_sink.hpp"
#include "test_support.hpp"

#include <map>
#include <mutex>
#include <thread>

namespace spsync::test {
namespace {

using engine::Deadline;
using engine::Outcome;
using engine::SyncState;

engine::EntityConfig Streams(int streams, int page_size = 500) {
  return engine::EntityConfig{"orders", "", {}, page_size, 2000, 55, streams};
}

TEST(ParallelFull, FourStreamsGiveTheSameRowsWithFewRequests) {
  Env env;
  MemorySink sink;
  env.emu.ResetStats();
  auto r = env.Run(sink, "Orders", {}, {}, Deadline(), Streams(4, 5000));
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  // ceil(N/5000) pages + the highest-ID request + at most one partial page per stream.
  EXPECT_LE(env.emu.GetStats().items, static_cast<uint64_t>(CeilDiv(kBig, 5000) + 1 + 4));
  EXPECT_EQ(r.upserted, kBig);
  EXPECT_TRUE(Committed(sink).ranges.empty());
}

TEST(ParallelFull, EmptyRangesAndDeletionsAcrossRangeBoundaries) {
  Env env;
  MemorySink sink(/*delete_ranges=*/true);
  ASSERT_EQ(env.Run(sink, "Orders", {}, {}, Deadline(), Streams(4)).outcome, Outcome::kComplete);
  // A whole quarter of the ID space emptied (an empty range), and items on
  // either side of every quarter boundary.
  auto live = env.Ids("Orders");
  int64_t max_id = live.back();
  for (int64_t id : live)
    if (id > max_id / 4 && id <= max_id / 2) env.emu.DeleteItem("Orders", id);
  for (int q = 1; q <= 3; ++q) {
    auto it = std::lower_bound(live.begin(), live.end(), max_id * q / 4);
    for (auto k = it - 2; k != it + 2; ++k)
      if (env.emu.ItemJson("Orders", *k) != "") env.emu.DeleteItem("Orders", *k);
  }
  engine::SessionOptions full;
  full.force_full = true;
  auto r = env.Run(sink, "Orders", full, {}, Deadline(), Streams(4));
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
}

TEST(ParallelFull, DenseAndSparseHalvesShareTheWork) {
  Env env;
  auto live = env.Ids("Orders");
  // The upper half keeps one item in 50.
  for (size_t i = live.size() / 2; i < live.size(); ++i)
    if (i % 50 != 0) env.emu.DeleteItem("Orders", live[i]);
  emulator::FaultSpec latency;
  latency.slow = 1.0;
  latency.slow_ms = 60;
  env.emu.SetFaults(latency);
  std::mutex mu;
  std::map<std::thread::id, int> pages;  // item pages read per stream
  engine::SessionEvents ev;
  ev.page_requested = [&](const std::string& what) {
    if (what.find("p_ID") == std::string::npos && what.find("%24top=500") == std::string::npos)
      return;
    std::lock_guard<std::mutex> lock(mu);
    pages[std::this_thread::get_id()]++;
  };
  MemorySink sink;
  auto r = env.Run(sink, "Orders", {}, ev, Deadline(), Streams(4));
  env.emu.SetFaults({});
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  // 6000 dense items are 12 pages: without splitting, two streams would read
  // six each while the sparse half's streams idle after one.
  int most = 0, total = 0;
  for (const auto& [t, n] : pages) {
    most = std::max(most, n);
    total += n;
  }
  EXPECT_EQ(pages.size(), 4u);
  EXPECT_LE(most, 5) << total << " pages over " << pages.size() << " streams";
}

TEST(ParallelFull, AFailureResumesEveryRangeFromItsOwnPosition) {
  Env env;
  MemorySink sink;
  sink.fatal_on_upsert_call = 7;
  auto r1 = env.Run(sink, "Orders", {}, {}, Deadline(), Streams(4));
  ASSERT_EQ(r1.outcome, Outcome::kFailed);
  sink.Crash();
  SyncState s = Committed(sink);
  ASSERT_TRUE(s.full_in_progress);
  ASSERT_FALSE(s.ranges.empty());
  // Rows and state agree: nothing committed inside a range's unread part.
  for (const auto& [id, item] : sink.committed().items)
    for (const auto& rg : s.ranges)
      EXPECT_FALSE(id > rg.after && id <= rg.last) << "row " << id << " in an unread range";
  const auto committed = static_cast<int64_t>(sink.committed().items.size());
  sink.fatal_on_upsert_call = 0;
  auto r2 = env.Run(sink, "Orders", {}, {}, Deadline(), Streams(4));
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_EQ(r2.upserted, kBig - committed) << "the resume re-read committed pages";
}

// Killed between the commit of the last page and the commit that ends the
// full sync: every range is read, so the next run must not start over (a
// state with no range left once looked like a fresh start and re-sent the
// whole list, which a change-log sink keeps as duplicates).
TEST(ParallelFull, KilledAfterTheLastPageDoesNotReadTheListAgain) {
  Env env;
  MemorySink sink;
  sink.fatal_persist_if = [](std::string_view state) {
    SyncState s = engine::DecodeState(std::string(state));
    return !s.full_in_progress && s.mode == engine::SyncMode::kIncremental;
  };
  auto r1 = env.Run(sink, "Orders", {}, {}, Deadline(), Streams(4));
  ASSERT_EQ(r1.outcome, Outcome::kFailed);
  sink.Crash();
  ASSERT_TRUE(Committed(sink).full_in_progress);
  ASSERT_EQ(sink.committed().items.size(), static_cast<size_t>(kBig));
  sink.fatal_persist_if = nullptr;
  auto r2 = env.Run(sink, "Orders", {}, {}, Deadline(), Streams(4));
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_EQ(r2.upserted, 0) << "the list was read again after every range was applied";
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_EQ(Committed(sink).mode, engine::SyncMode::kIncremental);
}

}  // namespace
}  // namespace spsync::test
