// 7. A department's estate (issue 13): 500 lists over 20 site collections and
// 40 webs, found by discovery rules and synced by the real `spsync` CLI (a
// child process, so its peak RSS is its own): discovery plus the first full
// syncs (1,000 items a list), an idle run, and a run after 10 lists changed,
// each measured in requests per web and seconds.
#include "bench_common.hpp"
#include "suites.hpp"

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace spsync::bench {
namespace {

struct Shape {
  int sites, webs, lists;
  int64_t items;
};

Shape EstateShape() {
  if (SmokeMode()) return {2, 4, 12, 50};
  return {20, 40, 500, 1000};
}

struct CliRun {
  int code = -1;
  double elapsed_s = 0, peak_rss_mb = 0;
};

// Runs `spsync run --config cfg` with its output in `log`; its peak RSS from
// the kernel's accounting of the child (ru_maxrss, KiB).
CliRun RunCli(const std::string& cfg, const std::string& log) {
  CliRun r;
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    if (out != nullptr) dup2(fileno(stdout), 2);
    execl(SPSYNC_CLI, SPSYNC_CLI, "run", "--config", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) return r;
  r.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  return r;
}

// Tables and rows of the synced lists (the sink's own tables excluded).
std::pair<int64_t, int64_t> TablesAndRows(const std::string& db) {
  sqlite3* h = nullptr;
  int64_t tables = 0, rows = 0;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return {-1, -1};
  }
  std::vector<std::string> names;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h,
                     "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
                     "'\\_spsync%' ESCAPE '\\'",
                     -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW)
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  for (const auto& n : names) {
    ++tables;
    sqlite3_prepare_v2(h, ("SELECT count(*) FROM \"" + n + "\"").c_str(), -1, &st, nullptr);
    if (sqlite3_step(st) == SQLITE_ROW) rows += sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return {tables, rows};
}

std::string WriteEstateConfig(const std::string& dir, const emulator::Emulator& emu,
                              const Shape& shape) {
  std::string cfg = dir + "/spsync.json";
  std::ofstream f(cfg);
  f << "{ \"sites\": {";
  for (int s = 1; s <= shape.sites; ++s) {
    char name[16], path[32];
    std::snprintf(name, sizeof(name), "s%02d", s);
    std::snprintf(path, sizeof(path), "/sites/site%02d", s);
    f << (s > 1 ? ",\n" : "\n") << "  \"" << name << "\": { \"url\": \"" << emu.BaseUrl() << path
      << "\", \"discover\": { \"include\": [\"*\"], \"subwebs\": true, \"sinks\": [\"db\"] } }";
  }
  f << " },\n  \"sinks\": { \"db\": { \"plugin\": \"sqlite\", \"path\": \"" << dir
    << "/estate.db\" } },\n  \"run\": { \"workDir\": \"" << dir << "/work\", \"parallel\": 4 } }\n";
  return cfg;
}

void BM_Estate(benchmark::State& state) {
  const Shape shape = EstateShape();
  const std::string dir = MakeTempDir("estate");
  try {
    emulator::Options o;
    o.sites = emulator::SyntheticEstate(shape.sites, shape.webs, shape.lists, shape.items);
    std::map<std::string, std::string> web_of;  // list title -> its web
    for (const auto& site : o.sites)
      for (const auto& web : site.webs)
        for (const auto& l : web.lists) web_of[l.title] = web.url;
    emulator::Emulator emu(o);
    emu.Start();
    const std::string cfg = WriteEstateConfig(dir, emu, shape);
    auto& s = Summary::Get();
    for (auto _ : state) {
      // Discovery and the first full sync of every list.
      CliRun first = RunCli(cfg, dir + "/first.log");
      if (first.code != 0) throw std::runtime_error("first run failed: see " + dir + "/first.log");
      auto [tables, rows] = TablesAndRows(dir + "/estate.db");
      if (tables != shape.lists || rows != shape.lists * shape.items)
        throw std::runtime_error("first run synced " + std::to_string(tables) + " lists, " +
                                 std::to_string(rows) + " rows");
      state.counters["first_s"] = first.elapsed_s;
      state.counters["first_rss_mb"] = first.peak_rss_mb;
      s.Row("7a",
            "discovery + first full syncs of " + std::to_string(shape.lists) +
                " lists: peak RSS < 64 MiB",
            Fmt(first.peak_rss_mb, 1) + " MiB (" + Fmt(first.elapsed_s, 1) + " s)",
            first.peak_rss_mb < 64);

      // Nothing changed.
      emu.ResetStats();
      CliRun idle = RunCli(cfg, dir + "/idle.log");
      if (idle.code != 0) throw std::runtime_error("idle run failed: see " + dir + "/idle.log");
      const double idle_requests = static_cast<double>(emu.GetStats().total);
      const double per_web = idle_requests / shape.webs;
      state.counters["idle_requests"] = idle_requests;
      state.counters["idle_s"] = idle.elapsed_s;
      s.Row(
          "7b", "idle run: <= 2 requests per web, < 2 s",
          Fmt(per_web) + " per web (" + Fmt(idle_requests, 0) + "), " + Fmt(idle.elapsed_s) + " s",
          per_web <= 2 && idle.elapsed_s < 2);

      // Ten lists changed (an item added to each).
      for (int l = 0; l < 10; ++l) {
        char title[16];
        std::snprintf(title, sizeof(title), "List%04d", 1 + l * (shape.lists / 10));
        emu.AddItem({web_of.at(title), title}, R"({"Title":"changed"})");
      }
      emu.ResetStats();
      CliRun ten = RunCli(cfg, dir + "/ten.log");
      if (ten.code != 0) throw std::runtime_error("run after changes failed: see " + dir);
      const double ten_requests = static_cast<double>(emu.GetStats().total);
      state.counters["ten_changed_requests"] = ten_requests;
      s.Row("7c", "10 lists changed: <= idle + 4 per changed list",
            Fmt(ten_requests, 0) + " vs " + Fmt(idle_requests + 40, 0) + " allowed",
            ten_requests <= idle_requests + 40);
      state.SetIterationTime(first.elapsed_s);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

}  // namespace

void RegisterEstateSuite() {
  benchmark::RegisterBenchmark("Estate/DiscoverSyncIdleChanged", BM_Estate)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kSecond);
}

}  // namespace spsync::bench
