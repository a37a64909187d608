// Suite 13 (issue 14): complete backups with attachments. A list of N items
// of which 2% carry one or two synthetic files of about 100 KB, plus one
// 200 MB file, synced into SQLite with `attachments: true` in a child process
// (its peak RSS is the sync's alone):
//   - full sync: SharePoint requests vs ceil(N/5000) + 4 + one per file;
//   - incremental after 100 item updates that change no file: downloads (0)
//     and ETag checks (one per file of an updated item);
//   - peak RSS with the 200 MB file in the list: < 64 MiB.
// Every file is compared with the emulator's (count and bytes) after the run.
#include "bench_common.hpp"
#include "suites.hpp"

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>

namespace spsync::bench {
namespace {

constexpr int64_t kBigFile = 200LL << 20;  // 200 MiB
constexpr const char* kBigName = "site survey 2026.mp4";

struct Child {
  double seconds = 0;
  int64_t upserted = 0;
  uint64_t client_requests = 0;
  double peak_rss_mb = 0;
};

Child RunAttachmentChild(const std::string& site, const std::string& db) {
  ChildRun run = RunChild("--spsync-attachments-child", {site, db});
  if (!run.ok)
    throw std::runtime_error("attachment sync failed (status " + std::to_string(run.status) +
                             "): " + run.out);
  Child c;
  std::istringstream in(run.out);
  in >> c.seconds >> c.upserted >> c.client_requests >> c.peak_rss_mb;
  if (!in) throw std::runtime_error("the child printed '" + run.out + "'");
  return c;
}

// Files and bytes the sink holds, complete (the SQLite plugin's attachments
// table of the entity "big"; size -1 marks a file still being written).
std::pair<int64_t, int64_t> HeldFiles(const std::string& db) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + db);
  sqlite3_stmt* st = nullptr;
  std::pair<int64_t, int64_t> out{-1, -1};
  if (sqlite3_prepare_v2(h, "SELECT count(*), sum(size) FROM \"big__attachments\" WHERE size >= 0",
                         -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    out = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)};
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

void BM_AttachmentsBackup(benchmark::State& state) {
  const int64_t n = state.range(0);
  const bool smoke = SmokeMode();
  try {
    emulator::Options o;
    emulator::ListSpec list{kList, n};
    list.attachment_percent = 2;
    list.attachment_avg_bytes = smoke ? 10 * 1024 : 100 * 1024;
    o.lists = {list};
    o.seed = 42;
    emulator::Emulator emu(o);
    emu.Start();
    const std::vector<int64_t> ids = LiveIds(emu);
    const int64_t big_size = smoke ? (4LL << 20) : kBigFile;
    emu.AddSyntheticAttachment(kList, ids[ids.size() / 2], kBigName, big_size);
    int64_t files = 0, bytes = 0;
    for (int64_t id : ids)
      for (const auto& f : emu.Attachments(kList, id)) {
        ++files;
        bytes += f.size;
      }
    const std::string dir = MakeTempDir("attachments");
    const std::string db = dir + "/backup.db";
    auto& s = Summary::Get();
    const std::string l = SizeLabel(n);
    for (auto _ : state) {
      // Full sync.
      emu.ResetStats();
      const Child full = RunAttachmentChild(emu.SiteUrl(), db);
      const emulator::Stats fs = emu.GetStats();
      const auto held = HeldFiles(db);
      const int64_t pages = (n + 4999) / 5000;
      const auto allowed = static_cast<uint64_t>(pages + 4 + files);
      state.SetIterationTime(full.seconds);
      state.counters["files"] = static_cast<double>(files);
      state.counters["MB"] = static_cast<double>(bytes) / 1e6;
      state.counters["sp_requests"] = static_cast<double>(fs.total);
      state.counters["sp_downloads"] = static_cast<double>(fs.attachments);
      state.counters["peak_rss_MiB"] = full.peak_rss_mb;
      s.Row("13a." + l,
            "attachments " + l + " (2% with ~100 KB, one " + std::to_string(big_size >> 20) +
                " MiB): full sync requests <= ceil(N/5000) + 4 + files (" +
                std::to_string(allowed) + ")",
            std::to_string(fs.total) + " (" + std::to_string(fs.items) + " item pages, " +
                std::to_string(fs.attachments) + " downloads of " + std::to_string(files) +
                " files); " + Fmt(full.seconds, 1) + " s",
            fs.total <= allowed);
      s.Row("13b." + l, "attachments " + l + ": every file in SQLite, byte count exact",
            std::to_string(held.first) + " files, " + std::to_string(held.second) + " bytes (" +
                std::to_string(files) + ", " + std::to_string(bytes) + " in the list)",
            held.first == files && held.second == bytes);
      s.Row("13c." + l,
            "attachments " + l + ": peak RSS < 64 MiB with a " + std::to_string(big_size >> 20) +
                " MiB file",
            Fmt(full.peak_rss_mb, 1) + " MiB", full.peak_rss_mb < 64);

      // 100 item updates that change no file, then an incremental run.
      std::mt19937_64 rng(7);
      int64_t with_files = 0, checks_allowed = 0;
      for (int k = 0; k < 100; ++k) {
        const int64_t id = ids[rng() % ids.size()];
        emu.UpdateItem(kList, id, R"({"Title":"edited for suite 13"})");
        const auto f = static_cast<int64_t>(emu.Attachments(kList, id).size());
        with_files += f > 0;
        checks_allowed += f;
      }
      emu.ResetStats();
      const Child inc = RunAttachmentChild(emu.SiteUrl(), db);
      const emulator::Stats is = emu.GetStats();
      state.counters["incr_requests"] = static_cast<double>(is.total);
      state.counters["incr_downloads"] = static_cast<double>(is.attachments);
      state.counters["incr_etag_checks"] = static_cast<double>(is.file_info);
      s.Row("13d." + l, "attachments " + l + ": incremental after 100 updates downloads none",
            std::to_string(is.attachments) + " downloads, " + std::to_string(is.file_info) +
                " ETag checks (" + std::to_string(with_files) + " updated items had " +
                std::to_string(checks_allowed) + " files), " + std::to_string(is.total) +
                " requests in all, " + Fmt(inc.seconds, 2) + " s",
            is.attachments == 0 && is.file_info <= static_cast<uint64_t>(checks_allowed));
    }
    RemoveTree(dir);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace

int AttachmentsChildMain(int argc, char** argv) {
  if (argc < 5) return 2;
  const int fd = std::atoi(argv[2]);
  const std::string site = argv[3], db = argv[4];
  std::string report;
  int rc = 0;
  try {
    engine::EntityConfig entity = Entity();
    entity.attachments = true;
    auto client = MakeClient(site);
    auto sink = OpenSink("sqlite", {{"path", db}});
    const auto t0 = std::chrono::steady_clock::now();
    engine::SessionResult r = RunSession(*client, *sink, {}, {}, &entity);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sink.reset();
    std::ostringstream o;
    o << s << ' ' << r.upserted << ' ' << client->stats().requests.load() << ' ' << PeakRssMb()
      << '\n';
    report = o.str();
  } catch (const std::exception& e) {
    report = std::string("error: ") + e.what() + "\n";
    rc = 1;
  }
  WriteReport(fd, report);
  return rc;
}

void RegisterAttachmentsSuite() {
  auto* b = benchmark::RegisterBenchmark("Attachments/Backup", &BM_AttachmentsBackup);
  b->ArgNames({"items"});
  b->Arg(SmokeMode() ? 2000 : 100000);
  b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace spsync::bench
