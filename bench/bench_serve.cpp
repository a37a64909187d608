// 11. `spsync serve` (issue 16), the real CLI as a child process against the
// emulator's webhooks (delivery every 1 s, as configured): (a) 100 changes
// spread over 10 lists, the time from each change in the emulator to its
// row in SQLite, median and 99th percentile; (b) an idle serve with 200
// pairs: CPU share of one core and resident memory over 10 s.
#include "../tests/serve/free_port.hpp"
#include "bench_common.hpp"
#include "suites.hpp"

#include <benchmark/benchmark.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace spsync::bench {
namespace {

using Clock = std::chrono::steady_clock;

using spsync_serve_test::FreePort;

// `spsync serve` in a child process; SIGTERM and reap on destruction.
class ServeChild {
 public:
  ServeChild(const std::string& cfg, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      if (out != nullptr) dup2(fileno(stdout), 2);
      execl(SPSYNC_CLI, SPSYNC_CLI, "serve", "--config", cfg.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~ServeChild() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// utime + stime of `pid`, seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), {});
  size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  std::vector<std::string> fields;
  while (rest >> field) fields.push_back(field);
  // After the command: state is field 3; utime and stime are fields 14, 15.
  if (fields.size() < 13) return -1;
  return (std::stod(fields[11]) + std::stod(fields[12])) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

// VmRSS of `pid`, MiB.
double RssMb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

int64_t Count(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

std::string Config(const std::string& dir, const emulator::Emulator& emu, int lists, uint16_t port,
                   bool webhooks, const std::string& poll) {
  std::ostringstream c;
  c << "{ \"site\": { \"url\": \"" << emu.SiteUrl() << "\" },\n"
    << "  \"sinks\": { \"db\": { \"plugin\": \"sqlite\", \"path\": \"" << dir
    << "/serve.db\" } },\n"
    << "  \"entities\": [";
  for (int i = 0; i < lists; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "List%03d", i);
    c << (i ? ",\n" : "\n") << "    { \"name\": \"l" << i << "\", \"list\": \"" << name
      << "\", \"sinks\": [\"db\"] }";
  }
  c << " ],\n  \"run\": { \"workDir\": \"" << dir << "/work\", \"parallel\": 4 },\n"
    << "  \"serve\": { \"listen\": \"127.0.0.1:" << port << "\", \"pollEvery\": \"" << poll << "\"";
  if (webhooks) c << ", \"publicUrl\": \"http://127.0.0.1:" << port << "/webhook\"";
  c << " } }\n";
  std::string path = dir + "/serve.json";
  std::ofstream(path) << c.str();
  return path;
}

std::unique_ptr<emulator::Emulator> Emulator(int lists, int64_t items) {
  emulator::Options o;
  for (int i = 0; i < lists; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "List%03d", i);
    o.lists.push_back({name, items});
  }
  o.webhooks.delivery_interval = std::chrono::seconds(1);
  auto emu = std::make_unique<emulator::Emulator>(o);
  emu->Start();
  return emu;
}

// Waits until every list's table holds `items` rows.
bool WaitSynced(sqlite3* db, int lists, int64_t items, std::chrono::seconds limit) {
  auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    bool all = true;
    for (int i = 0; i < lists && all; ++i)
      all = Count(db, "SELECT count(*) FROM l" + std::to_string(i)) == items;
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void BM_ServeChangeToRow(benchmark::State& state) {
  const int lists = 10, changes = SmokeMode() ? 5 : 100;
  const std::string dir = MakeTempDir("serve-latency");
  try {
    auto emu = Emulator(lists, 200);
    const uint16_t port = FreePort();
    ServeChild serve(Config(dir, *emu, lists, port, true, "1h"), dir + "/serve.log");
    sqlite3* db = nullptr;
    for (auto _ : state) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      sqlite3_open_v2((dir + "/serve.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
      sqlite3_busy_timeout(db, 1000);
      if (!WaitSynced(db, lists, 200, std::chrono::seconds(60)))
        throw std::runtime_error("the first syncs did not finish: see " + dir + "/serve.log");
      // Changes at random moments, about 3 a second, each waited for apart.
      std::mt19937 rng(7);
      struct Pending {
        int list;
        std::string title;
        Clock::time_point at;
      };
      std::vector<Pending> pending;
      std::vector<double> seconds;
      int made = 0;
      auto next = Clock::now();
      const auto give_up = Clock::now() + std::chrono::seconds(180);
      while ((made < changes || !pending.empty()) && Clock::now() < give_up) {
        if (made < changes && Clock::now() >= next) {
          int l = static_cast<int>(rng() % lists);
          char list[32];
          std::snprintf(list, sizeof(list), "List%03d", l);
          std::string title = "change-" + std::to_string(made);
          emu->AddItem(list, "{\"Title\":\"" + title + "\"}");
          pending.push_back({l, title, Clock::now()});
          ++made;
          next = Clock::now() + std::chrono::milliseconds(100 + rng() % 500);
        }
        for (auto it = pending.begin(); it != pending.end();) {
          if (Count(db, "SELECT count(*) FROM l" + std::to_string(it->list) + " WHERE Title = '" +
                            it->title + "'") == 1) {
            seconds.push_back(std::chrono::duration<double>(Clock::now() - it->at).count());
            it = pending.erase(it);
          } else {
            ++it;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      sqlite3_close(db);
      db = nullptr;
      if (!pending.empty())
        throw std::runtime_error(std::to_string(pending.size()) + " changes never arrived");
      std::sort(seconds.begin(), seconds.end());
      const double median = seconds[seconds.size() / 2];
      const double p99 = seconds[std::min(seconds.size() - 1, seconds.size() * 99 / 100)];
      state.counters["median_s"] = median;
      state.counters["p99_s"] = p99;
      state.counters["max_s"] = seconds.back();
      auto& s = Summary::Get();
      s.Row("11a", "serve: change -> row, median < 2.5 s (1 s delivery)",
            Fmt(median) + " s over " + std::to_string(seconds.size()) + " changes", median < 2.5);
      s.Row("11b", "serve: change -> row, p99 < 5 s",
            Fmt(p99) + " s (max " + Fmt(seconds.back()) + " s)", p99 < 5);
      state.SetIterationTime(median);
    }
    if (db != nullptr) sqlite3_close(db);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

void BM_ServeIdle(benchmark::State& state) {
  const int lists = SmokeMode() ? 10 : 200;
  const std::string dir = MakeTempDir("serve-idle");
  try {
    auto emu = Emulator(lists, 20);
    const uint16_t port = FreePort();
    ServeChild serve(Config(dir, *emu, lists, port, true, "15m"), dir + "/serve.log");
    for (auto _ : state) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      sqlite3* db = nullptr;
      sqlite3_open_v2((dir + "/serve.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
      sqlite3_busy_timeout(db, 1000);
      bool synced = WaitSynced(db, lists, 20, std::chrono::seconds(120));
      sqlite3_close(db);
      if (!synced) throw std::runtime_error("the first syncs did not finish: see " + dir);
      std::this_thread::sleep_for(std::chrono::seconds(2));  // settle
      const double cpu0 = CpuSeconds(serve.pid());
      const auto t0 = Clock::now();
      std::this_thread::sleep_for(std::chrono::seconds(SmokeMode() ? 1 : 10));
      const double cpu = CpuSeconds(serve.pid()) - cpu0;
      const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
      const double share = 100.0 * cpu / wall, rss = RssMb(serve.pid());
      state.counters["cpu_pct"] = share;
      state.counters["rss_mb"] = rss;
      Summary::Get().Row(
          "11c", "idle serve, " + std::to_string(lists) + " pairs: < 1% core, < 64 MiB",
          Fmt(share) + "% of a core, " + Fmt(rss, 1) + " MiB", share < 1 && rss < 64);
      state.SetIterationTime(wall);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

}  // namespace

void RegisterServeSuite() {
  benchmark::RegisterBenchmark("Serve/ChangeToRow", BM_ServeChangeToRow)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kSecond);
  benchmark::RegisterBenchmark("Serve/Idle", BM_ServeIdle)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kSecond);
}

}  // namespace spsync::bench
