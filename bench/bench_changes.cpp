// Suites 4, 5 and 6: deletions (full resync with 10% of IDs deleted, the
// reconcile pass), incremental changes, and peak RSS in N. Syncs whose memory
// is reported run in a child process (this binary re-executed) against the
// emulator in this one, so VmHWM is the sync's alone.
#include "bench_common.hpp"
#include "suites.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <stdexcept>

namespace spsync::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string Label(int64_t n) {
  return n >= 1000000 ? std::to_string(n / 1000000) + "M" : std::to_string(n / 1000) + "k";
}

// Fills a SQLite sink at `path` from the emulator with one full sync.
void Fill(emulator::Emulator& emu, const std::string& path) {
  auto client = MakeClient(emu.SiteUrl());
  auto sink = OpenSink("sqlite", {{"path", path}});
  RunSession(*client, *sink);
}

std::vector<int64_t> Sample(std::vector<int64_t> ids, size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  count = std::min(count, ids.size());
  for (size_t i = 0; i < count; ++i) {
    std::uniform_int_distribution<size_t> d(i, ids.size() - 1);
    std::swap(ids[i], ids[d(rng)]);
  }
  ids.resize(count);
  return ids;
}

void ReportChild(benchmark::State& state, const ChildResult& r) {
  state.SetIterationTime(r.elapsed_ms / 1000.0);
  state.counters["requests"] = static_cast<double>(r.requests);
  state.counters["bytes"] = static_cast<double>(r.bytes);
  state.counters["peak_rss_mb"] = r.peak_rss_mb;
  state.counters["streams"] = r.streams;
  state.counters["upserted"] = static_cast<double>(r.upserted);
  state.counters["deleted"] = static_cast<double>(r.deleted);
  state.counters["items_per_second"] =
      static_cast<double>(r.upserted + r.deleted) / (r.elapsed_ms / 1000.0);
}

// ---- 4. deletions ---------------------------------------------------------

void Deletions(benchmark::State& state, bool reconcile) {
  const int64_t n = state.range(0);
  const std::string dir = MakeTempDir(reconcile ? "reconcile" : "resync");
  try {
    auto emu = StartEmulator(n);
    const std::string db = dir + "/sink.db";
    for (auto _ : state) {
      Fill(*emu, db);
      // 10% of the IDs deleted since the sink was filled.
      auto victims = Sample(LiveIds(*emu), static_cast<size_t>(n / 10), 7);
      for (int64_t id : victims) emu->DeleteItem(kList, id);
      const int64_t live = emu->ItemCount(kList);
      ChildResult r = RunSyncInChild(emu->SiteUrl(), "sqlite", db, !reconcile, reconcile);
      ReportChild(state, r);
      const std::string l = Label(n);
      const std::string what = reconcile ? "reconcile pass " : "full resync ";
      auto& s = Summary::Get();
      // One partial page per ID range read in parallel (issue 15; the
      // ID-only reconcile pass reads on the session's thread: 0 streams).
      const int64_t limit = (live + 4999) / 5000 + r.streams + 4;
      s.Row(std::string("4") + (reconcile ? "b." : "a.") + l,
            what + l + " -10%: requests <= ceil(N/5000)+streams+4 = " + std::to_string(limit) +
                ", all deletions found",
            std::to_string(r.requests) + " req (" + std::to_string(r.streams) + " streams), " +
                std::to_string(r.deleted) + "/" + std::to_string(victims.size()) + " deleted, " +
                Fmt(r.elapsed_ms / 1000.0, 1) + " s, " + Fmt(r.peak_rss_mb, 1) + " MiB",
            static_cast<int64_t>(r.requests) <= limit &&
                r.deleted >= static_cast<int64_t>(victims.size()));
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

void BM_Deletions_FullResync(benchmark::State& state) {
  Deletions(state, false);
}
void BM_Deletions_Reconcile(benchmark::State& state) {
  Deletions(state, true);
}

// ---- 5. incremental -------------------------------------------------------

// One filled list per size, shared by the three change kinds (run in order:
// appends, updates, deletes + restores), so the 1M fill is paid once.
struct IncrementalFixture {
  std::unique_ptr<emulator::Emulator> emu;
  std::string dir, db;
  ~IncrementalFixture() { RemoveTree(dir); }
};

IncrementalFixture& Fixture(int64_t n) {
  static std::map<int64_t, std::unique_ptr<IncrementalFixture>> fixtures;
  auto& f = fixtures[n];
  if (!f) {
    auto fresh = std::make_unique<IncrementalFixture>();
    fresh->dir = MakeTempDir("incremental");
    fresh->db = fresh->dir + "/sink.db";
    fresh->emu = StartEmulator(n);
    Fill(*fresh->emu, fresh->db);
    f = std::move(fresh);
  }
  return *f;
}

enum ChangeKind { kAppend = 0, kUpdate = 1, kDeleteRestore = 2 };

void BM_Incremental(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto kind = static_cast<ChangeKind>(state.range(1));
  const int64_t changes = Scaled(10000);
  try {
    IncrementalFixture& f = Fixture(n);
    emulator::Emulator& emu = *f.emu;
    for (auto _ : state) {
      int64_t expect_upserts = 0, expect_deletes = 0;
      if (kind == kAppend) {
        for (int64_t i = 0; i < changes; ++i)
          emu.AddItem(kList, R"({"Title":"appended )" + std::to_string(i) + "\"}");
        expect_upserts = changes;
      } else if (kind == kUpdate) {
        for (int64_t id : Sample(LiveIds(emu), static_cast<size_t>(changes), 11))
          emu.UpdateItem(kList, id, R"({"Title":"updated )" + std::to_string(id) + "\"}");
        expect_upserts = changes;
      } else {
        // 60% recycled, then 40% (two thirds of those) restored: 10,000 changes.
        auto ids = Sample(LiveIds(emu), static_cast<size_t>(changes * 6 / 10), 13);
        for (int64_t id : ids) emu.RecycleItem(kList, id);
        const size_t restores = static_cast<size_t>(changes * 4 / 10);
        for (size_t i = 0; i < restores; ++i) emu.RestoreItem(kList, ids[i]);
        expect_upserts = static_cast<int64_t>(restores);
        expect_deletes = static_cast<int64_t>(ids.size() - restores);
      }
      auto client = MakeClient(emu.SiteUrl());
      auto sink = OpenSink("sqlite", {{"path", f.db}});
      emu.ResetStats();
      auto t0 = Clock::now();
      auto r = RunSession(*client, *sink);
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      const uint64_t requests = client->stats().requests.load();
      std::map<std::string, double> srv;
      ServerCounters(emu, &srv);
      for (const auto& [k, v] : srv) state.counters[k] = v;
      state.SetIterationTime(secs);
      state.counters["requests"] = static_cast<double>(requests);
      state.counters["bytes"] = static_cast<double>(client->stats().bytes.load());
      state.counters["upserted"] = static_cast<double>(r.upserted);
      state.counters["deleted"] = static_cast<double>(r.deleted);
      state.counters["items_per_second"] = static_cast<double>(changes) / secs;
      const int64_t limit = kind == kAppend ? 10 : 40;
      static const char* kNames[] = {"appended", "random updates", "random deletes+restores"};
      const std::string c = Label(changes);
      Summary::Get().Row(
          "5" + std::string(1, static_cast<char>('a' + kind)) + "." + Label(n),
          c + " " + kNames[kind] + " on " + Label(n) + ": requests <= " + std::to_string(limit),
          std::to_string(requests) + " req, " + Fmt(secs * 1000, 0) + " ms, " +
              std::to_string(r.upserted) + "/" + std::to_string(expect_upserts) + " up, " +
              std::to_string(r.deleted) + "/" + std::to_string(expect_deletes) + " del",
          static_cast<int64_t>(requests) <= limit && r.upserted >= expect_upserts &&
              r.deleted >= expect_deletes);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// ---- 6. memory ------------------------------------------------------------

void BM_PeakRss(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::string dir = MakeTempDir("rss");
  try {
    auto emu = StartEmulator(n);
    for (auto _ : state) {
      ChildResult r = RunSyncInChild(emu->SiteUrl(), "sqlite", dir + "/sink.db", false, false);
      ReportChild(state, r);
      auto& s = Summary::Get();
      s.Set("rss." + std::to_string(n), r.peak_rss_mb);
      s.Set("streams." + std::to_string(n), r.streams);
      const int64_t small = Scaled(100000), big = Scaled(1000000);
      const std::string ks = "rss." + std::to_string(small), kb = "rss." + std::to_string(big);
      if (s.Has(ks) && s.Has(kb)) {
        const double ratio = s.Value(kb) / s.Value(ks);
        s.Row("6a", "peak RSS " + Label(big) + " <= 1.2x " + Label(small),
              Fmt(ratio) + "x (" + Fmt(s.Value(kb), 1) + " vs " + Fmt(s.Value(ks), 1) + " MiB; " +
                  Fmt(s.Value("streams." + std::to_string(big)), 0) + " vs " +
                  Fmt(s.Value("streams." + std::to_string(small)), 0) + " streams)",
              ratio <= 1.2);
      }
      s.Row("6b." + Label(n), "peak RSS full sync " + Label(n) + " < 200 MiB",
            Fmt(r.peak_rss_mb, 1) + " MiB", r.peak_rss_mb < 200);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

}  // namespace

void RegisterDeletionsSuite() {
  for (auto [name, fn] : {std::pair{"Deletions/FullResync10pct", &BM_Deletions_FullResync},
                          std::pair{"Deletions/Reconcile10pct", &BM_Deletions_Reconcile}}) {
    auto* b = benchmark::RegisterBenchmark(name, fn);
    for (int64_t n : FullSizes()) b->Arg(n);
    b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
}

void RegisterIncrementalSuite() {
  auto* b = benchmark::RegisterBenchmark("Incremental/10kChanges", BM_Incremental);
  b->ArgNames({"items", "kind"});
  for (int64_t n : FullSizes())
    for (int kind : {kAppend, kUpdate, kDeleteRestore}) b->Args({n, kind});
  b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

void RegisterMemorySuite() {
  auto* b = benchmark::RegisterBenchmark("Memory/PeakRssFullSync", BM_PeakRss);
  b->Arg(Scaled(100000));
  for (int64_t n : FullSizes()) b->Arg(n);
  b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace spsync::bench
