// Suite 12 (issue 17): a full sync through the Migration Export API against
// REST paging, at SharePoint's latency (300 ms + 0.2 ms/item, as suite 8) for
// both, into SQLite, each sync in a fresh child process (peak RSS is the
// sync's alone).
//   Export/FullSync/items:N/path:P, P = 0 REST paging (fullSync "rest"),
//     1 the export with progress from the Azure queue (the default), 2 the
//     export with progress from GetMigrationJobProgress (largest N only).
//   Export/Paced/items:N/pace:R: the export with the emulator writing
//     manifests at R items a second, checking the wall-time estimate
//     N / R + (the unpaced run's time) that bench/README extrapolates from.
// SharePoint requests are the emulator's counters; Azure requests the
// engine's own (AzureStorageClient::ProcessStats in the child). Azure is Azurite (npm, in
// tests/node_modules), one per emulator, persisting to a temporary folder.
// N: 10,000, 100,000 and 1,000,000 (smoke: 2,000); the job's pace:
// SPSYNC_BENCH_EXPORT_PACE items a second (default 0: as fast as this
// machine writes; SharePoint's is 200 to 700).
#include "bench_common.hpp"
#include "suites.hpp"

#include <spsync/engine/export/azure_storage.hpp>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef SPSYNC_NODE
#error "SPSYNC_NODE must be defined by the build"
#endif
#ifndef SPSYNC_AZURITE_JS
#error "SPSYNC_AZURITE_JS must be defined by the build"
#endif

extern char** environ;

namespace spsync::bench {
namespace {

enum Path { kRest = 0, kExportQueue = 1, kExportApi = 2 };
const char* PathName(int p) {
  return p == kRest ? "rest" : p == kExportQueue ? "export" : "export-api";
}

double EnvNumber(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  double d = std::strtod(v, &end);
  if (*end != '\0' || d < 0) throw std::invalid_argument(std::string(name) + ": not a number");
  return d;
}

// SPSYNC_BENCH_EXPORT_ITEMS="10000,100000" runs other sizes.
std::vector<int64_t> Sizes() {
  const char* v = std::getenv("SPSYNC_BENCH_EXPORT_ITEMS");
  if (v == nullptr || *v == '\0') {
    if (SmokeMode()) return {2000};
    return {10000, 100000, 1000000};
  }
  std::vector<int64_t> sizes;
  std::istringstream in(v);
  for (std::string part; std::getline(in, part, ',');) {
    char* end = nullptr;
    long long n = std::strtoll(part.c_str(), &end, 10);
    if (end == part.c_str() || *end != '\0' || n <= 0)
      throw std::invalid_argument("SPSYNC_BENCH_EXPORT_ITEMS: not a list of sizes");
    sizes.push_back(n);
  }
  return sizes;
}
double Pace() {
  return EnvNumber("SPSYNC_BENCH_EXPORT_PACE", 0);
}
// GetMigrationJobProgress polls of path 2: entities[].exportPollSeconds
// (the config's default, 60; 1 in smoke mode so the run stays short).
int ApiPollSeconds() {
  return static_cast<int>(EnvNumber("SPSYNC_BENCH_EXPORT_POLL_SECONDS", SmokeMode() ? 1 : 60));
}

std::string AzuriteScript() {
  if (const char* v = std::getenv("SPSYNC_BENCH_AZURITE"); v != nullptr && *v != '\0') return v;
  return SPSYNC_AZURITE_JS;
}

// Azurite on loopback ports chosen by the OS, storing into `dir` (on disk:
// a 1,000,000-item job writes about a gigabyte of manifests).
class Azurite {
 public:
  explicit Azurite(const std::string& dir) {
    const std::string script = AzuriteScript();
    if (!std::filesystem::exists(script))
      throw std::runtime_error("Azurite is not installed at " + script +
                               " (scripts/setup.sh runs npm ci in tests/)");
    std::vector<std::string> argv = {
        SPSYNC_NODE,   script,        "--blobHost",        "127.0.0.1",   "--blobPort",
        "0",           "--queueHost", "127.0.0.1",         "--queuePort", "0",
        "--tableHost", "127.0.0.1",   "--tablePort",       "0",           "--location",
        dir,           "--silent",    "--disableTelemetry"};
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    out_ = fds[0];
    // "Azurite Blob service is successfully listening at http://127.0.0.1:N"
    std::string buffer;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (blob_.empty() || queue_.empty()) {
      size_t nl = buffer.find('\n');
      if (nl == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{out_, POLLIN, 0};
        char buf[4096];
        ssize_t n = 0;
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0 ||
            (n = ::read(out_, buf, sizeof buf)) <= 0) {
          Stop();
          throw std::runtime_error("Azurite did not start: " + buffer);
        }
        buffer.append(buf, static_cast<size_t>(n));
        continue;
      }
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      size_t at = line.find("successfully listening at ");
      if (at == std::string::npos) continue;
      std::string url = line.substr(at + 26);
      while (!url.empty() && (url.back() == '\r' || url.back() == ' ')) url.pop_back();
      if (line.find("Blob") != std::string::npos) blob_ = url + "/devstoreaccount1";
      if (line.find("Queue") != std::string::npos) queue_ = url + "/devstoreaccount1";
    }
  }
  ~Azurite() { Stop(); }
  Azurite(const Azurite&) = delete;
  Azurite& operator=(const Azurite&) = delete;

  const std::string& blob() const { return blob_; }
  const std::string& queue() const { return queue_; }

 private:
  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) ::usleep(20000);
      if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
      pid_ = -1;
    }
    if (out_ >= 0) ::close(out_);
    out_ = -1;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::string blob_, queue_;
};

// One list of N items at SharePoint's latency with an Azurite of its own;
// the suite keeps the current one for the benchmarks of the same N and pace.
struct Peer {
  int64_t items = 0;
  double pace = 0;
  std::string dir;  // Azurite's storage and the SQLite files
  std::unique_ptr<Azurite> azurite;
  std::unique_ptr<emulator::Emulator> emu;
  std::map<int, TableDigest> digests;  // by path: what each sync left in SQLite
  std::map<int, double> rss_mb;
  ~Peer() {
    emu.reset();
    azurite.reset();
    if (!dir.empty()) RemoveTree(dir);
  }
};

std::unique_ptr<Peer> g_peer;

Peer& PeerFor(int64_t items, double pace) {
  if (g_peer && g_peer->items == items && g_peer->pace == pace) return *g_peer;
  g_peer.reset();
  auto p = std::make_unique<Peer>();
  p->items = items;
  p->pace = pace;
  p->dir = MakeTempDir("export");
  p->azurite = std::make_unique<Azurite>(p->dir + "/azurite");
  emulator::Options o;
  o.lists = {{kList, items}};
  o.seed = 42;
  const double scale = SmokeMode() ? 0.1 : 1.0;  // suite 8's model, a tenth in smoke mode
  o.latency = {300 * scale, 0.2 * scale};
  o.migration.blob_endpoint = p->azurite->blob();
  o.migration.queue_endpoint = p->azurite->queue();
  o.migration.items_per_second = pace;
  p->emu = std::make_unique<emulator::Emulator>(o);
  p->emu->Start();
  g_peer = std::move(p);
  return *g_peer;
}

struct ExportChild {
  double seconds = 0;      // SyncSession::Run, in the child
  double cpu_seconds = 0;  // the child's user + system time (rusage)
  int64_t upserted = 0, deleted = 0;
  uint64_t client_requests = 0;  // the engine's SharePoint client
  int64_t azure_requests = 0, azure_bytes = 0;
  double peak_rss_mb = 0;
};

// Runs one full sync of `path` in a fresh process: this binary with
// --spsync-export-child (ExportChildMain).
ExportChild RunExportChild(const std::string& site, const std::string& db, int path) {
  ChildRun run = RunChild("--spsync-export-child",
                          {site, db, std::to_string(path), std::to_string(ApiPollSeconds())});
  if (!run.ok)
    throw std::runtime_error(std::string(PathName(path)) + " sync failed (status " +
                             std::to_string(run.status) + "): " + run.out);
  ExportChild r;
  std::istringstream in(run.out);
  in >> r.seconds >> r.upserted >> r.deleted >> r.client_requests >> r.azure_requests >>
      r.azure_bytes >> r.peak_rss_mb;
  if (!in) throw std::runtime_error("the child printed '" + run.out + "'");
  r.cpu_seconds = run.cpu_seconds;
  return r;
}

// SharePoint's requests, by kind, from the emulator. Migration calls
// (provisioning, CreateSPAsyncReadJob, GetMigrationJobProgress) are "other".
struct SharePointCount {
  uint64_t total = 0, items = 0, other = 0;
};
SharePointCount CountSharePoint(const emulator::Stats& s) {
  return {s.total, s.items,
          s.total - s.list_metadata - s.fields - s.items - s.item_by_id - s.get_items -
              s.get_changes - s.writes - s.token - s.context_info - s.discovery};
}

void Report(benchmark::State& state, const ExportChild& c, const SharePointCount& sp) {
  state.SetIterationTime(c.seconds);
  state.counters["rows"] = static_cast<double>(c.upserted);
  state.counters["sp_requests"] = static_cast<double>(sp.total);
  state.counters["sp_items"] = static_cast<double>(sp.items);
  state.counters["sp_migration"] = static_cast<double>(sp.other);
  state.counters["client_requests"] = static_cast<double>(c.client_requests);
  state.counters["azure_requests"] = static_cast<double>(c.azure_requests);
  state.counters["azure_MB"] = static_cast<double>(c.azure_bytes) / 1e6;
  state.counters["peak_rss_MiB"] = c.peak_rss_mb;
  state.counters["cpu_s"] = c.cpu_seconds;
}

void BM_ExportFullSync(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int path = static_cast<int>(state.range(1));
  try {
    Peer& peer = PeerFor(n, Pace());
    for (auto _ : state) {
      const std::string db = peer.dir + "/" + PathName(path) + ".db";
      peer.emu->ResetStats();
      ExportChild c = RunExportChild(peer.emu->SiteUrl(), db, path);
      const SharePointCount sp = CountSharePoint(peer.emu->GetStats());
      Report(state, c, sp);
      const TableDigest digest = DigestTables(db);
      for (const char* ext : {"", "-wal", "-shm"}) RemoveTree(db + ext);
      peer.digests[path] = digest;
      peer.rss_mb[path] = c.peak_rss_mb;

      const std::string l = SizeLabel(n);
      const int64_t live = peer.emu->ItemCount(kList);
      auto& s = Summary::Get();
      if (path != kRest && peer.digests.count(kRest) != 0) {
        const TableDigest& rest = peer.digests[kRest];
        s.Row("12a." + l + "." + PathName(path),
              "export " + l + " (" + PathName(path) + "): same rows as REST paging",
              std::to_string(digest.rows) + " vs " + std::to_string(rest.rows) +
                  " rows, checksum " + Hex(digest.checksum) +
                  (digest == rest ? " equal" : " vs " + Hex(rest.checksum)),
              digest == rest && digest.rows == live);
      }
      if (path == kExportQueue) {
        s.Row("12b." + l, "export " + l + ": SharePoint requests <= 10 (queue progress: no polls)",
              std::to_string(sp.total) + " (" + std::to_string(sp.other) +
                  " migration calls); Azure " + std::to_string(c.azure_requests) + " requests, " +
                  Fmt(static_cast<double>(c.azure_bytes) / 1e6, 0) + " MB",
              sp.total <= 10);
      }
      if (path == kExportApi) {
        // Path 1 provisions containers and a queue and creates the job (3
        // migration calls); path 2 has no queue: 2, and the rest are polls.
        const int64_t polls = static_cast<int64_t>(sp.other) - 2;
        state.counters["progress_polls"] = static_cast<double>(polls);
        const int64_t allowed = static_cast<int64_t>(c.seconds / ApiPollSeconds()) + 2;
        s.Row("12c." + l,
              "export " + l + ", progress API every " + std::to_string(ApiPollSeconds()) +
                  " s: SharePoint requests <= 10 + polls (<= " + std::to_string(allowed) + " in " +
                  Fmt(c.seconds, 0) + " s)",
              std::to_string(sp.total) + " (" + std::to_string(polls) + " polls)",
              static_cast<int64_t>(sp.total) - polls <= 10 && polls <= allowed);
      }
      if (path != kRest) {
        s.Row("12d." + l + "." + PathName(path),
              "export " + l + " (" + PathName(path) + "): peak RSS < 64 MiB",
              Fmt(c.peak_rss_mb, 1) + " MiB (REST paging: " +
                  (peer.rss_mb.count(kRest) ? Fmt(peer.rss_mb[kRest], 1) + " MiB" : "not run") +
                  ")",
              c.peak_rss_mb < 64);
      }
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// The export at a paced job: is the wall time N / pace plus the unpaced
// run's time at most (the manifests are read while the job still writes)?
void BM_ExportPaced(benchmark::State& state) {
  const int64_t n = state.range(0);
  const double pace = static_cast<double>(state.range(1));
  try {
    double unpaced = 0;
    {
      // The unpaced reference first, on its own emulator.
      Peer& ref = PeerFor(n, 0);
      const std::string db = ref.dir + "/ref.db";
      unpaced = RunExportChild(ref.emu->SiteUrl(), db, kExportQueue).seconds;
      for (const char* ext : {"", "-wal", "-shm"}) RemoveTree(db + ext);
    }
    Peer& peer = PeerFor(n, pace);
    for (auto _ : state) {
      const std::string db = peer.dir + "/paced.db";
      peer.emu->ResetStats();
      ExportChild c = RunExportChild(peer.emu->SiteUrl(), db, kExportQueue);
      Report(state, c, CountSharePoint(peer.emu->GetStats()));
      for (const char* ext : {"", "-wal", "-shm"}) RemoveTree(db + ext);
      const double job = static_cast<double>(n) / pace;
      // The engine hears of the job's end at its next queue read (once a
      // second): the paced run may wait up to one interval more than the
      // unpaced one did.
      const double most = job + unpaced + 1.0;
      state.counters["job_s"] = job;
      state.counters["unpaced_s"] = unpaced;
      Summary::Get().Row("12e." + SizeLabel(n),
                         "export " + SizeLabel(n) + " at " + Fmt(pace, 0) +
                             " items/s: wall time in [N/pace, N/pace + unpaced run + 1 s] = [" +
                             Fmt(job, 1) + ", " + Fmt(most, 1) + "] s",
                         Fmt(c.seconds, 1) + " s (" + std::to_string(c.upserted) + " rows)",
                         c.seconds >= job && c.seconds <= most && c.upserted == n);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  g_peer.reset();
}

}  // namespace

int ExportChildMain(int argc, char** argv) {
  if (argc < 7) return 2;
  const int fd = std::atoi(argv[2]);
  const std::string site = argv[3], db = argv[4];
  const int path = std::atoi(argv[5]);
  std::string report;
  int rc = 0;
  try {
    engine::EntityConfig entity = Entity();
    entity.full_sync = path == kRest ? "rest" : "export";
    entity.export_progress = path == kExportApi ? "api" : "queue";
    entity.export_poll_seconds = std::atoi(argv[6]);
    auto client = MakeClient(site);
    auto sink = OpenSink("sqlite", {{"path", db}});
    const auto t0 = std::chrono::steady_clock::now();
    engine::SessionResult r = RunSession(*client, *sink, {}, {}, &entity);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sink.reset();
    std::ostringstream o;
    const auto& azure = engine::exporter::AzureStorageClient::ProcessStats();
    o << s << ' ' << r.upserted << ' ' << r.deleted << ' ' << client->stats().requests.load() << ' '
      << azure.requests.load() << ' ' << azure.bytes.load() << ' ' << PeakRssMb() << '\n';
    report = o.str();
  } catch (const std::exception& e) {
    report = std::string("error: ") + e.what() + "\n";
    rc = 1;
  }
  WriteReport(fd, report);
  return rc;
}

void RegisterExportSuite() {
  auto* full = benchmark::RegisterBenchmark("Export/FullSync", &BM_ExportFullSync);
  full->ArgNames({"items", "path"});
  const auto sizes = Sizes();
  for (int64_t n : sizes) {
    full->Args({n, kRest});
    full->Args({n, kExportQueue});
    if (n == sizes.back()) full->Args({n, kExportApi});
  }
  full->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

  // 10,000 items at Microsoft's fastest quoted pace: about 14 s of job.
  auto* paced = benchmark::RegisterBenchmark("Export/Paced", &BM_ExportPaced);
  paced->ArgNames({"items", "pace"});
  if (SmokeMode())
    paced->Args({1000, 1000});
  else
    paced->Args({10000, 700});
  paced->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace spsync::bench
