// Crash and resume, process level: the real `spsync run` against the
// in-process SharePoint emulator, SIGKILLed at seeded random instants (during
// full-sync pages, the deletion tail, the change replay, incremental pages and
// persist), restarted until a run completes, with the list changing between
// some restarts. At the end each sink must equal the emulator's truth: every
// live item with its latest values, no deleted item; and transactional sinks
// must hold no duplicate records.
//
// SPSYNC_RELIABILITY_KILLS=500 (kills per sink, default 15) for a longer run;
// SPSYNC_RELIABILITY_SEED to replay another seed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <random>

#include "sink_views.hpp"

namespace {

using namespace spsync_rel;

int KillsPerSink() {
  const char* e = std::getenv("SPSYNC_RELIABILITY_KILLS");
  return e ? std::max(1, std::atoi(e)) : 15;
}

uint64_t BaseSeed() {
  const char* e = std::getenv("SPSYNC_RELIABILITY_SEED");
  return e ? std::strtoull(e, nullptr, 10) : 20261122;
}

struct Figures {
  int kills = 0, runs = 0, cycles = 0, full_cycles = 0;
  int64_t mutations = 0;
  std::map<std::string, int> phases;  // where the kills landed, from the run's own log
};

class CrashResume : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("spsync-rel-" + std::to_string(getpid()) + "-" + name_);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  void StartEmulator(uint64_t seed) {
    spsync::emulator::Options o;
    o.lists = {{"Orders", kItems}};
    o.seed = seed;
    o.token = "reliability-token";
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
  }

  std::string WriteConfig(const std::string& sink_json) {
    std::string cfg = (dir_ / "spsync.json").string();
    std::ofstream(cfg) << R"({
  "site": { "url": ")" << emu_->SiteUrl()
                       << R"(", "auth": { "type": "bearer", "tokenEnv": "REL_TOKEN" } },
  "sinks": { "s": )" << sink_json
                       << R"( },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["s"], "pageSize": 200, "fetchLimit": 100 } ],
  "run": { "workDir": ")"
                       << (dir_ / "work").string() << R"(", "readTimeout": 20 }
})";
    return cfg;
  }

  std::vector<int64_t> LiveIds() {
    std::vector<int64_t> ids;
    emu_->ForEachLiveItem("Orders", [&](int64_t id, std::string_view) { ids.push_back(id); });
    return ids;
  }

  // `n` random changes through the emulator: adds, updates, deletes, recycles
  // and restores of recycled items.
  void Mutate(std::mt19937_64& rng, int n, Figures& f) {
    auto ids = LiveIds();
    for (int i = 0; i < n && !ids.empty(); ++i) {
      int64_t id = ids[rng() % ids.size()];
      std::string q = std::to_string(++serial_);
      switch (rng() % 10) {
        case 0:
        case 1:
          touched_.insert(
              emu_->AddItem("Orders", R"({"Title":"added )" + q + R"(","Quantity":)" + q + "}"));
          break;
        case 2:
        case 3:
        case 4:
        case 5:
          emu_->UpdateItem("Orders", id,
                           R"({"Title":"updated )" + q + R"(","Quantity":)" + q + "}");
          touched_.insert(id);
          break;
        case 6:
          emu_->DeleteItem("Orders", id);
          touched_.insert(id);
          ids.erase(std::find(ids.begin(), ids.end(), id));
          break;
        case 7:
        case 8:
          emu_->RecycleItem("Orders", id);
          recycled_.push_back(id);
          touched_.insert(id);
          ids.erase(std::find(ids.begin(), ids.end(), id));
          break;
        default:
          if (!recycled_.empty()) {
            emu_->RestoreItem("Orders", recycled_.back());
            recycled_.pop_back();
          }
      }
      ++f.mutations;
    }
  }

  // Deletes the highest IDs, so the next full crawl has a deletion tail.
  void DeleteTail(int n, Figures& f) {
    auto ids = LiveIds();
    for (int i = 0; i < n && !ids.empty(); ++i) {
      emu_->DeleteItem("Orders", ids.back());
      touched_.insert(ids.back());
      ids.pop_back();
      ++f.mutations;
    }
  }

  // Where a kill landed, from what the killed run logged (an incremental run
  // logs only when it ends).
  static std::string Phase(const std::string& log, bool incremental_cycle) {
    if (log.find("full sync done") != std::string::npos) return "change replay";
    if (log.find("full sync of") != std::string::npos) return "full pages";
    if (incremental_cycle) return "incremental";
    return "startup";
  }

  // The harness: kills until `target` kills landed, then a final run; returns
  // the figures. Fails the test on a crash or an unexpected exit code.
  Figures KillAndResume(const std::string& cfg, uint64_t seed) {
    Figures f;
    std::mt19937_64 rng(seed);
    const int target = KillsPerSink();
    double est_ms = 400;  // adapts to how long an uninterrupted run takes here
    std::string last_out;
    std::ofstream all((dir_ / "all-runs.log").string());
    while (f.kills < target) {
      ++f.cycles;
      bool full = false;
      if (f.cycles > 1) {
        full = rng() % 4 == 0;
        if (full) {
          ++f.full_cycles;
          if (epoch_mark_) epochs_.push_back(epoch_mark_());
          DeleteTail(12, f);
        }
        Mutate(rng, 60 + static_cast<int>(rng() % 240), f);
      }
      for (int attempt = 0;; ++attempt) {
        std::vector<std::string> argv = {SPSYNC_CLI, "run", "--config", cfg};
        if (full && attempt == 0) argv.push_back("--full");
        Child c(argv, {{"REL_TOKEN", "reliability-token"}}, (dir_ / "run.log").string());
        ++f.runs;
        Exit e;
        bool may_kill = f.kills < target;
        // Mostly past the start-up (plugin load, list metadata), up to a bit
        // beyond the typical run so some runs complete.
        double lo = rng() % 4 == 0 ? 0 : est_ms * 200;
        auto delay = std::chrono::microseconds(
            static_cast<int64_t>(std::uniform_real_distribution<double>(lo, est_ms * 1150)(rng)));
        if (!may_kill || c.WaitFor(delay))
          e = c.Finish();
        else
          e = c.Kill();
        all << "---- run " << f.runs << (e.killed ? " (killed)" : "") << "\n" << e.out;
        if (e.killed) {
          ++f.kills;
          auto phase = Phase(e.out, f.cycles > 1 && !full);
          ++f.phases[phase];
          // Still starting up: this sink's runs take longer than estimated.
          if (phase == "startup") est_ms *= 1.3;
          if (rng() % 3 == 0) Mutate(rng, 1 + static_cast<int>(rng() % 20), f);
          continue;
        }
        EXPECT_EQ(e.signal, 0) << "spsync crashed with signal " << e.signal << ":\n" << e.out;
        EXPECT_EQ(e.code, 0) << "run " << f.runs << " after " << f.kills << " kills:\n" << e.out;
        if (e.code != 0) return f;
        est_ms = 0.5 * est_ms + 0.5 * static_cast<double>(e.took.count());
        break;
      }
    }
    // One more run picks up the changes made after the last completion.
    auto e = RunToEnd({SPSYNC_CLI, "run", "--config", cfg}, {{"REL_TOKEN", "reliability-token"}},
                      (dir_ / "run.log").string());
    ++f.runs;
    EXPECT_EQ(e.code, 0) << e.out;
    auto st = RunToEnd({SPSYNC_CLI, "status", "--json", "--config", cfg},
                       {{"REL_TOKEN", "reliability-token"}}, (dir_ / "status.log").string());
    EXPECT_EQ(st.code, 0) << st.out;
    EXPECT_NE(st.out.find("\"mode\":\"incremental\""), std::string::npos) << st.out;
    return f;
  }

  void Report(const std::string& sink, const Figures& f, const SinkView& v,
              const std::map<int64_t, std::string>& truth, bool dup_asserted) {
    std::ostringstream os;
    os << "[reliability] sink=" << sink << " kills_survived=" << f.kills << " runs=" << f.runs
       << " cycles=" << f.cycles << " full_resync_cycles=" << f.full_cycles
       << " list_changes=" << f.mutations << " live_items=" << truth.size()
       << " sink_items=" << v.live.size() << " upsert_records=" << v.upsert_records
       << " delete_records=" << v.delete_records << " duplicates=" << v.duplicates
       << (dup_asserted ? " (must be 0)" : " (counted, not asserted)") << " kills_by_phase={";
    for (const auto& [p, n] : f.phases) os << p << ":" << n << " ";
    os << "}";
    std::cout << os.str() << std::endl;
    RecordProperty("figures", os.str());
  }

  void Check(const std::string& sink, const Figures& f, const SinkView& v, Form form,
             bool dup_asserted) {
    auto truth = Truth(*emu_, "Orders", form);
    EXPECT_EQ(v.problems, "");
    int64_t missing = 0, stale = 0, extra = 0;
    auto diff = Diff(truth, v, &missing, &stale, &extra);
    EXPECT_EQ(missing + stale + extra, 0) << sink << ": " << missing << " missing, " << stale
                                          << " stale, " << extra << " deleted items present\n"
                                          << diff;
    if (dup_asserted) {
      EXPECT_EQ(v.duplicates, 0) << sink << " holds duplicate records";
    }
    EXPECT_GE(f.kills, KillsPerSink());
    Report(sink, f, v, truth, dup_asserted);
  }

  static constexpr int64_t kItems = 3000;
  std::string name_;
  fs::path dir_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
  std::set<int64_t> touched_;
  std::vector<int64_t> recycled_;
  // The sink's committed position at the start of each forced full resync.
  std::function<int64_t()> epoch_mark_;
  std::vector<int64_t> epochs_;
  int64_t serial_ = 0;
};

TEST_F(CrashResume, Sqlite) {
  uint64_t seed = BaseSeed() + 1;
  StartEmulator(seed);
  std::string db = (dir_ / "out.db").string();
  auto cfg = WriteConfig(R"({ "plugin": "sqlite", "path": ")" + db + "\" }");
  auto f = KillAndResume(cfg, seed);
  if (HasFailure()) return;
  Check("sqlite", f, ReadSqlite(db, "orders"), Form::kRawJson, true);
}

TEST_F(CrashResume, Csv) {
  uint64_t seed = BaseSeed() + 2;
  StartEmulator(seed);
  auto cfg = WriteConfig(R"({ "plugin": "csv", "dir": ")" + (dir_ / "csv").string() +
                         R"(", "rotateBytes": 400000 })");
  std::string entity_dir = (dir_ / "csv" / "orders").string();
  epoch_mark_ = [&] {
    Poco::JSON::Parser p;
    return p.parse(ReadFile(entity_dir + "/state.json"))
        .extract<Object::Ptr>()
        ->getValue<int64_t>("seq");
  };
  auto f = KillAndResume(cfg, seed);
  if (HasFailure()) return;
  Check("csv", f, ReadCsv(entity_dir, touched_, epochs_), Form::kCsvColumns, true);
}

// s3rver behind an all-or-nothing front (see AtomicS3Front: s3rver alone
// keeps the truncated body of a PUT whose writer was killed, which S3 never
// does). s3rver also answers a PUT before the object is flushed, so a state
// read right after can be short: the sink treats that as RETRYABLE.
TEST_F(CrashResume, S3) {
  uint64_t seed = BaseSeed() + 3;
  StartEmulator(seed);
  S3Server s3(dir_.string());
  auto cfg = WriteConfig(
      R"({ "plugin": "s3", "endpoint": ")" + s3.endpoint + R"(", "bucket": ")" + s3.bucket +
      R"(", "prefix": "rel/", "accessKeyId": "S3RVER", "secretAccessKey": "S3RVER" })");
  epoch_mark_ = [&] {
    int64_t committed = -1;
    ReadS3(s3, "rel/", "orders", touched_, dir_.string(), nullptr, {}, &committed);
    return committed;
  };
  auto f = KillAndResume(cfg, seed);
  if (HasFailure()) return;
  int64_t beyond = -1;
  auto v = ReadS3(s3, "rel/", "orders", touched_, dir_.string(), &beyond, epochs_);
  EXPECT_EQ(beyond, 0) << "parts past committedSeq remain after a completed run";
  Check("s3", f, v, Form::kRawJson, true);
}

// Kafka without transactionalId (at-least-once: persist flushes the data,
// then writes and flushes the state record, so the state never runs ahead of
// the data). Duplicates are allowed in this mode: counted and reported. The
// compacted view (last record per key, tombstone = deleted) must equal the
// truth.
TEST_F(CrashResume, Kafka) {
  uint64_t seed = BaseSeed() + 4;
  StartEmulator(seed);
  MockCluster kafka;
  kafka.CreateTopic("spsync.orders", 8);
  auto cfg = WriteConfig(R"({ "plugin": "kafka", "brokers": ")" + kafka.bootstraps() +
                         R"(", "timeoutMs": "20000", "kafka.linger.ms": "5" })");
  auto f = KillAndResume(cfg, seed);
  if (HasFailure()) return;
  Check("kafka", f, ReadKafka(kafka.bootstraps(), "spsync.orders", touched_, dir_.string()),
        Form::kRawJson, false);
}

// DISABLED: with transactionalId the sink's exactly-once rests on Kafka hiding
// the records of a transaction that never committed. librdkafka's mock cluster
// does not: a state record produced inside a transaction whose producer was
// SIGKILLed before commit is visible to the sink's read_committed state read,
// so the next session resumes past data that never reached the broker (seen:
// 142 items missing after 15 kills). Enable against a real broker.
TEST_F(CrashResume, DISABLED_KafkaTransactional) {
  uint64_t seed = BaseSeed() + 5;
  StartEmulator(seed);
  MockCluster kafka;
  kafka.CreateTopic("spsync.orders", 8);
  auto cfg = WriteConfig(
      R"({ "plugin": "kafka", "brokers": ")" + kafka.bootstraps() +
      R"(", "transactionalId": "spsync-rel-orders", "timeoutMs": "20000", "kafka.linger.ms": "5" })");
  auto f = KillAndResume(cfg, seed);
  if (HasFailure()) return;
  Check("kafka", f, ReadKafka(kafka.bootstraps(), "spsync.orders", touched_, dir_.string()),
        Form::kRawJson, true);
}

}  // namespace
