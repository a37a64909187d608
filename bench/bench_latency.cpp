// Suites 8 and 9 (issue 15): a full sync at SharePoint's pace. The in-process
// emulator answers every request after a base latency plus a per-item cost
// (300 ms + 0.2 ms/item: a 5000-item page takes 1.3 s), so the figures are
// about requests in flight, not CPU.
//   8. Latency/FullSync/items:N/streams:S, S = 0 (automatic), 8, then 1: the
//      same engine into SQLite; the one-stream run is the baseline of the
//      speed-up, and every run's tables must equal it (rows and a checksum).
//   9. Latency/Budget/items:N/streams:S: the same list with a tenant budget
//      of 1,250 RU a minute in the emulator and the same run.ruPerMinute in
//      the engine: how much of the budget the sync uses, how many 429s.
// N: SPSYNC_BENCH_LATENCY_ITEMS (default 1,000,000; smoke 20,000) and
// SPSYNC_BENCH_BUDGET_ITEMS (default: the same).
#include "bench_common.hpp"
#include "suites.hpp"

#include <spsync/engine/sharepoint/request_budget.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace spsync::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kBudgetRuPerMinute = 1250;  // the smallest tenant's per-app budget
constexpr int kBudgetStreams = 16;           // see BudgetStreams() in the registration

int64_t EnvSize(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  if (*end != '\0' || n <= 0) throw std::invalid_argument(std::string(name) + ": not a size");
  return n;
}

int64_t LatencyItems() {
  return EnvSize("SPSYNC_BENCH_LATENCY_ITEMS", SmokeMode() ? 20000 : 1000000);
}
int64_t BudgetItems() {
  return EnvSize("SPSYNC_BENCH_BUDGET_ITEMS", LatencyItems());
}

// 300 ms + 0.2 ms per item; a tenth of that in smoke mode.
emulator::LatencySpec Latency() {
  const double scale = SmokeMode() ? 0.1 : 1.0;
  return {300 * scale, 0.2 * scale};
}

std::unique_ptr<emulator::Emulator> StartSlowEmulator(int64_t items, double ru_per_minute) {
  emulator::Options o;
  o.lists = {{kList, items}};
  o.seed = 42;
  o.latency = Latency();
  o.budget.ru_per_minute = ru_per_minute;
  auto emu = std::make_unique<emulator::Emulator>(o);
  emu->Start();
  return emu;
}

struct SyncRun {
  double seconds = 0;
  int streams_seen = 0;  // threads that requested item pages
  emulator::Stats server;
  TableDigest digest;
  double budget_wait_s = 0;  // time the engine's request budget held requests back
};

// A full sync of the emulator's list into a fresh SQLite file, with
// `streams` ID ranges (0 = the engine's automatic choice).
SyncRun SyncOnce(emulator::Emulator& emu, const std::string& dir, int streams,
                 std::shared_ptr<engine::RequestBudget> budget) {
  const std::string db = dir + "/s" + std::to_string(streams) + ".db";
  auto client = MakeClient(emu.SiteUrl(), budget);
  engine::EntityConfig entity = Entity();
  entity.streams = streams;
  engine::SessionEvents events;
  StreamCounter readers;
  readers.Install(&events);
  SyncRun run;
  emu.ResetStats();
  {
    auto sink = OpenSink("sqlite", {{"path", db}});
    const auto t0 = Clock::now();
    RunSession(*client, *sink, {}, std::move(events), &entity);
    run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  run.server = emu.GetStats();
  run.streams_seen = readers.streams();
  // The budget's key is the site's host:port (SharePointClient's host key).
  if (budget)
    run.budget_wait_s = budget->Stats("127.0.0.1:" + std::to_string(emu.port())).waited_seconds;
  run.digest = DigestTables(db);
  for (const char* ext : {"", "-wal", "-shm"}) RemoveTree(db + ext);
  return run;
}

void ServerStatsCounters(const emulator::Stats& s, benchmark::State& state) {
  state.counters["srv_total"] = static_cast<double>(s.total);
  state.counters["srv_items"] = static_cast<double>(s.items);
  state.counters["ru_spent"] = s.ru_spent;
  state.counters["ru_throttled"] = static_cast<double>(s.ru_throttled);
  state.counters["throttled"] = static_cast<double>(s.throttled);
}

// The runs of suite 8 so far, by (items, streams): the one-stream run,
// registered last, compares itself with the others.
std::mutex g_mu;
std::map<std::pair<int64_t, int>, SyncRun> g_runs;

void BM_LatencyFullSync(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int streams = static_cast<int>(state.range(1));
  const std::string dir = MakeTempDir("latency");
  try {
    auto emu = StartSlowEmulator(n, 0);
    for (auto _ : state) {
      SyncRun run = SyncOnce(*emu, dir, streams, nullptr);
      state.SetIterationTime(run.seconds);
      state.counters["streams"] = run.streams_seen;
      state.counters["rows"] = static_cast<double>(run.digest.rows);
      state.counters["items_per_second"] = static_cast<double>(run.digest.rows) / run.seconds;
      ServerStatsCounters(run.server, state);
      const std::string l = SizeLabel(n);
      const std::string name = streams == 0 ? "auto" : std::to_string(streams);
      const int64_t limit = (n + 4999) / 5000 + run.streams_seen + 4;
      auto& s = Summary::Get();
      s.Row("8c." + l + "." + name,
            "latency " + l + ", " + name + " stream(s): item requests <= ceil(N/5000)+" +
                std::to_string(run.streams_seen) + "+4 = " + std::to_string(limit),
            std::to_string(run.server.items) + " (" + std::to_string(run.streams_seen) +
                " streams, " + std::to_string(run.server.total) + " requests in all)",
            static_cast<int64_t>(run.server.items) <= limit);
      std::lock_guard lock(g_mu);
      g_runs[{n, streams}] = run;
      if (streams != 1) continue;
      for (const auto& [key, other] : g_runs) {
        if (key.first != n || key.second == 1) continue;
        const std::string o = key.second == 0 ? "auto" : std::to_string(key.second);
        const double speedup = run.seconds / other.seconds;
        s.Row("8a." + l + "." + o,
              "latency " + l + ": " + o + " (" + std::to_string(other.streams_seen) +
                  " streams) >= 6x faster than 1 stream",
              Fmt(speedup, 1) + "x (" + Fmt(other.seconds, 1) + " s vs " + Fmt(run.seconds, 1) +
                  " s)",
              speedup >= 6.0);
        s.Row("8b." + l + "." + o, "latency " + l + ": " + o + " streams, same rows as 1 stream",
              std::to_string(other.digest.rows) + " vs " + std::to_string(run.digest.rows) +
                  " rows, checksum " + Hex(other.digest.checksum) +
                  (other.digest == run.digest ? " equal" : " vs " + Hex(run.digest.checksum)),
              other.digest == run.digest && run.digest.rows == emu->ItemCount(kList));
      }
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

void BM_LatencyBudget(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int streams = static_cast<int>(state.range(1));
  const double rate = kBudgetRuPerMinute * (SmokeMode() ? 10 : 1);
  const std::string dir = MakeTempDir("budget");
  try {
    for (auto _ : state) {
      // A fresh emulator per run: its budget starts full, as a tenant's
      // does after a quiet minute.
      auto emu = StartSlowEmulator(n, rate);
      engine::BudgetOptions bo;
      bo.ru_per_minute = rate;
      bo.ru_per_request = 2;
      auto budget = std::make_shared<engine::RequestBudget>(bo);
      SyncRun run = SyncOnce(*emu, dir, streams, budget);
      const emulator::Stats& st = run.server;
      const double usage = st.ru_spent / (run.seconds * rate / 60.0);
      const double throttled =
          st.total == 0 ? 0 : static_cast<double>(st.ru_throttled) / static_cast<double>(st.total);
      state.SetIterationTime(run.seconds);
      state.counters["streams"] = run.streams_seen;
      state.counters["rows"] = static_cast<double>(run.digest.rows);
      state.counters["budget_used"] = usage;
      state.counters["ru_per_minute"] = st.ru_spent / run.seconds * 60;
      state.counters["engine_wait_s"] = run.budget_wait_s;
      ServerStatsCounters(st, state);
      const std::string l = SizeLabel(n);
      const std::string name = streams == 0 ? "auto" : std::to_string(streams);
      const std::string what = "budget " + Fmt(rate, 0) + " RU/min, " + l + ", " + name + " (" +
                               std::to_string(run.streams_seen) + " streams)";
      auto& s = Summary::Get();
      s.Row("9a." + l + "." + name, what + ": uses >= 85% of the budget",
            Fmt(usage * 100, 0) + "% (" + Fmt(st.ru_spent, 0) + " RU in " + Fmt(run.seconds, 1) +
                " s = " + Fmt(st.ru_spent / run.seconds * 60, 0) + " RU/min)",
            usage >= 0.85);
      s.Row("9b." + l + "." + name, what + ": < 1% of requests throttled",
            std::to_string(st.ru_throttled) + " of " + std::to_string(st.total) + " (" +
                Fmt(throttled * 100, 1) + "%), " +
                (run.digest.rows == emu->ItemCount(kList) ? "all " : "NOT all ") +
                std::to_string(run.digest.rows) + " rows",
            throttled < 0.01 && run.digest.rows == emu->ItemCount(kList));
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

}  // namespace

void RegisterLatencySuite() {
  auto* full = benchmark::RegisterBenchmark("Latency/FullSync", &BM_LatencyFullSync);
  full->ArgNames({"items", "streams"});
  // The one-stream baseline last: it compares itself with the others.
  for (int streams : {0, 8, 1}) full->Args({LatencyItems(), streams});
  full->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

  // At 1.3 s a page and 2 RU a request, 1,250 RU a minute is 10.4 requests
  // a second: 14 in flight. The automatic choice grows past its usual 8 to
  // what the budget and the measured latency call for; kBudgetStreams is the
  // explicit entities[].streams to compare with.
  auto* budget = benchmark::RegisterBenchmark("Latency/Budget", &BM_LatencyBudget);
  budget->ArgNames({"items", "streams"});
  for (int streams : {0, kBudgetStreams}) budget->Args({BudgetItems(), streams});
  budget->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace spsync::bench
