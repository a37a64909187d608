// Full syncs through the Migration Export API (fullSync "export") against the
// emulator and Azurite: what a sink gets must be what REST paging gives it
// (SQLite rows, CSV snapshots, byte for byte), the handover to the change log
// replays what changed during the job, and kills resume without duplicates.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "../engine/memory_sink.hpp"
#include "../engine/test_support.hpp"
#include "azurite_peer.hpp"
#include "spsync/engine/export/aes_cbc.hpp"
#include "spsync/engine/export/azure_storage.hpp"
#include "spsync/plugins/loaded_plugin.hpp"
#include "spsync/plugins/plugin_finder.hpp"

namespace spsync::test {
namespace {

using engine::Deadline;
using engine::Outcome;

// Every column of every row, as text, in id order.
std::string DumpTable(const std::string& db_path, const std::string& table) {
  std::string out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path;
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* st = nullptr;
  std::string sql = "SELECT * FROM \"" + table + "\" ORDER BY id";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        // When the sink wrote the row is not what SharePoint holds.
        if (std::string_view(sqlite3_column_name(st, i)) == "_synced_at") continue;
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
        out += sqlite3_column_name(st, i);
        out += "=";
        out += text ? text : "<null>";
        out += "|";
      }
      out += "\n";
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::unique_ptr<engine::Sink> OpenPlugin(const std::string& name,
                                         std::map<std::string, std::string> config) {
  plugins::PluginFinder finder({SPSYNC_PLUGIN_BUILD_DIR});
  plugins::SinkConfig c(config.begin(), config.end());
  return finder.Load(name)->Open(c);
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The CSV snapshot file of `entity` under `dir` (the sink names it).
std::string CsvSnapshot(const std::filesystem::path& dir, const std::string& entity) {
  auto sink = OpenPlugin("csv", {{"dir", dir.string()}});
  std::string state;
  auto r = sink->LoadState(entity, &state);
  EXPECT_TRUE(r.ok()) << r.message;
  r = sink->Snapshot();
  EXPECT_TRUE(r.ok()) << r.message;
  std::string found;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.path().filename().string().rfind("snapshot", 0) == 0) found = ReadFile(e.path());
  EXPECT_FALSE(found.empty()) << "no snapshot file under " << dir << " (" << r.message << ")";
  return found;
}

// Equal, or the first line that differs.
::testing::AssertionResult SameText(const std::string& got, const std::string& want) {
  if (got == want) return ::testing::AssertionSuccess();
  std::istringstream a(got), b(want);
  std::string x, y;
  for (int line = 1;; ++line) {
    bool more_a = static_cast<bool>(std::getline(a, x)),
         more_b = static_cast<bool>(std::getline(b, y));
    if (!more_a && !more_b) break;
    if (x != y || more_a != more_b)
      return ::testing::AssertionFailure()
             << "line " << line << " differs:\n  got:  " << x.substr(0, 600)
             << "\n  want: " << y.substr(0, 600);
  }
  return ::testing::AssertionFailure() << "differ";
}

emulator::Options Options(const spsync_export_test::Azurite& azurite) {
  auto o = EmuOptions();
  o.lists = {{"Orders", 1500}, {"Small", 40}};
  o.fields = {{"Orders", "Helpers", "UserMulti"}, {"Orders", "Regions", "LookupMulti"}};
  o.migration = azurite.Spec();
  o.migration.manifest_split_bytes = 200 << 10;  // a split manifest
  return o;
}

engine::EntityConfig Entity(const std::string& strategy, const std::string& progress = "queue") {
  engine::EntityConfig e;
  e.name = "orders";
  e.list = "Orders";
  e.page_size = 500;
  e.full_sync = strategy;
  e.export_progress = progress;
  e.export_poll_seconds = 1;
  return e;
}

// Values that test the manifest's encodings: controls, a literal _xHHHH_,
// quotes, markup, newlines, non-ASCII, empty and null values.
void EditSpecialItems(Env& env) {
  const auto live = env.Ids("Orders");
  env.emu.UpdateItem("Orders", live[0],
                     R"({"Title":"bell\u0007 _x0041_ \"q\" <a>&amp;\r\nline\ttab é 東京 😀"})");
  env.emu.UpdateItem("Orders", live[1], R"({"Title":"","Description":null})");
  env.emu.DeleteItem("Orders", live[2]);
  env.emu.RecycleItem("Orders", live[3]);
}

class ExportSync : public ::testing::Test {
 protected:
  spsync_export_test::Azurite azurite_;
  Env env_{Options(azurite_)};
};

// The key test of issue 17: the same list synced both ways gives the same
// SQLite rows and the same CSV snapshot.
TEST_F(ExportSync, SameSqliteRowsAndCsvSnapshotAsRestPaging) {
  EditSpecialItems(env_);
  auto dir = TempDir("export-same");
  std::map<std::string, engine::SessionResult> results;
  for (const std::string how : {"rest", "export"}) {
    auto db = OpenPlugin("sqlite", {{"path", (dir / (how + ".db")).string()}});
    results[how] = env_.Run(*db, "Orders", {}, {}, Deadline(), Entity(how));
    ASSERT_EQ(results[how].outcome, Outcome::kComplete) << how << ": " << results[how].error;
    auto csv = OpenPlugin("csv", {{"dir", (dir / (how + "-csv")).string()}});
    auto r = env_.Run(*csv, "Orders", {}, {}, Deadline(), Entity(how));
    ASSERT_EQ(r.outcome, Outcome::kComplete) << how << " csv: " << r.error;
  }
  const std::string rest_rows = DumpTable((dir / "rest.db").string(), "orders");
  const std::string export_rows = DumpTable((dir / "export.db").string(), "orders");
  EXPECT_GT(rest_rows.size(), 1000u);
  EXPECT_TRUE(SameText(export_rows, rest_rows));
  EXPECT_TRUE(
      SameText(CsvSnapshot(dir / "export-csv", "orders"), CsvSnapshot(dir / "rest-csv", "orders")));
  EXPECT_EQ(results["export"].upserted, results["rest"].upserted);
  // Export pages are batches of page_size items, not REST requests.
  std::filesystem::remove_all(dir);
}

// Encrypted (the default) against plain, the queue against the progress API:
// all four give the REST rows.
TEST_F(ExportSync, PlainAndEncryptedJobsQueueAndProgressApi) {
  auto dir = TempDir("export-modes");
  auto rest = OpenPlugin("sqlite", {{"path", (dir / "rest.db").string()}});
  ASSERT_EQ(env_.Run(*rest, "Orders", {}, {}, Deadline(), Entity("rest")).outcome,
            Outcome::kComplete);
  const std::string want = DumpTable((dir / "rest.db").string(), "orders");
  int n = 0;
  for (bool encrypt : {true, false})
    for (const std::string progress : {"queue", "api"}) {
      auto e = Entity("export", progress);
      e.export_encrypt = encrypt;
      const std::string path = (dir / ("x" + std::to_string(n++) + ".db")).string();
      auto db = OpenPlugin("sqlite", {{"path", path}});
      auto r = env_.Run(*db, "Orders", {}, {}, Deadline(), e);
      ASSERT_EQ(r.outcome, Outcome::kComplete) << progress << " " << encrypt << ": " << r.error;
      EXPECT_TRUE(SameText(DumpTable(path, "orders"), want)) << progress << " encrypt=" << encrypt;
    }
  std::filesystem::remove_all(dir);
}

// Changes made while the job runs are replayed from the change token taken
// before it; items deleted since the sink's last full sync are deleted
// through the ID bitmap.
TEST_F(ExportSync, HandsOverToTheChangeLogAndDeletesWhatTheExportLacks) {
  MemorySink sink;
  ASSERT_EQ(env_.Run(sink, "Orders", {}, {}, Deadline(), Entity("rest")).outcome,
            Outcome::kComplete);
  const auto live = env_.Ids("Orders");
  // Gone before the export: only the export's ID set can tell.
  env_.emu.DeleteItem("Orders", live[10]);
  env_.emu.DeleteItem("Orders", live[11]);
  env_.emu.DeleteItem("Orders", live.back());
  engine::SessionEvents ev;
  bool changed = false;
  ev.page_applied = [&](int64_t, int64_t) {
    if (changed) return;
    changed = true;  // while the export is applied: after the job's snapshot
    env_.emu.UpdateItem("Orders", live[20], R"({"Title":"changed during the export"})");
    env_.emu.AddItem("Orders", R"({"Title":"added during the export"})");
  };
  engine::SessionOptions force;
  force.force_full = true;
  auto r = env_.Run(sink, "Orders", force, ev, Deadline(), Entity("export"));
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(changed);
  EXPECT_GE(r.deleted, 3);
  EXPECT_TRUE(SameAsTruth(env_.Truth("Orders"), sink.committed().items));
  EXPECT_EQ(engine::DecodeState(sink.committed().state).mode, engine::SyncMode::kIncremental);
}

// Killed mid-parse (the sink's process dies on its 3rd batch): the next run
// resumes the same job from the committed position; every item is upserted
// exactly once over both runs.
TEST_F(ExportSync, KillMidParseResumesTheSameJobExactlyOnce) {
  MemorySink sink;
  sink.fatal_on_upsert_call = 3;
  auto e = Entity("export");
  e.page_size = 50;  // batches smaller than a manifest: the kill lands inside one
  auto r1 = env_.Run(sink, "Orders", {}, {}, Deadline(), e);
  ASSERT_EQ(r1.outcome, Outcome::kFailed);
  sink.Crash();
  engine::SyncState s1 = engine::DecodeState(sink.committed().state);
  ASSERT_TRUE(s1.export_job.active());
  const std::string job = s1.export_job.job_id;
  const auto committed = static_cast<int64_t>(sink.committed().items.size());
  EXPECT_EQ(committed, 100);
  EXPECT_EQ(s1.export_job.item_pos, 100) << "two batches of the first manifest committed";
  sink.fatal_on_upsert_call = 0;
  std::set<std::string> jobs_seen;
  sink.fatal_persist_if = [&](std::string_view state) {
    auto s = engine::DecodeState(std::string(state));
    if (s.export_job.active()) jobs_seen.insert(s.export_job.job_id);
    return false;
  };
  auto r2 = env_.Run(sink, "Orders", {}, {}, Deadline(), e);
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_EQ(jobs_seen, std::set<std::string>{job}) << "a new job was started";
  EXPECT_EQ(r2.upserted, static_cast<int64_t>(env_.Ids("Orders").size()) - committed);
  EXPECT_TRUE(SameAsTruth(env_.Truth("Orders"), sink.committed().items));
}

// Out of time while the job still runs: the job id is committed and the next
// run follows the same job.
TEST_F(ExportSync, TimeoutWhileTheJobRunsResumesTheSameJob) {
  env_.emu.Stop();
  auto o = Options(azurite_);
  o.migration.items_per_second = 500;  // 1500 items: 3 s
  Env slow(o);
  MemorySink sink;
  auto r1 =
      slow.Run(sink, "Orders", {}, {}, Deadline(std::chrono::milliseconds(1200)), Entity("export"));
  ASSERT_EQ(r1.outcome, Outcome::kPartial) << r1.error;
  engine::SyncState s1 = engine::DecodeState(sink.committed().state);
  ASSERT_TRUE(s1.export_job.active());
  std::set<std::string> jobs_seen;
  sink.fatal_persist_if = [&](std::string_view state) {
    auto s = engine::DecodeState(std::string(state));
    if (s.export_job.active()) jobs_seen.insert(s.export_job.job_id);
    return false;
  };
  auto r2 = slow.Run(sink, "Orders", {}, {}, Deadline(), Entity("export"));
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_EQ(jobs_seen, std::set<std::string>{s1.export_job.job_id});
  EXPECT_TRUE(SameAsTruth(slow.Truth("Orders"), sink.committed().items));
  EXPECT_EQ(sink.upserted_items, static_cast<int64_t>(slow.Ids("Orders").size()));
}

// A job that ends with JobFatalError: REST paging finishes the full sync.
TEST_F(ExportSync, AFailedJobFallsBackToRestPaging) {
  env_.emu.Stop();
  auto o = Options(azurite_);
  o.migration.fatal_after_items = 400;
  Env failing(o);
  MemorySink sink;
  auto r = failing.Run(sink, "Orders", {}, {}, Deadline(), Entity("export"));
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(failing.Truth("Orders"), sink.committed().items));
  EXPECT_EQ(engine::DecodeState(sink.committed().state).mode, engine::SyncMode::kIncremental);
}

// "auto" pages below exportAbove and exports above it.
TEST_F(ExportSync, AutoChoosesByItemCount) {
  MemorySink small, large;
  auto e = Entity("auto");
  e.export_above = 1000;
  e.name = "small";
  e.list = "Small";
  std::set<std::string> posts;
  auto r1 = env_.Run(small, "Small", {}, {}, Deadline(), e);
  ASSERT_EQ(r1.outcome, Outcome::kComplete) << r1.error;
  EXPECT_FALSE(engine::DecodeState(small.committed().state).export_job.active());
  e.name = "orders";
  std::set<std::string> jobs;
  large.fatal_persist_if = [&](std::string_view state) {
    auto s = engine::DecodeState(std::string(state));
    if (s.export_job.active()) jobs.insert(s.export_job.job_id);
    return false;
  };
  auto r2 = env_.Run(large, "Orders", {}, {}, Deadline(), e);
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_EQ(jobs.size(), 1u) << "1500 items, above exportAbove: one export job";
  EXPECT_TRUE(SameAsTruth(env_.Truth("Orders"), large.committed().items));
}

// A manifest whose blob was replaced (its IV, or the whole blob under another
// key): the resume fails with an error that says so, and nothing of that blob
// reaches the sink. Put back, the same job finishes.
TEST_F(ExportSync, ATamperedBlobFailsClearlyAndWritesNothing) {
  namespace ex = engine::exporter;
  MemorySink sink;
  sink.fatal_on_upsert_call = 2;
  auto e = Entity("export");
  e.page_size = 50;
  ASSERT_EQ(env_.Run(sink, "Orders", {}, {}, Deadline(), e).outcome, Outcome::kFailed);
  sink.Crash();
  engine::SyncState s = engine::DecodeState(sink.committed().state);
  ASSERT_TRUE(s.export_job.active());
  ASSERT_FALSE(s.export_job.manifests.empty());
  ASSERT_FALSE(s.export_job.container_url.empty());
  const std::string container = s.export_job.container_url, blob = s.export_job.manifests[0];
  std::string key;
  ASSERT_TRUE(ex::Base64Decode(s.export_job.key_b64, &key));
  ex::AzureStorageClient azure(std::make_shared<engine::HttpClient>(engine::HttpOptions{}));
  auto original = azure.GetBlobRange(container, blob, 0, int64_t{1} << 40, Deadline());
  std::string iv;
  ASSERT_TRUE(ex::Base64Decode(original.iv_b64, &iv));
  const std::string plain = ex::AesCbcDecrypt(key, iv, original.body);
  const size_t before = sink.committed().items.size();
  sink.fatal_on_upsert_call = 0;

  const std::string other_key = ex::RandomBytes(32), other_iv = ex::RandomBytes(16);
  struct Case {
    const char* what;
    std::string body, iv;
  } cases[] = {
      {"a wrong IV", original.body, ex::Base64Encode(other_iv)},
      {"another key", ex::AesCbcEncrypt(other_key, other_iv, plain), ex::Base64Encode(other_iv)},
  };
  for (const auto& c : cases) {
    azure.PutBlob(container, blob, c.body, {{"IV", c.iv}}, Deadline());
    auto r = env_.Run(sink, "Orders", {}, {}, Deadline(), e);
    EXPECT_EQ(r.outcome, Outcome::kFailed) << c.what;
    EXPECT_NE(r.error.find(blob), std::string::npos) << c.what << ": " << r.error;
    EXPECT_TRUE(r.error.find("key") != std::string::npos || r.error.find("IV") != std::string::npos)
        << c.what << ": " << r.error;
    EXPECT_EQ(sink.committed().items.size(), before) << c.what << ": garbage reached the sink";
    EXPECT_EQ(engine::DecodeState(sink.committed().state).export_job.job_id, s.export_job.job_id);
  }
  azure.PutBlob(container, blob, original.body, {{"IV", original.iv_b64}}, Deadline());
  auto r = env_.Run(sink, "Orders", {}, {}, Deadline(), e);
  ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  EXPECT_TRUE(SameAsTruth(env_.Truth("Orders"), sink.committed().items));
}

// A job whose status SharePoint no longer keeps (5 days) and whose output is
// incomplete: a new job; one whose manifests were all announced: no new job.
TEST_F(ExportSync, ExpiredJobStatusStartsANewJobOnlyWhenNeeded) {
  env_.emu.Stop();
  auto o = Options(azurite_);
  o.migration.items_per_second = 500;
  Env slow(o);
  auto e = Entity("export", "api");
  MemorySink sink;
  auto r1 = slow.Run(sink, "Orders", {}, {}, Deadline(std::chrono::milliseconds(1200)), e);
  ASSERT_EQ(r1.outcome, Outcome::kPartial) << r1.error;
  const std::string first = engine::DecodeState(sink.committed().state).export_job.job_id;
  ASSERT_FALSE(first.empty());
  slow.emu.AdvanceClock(std::chrono::hours(24 * 6));
  std::set<std::string> jobs;
  sink.fatal_persist_if = [&](std::string_view state) {
    auto st = engine::DecodeState(std::string(state));
    if (st.export_job.active()) jobs.insert(st.export_job.job_id);
    return false;
  };
  auto r2 = slow.Run(sink, "Orders", {}, {}, Deadline(), e);
  ASSERT_EQ(r2.outcome, Outcome::kComplete) << r2.error;
  EXPECT_EQ(jobs.size(), 2u) << "the expired job was not replaced";
  EXPECT_FALSE(jobs.count(first) && jobs.size() == 1);
  EXPECT_TRUE(SameAsTruth(slow.Truth("Orders"), sink.committed().items));
}

// What the export spares SharePoint: at most 10 requests for the whole list
// with the queue for progress (Azure requests are not SharePoint's), against
// one per page of REST paging. SPSYNC_EXPORT_ITEMS sets the list's size (the
// README's figures come from this test at 100,000 and 1,000,000).
TEST(ExportRequests, ExportNeedsAtMostTenSharePointRequests) {
  spsync_export_test::Azurite azurite;
  auto o = Options(azurite);
  int64_t n = 1500;
  if (const char* v = std::getenv("SPSYNC_EXPORT_ITEMS")) n = std::atoll(v);
  o.lists = {{"Orders", n}};
  o.fields.clear();
  o.migration.manifest_split_bytes = 25 << 20;
  Env env(o);
  std::map<std::string, uint64_t> requests;
  std::map<std::string, double> seconds;
  for (const std::string how : {"rest", "export"}) {
    MemorySink sink;
    auto e = Entity(how);
    e.page_size = 5000;
    env.emu.ResetStats();
    auto t0 = std::chrono::steady_clock::now();
    auto r = env.Run(sink, "Orders", {}, {}, Deadline(), e);
    seconds[how] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(r.outcome, Outcome::kComplete) << how << ": " << r.error;
    requests[how] = env.emu.GetStats().total;
    EXPECT_EQ(sink.committed().items.size(), static_cast<size_t>(env.emu.ItemCount("Orders")));
  }
  std::printf("items %lld: rest %llu SharePoint requests (%.2f s), export %llu (%.2f s)\n",
              static_cast<long long>(n), static_cast<unsigned long long>(requests["rest"]),
              seconds["rest"], static_cast<unsigned long long>(requests["export"]),
              seconds["export"]);
  EXPECT_LE(requests["export"], 10u);
  EXPECT_GE(requests["rest"], static_cast<uint64_t>((n + 4999) / 5000));
}

}  // namespace
}  // namespace spsync::test
