// Suite 10 (issue 15): scale-out as an operator runs it. Four real
// `spsync run --shard i/4` processes (the built CLI) over one config of 200
// lists, at once, against the in-process emulator with SharePoint's latency
// (300 ms + 0.2 ms/item) and a tenant budget of 1,250 RU a minute; the
// config's run.ruPerMinute is the tenant budget, so each shard keeps 1/4.
// Measured: every (entity, sink) pair synced by exactly one process, the
// union is every pair (from the runs' reports and from each shard's own
// SQLite file), the tenant's request rate (the emulator's RU counter sampled
// every 250 ms: the average and the busiest 60 s), 429s; and, from the
// assignment itself (engine/cli/shard.hpp), how many pairs move from 4 to 5.
// Sizes: SPSYNC_BENCH_SHARD_LISTS (default 200; smoke 20) lists of
// SPSYNC_BENCH_SHARD_ITEMS (default 1,000; smoke 100) items.
#include "bench_common.hpp"
#include "shard.hpp"
#include "suites.hpp"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef SPSYNC_CLI
#error "SPSYNC_CLI (the spsync binary) must be defined by the build"
#endif

extern char** environ;

namespace spsync::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kShards = 4;
constexpr double kTenantRuPerMinute = 1250;
// The engine's bucket starts with burst_seconds (BudgetOptions, 3 s) of its
// share: together the shards may spend that much above the rate at the start.
constexpr double kEngineBurstSeconds = 3;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  if (*end != '\0' || n <= 0) throw std::invalid_argument(std::string(name) + ": not a number");
  return n;
}

std::string CliPath() {
  const char* v = std::getenv("SPSYNC_BENCH_CLI");
  return v != nullptr && *v != '\0' ? v : SPSYNC_CLI;
}

std::string ListName(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "L%03d", i);
  return buf;
}
std::string EntityName(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "e-%03d", i);
  return buf;
}

// One config for every shard; each process writes its own SQLite file,
// named by the environment (${SPSYNC_BENCH_SHARD_DB}), so what a shard
// synced can be read back from its file alone.
std::string WriteConfig(const std::string& dir, const std::string& site_url, int lists,
                        double ru_per_minute) {
  std::ostringstream c;
  c << "{ \"site\": { \"url\": \"" << site_url << "\" },\n"
    << "  \"pluginDirs\": [\"" << PluginDir() << "\"],\n"
    << "  \"sinks\": { \"db\": { \"plugin\": \"sqlite\", \"path\": \"${SPSYNC_BENCH_SHARD_DB}\" } "
       "},\n"
    << "  \"entities\": [\n";
  for (int i = 0; i < lists; ++i)
    c << (i ? ",\n" : "") << "    { \"name\": \"" << EntityName(i) << "\", \"list\": \""
      << ListName(i) << "\", \"sinks\": [\"db\"] }";
  c << "\n  ],\n  \"run\": { \"parallel\": 8, \"ruPerMinute\": "
    << static_cast<int64_t>(ru_per_minute) << " } }\n";
  const std::string path = dir + "/spsync.json";
  std::ofstream(path) << c.str();
  return path;
}

// `argv` as a child process with `extra_env` added, stdout and stderr into
// `log`. Everything the child needs is built before fork (this process has
// threads: only async-signal-safe calls between fork and exec).
pid_t Spawn(const std::vector<std::string>& argv, const std::string& extra_env,
            const std::string& log) {
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.push_back(extra_env);
  std::vector<char*> envp, args;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_storage = argv;
  for (auto& a : argv_storage) args.push_back(a.data());
  args.push_back(nullptr);
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(log + ": " + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The pairs a run's report lists ("<entity> -> <sink> <outcome> mode=..."),
// with their outcomes.
std::multimap<std::string, std::string> ReportedPairs(const std::string& out) {
  std::multimap<std::string, std::string> pairs;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    std::istringstream words(l);
    std::string entity, arrow, sink, outcome, mode;
    if (!(words >> entity >> arrow >> sink >> outcome >> mode) || arrow != "->" ||
        mode.rfind("mode=", 0) != 0)
      continue;
    pairs.emplace(entity + "/" + sink, outcome);
  }
  return pairs;
}

// The item tables of a shard's SQLite file, with their row counts.
std::map<std::string, int64_t> TablesIn(const std::string& path) {
  std::map<std::string, int64_t> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  std::vector<std::string> names;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                     "'\\_spsync%' ESCAPE '\\'",
                     -1, &st, nullptr);
  while (st != nullptr && sqlite3_step(st) == SQLITE_ROW)
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  for (const auto& n : names) {
    st = nullptr;
    sqlite3_prepare_v2(db, ("SELECT count(*) FROM \"" + n + "\"").c_str(), -1, &st, nullptr);
    if (st != nullptr && sqlite3_step(st) == SQLITE_ROW) out[n] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

struct Sample {
  double t;   // seconds since the shards started
  double ru;  // the emulator's RU spent so far
};

// The most RU spent in any `window` seconds (the whole run if shorter).
double BusiestWindow(const std::vector<Sample>& samples, double window) {
  double best = 0;
  size_t lo = 0;
  for (size_t hi = 0; hi < samples.size(); ++hi) {
    while (samples[hi].t - samples[lo].t > window) ++lo;
    best = std::max(best, samples[hi].ru - samples[lo].ru);
  }
  return best;
}

void BM_ShardsCli(benchmark::State& state) {
  const int lists = static_cast<int>(state.range(0));
  const int64_t items = EnvInt("SPSYNC_BENCH_SHARD_ITEMS", SmokeMode() ? 100 : 1000);
  const double rate = kTenantRuPerMinute * (SmokeMode() ? 10 : 1);
  const std::string dir = MakeTempDir("shards");
  try {
    emulator::Options o;
    for (int i = 0; i < lists; ++i) o.lists.push_back({ListName(i), items});
    o.seed = 7;
    o.threads = 256;  // 4 processes x 8 sessions, each with keep-alive connections
    o.latency = SmokeMode() ? emulator::LatencySpec{30, 0.02} : emulator::LatencySpec{300, 0.2};
    o.budget.ru_per_minute = rate;
    emulator::Emulator emu(o);
    emu.Start();
    const std::string cfg = WriteConfig(dir, emu.SiteUrl(), lists, rate);

    for (auto _ : state) {
      emu.ResetStats();
      std::vector<pid_t> pids;
      const auto t0 = Clock::now();
      for (int i = 0; i < kShards; ++i)
        pids.push_back(Spawn({CliPath(), "run", "--config", cfg, "--shard",
                              std::to_string(i) + "/" + std::to_string(kShards)},
                             "SPSYNC_BENCH_SHARD_DB=" + dir + "/shard-" + std::to_string(i) + ".db",
                             dir + "/shard-" + std::to_string(i) + ".log"));
      // Sample the tenant's spending until every shard has exited.
      std::vector<Sample> samples{{0, 0}};
      std::vector<int> status(kShards, -1);
      int running = kShards;
      while (running > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        samples.push_back(
            {std::chrono::duration<double>(Clock::now() - t0).count(), emu.GetStats().ru_spent});
        for (int i = 0; i < kShards; ++i) {
          if (status[i] != -1) continue;
          int st = 0;
          if (::waitpid(pids[i], &st, WNOHANG) == pids[i]) {
            status[i] = st;
            --running;
          }
        }
      }
      const double seconds = samples.back().t;
      const emulator::Stats server = emu.GetStats();

      // Who synced what: the reports, the files, and the hash.
      std::map<std::string, int> times;  // "e-000/db" -> processes that synced it
      std::set<std::string> files_union;
      int incomplete = 0, misplaced = 0, duplicated_in_files = 0, short_tables = 0;
      std::string failures;
      for (int i = 0; i < kShards; ++i) {
        const std::string out = ReadFile(dir + "/shard-" + std::to_string(i) + ".log");
        if (!WIFEXITED(status[i]) || WEXITSTATUS(status[i]) != 0)
          failures += "shard " + std::to_string(i) + " exited with status " +
                      std::to_string(status[i]) + ": " + out.substr(0, 400) + "\n";
        for (const auto& [pair, outcome] : ReportedPairs(out)) {
          ++times[pair];
          if (outcome != "complete") ++incomplete;
          const std::string entity = pair.substr(0, pair.find('/'));
          if (cli::ShardOf(cli::EncodeShardKey({emu.SiteUrl(), entity}), kShards) != i) ++misplaced;
        }
        for (const auto& [table, rows] : TablesIn(dir + "/shard-" + std::to_string(i) + ".db")) {
          if (!files_union.insert(table).second) ++duplicated_in_files;
          if (rows != items) ++short_tables;
        }
      }
      if (!failures.empty()) throw std::runtime_error(failures);
      int once = 0, more = 0;
      for (const auto& [pair, n] : times) (n == 1 ? once : more)++;
      const bool exactly_once = once == lists && more == 0 && incomplete == 0 && misplaced == 0 &&
                                files_union.size() == static_cast<size_t>(lists) &&
                                duplicated_in_files == 0 && short_tables == 0;

      const double per_minute = server.ru_spent / seconds * 60;
      const double busiest = BusiestWindow(samples, 60);
      const double window_limit = rate * (std::min(seconds, 60.0) + kEngineBurstSeconds) / 60;
      // SharePoint counts per minute: the busiest 60 s (the whole run when
      // shorter) is what must fit, and over a run longer than a minute the
      // average too.
      const bool within = busiest <= window_limit && server.ru_throttled == 0 &&
                          (seconds < 60 || per_minute <= rate);

      // 4 -> 5 shards, from the assignment the processes used.
      int moved = 0, moved_elsewhere = 0;
      for (int i = 0; i < lists; ++i) {
        const std::string key = cli::EncodeShardKey({emu.SiteUrl(), EntityName(i)});
        const int from = cli::ShardOf(key, kShards), to = cli::ShardOf(key, kShards + 1);
        if (from != to) ++moved;
        if (from != to && to != kShards) ++moved_elsewhere;
      }
      const double moved_fraction = static_cast<double>(moved) / lists;

      state.SetIterationTime(seconds);
      state.counters["pairs"] = static_cast<double>(times.size());
      state.counters["pairs_once"] = once;
      state.counters["srv_total"] = static_cast<double>(server.total);
      state.counters["ru_spent"] = server.ru_spent;
      state.counters["ru_per_minute"] = per_minute;
      state.counters["busiest_60s_ru"] = busiest;
      state.counters["ru_throttled"] = static_cast<double>(server.ru_throttled);
      state.counters["moved_4_to_5"] = moved;

      const std::string l = std::to_string(lists) + " lists";
      auto& s = Summary::Get();
      s.Row("9s.a",
            "4 shards (CLI processes), " + l + ": every pair synced exactly once, union all",
            std::to_string(once) + "/" + std::to_string(lists) + " once, " + std::to_string(more) +
                " more, " + std::to_string(files_union.size()) + " tables in the 4 files" +
                (misplaced ? ", misplaced " : "") +
                (misplaced ? std::to_string(misplaced) : std::string()),
            exactly_once);
      s.Row("9s.b",
            "4 shards: tenant rate <= " + Fmt(rate, 0) +
                " RU/min (busiest 60 s <= " + Fmt(window_limit, 0) + "), no 429",
            Fmt(per_minute, 0) + " RU/min over " + Fmt(seconds, 1) + " s, busiest 60 s " +
                Fmt(busiest, 0) + " RU, " + std::to_string(server.ru_throttled) + " 429s of " +
                std::to_string(server.total),
            within);
      s.Row("9s.c", "shards 4 -> 5: pairs that move <= about 1/5 (<= 25%), only to the new one",
            std::to_string(moved) + " of " + std::to_string(lists) + " (" +
                Fmt(moved_fraction * 100, 1) + "%), " + std::to_string(moved_elsewhere) +
                " between old shards",
            moved_fraction <= 0.25 && moved_elsewhere == 0);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

}  // namespace

void RegisterShardsSuite() {
  auto* b = benchmark::RegisterBenchmark("Shards/CLI", &BM_ShardsCli);
  b->ArgNames({"lists"});
  b->Arg(EnvInt("SPSYNC_BENCH_SHARD_LISTS", SmokeMode() ? 20 : 200));
  b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace spsync::bench
