// The sync engine against the emulator over real HTTP, with an in-memory
// transactional sink: what a user sees (sink contents vs the list, outcomes,
// counters, persisted state) in each scenario of issue 5.
#include "memory_sink.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

namespace spsync::test {
namespace {

using emulator::FaultKind;
using emulator::RequestKind;
using engine::Deadline;
using engine::DecodeState;
using engine::Outcome;
using engine::SessionEvents;
using engine::SessionOptions;
using engine::SyncMode;
using engine::SyncState;

size_t CountUpTo(const std::vector<int64_t>& ids, int64_t last) {
  return static_cast<size_t>(std::upper_bound(ids.begin(), ids.end(), last) - ids.begin());
}

int64_t MaxId(const MemorySink& sink) {
  return sink.committed().items.empty() ? 0 : sink.committed().items.rbegin()->first;
}

// ---- full sync -------------------------------------------------------------

TEST(EngineFullSync, AboveThresholdMatchesTruthWithMinimalRequests) {
  Env env;
  MemorySink sink;
  env.emu.ResetStats();
  auto r = env.Run(sink, "Orders");
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  auto st = env.emu.GetStats();
  // Observed: list 1 + fields 1 + item pages ceil(12000/5000)=3 + GetChanges 1 = 6.
  std::printf("full 12000: total=%llu list=%llu fields=%llu items=%llu changes=%llu\n",
              (unsigned long long)st.total, (unsigned long long)st.list_metadata,
              (unsigned long long)st.fields, (unsigned long long)st.items,
              (unsigned long long)st.get_changes);
  EXPECT_EQ(st.items, 3u);
  EXPECT_LE(st.total, static_cast<uint64_t>(CeilDiv(kBig, 5000) + 4));
  EXPECT_EQ(r.upserted, kBig);
  EXPECT_EQ(r.pages, 3);
  SyncState s = Committed(sink);
  EXPECT_EQ(s.mode, SyncMode::kIncremental);
  EXPECT_FALSE(s.full_in_progress);
  EXPECT_FALSE(s.change_token.empty());
  EXPECT_EQ(s.high_water_id, env.Ids("Orders").back());
  EXPECT_EQ(s.list_id, env.emu.ListId("Orders"));
}

TEST(EngineFullSync, BelowThresholdMatchesTruthWithMinimalRequests) {
  Env env;
  MemorySink sink;
  env.emu.ResetStats();
  auto r = env.Run(sink, "Small", {}, {}, Deadline(), {"small", "", {}, 5000, 2000, 55});
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Small"), sink.committed().items));
  auto st = env.emu.GetStats();
  std::printf("full 300: total=%llu items=%llu\n", (unsigned long long)st.total,
              (unsigned long long)st.items);
  EXPECT_EQ(st.items, 1u);
  EXPECT_LE(st.total, static_cast<uint64_t>(CeilDiv(kSmall, 5000) + 4));
}

// ---- resume ----------------------------------------------------------------

TEST(EngineResume, SinkFatalOnPageTwoThenRerunResumesFromPageToken) {
  Env env;
  const auto ids = env.Ids("Orders");
  MemorySink sink;
  sink.fatal_on_upsert_call = 2;
  auto r1 = env.Run(sink, "Orders");
  ASSERT_EQ(r1.outcome, Outcome::kFailed);
  sink.Crash();  // the process dies: only the committed copy survives
  SyncState s = Committed(sink);
  EXPECT_TRUE(s.full_in_progress);
  EXPECT_EQ(s.page_last_id, ids[4999]);
  EXPECT_EQ(MaxId(sink), ids[4999]);
  EXPECT_EQ(s.failed_sessions, 1);

  sink.fatal_on_upsert_call = 0;
  env.emu.ResetStats();
  auto r2 = env.Run(sink, "Orders");
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  // Resumed after ID 5000: two item pages instead of three.
  EXPECT_EQ(env.emu.GetStats().items, 2u);
  EXPECT_EQ(r2.upserted, kBig - 5000);
  EXPECT_EQ(Committed(sink).failed_sessions, 0);
}

// Pages a stream already read when the time budget runs out are applied
// (the pages in hand), so the list is read in 1,000-item pages: far more
// than a stream holds ahead, whatever the machine's speed.
TEST(EngineResume, DeadlineAfterFirstPageThenRerunResumes) {
  Env env;
  MemorySink sink;
  Deadline deadline;
  SessionEvents ev;
  ev.page_applied = [&](int64_t, int64_t) { deadline.Cancel(); };
  engine::EntityConfig small_pages;
  small_pages.page_size = 1000;
  small_pages.streams = 1;
  auto r1 = env.Run(sink, "Orders", {}, ev, deadline, small_pages);
  ASSERT_EQ(r1.outcome, Outcome::kPartial) << r1.error;
  SyncState s = Committed(sink);
  EXPECT_TRUE(s.full_in_progress);
  EXPECT_GT(s.page_last_id, 0);
  EXPECT_LT(s.page_last_id, kBig);
  EXPECT_EQ(s.page_last_id, MaxId(sink));
  EXPECT_EQ(sink.committed().items.size(), CountUpTo(env.Ids("Orders"), s.page_last_id));

  env.emu.ResetStats();
  auto r2 = env.Run(sink, "Orders", {}, {}, Deadline(), small_pages);
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  const auto done = static_cast<int64_t>(CountUpTo(env.Ids("Orders"), s.page_last_id));
  // Resumed: the pages after the last one applied (the first one is not read again).
  EXPECT_LE(env.emu.GetStats().items, static_cast<uint64_t>((kBig - done + 999) / 1000 + 1));
  EXPECT_EQ(r2.upserted, kBig - done);
}

// ---- inline deletion detection ---------------------------------------------

std::vector<int64_t> DeleteSpread(emulator::Emulator& emu) {
  std::vector<int64_t> live;
  emu.ForEachLiveItem("Orders", [&](int64_t id, std::string_view) { live.push_back(id); });
  // Positions (1-based): around the page boundaries at 5000 and 10000, a run,
  // and the tail (the top IDs).
  std::vector<int64_t> pos = {1, 17, 4999, 5000, 5001, 5002, 9999, 10000, 10001};
  for (int64_t p = 7000; p <= 7100; ++p) pos.push_back(p);
  for (int64_t p = 11990; p <= kBig; ++p) pos.push_back(p);
  std::vector<int64_t> ids;
  for (auto p : pos) ids.push_back(live[static_cast<size_t>(p - 1)]);
  for (auto id : ids) emu.DeleteItem("Orders", id);
  return ids;
}

void InlineDeletions(bool ranges) {
  Env env;
  MemorySink sink(ranges);
  ASSERT_EQ(env.Run(sink, "Orders").outcome, Outcome::kComplete);
  auto deleted = DeleteSpread(env.emu);
  SessionOptions o;
  o.force_full = true;
  env.emu.ResetStats();
  auto r = env.Run(sink, "Orders", o);
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  // r.deleted counts the IDs sent for deletion: in a full resync every gap at
  // or below the sink's high-water ID, including IDs the list never had
  // (the engine keeps no ID set, so it cannot tell; sinks ignore unknown IDs).
  EXPECT_GE(r.deleted, static_cast<int64_t>(deleted.size()));
  std::printf(
      "forced full after %zu deletions: result.deleted=%lld, sink delete calls=%d, "
      "range calls=%d\n",
      deleted.size(), (long long)r.deleted, sink.delete_calls, sink.range_calls);
  EXPECT_EQ(env.emu.GetStats().items, 3u);  // no second pass over the list
  for (auto id : deleted) EXPECT_FALSE(sink.committed().items.count(id)) << id;
}

TEST(EngineDeletions, InlineGapsAcrossPagesAndTailOnForcedFull) {
  InlineDeletions(false);
}
TEST(EngineDeletions, InlineGapsAsRangesWhenSinkAcceptsRanges) {
  InlineDeletions(true);
}

TEST(EngineDeletions, GapsAcrossSessionBoundary) {
  Env env;
  MemorySink sink;
  ASSERT_EQ(env.Run(sink, "Orders").outcome, Outcome::kComplete);
  DeleteSpread(env.emu);
  // A forced full sync interrupted after its first page ...
  Deadline deadline;
  SessionEvents ev;
  ev.page_applied = [&](int64_t, int64_t) { deadline.Cancel(); };
  SessionOptions o;
  o.force_full = true;
  ASSERT_EQ(env.Run(sink, "Orders", o, ev, deadline).outcome, Outcome::kPartial);
  // ... resumed by a normal run: gaps after the resume point and the tail are still found.
  auto r = env.Run(sink, "Orders");
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
}

// ---- reconcile -------------------------------------------------------------

TEST(EngineReconcile, RemovesItemsTheSinkDriftedTo) {
  Env env;
  MemorySink sink;
  ASSERT_EQ(env.Run(sink, "Orders").outcome, Outcome::kComplete);
  const auto live = env.Ids("Orders");
  const std::vector<int64_t> gone = {live[49], live[4999], live[5000], live[11998]};
  for (int64_t id : gone) env.emu.DeleteItem("Orders", id);
  ASSERT_EQ(env.Run(sink, "Orders").outcome, Outcome::kComplete);
  ASSERT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  // The sink drifted: stale rows the list no longer has.
  for (int64_t id : gone) sink.InjectStale(id, "{\"stale\":true}");
  ASSERT_FALSE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  SessionOptions o;
  o.reconcile = true;
  env.emu.ResetStats();
  auto r = env.Run(sink, "Orders", o);
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_EQ(env.emu.GetStats().items, 3u);  // ID-only pages, $top=5000
}

// ---- incremental -----------------------------------------------------------

TEST(EngineIncremental, MixedChangesInOneBatch) {
  Env env;
  MemorySink sink;
  ASSERT_EQ(env.Run(sink, "Orders").outcome, Outcome::kComplete);
  auto& emu = env.emu;
  const auto live = env.Ids("Orders");
  auto at = [&](size_t n) { return live[n - 1]; };
  int64_t a1 = emu.AddItem("Orders", R"({"Title":"added one"})");
  int64_t a2 = emu.AddItem("Orders", R"({"Title":"added two"})");
  emu.UpdateItem("Orders", at(10), R"({"Title":"updated ten"})");
  emu.UpdateItem("Orders", at(20), R"({"Title":"updated twenty"})");
  emu.UpdateItem("Orders", at(20), R"({"Title":"updated twenty again"})");
  emu.DeleteItem("Orders", at(30));
  emu.RecycleItem("Orders", at(40));  // recycle + restore
  emu.RestoreItem("Orders", at(40));
  emu.RecycleItem("Orders", at(41));  // recycled, stays gone
  emu.UpdateItem("Orders", at(42), R"({"Title":"updated then deleted"})");
  emu.DeleteItem("Orders", at(42));
  emu.RecycleItem("Orders", at(43));  // delete then restore then update
  emu.RestoreItem("Orders", at(43));
  emu.UpdateItem("Orders", at(43), R"({"Title":"restored and updated"})");
  int64_t a3 = emu.AddItem("Orders", R"({"Title":"added then deleted"})");
  emu.DeleteItem("Orders", a3);
  emu.UpdateItem("Orders", a1, R"({"Title":"added then updated"})");
  emu.ResetStats();
  auto r = env.Run(sink, "Orders");
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_EQ(r.mode, SyncMode::kIncremental);
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_TRUE(sink.committed().items.count(a2));
  EXPECT_FALSE(sink.committed().items.count(a3));
  auto st = emu.GetStats();
  std::printf("incremental mixed: total=%llu changes=%llu items=%llu get_items=%llu\n",
              (unsigned long long)st.total, (unsigned long long)st.get_changes,
              (unsigned long long)st.items, (unsigned long long)st.get_items);
  EXPECT_LE(st.total, 6u);
}

TEST(EngineIncremental, TenThousandAppendsInFewRequests) {
  Env env;
  MemorySink sink;
  ASSERT_EQ(env.Run(sink, "Orders").outcome, Outcome::kComplete);
  for (int i = 0; i < 10000; ++i)
    env.emu.AddItem("Orders", "{\"Title\":\"bulk " + std::to_string(i) + "\"}");
  env.emu.ResetStats();
  auto before = env.client->stats().requests.load();
  auto r = env.Run(sink, "Orders");
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  auto st = env.emu.GetStats();
  std::printf(
      "incremental 10000 adds: total=%llu list=%llu fields=%llu changes=%llu items=%llu "
      "get_items=%llu client=%llu\n",
      (unsigned long long)st.total, (unsigned long long)st.list_metadata,
      (unsigned long long)st.fields, (unsigned long long)st.get_changes,
      (unsigned long long)st.items, (unsigned long long)st.get_items,
      (unsigned long long)(env.client->stats().requests.load() - before));
  EXPECT_LE(st.total, 10u);
  EXPECT_EQ(r.upserted, 10000);
}

// Changes made while a full sync runs (to pages already read, to a page
// possibly prefetched, and to pages not read yet) are in the sink when that
// same session ends: the replay from the token taken at its start.
TEST(EngineIncremental, ChangesDuringLongFullSyncAreNotLost) {
  Env env;
  const auto live = env.Ids("Orders");
  MemorySink sink;
  bool done = false;
  int64_t added = 0;
  SessionEvents ev;
  ev.page_applied = [&](int64_t, int64_t) {
    if (done) return;
    done = true;
    added = env.emu.AddItem("Orders", R"({"Title":"added during full"})");
    env.emu.UpdateItem("Orders", live[100 - 1], R"({"Title":"updated during full, page 1"})");
    env.emu.UpdateItem("Orders", live[11500 - 1], R"({"Title":"updated during full, page 3"})");
    env.emu.DeleteItem("Orders", live[200 - 1]);    // already in the sink
    env.emu.DeleteItem("Orders", live[6000 - 1]);   // maybe prefetched already
    env.emu.DeleteItem("Orders", live[11000 - 1]);  // not read yet
  };
  auto r = env.Run(sink, "Orders", {}, ev);
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  ASSERT_TRUE(done);
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_TRUE(sink.committed().items.count(added));
}

TEST(EngineIncremental, ChangesDuringFullSyncArriveByTheNextRun) {
  Env env;
  const auto live = env.Ids("Orders");
  MemorySink sink;
  bool done = false;
  SessionEvents ev;
  ev.page_applied = [&](int64_t, int64_t) {
    if (done) return;
    done = true;
    env.emu.UpdateItem("Orders", live[99], R"({"Title":"updated during full"})");
    env.emu.DeleteItem("Orders", live[199]);
    env.emu.DeleteItem("Orders", live[10999]);
  };
  ASSERT_EQ(env.Run(sink, "Orders", {}, ev).outcome, Outcome::kComplete);
  ASSERT_TRUE(done);
  auto r = env.Run(sink, "Orders");
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
}

// ---- fallbacks -------------------------------------------------------------

TEST(EngineFallback, ExpiredTokenFallsBackToFull) {
  Env env;
  MemorySink sink;
  ASSERT_EQ(env.Run(sink, "Small", {}, {}, Deadline(), {"small", "", {}, 5000, 2000, 55}).outcome,
            Outcome::kComplete);
  env.emu.DeleteItem("Small", env.Ids("Small")[4]);
  env.emu.AdvanceClock(std::chrono::hours(24 * 61));
  bool fired = false;
  SessionEvents ev;
  ev.fallback_to_full = [&](const std::string&) { fired = true; };
  auto r = env.Run(sink, "Small", {}, ev, Deadline(), {"small", "", {}, 5000, 2000, 55});
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(r.fell_back_to_full);
  EXPECT_TRUE(fired);
  EXPECT_TRUE(SameAsTruth(env.Truth("Small"), sink.committed().items));
}

TEST(EngineFallback, TokenOlderThanMaxAgeFallsBackToFull) {
  Env env;
  MemorySink sink;
  engine::EntityConfig e{"small", "", {}, 5000, 2000, 0};
  ASSERT_EQ(env.Run(sink, "Small", {}, {}, Deadline(), e).outcome, Outcome::kComplete);
  env.emu.UpdateItem("Small", env.Ids("Small")[6], R"({"Title":"changed"})");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // older than 0 days
  env.emu.ResetStats();
  auto r = env.Run(sink, "Small", {}, {}, Deadline(), e);
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(r.fell_back_to_full);
  EXPECT_EQ(env.emu.GetStats().items, 1u);
  EXPECT_TRUE(SameAsTruth(env.Truth("Small"), sink.committed().items));
}

TEST(EngineFallback, RecreatedListResyncsAndDropsOldItems) {
  Env env;
  MemorySink sink;
  ASSERT_EQ(env.Run(sink, "Orders").outcome, Outcome::kComplete);
  std::string old_id = env.emu.ListId("Orders");
  env.emu.RecreateList("Orders");
  ASSERT_NE(env.emu.ListId("Orders"), old_id);
  auto r = env.Run(sink, "Orders");
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(r.fell_back_to_full);
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_EQ(Committed(sink).list_id, env.emu.ListId("Orders"));
}

// ---- throttling and faults -------------------------------------------------

TEST(EngineFaults, ThrottlingStormCompletes) {
  Env env;
  emulator::FaultSpec spec;
  spec.retry_after_seconds = 1;
  spec.p429 = 0.15;
  spec.seed = 3;
  env.emu.SetFaults(spec);
  env.emu.FailNext(RequestKind::kItems, 3, FaultKind::kThrottle429);
  MemorySink sink;
  auto r = env.Run(sink, "Orders");
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_GE(env.client->stats().throttled.load(), 3u);
  EXPECT_GE(env.emu.GetStats().throttled, 3u);
}

void FaultMidPage(FaultKind fault) {
  Env env;
  env.SetRetry(2);
  MemorySink sink;
  bool armed = false;
  SessionEvents ev;
  ev.page_applied = [&](int64_t, int64_t) {
    if (armed) return;
    armed = true;
    env.emu.FailNext(RequestKind::kItems, 1000, fault);
  };
  // Pages of 500 items: the stream reads at most two pages ahead of the one
  // applied, so the fault armed after the first lands mid-crawl (with 5000
  // a page, a loaded machine could read all three before it is armed).
  engine::EntityConfig e{"orders", "", {}, 500, 2000, 55, 1};
  auto r1 = env.Run(sink, "Orders", {}, ev, engine::Deadline(), e);
  ASSERT_EQ(r1.outcome, Outcome::kFailed) << "fault did not fail the run";
  sink.Crash();
  SyncState s = Committed(sink);
  // The state never moves past what the sink holds.
  EXPECT_TRUE(s.full_in_progress);
  EXPECT_EQ(s.page_last_id, MaxId(sink));
  EXPECT_EQ(sink.committed().items.size(), CountUpTo(env.Ids("Orders"), s.page_last_id));
  EXPECT_LT(s.page_last_id, env.Ids("Orders").back());
  EXPECT_EQ(s.failed_sessions, 1);

  env.emu.SetFaults({});
  env.SetRetry(8);
  auto r2 = env.Run(sink, "Orders");
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_EQ(Committed(sink).failed_sessions, 0);
}

TEST(EngineFaults, ConnectionResetMidPageNeverAdvancesState) {
  FaultMidPage(FaultKind::kReset);
}
TEST(EngineFaults, TruncatedJsonNeverAdvancesState) {
  FaultMidPage(FaultKind::kTruncate);
}
TEST(EngineFaults, HtmlErrorPageNeverAdvancesState) {
  FaultMidPage(FaultKind::kHtml);
}

TEST(EngineFaults, TransientFaultsAreRetriedTransparently) {
  Env env;
  env.emu.FailNext(RequestKind::kItems, 1, FaultKind::kReset);
  env.emu.FailNext(RequestKind::kItems, 1, FaultKind::kTruncate);
  env.emu.FailNext(RequestKind::kItems, 1, FaultKind::kHtml);
  MemorySink sink;
  auto r = env.Run(sink, "Orders");
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_GE(env.client->stats().retries.load(), 3u);
}

// ---- time budget -----------------------------------------------------------

TEST(EngineBudget, DeadlineHonouredWithinOneRequest) {
  Env env;
  emulator::FaultSpec spec;
  spec.slow = 1.0;  // every request takes slow_ms: a slow tenant
  spec.slow_ms = 100;
  env.emu.SetFaults(spec);
  MemorySink sink;
  engine::EntityConfig e{"orders", "", {}, 500, 2000, 55, 1};  // one stream: one position
  const auto budget = std::chrono::milliseconds(350);
  auto started = std::chrono::steady_clock::now();
  auto r = env.Run(sink, "Orders", {}, {}, Deadline(budget), e);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::printf("budget 350ms: took %lld ms, pages %lld\n", (long long)took.count(),
              (long long)r.pages);
  ASSERT_EQ(r.outcome, Outcome::kPartial) << r.error;
  // One request is ~100 ms (+ transfer); allow it plus scheduling slack.
  EXPECT_LT(took, budget + std::chrono::milliseconds(100 + 150));
  SyncState s = Committed(sink);
  EXPECT_EQ(s.page_last_id, MaxId(sink));

  env.emu.SetFaults({});
  env.emu.ResetStats();
  auto r2 = env.Run(sink, "Orders", {}, {}, Deadline(), e);
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  const auto left = kBig - static_cast<int64_t>(CountUpTo(env.Ids("Orders"), s.page_last_id));
  EXPECT_EQ(env.emu.GetStats().items, static_cast<uint64_t>(CeilDiv(left, 500)));
}

// ---- sink failures ---------------------------------------------------------

TEST(EngineSinkFailures, RetryableIsRetried) {
  Env env;
  MemorySink sink;
  sink.retryable_upserts = 2;
  auto r = env.Run(sink, "Orders");
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sink.committed().items));
  EXPECT_EQ(sink.upsert_calls, 3 + 2);
}

TEST(EngineSinkFailures, FatalFailsAndCountsAndRaisesIncident) {
  Env env;
  MemorySink sink;
  sink.fatal_always = true;
  SessionOptions o;
  o.incident_after_fails = 2;
  int incidents = 0;
  SessionEvents ev;
  ev.incident = [&](int64_t, const std::string&) { ++incidents; };
  auto r1 = env.Run(sink, "Small", o, ev);
  EXPECT_EQ(r1.outcome, Outcome::kFailed);
  EXPECT_EQ(r1.failed_sessions, 1);
  EXPECT_FALSE(r1.incident);
  EXPECT_EQ(Committed(sink).failed_sessions, 1);
  EXPECT_TRUE(sink.committed().items.empty());
  auto r2 = env.Run(sink, "Small", o, ev);
  EXPECT_EQ(r2.outcome, Outcome::kFailed);
  EXPECT_EQ(r2.failed_sessions, 2);
  EXPECT_TRUE(r2.incident);
  EXPECT_EQ(incidents, 1);
  EXPECT_EQ(Committed(sink).failed_sessions, 2);
  sink.fatal_always = false;
  auto r3 = env.Run(sink, "Small", o, ev);
  ASSERT_EQ(r3.outcome, Outcome::kComplete) << r3.error;
  EXPECT_EQ(Committed(sink).failed_sessions, 0);
  EXPECT_TRUE(SameAsTruth(env.Truth("Small"), sink.committed().items));
}

TEST(EngineSinkFailures, RejectedRecordsGoToDeadLetterFile) {
  Env env;
  MemorySink sink;
  const auto live = env.Ids("Orders");
  const int64_t r1 = live[4], r2 = live[5999];
  sink.reject_ids = {r1, r2};
  auto dir = TempDir("deadletter");
  SessionOptions o;
  o.dead_letter_file = (dir / "dead.jsonl").string();
  auto r = env.Run(sink, "Orders", o);
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_EQ(r.rejected, 2);
  auto truth = env.Truth("Orders");
  truth.erase(r1);
  truth.erase(r2);
  EXPECT_TRUE(SameAsTruth(truth, sink.committed().items));
  std::ifstream in(o.dead_letter_file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("injected rejection of ID " + std::to_string(r1)), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("injected rejection of ID " + std::to_string(r2)), std::string::npos)
      << lines[1];
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spsync::test
