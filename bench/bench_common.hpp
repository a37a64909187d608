// Shared helpers of the spsync benchmarks: sizes (smoke / default / huge),
// the emulator, the engine's client, sinks over the real plugin ABI, peak
// RSS, the child process that isolates a sync's memory, and the summary of
// ratios against issue 9's targets printed at the end.
#pragma once

#include <spsync/emulator/emulator.hpp>
#include <spsync/engine/sharepoint/sharepoint_client.hpp>
#include <spsync/engine/sink.hpp>
#include <spsync/engine/sync/sync_session.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace spsync::bench {

// SPSYNC_BENCH_SMOKE=1: tiny lists so the ctest smoke run finishes in seconds.
bool SmokeMode();
// SPSYNC_BENCH_HUGE=1 or --huge: adds the 10,000,000-item runs.
bool HugeMode();
void SetHugeMode(bool on);
// SPSYNC_BENCH_GZIP=1: the engine and the raw fetch both ask for gzip (off by
// default: on loopback gzip measures zlib, not spsync).
bool GzipMode();

// The list sizes of the full-sync suites: 1M (20k in smoke mode), plus 10M when huge.
std::vector<int64_t> FullSizes();
// A size as used in this mode: `n`, or a small stand-in in smoke mode.
int64_t Scaled(int64_t n);

// Where the built sink plugins are.
std::string PluginDir();
// A fresh folder under $TMPDIR (removed by RemoveTree).
std::string MakeTempDir(const std::string& tag);
void RemoveTree(const std::string& path);

constexpr const char* kList = "Big";

std::unique_ptr<emulator::Emulator> StartEmulator(int64_t items, uint64_t seed = 42);
// `budget`: the tenant's request budget the client spends before each
// request (none: unpaced, as without run.ruPerMinute).
std::unique_ptr<engine::SharePointClient> MakeClient(
    const std::string& site_url, std::shared_ptr<engine::RequestBudget> budget = nullptr);
engine::EntityConfig Entity();
// The columns the benchmarks sync (EntityConfig.select).
const std::vector<std::string>& SelectedFields();

// Opens a sink over the plugin ABI (libspsync-sink-<name>.so in PluginDir()).
std::unique_ptr<engine::Sink> OpenSink(const std::string& name,
                                       const std::vector<std::pair<std::string, std::string>>& cfg);

// Runs one session of `entity` (default: Entity()); throws
// std::runtime_error if it does not complete.
engine::SessionResult RunSession(engine::SharePointClient& client, engine::Sink& sink,
                                 engine::SessionOptions options = {},
                                 engine::SessionEvents events = {},
                                 const engine::EntityConfig* entity = nullptr);

// The engine's schema for the list, built the way the session builds it.
std::unique_ptr<engine::EntitySchema> BuildSchema(engine::SharePointClient& client,
                                                  const std::string& list_id);
// The URL of the first item page, as the engine requests it.
std::string FirstItemsUrl(engine::SharePointClient& client, const std::string& list_id,
                          const engine::EntitySchema& schema, int top = 5000);

// The streams a full sync actually ran: the threads, other than the one that
// installed it (the session's), that requested item pages. Install() wraps
// events->page_requested (keeping what was there). Thread-safe.
class StreamCounter {
 public:
  void Install(engine::SessionEvents* events);
  int streams() const;

 private:
  mutable std::mutex mu_;
  std::set<std::thread::id> readers_;
  std::thread::id session_;
};

// The item pages a single stream reads, in order: the first page, then each
// page's next link. The raw baselines read these; the engine's own URLs
// overlap at range boundaries when it reads ranges in parallel.
std::vector<std::string> SingleStreamUrls(engine::SharePointClient& client,
                                          const std::string& list_id,
                                          const engine::EntitySchema& schema);

// What a user compares between two syncs: the rows of every item table of a
// SQLite sink (all but the engine's own _spsync_* tables), in ID order, every
// column but _synced_at (the time of the sync), FNV-1a 64 over the values.
struct TableDigest {
  int64_t rows = 0;
  uint64_t checksum = 0xcbf29ce484222325ULL;
  bool operator==(const TableDigest&) const = default;
};
TableDigest DigestTables(const std::string& sqlite_path);
// "1M", "100k", "500": list sizes in names and the summary.
std::string SizeLabel(int64_t n);
// 16 hex digits.
std::string Hex(uint64_t v);

// Peak resident set of this process (VmHWM), MiB.
double PeakRssMb();

// Runs this binary again as `exe mode <fd> rest...`; the child writes its
// figures to <fd>. Its output, exit status and CPU time (user + system).
struct ChildRun {
  std::string out;
  int status = 0;
  bool ok = false;
  double cpu_seconds = 0;
};
ChildRun RunChild(const std::string& mode, const std::vector<std::string>& rest);
// The child's side: writes `report` (its figures) to `fd` and closes it.
void WriteReport(int fd, const std::string& report);

// A full / forced / reconcile session run in a fresh child process (this
// binary re-executed), so its peak RSS is the sync's alone.
struct ChildResult {
  double elapsed_ms = 0;
  uint64_t requests = 0, bytes = 0;
  int64_t upserted = 0, deleted = 0;
  double peak_rss_mb = 0;
  std::string outcome;
  int streams = 0;  // threads that read item pages (StreamCounter)
};
ChildResult RunSyncInChild(const std::string& site_url, const std::string& sink,
                           const std::string& path, bool force_full, bool reconcile);
// The child side: argv = {exe, "--spsync-child", fd, site, sink, path, full, reconcile}.
int ChildMain(int argc, char** argv);

// The emulator's request counters as benchmark counters (srv_* = what the server saw).
void ServerCounters(const emulator::Emulator& emu, std::map<std::string, double>* out);

// Live IDs of the emulator's list, ascending.
std::vector<int64_t> LiveIds(const emulator::Emulator& emu);

// The summary: named measurements, printed against the targets at the end.
class Summary {
 public:
  static Summary& Get();
  void Set(const std::string& key, double value);
  bool Has(const std::string& key) const;
  double Value(const std::string& key) const;
  // One row of the table, keyed so a re-run replaces it; rows print in key order.
  void Row(const std::string& key, const std::string& target, const std::string& measured,
           bool pass);
  // Prints the table of ratios vs targets.
  std::string Format() const;

 private:
  struct Line {
    std::string target, measured;
    bool pass = false;
  };
  mutable std::mutex mu_;
  std::map<std::string, double> values_;
  std::map<std::string, Line> rows_;
};

// "%.2f"-style formatting without iostreams boilerplate.
std::string Fmt(double v, int decimals = 2);

}  // namespace spsync::bench
