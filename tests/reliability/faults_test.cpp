// Faults through the CLI: the emulator misbehaves (throttling storms, 503s,
// resets mid-body, truncated JSON, HTML error pages, responses slower than
// run.readTimeout, expired change tokens, a list recreated under the same
// title, a field added mid-sync) while the real `spsync run` syncs into the
// real SQLite and CSV plugins. For each: the exit code is the documented one,
// the state does not advance past what the sink holds, and the next run ends
// with sink == truth.
#include <gtest/gtest.h>

#include <iostream>

#include "sink_views.hpp"

namespace {

using namespace spsync_rel;
using spsync::emulator::FaultKind;
using spsync::emulator::RequestKind;

std::atomic<int64_t> g_faults{0};

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("spsync-faults-" + std::to_string(getpid()) + "-" + name_);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    spsync::emulator::Options o;
    o.lists = {{"Orders", 1500}};
    o.seed = 77;
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
    cfg_ = Config();
  }
  void TearDown() override {
    auto st = emu_->GetStats();
    std::cout << "[faults] " << name_ << ": faults_injected=" << st.faulted + st.throttled
              << " requests=" << st.total << std::endl;
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string Config(const std::string& run_extra = "") {
    std::string cfg = (dir_ / "spsync.json").string();
    std::ofstream(cfg) << R"({ "site": { "url": ")" << emu_->SiteUrl() << R"(" },
  "sinks": { "db": { "plugin": "sqlite", "path": ")"
                       << (dir_ / "out.db").string() << R"(" },
             "csv": { "plugin": "csv", "dir": ")"
                       << (dir_ / "csv").string() << R"(" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db", "csv"], "pageSize": 200, "fetchLimit": 100 } ],
  "run": { "workDir": ")"
                       << (dir_ / "work").string() << R"(", "readTimeout": 1, "connectTimeout": 2)"
                       << run_extra << R"( } })";
    return cfg;
  }
  Exit Spsync(std::vector<std::string> args) {
    args.insert(args.begin(), SPSYNC_CLI);
    auto e = RunToEnd(args, {}, (dir_ / "run.log").string(), std::chrono::seconds(240));
    EXPECT_EQ(e.signal, 0) << "spsync crashed:\n" << e.out;
    return e;
  }
  Exit Run(std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"run", "--config", cfg_};
    a.insert(a.end(), extra.begin(), extra.end());
    return Spsync(a);
  }
  // status --json, per sink name.
  std::map<std::string, Object::Ptr> Status() {
    auto e = Spsync({"status", "--json", "--config", cfg_});
    std::map<std::string, Object::Ptr> m;
    EXPECT_EQ(e.code, 0) << e.out;
    try {
      Poco::JSON::Parser p;
      auto a = p.parse(e.out.substr(0, e.out.find('\n'))).extract<Array::Ptr>();
      for (size_t i = 0; i < a->size(); ++i) {
        auto o = a->getObject(static_cast<unsigned>(i));
        m[o->getValue<std::string>("sink")] = o;
      }
    } catch (const std::exception& ex) {
      ADD_FAILURE() << "status --json is not JSON: " << e.out;
    }
    return m;
  }
  SinkView Db() { return ReadSqlite((dir_ / "out.db").string(), "orders"); }
  SinkView Csv() { return ReadCsv((dir_ / "csv" / "orders").string(), {}); }

  void ExpectSinksEqualTruth(const std::string& when) {
    auto raw = Truth(*emu_, "Orders", Form::kRawJson);
    auto cols = Truth(*emu_, "Orders", Form::kCsvColumns);
    auto db = Db();
    auto csv = Csv();
    EXPECT_EQ(db.problems + csv.problems, "") << when;
    int64_t m = 0, s = 0, x = 0;
    auto d = Diff(raw, db, &m, &s, &x);
    EXPECT_EQ(m + s + x, 0) << when << ": sqlite differs from the list\n" << d;
    d = Diff(cols, csv, &m, &s, &x);
    EXPECT_EQ(m + s + x, 0) << when << ": csv differs from the list\n" << d;
  }

  // The state of each pair may only describe what the sink holds: the items
  // the state counts are in the sink, and what the sink holds is a subset of
  // the list's items at some point (checked as: every row is a real item).
  void ExpectStateWithinSink(const std::string& when) {
    auto st = Status();
    auto db = Db();
    if (st.count("db")) {
      auto upserted = st["db"]->getValue<int64_t>("itemsUpserted");
      EXPECT_LE(upserted, static_cast<int64_t>(db.live.size()) + 10000)  // counts, not rows
          << when;
      // The unread parts of the list: one open range after the page token,
      // or the ranges of a parallel crawl. Outside them the sink must hold
      // exactly the live items; inside them nothing it was not given.
      std::vector<std::pair<int64_t, int64_t>> unread;
      auto ranges = st["db"]->getArray("ranges");
      for (size_t i = 0; ranges && i < ranges->size(); ++i) {
        auto pair = ranges->getArray(static_cast<unsigned>(i));
        unread.emplace_back(pair->getElement<int64_t>(0),
                            pair->isNull(1) ? INT64_MAX : pair->getElement<int64_t>(1));
      }
      auto token = st["db"]->getValue<std::string>("pageToken");
      auto p = token.find("p_ID=");
      if (unread.empty() && p != std::string::npos)
        unread.emplace_back(std::stoll(token.substr(p + 5)), INT64_MAX);
      if (unread.empty()) return;
      auto read = [&](int64_t id) {
        for (const auto& [after, last] : unread)
          if (id > after && id <= last) return false;
        return true;
      };
      int64_t rows = 0, live = 0;
      for (const auto& [id, item] : db.live) rows += read(id);
      emu_->ForEachLiveItem("Orders", [&](int64_t id, std::string_view) { live += read(id); });
      EXPECT_EQ(rows, live) << when << ": the state's position (" << token << ", " << unread.size()
                            << " unread ranges) claims items the sink does not hold";
    }
  }

  void Mutate(int n) {
    std::vector<int64_t> ids;
    emu_->ForEachLiveItem("Orders", [&](int64_t id, std::string_view) { ids.push_back(id); });
    for (int i = 0; i < n; ++i) {
      int64_t id = ids[(static_cast<size_t>(i) * 7919) % ids.size()];
      if (i % 5 == 4)
        emu_->DeleteItem("Orders", id);
      else
        emu_->UpdateItem("Orders", id,
                         R"({"Title":"fault test )" + std::to_string(i) + R"(","Quantity":)" +
                             std::to_string(i) + "}");
    }
    for (int i = 0; i < n / 4; ++i)
      emu_->AddItem("Orders", R"({"Title":"added )" + std::to_string(i) + R"("})");
  }

  std::string name_, cfg_;
  fs::path dir_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
};

// Random storms of every transient fault, full sync then incremental: the
// engine retries through them and completes.
TEST_F(Faults, StormsOfTransientFaultsAreRetriedThrough) {
  spsync::emulator::FaultSpec f;
  spsync::emulator::ParseFaults(
      "429:0.08,503:0.06,reset:0.05,truncate:0.05,html:0.05,retry-after:1,seed:5", f);
  emu_->SetFaults(f);
  auto first = Run();
  EXPECT_EQ(first.code, 0) << first.out;
  Mutate(300);
  auto second = Run();
  EXPECT_EQ(second.code, 0) << second.out;
  emu_->SetFaults({});
  ExpectSinksEqualTruth("after two runs through fault storms");
  // A real storm: about a quarter of all requests met a fault (both sinks
  // share one read, so the request count itself is small).
  auto st = emu_->GetStats();
  EXPECT_GE((st.faulted + st.throttled) * 5, st.total)
      << st.faulted + st.throttled << " of " << st.total;
}

struct PersistentCase {
  FaultKind fault;
  const char* name;
};

// A fault that does not go away: the engine retries (throttling waits for
// Retry-After, the rest backs off) until the time budget would be overrun,
// then ends the session as partial (exit 3) with the state where the sink
// committed; the next run completes.
TEST_F(Faults, PersistentFaultsEndPartialWithoutAdvancingStateThenRecover) {
  ASSERT_EQ(Run().code, 0);
  for (auto c : {PersistentCase{FaultKind::kReset, "reset"},
                 {FaultKind::kTruncate, "truncate"},
                 {FaultKind::kHtml, "html"},
                 {FaultKind::kThrottle429, "429"},
                 {FaultKind::kBusy503, "503"}}) {
    SCOPED_TRACE(c.name);
    Mutate(250);
    auto before_db = Db().live;
    auto before = Status();
    emu_->FailNext(RequestKind::kGetChanges, 1000, c.fault);
    emu_->FailNext(RequestKind::kItems, 1000, c.fault);
    emu_->FailNext(RequestKind::kGetItems, 1000, c.fault);
    auto r = Run({"--timeout", "5s"});
    EXPECT_EQ(r.code, 3) << r.out;
    emu_->SetFaults({});
    EXPECT_EQ(Db().live, before_db) << "the sink changed although every change read failed";
    auto after = Status();
    for (const char* s : {"db", "csv"}) {
      ASSERT_TRUE(after.count(s) && before.count(s));
      EXPECT_EQ(after[s]->getValue<std::string>("pageToken"),
                before[s]->getValue<std::string>("pageToken"));
      EXPECT_EQ(after[s]->getValue<std::string>("mode"), "incremental");
      EXPECT_EQ(after[s]->getValue<int64_t>("itemsUpserted"),
                before[s]->getValue<int64_t>("itemsUpserted"));
    }
    auto next = Run();
    EXPECT_EQ(next.code, 0) << next.out;
    ExpectSinksEqualTruth(std::string("after recovering from persistent ") + c.name);
    EXPECT_EQ(Status()["db"]->getValue<int64_t>("failedSessions"), 0);
  }
}

// A request that is refused for good (the list is gone: 404) fails the
// session with exit 1 and counts a failed session; the state stays.
TEST_F(Faults, AHardErrorFailsTheSessionAndCountsIt) {
  ASSERT_EQ(Run().code, 0);
  auto before = Status();
  auto other = (dir_ / "other.json").string();
  std::string text = ReadFile(cfg_);
  text.replace(text.find("\"list\": \"Orders\""), 16, "\"list\": \"Gone\"");
  std::ofstream(other) << text;
  cfg_ = other;
  auto r = Run();
  EXPECT_EQ(r.code, 1) << r.out;
  auto after = Status();
  EXPECT_EQ(after["db"]->getValue<int64_t>("failedSessions"), 1);
  EXPECT_EQ(after["db"]->getValue<std::string>("mode"), "incremental");
}

// A generic HTTP 500 (SPException -2146232832, "Unexpected server error") on
// an item page is retried with backoff; it is not a change-token error.
TEST_F(Faults, ASingleHttp500IsRetried) {
  emu_->FailNext(RequestKind::kItems, 1, FaultKind::kError500);
  auto r = Run();
  EXPECT_EQ(r.code, 0) << r.out;
  Mutate(100);
  emu_->FailNext(RequestKind::kGetChanges, 1, FaultKind::kError500);
  auto i = Run();
  EXPECT_EQ(i.code, 0) << i.out;
  EXPECT_EQ(i.out.find("full sync"), std::string::npos) << i.out;
  ExpectSinksEqualTruth("after single 500s");
}

// The same during a full crawl: pages 1..k land, then every item page fails.
TEST_F(Faults, AFullCrawlCutByFaultsResumesFromItsLastPage) {
  spsync::emulator::FaultSpec f;
  spsync::emulator::ParseFaults("slow:1,slow-ms:200", f);
  emu_->SetFaults(f);
  auto partial = Run({"--timeout", "1s"});
  EXPECT_EQ(partial.code, 3) << partial.out;
  ExpectStateWithinSink("after a partial crawl");
  emu_->SetFaults({});
  emu_->FailNext(RequestKind::kItems, 1000, FaultKind::kTruncate);
  auto failed = Run({"--timeout", "4s"});
  EXPECT_EQ(failed.code, 3) << failed.out;
  ExpectStateWithinSink("after a failed crawl");
  emu_->SetFaults({});
  Mutate(100);
  auto done = Run();
  EXPECT_EQ(done.code, 0) << done.out;
  ExpectSinksEqualTruth("after resuming the crawl");
}

// Responses slower than run.readTimeout (1 s): a few are retried through; a
// server that stays slow fails the session (or the budget ends it).
TEST_F(Faults, SlowResponsesPastTheReadTimeout) {
  spsync::emulator::FaultSpec f;
  f.slow_ms = 2500;
  f.rules = {{RequestKind::kItems, 2, FaultKind::kSlow}};
  emu_->SetFaults(f);
  auto r = Run();
  EXPECT_EQ(r.code, 0) << r.out;
  ExpectSinksEqualTruth("after two timed-out pages");
  Mutate(120);
  f.rules = {{RequestKind::kGetChanges, 1000, FaultKind::kSlow}};
  emu_->SetFaults(f);
  auto before_db = Db().live;
  auto slow = Run({"--timeout", "8s"});
  EXPECT_TRUE(slow.code == 1 || slow.code == 3) << slow.out;
  EXPECT_EQ(Db().live, before_db);
  emu_->SetFaults({});
  EXPECT_EQ(Run().code, 0);
  ExpectSinksEqualTruth("after the slow server recovered");
}

// A change token older than SharePoint keeps: a full resync, which deletes
// what went away.
TEST_F(Faults, AnExpiredChangeTokenFallsBackToAFullResync) {
  ASSERT_EQ(Run().code, 0);
  Mutate(200);
  emu_->AdvanceClock(std::chrono::hours(24 * 61));
  auto r = Run();
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("full sync"), std::string::npos) << r.out;
  ExpectSinksEqualTruth("after the expired-token resync");
  Mutate(50);
  EXPECT_EQ(Run().code, 0);
  ExpectSinksEqualTruth("incremental after the resync");
}

// The list deleted and created again under the same title (new GUID, new
// items): the old items go, the new ones come.
TEST_F(Faults, AListRecreatedUnderTheSameTitle) {
  ASSERT_EQ(Run().code, 0);
  emu_->RecreateList("Orders");
  auto r = Run();
  EXPECT_EQ(r.code, 0) << r.out;
  ExpectSinksEqualTruth("after the list was recreated");
}

// A field added while a crawl is half done: the rest of the crawl and the
// replay carry it; SQLite gets a column.
TEST_F(Faults, AFieldAddedMidSync) {
  spsync::emulator::FaultSpec f;
  spsync::emulator::ParseFaults("slow:1,slow-ms:200", f);
  emu_->SetFaults(f);
  auto partial = Run({"--timeout", "1s"});
  EXPECT_EQ(partial.code, 3) << partial.out;
  emu_->SetFaults({});
  emu_->AddField("Orders", "Region", "Text");
  std::vector<int64_t> ids;
  emu_->ForEachLiveItem("Orders", [&](int64_t id, std::string_view) { ids.push_back(id); });
  for (size_t k : {size_t{2}, ids.size() / 2, ids.size() - 3})
    emu_->UpdateItem("Orders", ids[k], R"({"Region":"EMEA )" + std::to_string(k) + R"("})");
  auto r = Run();
  EXPECT_EQ(r.code, 0) << r.out;
  ExpectSinksEqualTruth("after a field was added mid-sync");
  EXPECT_EQ(SqliteCount((dir_ / "out.db").string(),
                        "SELECT count(*) FROM \"orders\" WHERE \"Region\" LIKE 'EMEA %'"),
            3);
}

}  // namespace
