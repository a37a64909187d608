// Shards as an operator runs them (issue 15): four real `spsync run` processes
// over one config with many entities, at the same time, against one emulated
// SharePoint. Every (entity, sink) pair is synced by exactly one of them, the
// union is every pair, the shards together read SharePoint exactly as much
// as one unsharded run, `status` with the same option shows the same pairs,
// the Kubernetes Indexed Job form (--shards n + JOB_COMPLETION_INDEX) picks
// the same shards, and going to 5 shards later moves entities without a full
// resync (their state is in their sinks).
#include "cli_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using spsync_cli_test::Count;
using spsync_cli_test::Result;
using spsync_cli_test::Spsync;

namespace {

constexpr int kEntities = 40;

std::string Name(const char* prefix, int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%s%02d", prefix, i);
  return buf;
}
int64_t ListSize(int i) {
  return 5 + 7 * i;
}
bool HasCsv(int i) {
  return i % 3 == 0;
}

using Pair = std::pair<std::string, std::string>;  // (entity, sink)

// The pairs a `run` printed, with their outcome ("complete", ...).
std::map<Pair, std::string> RunPairs(const std::string& out) {
  // "<entity> -> <sink> <outcome> mode=...": the session lines of FormatReport.
  std::map<Pair, std::string> pairs;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    std::istringstream words(l);
    std::string entity, arrow, sink, outcome, mode;
    if (!(words >> entity >> arrow >> sink >> outcome >> mode) || arrow != "->" ||
        mode.rfind("mode=", 0) != 0)
      continue;
    Pair p{entity, sink};
    EXPECT_EQ(pairs.count(p), 0u) << "pair printed twice by one run: " << l;
    pairs[p] = outcome;
  }
  return pairs;
}

// N from the "shard <shard>: N of <of> entities" line of a run, or -1.
int EntitiesInShard(const std::string& out, const std::string& shard, int of) {
  const std::string head = "shard " + shard + ": ";
  const std::string tail = " of " + std::to_string(of) + " entities";
  for (size_t at = out.find(head); at != std::string::npos; at = out.find(head, at + 1)) {
    size_t digits = at + head.size(), end = digits;
    while (end < out.size() && std::isdigit(static_cast<unsigned char>(out[end]))) ++end;
    if (end > digits && out.substr(end, tail.size()) == tail)
      return std::stoi(out.substr(digits, end - digits));
  }
  return -1;
}

// N from a run's "N pair(s) idle" line (pairs skipped without a request
// because their lists did not change), or 0.
size_t IdlePairs(const std::string& out) {
  const std::string tail = " pair(s) idle";
  size_t at = out.find(tail);
  if (at == std::string::npos) return 0;
  size_t begin = at;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(out[begin - 1]))) --begin;
  return begin == at ? 0 : std::stoul(out.substr(begin, at - begin));
}

// Every pair of the config.
std::set<Pair> AllPairs() {
  std::set<Pair> all;
  for (int i = 0; i < kEntities; ++i) {
    all.insert({Name("e-", i), "db"});
    if (HasCsv(i)) all.insert({Name("e-", i), "csv"});
  }
  return all;
}

class ShardCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-shard-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    emu_ = StartEmulator();
    cfg_ = WriteConfig(dir_ / "sharded", *emu_);
  }
  void TearDown() override {
    emu_.reset();
    fs::remove_all(dir_);
  }
  static std::unique_ptr<spsync::emulator::Emulator> StartEmulator() {
    spsync::emulator::Options o;
    for (int i = 0; i < kEntities; ++i) o.lists.push_back({Name("L", i), ListSize(i)});
    auto emu = std::make_unique<spsync::emulator::Emulator>(o);
    emu->Start();
    return emu;
  }
  // One config for every shard: 40 entities into one SQLite file, every
  // third also into CSV. The shards write the same database at once, so
  // the busy timeout is long.
  static std::string WriteConfig(const fs::path& dir, const spsync::emulator::Emulator& emu,
                                 const std::string& run = "{}") {
    fs::create_directories(dir);
    std::string entities;
    for (int i = 0; i < kEntities; ++i)
      entities += std::string(i ? ",\n" : "") + R"(    { "name": ")" + Name("e-", i) +
                  R"(", "list": ")" + Name("L", i) + R"(", "sinks": )" +
                  (HasCsv(i) ? R"(["db", "csv"])" : R"(["db"])") + " }";
    // The database starts in WAL mode: concurrent first opens of a fresh file
    // can meet "PRAGMA journal_mode=WAL: database is locked" in the sink (its
    // switch to WAL is not covered by the busy timeout), which is not what
    // this test is about.
    sqlite3* h = nullptr;
    EXPECT_EQ(sqlite3_open((dir / "out.db").c_str(), &h), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(h, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(h);
    std::string cfg = (dir / "spsync.json").string();
    std::ofstream(cfg) << R"({ "site": { "url": ")" << emu.SiteUrl() << R"(" },
  "sinks": { "db": { "plugin": "sqlite", "path": "out.db", "busyTimeoutMs": 120000 },
             "csv": { "plugin": "csv", "dir": "csv" } },
  "entities": [
)" << entities << R"(
  ],
  "run": )" << run << " }";
    return cfg;
  }
  // Runs `spsync <args_of(i)>` for i in [0, n) as n processes at once.
  static std::vector<Result> RunAtOnce(int n, const std::function<std::string(int)>& args_of,
                                       const std::function<std::string(int)>& env_of) {
    std::vector<Result> results(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&, i] { results[i] = Spsync(args_of(i), env_of(i)); });
    for (auto& t : threads) t.join();
    return results;
  }
  // The rows of `status --json` (stdout and stderr are mixed: the array is
  // the line that starts with '[').
  static Poco::JSON::Array::Ptr StatusRows(const Result& r) {
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);)
      if (!l.empty() && l[0] == '[')
        return Poco::JSON::Parser().parse(l).extract<Poco::JSON::Array::Ptr>();
    ADD_FAILURE() << "no JSON array in: " << r.out;
    return new Poco::JSON::Array;
  }
  static std::set<Pair> StatusPairs(const Result& r) {
    std::set<Pair> pairs;
    auto rows = StatusRows(r);
    for (size_t k = 0; k < rows->size(); ++k) {
      auto o = rows->getObject(static_cast<unsigned>(k));
      pairs.insert({o->getValue<std::string>("entity"), o->getValue<std::string>("sink")});
    }
    return pairs;
  }
  std::string db() const { return (dir_ / "sharded" / "out.db").string(); }
  // The shard of e-00 over 4 in config `cfg` (the key holds the site URL,
  // so it differs between emulators), as `status --shard` lists it.
  static int ShardOfE00(const std::string& cfg) {
    for (int i = 0; i < 4; ++i) {
      auto st = Spsync("status --json --config " + cfg + " --shard " + std::to_string(i) + "/4");
      if (StatusPairs(st).count({"e-00", "db"})) return i;
    }
    ADD_FAILURE() << "e-00 is in no shard";
    return 0;
  }

  fs::path dir_;
  std::string cfg_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
};

TEST_F(ShardCli, FourProcessesSyncEveryPairExactlyOnceAndFiveMoveWithoutResync) {
  auto results = RunAtOnce(
      4, [&](int i) { return "run --config " + cfg_ + " --shard " + std::to_string(i) + "/4"; },
      [](int) { return ""; });
  std::map<Pair, int> times;
  int entities_reported = 0;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(results[i].code, 0) << results[i].out;
    int in_shard = EntitiesInShard(results[i].out, std::to_string(i) + "/4", kEntities);
    ASSERT_GE(in_shard, 0) << results[i].out;
    entities_reported += in_shard;
    auto pairs = RunPairs(results[i].out);
    EXPECT_FALSE(pairs.empty()) << "shard " << i << " ran nothing:\n" << results[i].out;
    std::set<Pair> ran;
    for (const auto& [p, outcome] : pairs) {
      EXPECT_EQ(outcome, "complete") << p.first << "/" << p.second;
      ++times[p];
      ran.insert(p);
    }
    // An entity's sinks stay together (one shared read of SharePoint).
    for (const auto& [entity, sink] : ran) {
      int idx = std::stoi(entity.substr(2));
      EXPECT_EQ(ran.count({entity, "db"}), 1u) << entity;
      EXPECT_EQ(ran.count({entity, "csv"}), HasCsv(idx) ? 1u : 0u) << entity;
    }
    // `status` with the same option shows exactly the pairs this shard ran.
    auto st = Spsync("status --json --config " + cfg_ + " --shard " + std::to_string(i) + "/4");
    ASSERT_EQ(st.code, 0) << st.out;
    EXPECT_EQ(StatusPairs(st), ran) << "shard " << i;
  }
  EXPECT_EQ(entities_reported, kEntities);
  std::set<Pair> union_of_shards;
  for (const auto& [p, n] : times) {
    EXPECT_EQ(n, 1) << p.first << "/" << p.second << " synced " << n << " times";
    union_of_shards.insert(p);
  }
  EXPECT_EQ(union_of_shards, AllPairs());

  // The data: every list whole in SQLite, each pair in incremental mode
  // with each item counted once.
  auto all = Spsync("status --json --config " + cfg_);
  ASSERT_EQ(all.code, 0) << all.out;
  auto rows = StatusRows(all);
  ASSERT_EQ(rows->size(), AllPairs().size());
  for (size_t k = 0; k < rows->size(); ++k) {
    auto o = rows->getObject(static_cast<unsigned>(k));
    std::string entity = o->getValue<std::string>("entity");
    int idx = std::stoi(entity.substr(2));
    EXPECT_EQ(o->getValue<std::string>("mode"), "incremental") << entity;
    EXPECT_EQ(o->getValue<int64_t>("itemsUpserted"), ListSize(idx))
        << entity << "/" << o->getValue<std::string>("sink");
  }
  for (int i = 0; i < kEntities; ++i)
    EXPECT_EQ(Count(db(), "SELECT count(*) FROM \"" + Name("e-", i) + "\""), ListSize(i))
        << Name("e-", i);

  // The shards together read SharePoint exactly as one unsharded run of the
  // same config does (against a twin emulator): nothing read twice, except
  // what every run reads before its sessions (the site's list catalog, one
  // request per web), measured as the requests of a run with nothing to do.
  auto twin = StartEmulator();
  std::string solo_cfg = WriteConfig(dir_ / "solo", *twin);
  auto idle = Spsync("run --config " + solo_cfg + " --entity e-00 --shard " +
                     std::to_string((ShardOfE00(solo_cfg) + 1) % 4) + "/4");
  ASSERT_EQ(idle.code, 0) << idle.out;
  const uint64_t per_run = twin->GetStats().total;
  EXPECT_LE(per_run, 1u) << "one request per web at most";
  twin->ResetStats();
  auto solo = Spsync("run --config " + solo_cfg);
  ASSERT_EQ(solo.code, 0) << solo.out;
  auto sharded = emu_->GetStats(), unsharded = twin->GetStats();
  EXPECT_EQ(sharded.items, unsharded.items);
  EXPECT_EQ(sharded.list_metadata, unsharded.list_metadata);
  EXPECT_EQ(sharded.fields, unsharded.fields);
  EXPECT_EQ(sharded.get_changes, unsharded.get_changes);
  EXPECT_EQ(sharded.total, unsharded.total + 3 * per_run);
  EXPECT_GE(sharded.items, static_cast<uint64_t>(kEntities)) << "one page a list at least";

  // Scale to 5 shards: each entity runs in exactly one of the 5 processes,
  // incrementally (its state is in its sinks, wherever it ran before); the
  // new items arrive once.
  for (int i = 0; i < kEntities; i += 5) emu_->AddItem(Name("L", i), R"({"Title":"after"})");
  emu_->ResetStats();
  auto five = RunAtOnce(
      5, [&](int i) { return "run --config " + cfg_ + " --shard " + std::to_string(i) + "/5"; },
      [](int) { return ""; });
  // A pair whose list did not change is skipped without a request (issue
  // 13's idle runs) and only counted; the changed ones are listed.
  std::map<Pair, int> times5;
  size_t idle5 = 0;
  int entities5 = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(five[i].code, 0) << five[i].out;
    for (const auto& [p, outcome] : RunPairs(five[i].out)) ++times5[p];
    idle5 += IdlePairs(five[i].out);
    entities5 += EntitiesInShard(five[i].out, std::to_string(i) + "/5", kEntities);
    EXPECT_EQ(five[i].out.find("mode=full"), std::string::npos) << five[i].out;
  }
  EXPECT_EQ(entities5, kEntities);
  EXPECT_EQ(times5.size() + idle5, AllPairs().size());
  for (const auto& [p, n] : times5) EXPECT_EQ(n, 1) << p.first << "/" << p.second;
  for (const auto& p : AllPairs()) {
    if (std::stoi(p.first.substr(2)) % 5 != 0) continue;
    EXPECT_EQ(times5.count(p), 1u) << p.first << "/" << p.second << " changed but did not run";
  }
  // Only the bulk fetches of the changed items (one per changed list at
  // most), no list read again page by page.
  EXPECT_LE(emu_->GetStats().items, static_cast<uint64_t>(kEntities / 5));
  for (int i = 0; i < kEntities; ++i)
    EXPECT_EQ(Count(db(), "SELECT count(*) FROM \"" + Name("e-", i) + "\""),
              ListSize(i) + (i % 5 == 0 ? 1 : 0))
        << Name("e-", i);
}

TEST_F(ShardCli, IndexedJobFormTakesTheIndexFromTheEnvironment) {
  auto results = RunAtOnce(
      4, [&](int) { return "run --config " + cfg_ + " --shards 4"; },
      [](int i) { return "JOB_COMPLETION_INDEX=" + std::to_string(i); });
  std::map<Pair, int> times;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(results[i].code, 0) << results[i].out;
    EXPECT_NE(results[i].out.find("shard " + std::to_string(i) + "/4: "), std::string::npos)
        << results[i].out;
    std::set<Pair> ran;
    for (const auto& [p, outcome] : RunPairs(results[i].out)) {
      ++times[p];
      ran.insert(p);
    }
    // The same shard as --shard i/4, and status's --shards form agrees.
    auto by_flag =
        Spsync("status --json --config " + cfg_ + " --shard " + std::to_string(i) + "/4");
    auto by_env = Spsync("status --json --config " + cfg_ + " --shards 4",
                         "JOB_COMPLETION_INDEX=" + std::to_string(i));
    ASSERT_EQ(by_flag.code, 0) << by_flag.out;
    ASSERT_EQ(by_env.code, 0) << by_env.out;
    EXPECT_EQ(StatusPairs(by_flag), ran) << "shard " << i;
    EXPECT_EQ(StatusPairs(by_env), ran) << "shard " << i;
  }
  std::set<Pair> union_of_shards;
  for (const auto& [p, n] : times) {
    EXPECT_EQ(n, 1) << p.first << "/" << p.second;
    union_of_shards.insert(p);
  }
  EXPECT_EQ(union_of_shards, AllPairs());
}

TEST_F(ShardCli, BadShardOptionsAreUsageErrorsBeforeAnyRequest) {
  struct Case {
    std::string args, env, says;
  };
  const std::string run = "run --config " + cfg_;
  for (const Case& c : std::vector<Case>{
           {run + " --shards 4", "env -u JOB_COMPLETION_INDEX",
            "takes this process's shard from JOB_COMPLETION_INDEX"},
           {run + " --shards 4", "JOB_COMPLETION_INDEX=two", "JOB_COMPLETION_INDEX='two'"},
           {run + " --shards 4", "JOB_COMPLETION_INDEX=", "is not a shard index"},
           {run + " --shards 4", "JOB_COMPLETION_INDEX=4", "out of range for --shards 4 (0 to 3)"},
           {run + " --shard 1/4 --shards 4", "JOB_COMPLETION_INDEX=1",
            "--shard and --shards exclude each other"},
           {run + " --shard 4/4", "", "must be below 4"},
           {run + " --shard 1", "", "--shard must be i/n"},
           {run + " --shards 0", "JOB_COMPLETION_INDEX=0", "between 1 and 10000"},
           {run + " --shard 0/2 --shard 1/2", "", "--shard may be given once"},
           {"status --config " + cfg_ + " --shard 5/4", "", "must be below 4"},
           {"status --config " + cfg_ + " --shards 4", "JOB_COMPLETION_INDEX=9", "out of range"},
       }) {
    auto r = Spsync(c.args, c.env);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.says), std::string::npos) << c.args << "\n" << r.out;
  }
  EXPECT_EQ(emu_->GetStats().total, 0u) << "a bad shard option must stop before SharePoint";
}

// Each shard spends 1/n of run.ruPerMinute: a shard of 2 with a tenant
// budget of 2,400 RU a minute may spend 20 RU a second (10 requests at 2 RU)
// after a burst of 3 seconds' worth, so its ~70 requests take at least about
// 4 s. With the whole budget the bound would be under a second.
TEST_F(ShardCli, EachShardSpendsItsShareOfTheTenantBudget) {
  std::string cfg = WriteConfig(dir_ / "budget", *emu_, R"({ "ruPerMinute": 2400 })");
  // The larger half (at least 20 of the 40 entities; which half depends on
  // the emulator's port, part of the site URL the key holds).
  std::string shard = "0/2";
  if (StatusPairs(Spsync("status --json --config " + cfg + " --shard 1/2")).size() >
      StatusPairs(Spsync("status --json --config " + cfg + " --shard 0/2")).size())
    shard = "1/2";
  auto start = std::chrono::steady_clock::now();
  auto r = Spsync("run --config " + cfg + " --shard " + shard);
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("request budget share 0.5 of the tenant's"), std::string::npos) << r.out;
  const double ru = 2.0 * static_cast<double>(emu_->GetStats().total);
  const double share_rate = 2400.0 / 2 / 60, share_burst = 3 * share_rate;
  const double whole_rate = 2400.0 / 60, whole_burst = 3 * whole_rate;
  double at_least = (ru - share_burst) / share_rate;
  ASSERT_GT(at_least, 2.0) << ru << " RU: too few requests to tell the rates apart";
  EXPECT_GE(elapsed, 0.95 * at_least) << ru << " RU at " << share_rate << " RU/s";
  // The bound the whole budget would give is clearly lower.
  EXPECT_LT((ru - whole_burst) / whole_rate, 0.6 * at_least);
}

TEST_F(ShardCli, AnEntityNamedFromAnotherShardIsNotRunAndTheRunSaysWhy) {
  // e-00's shard over 4 (the golden value of the hash is in shard_test.cpp;
  // here the status listing tells which shard has it).
  int owner = ShardOfE00(cfg_);
  int other = (owner + 1) % 4;
  auto r =
      Spsync("run --config " + cfg_ + " --entity e-00 --shard " + std::to_string(other) + "/4");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("entity \"e-00\" belongs to shard " + std::to_string(owner) +
                       "/4, not to this shard " + std::to_string(other) + "/4"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("shard " + std::to_string(other) + "/4: 0 of 1 entities"), std::string::npos)
      << r.out;
  EXPECT_TRUE(RunPairs(r.out).empty()) << r.out;
  // Nothing of the list is read (the run still reads the site's list catalog).
  auto stats = emu_->GetStats();
  EXPECT_EQ(stats.items + stats.fields + stats.get_changes + stats.get_items, 0u);
  auto mine =
      Spsync("run --config " + cfg_ + " --entity e-00 --shard " + std::to_string(owner) + "/4");
  ASSERT_EQ(mine.code, 0) << mine.out;
  EXPECT_EQ(RunPairs(mine.out).size(), 2u) << mine.out;  // e-00 has db and csv
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM \"e-00\""), ListSize(0));
}

}  // namespace
