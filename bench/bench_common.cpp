#include "bench_common.hpp"

#include <spsync/engine/sharepoint/credentials.hpp>
#include <spsync/engine/sharepoint/http_client.hpp>
#include <spsync/engine/sharepoint/item_page.hpp>
#include <spsync/engine/sharepoint/schema.hpp>
#include <spsync/plugins/loaded_plugin.hpp>
#include <spsync/plugins/plugin_finder.hpp>

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#ifndef SPSYNC_PLUGIN_BUILD_DIR
#error "SPSYNC_PLUGIN_BUILD_DIR must be defined by the build"
#endif

namespace spsync::bench {
namespace {

bool EnvFlag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

std::atomic<bool> g_huge{false};

}  // namespace

bool SmokeMode() {
  static const bool on = EnvFlag("SPSYNC_BENCH_SMOKE");
  return on;
}
bool HugeMode() {
  return g_huge.load() || EnvFlag("SPSYNC_BENCH_HUGE");
}
void SetHugeMode(bool on) {
  g_huge = on;
}
bool GzipMode() {
  static const bool on = EnvFlag("SPSYNC_BENCH_GZIP");
  return on;
}

int64_t Scaled(int64_t n) {
  if (!SmokeMode()) return n;
  // 1M -> 20k, 100k -> 5k, 10k changes -> 1k.
  if (n >= 1000000) return 20000;
  if (n >= 100000) return 5000;
  if (n >= 10000) return 1000;
  return n;
}

std::vector<int64_t> FullSizes() {
  std::vector<int64_t> sizes = {Scaled(1000000)};
  if (HugeMode() && !SmokeMode()) sizes.push_back(10000000);
  return sizes;
}

std::string PluginDir() {
  if (const char* v = std::getenv("SPSYNC_BENCH_PLUGIN_DIR"); v != nullptr && *v != '\0') return v;
  return SPSYNC_PLUGIN_BUILD_DIR;
}

std::string MakeTempDir(const std::string& tag) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                     "/spsync-bench-" + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
  return buf.data();
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::unique_ptr<emulator::Emulator> StartEmulator(int64_t items, uint64_t seed) {
  emulator::Options o;
  o.lists = {{kList, items}};
  o.seed = seed;
  auto emu = std::make_unique<emulator::Emulator>(o);
  emu->Start();
  return emu;
}

std::unique_ptr<engine::SharePointClient> MakeClient(
    const std::string& site_url, std::shared_ptr<engine::RequestBudget> budget) {
  engine::HttpOptions http;
  http.gzip = GzipMode();
  engine::ClientOptions opts;
  opts.site_url = site_url;
  opts.budget = std::move(budget);
  return std::make_unique<engine::SharePointClient>(
      opts, std::make_shared<engine::HttpClient>(http), engine::NoCredentials(),
      std::make_shared<engine::ThrottleGate>());
}

// Every visible, non-Computed field of the emulator's synthetic list, named
// explicitly so the figures do not depend on the engine's default column
// choice (see bench/README.md).
const std::vector<std::string>& SelectedFields() {
  static const std::vector<std::string> fields = {
      "Title", "Created", "Author", "Editor", "Attachments", "Description", "Amount", "Quantity",
      "Score", "DueDate", "Done",   "Status", "Tags",        "Customer",    "Owner",  "Link"};
  return fields;
}

engine::EntityConfig Entity() {
  engine::EntityConfig e;
  e.name = "big";
  e.list = kList;
  e.select = SelectedFields();
  return e;
}

std::unique_ptr<engine::Sink> OpenSink(
    const std::string& name, const std::vector<std::pair<std::string, std::string>>& cfg) {
  plugins::PluginFinder finder({std::filesystem::path(PluginDir())});
  auto plugin = finder.Load(name);
  plugins::SinkConfig config(cfg.begin(), cfg.end());
  return plugin->Open(config);
}

engine::SessionResult RunSession(engine::SharePointClient& client, engine::Sink& sink,
                                 engine::SessionOptions options, engine::SessionEvents events,
                                 const engine::EntityConfig* entity) {
  if (options.sink_name.empty()) options.sink_name = sink.info().name;
  engine::SyncSession session(client, sink, entity != nullptr ? *entity : Entity(), options,
                              std::move(events));
  engine::SessionResult r = session.Run(engine::Deadline());
  if (r.outcome != engine::Outcome::kComplete)
    throw std::runtime_error(std::string("session ") + engine::OutcomeName(r.outcome) + ": " +
                             r.error);
  return r;
}

std::unique_ptr<engine::EntitySchema> BuildSchema(engine::SharePointClient& client,
                                                  const std::string& list_id) {
  engine::Deadline deadline;
  auto fields = client.GetFields(list_id, deadline);
  std::vector<engine::SchemaField> selected;
  std::unordered_set<std::string> seen;
  const std::unordered_set<std::string> wanted(SelectedFields().begin(), SelectedFields().end());
  for (const auto& f : fields) {
    engine::SchemaField m = engine::MapField(f);
    if (engine::IsSystemKey(m.key) || engine::IsSystemKey(f.internal_name)) continue;
    if (!wanted.count(f.internal_name) && !wanted.count(f.entity_name) && !wanted.count(m.key) &&
        !wanted.count(f.title))
      continue;
    if (!seen.insert(m.key).second) continue;
    selected.push_back(std::move(m));
  }
  return std::make_unique<engine::EntitySchema>("big", list_id, kList, std::move(selected));
}

std::string FirstItemsUrl(engine::SharePointClient& client, const std::string& list_id,
                          const engine::EntitySchema& schema, int top) {
  return client.ListApi(list_id) +
         "/items?%24select=" + engine::EncodeQueryValue(schema.SelectClause()) +
         "&%24orderby=ID&%24top=" + std::to_string(top);
}

void StreamCounter::Install(engine::SessionEvents* events) {
  session_ = std::this_thread::get_id();
  events->page_requested = [this,
                            next = std::move(events->page_requested)](const std::string& url) {
    if (url.find("/items?") != std::string::npos && std::this_thread::get_id() != session_) {
      std::lock_guard lock(mu_);
      readers_.insert(std::this_thread::get_id());
    }
    if (next) next(url);
  };
}

int StreamCounter::streams() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(readers_.size());
}

std::vector<std::string> SingleStreamUrls(engine::SharePointClient& client,
                                          const std::string& list_id,
                                          const engine::EntitySchema& schema) {
  engine::ItemPageParser parser(schema);
  engine::ItemPage page;
  engine::Deadline deadline;
  std::vector<std::string> urls;
  for (std::string url = FirstItemsUrl(client, list_id, schema); !url.empty();
       url = page.next_link) {
    urls.push_back(url);
    client.Get(
        url, "reading items", deadline,
        [&](engine::HttpResponse& r) {
          page.body.swap(r.body);
          parser.Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
        },
        &page.body);
  }
  return urls;
}

double PeakRssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return 0;
}

void ServerCounters(const emulator::Emulator& emu, std::map<std::string, double>* out) {
  const emulator::Stats st = emu.GetStats();
  (*out)["srv_list"] = static_cast<double>(st.list_metadata);
  (*out)["srv_fields"] = static_cast<double>(st.fields);
  (*out)["srv_items"] = static_cast<double>(st.items);
  (*out)["srv_getitems"] = static_cast<double>(st.get_items + st.item_by_id);
  (*out)["srv_changes"] = static_cast<double>(st.get_changes);
  (*out)["srv_other"] = static_cast<double>(st.total - st.list_metadata - st.fields - st.items -
                                            st.get_items - st.item_by_id - st.get_changes);
}

std::vector<int64_t> LiveIds(const emulator::Emulator& emu) {
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(emu.ItemCount(kList)));
  emu.ForEachLiveItem(kList, [&](int64_t id, std::string_view) { ids.push_back(id); });
  return ids;
}

TableDigest DigestTables(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string why = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error(path + ": " + why);
  }
  auto query = [&](const std::string& sql, const std::function<void(sqlite3_stmt*)>& row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(path + ": " + sqlite3_errmsg(db) + " in " + sql);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error(path + ": " + sqlite3_errmsg(db));
  };
  TableDigest d;
  auto mix = [&](const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) d.checksum = (d.checksum ^ p[i]) * 0x100000001b3ULL;
  };
  std::vector<std::string> tables;
  query(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_spsync%' "
      "ESCAPE '\\' ORDER BY name",
      [&](sqlite3_stmt* st) {
        tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
      });
  for (const auto& t : tables) {
    mix(t.data(), t.size() + 1);
    query("SELECT * FROM \"" + t + "\" ORDER BY id", [&](sqlite3_stmt* st) {
      ++d.rows;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        if (std::string_view(sqlite3_column_name(st, c)) == "_synced_at") continue;
        const unsigned char* v = sqlite3_column_text(st, c);
        const int type = sqlite3_column_type(st, c);
        mix(&type, sizeof type);
        if (v != nullptr) mix(v, static_cast<size_t>(sqlite3_column_bytes(st, c)));
        mix("", 1);
      }
    });
  }
  sqlite3_close(db);
  return d;
}

std::string SizeLabel(int64_t n) {
  return n >= 1000000 && n % 1000000 == 0 ? std::to_string(n / 1000000) + "M"
         : n >= 1000                      ? std::to_string(n / 1000) + "k"
                                          : std::to_string(n);
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// ---- child process ------------------------------------------------------

void WriteReport(int fd, const std::string& report) {
  size_t off = 0;
  while (off < report.size()) {
    ssize_t w = ::write(fd, report.data() + off, report.size() - off);
    if (w <= 0) break;
    off += static_cast<size_t>(w);
  }
  ::close(fd);
}

ChildRun RunChild(const std::string& mode, const std::vector<std::string>& rest) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args = {exe, mode, std::to_string(fds[1])};
  args.insert(args.end(), rest.begin(), rest.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ChildRun run;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) run.out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  run.status = status;
  run.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  run.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return run;
}

ChildResult RunSyncInChild(const std::string& site_url, const std::string& sink,
                           const std::string& path, bool force_full, bool reconcile) {
  ChildRun run = RunChild("--spsync-child",
                          {site_url, sink, path, force_full ? "1" : "0", reconcile ? "1" : "0"});
  if (!run.ok)
    throw std::runtime_error("child sync failed (status " + std::to_string(run.status) +
                             "): " + run.out);
  ChildResult r;
  std::istringstream in(run.out);
  in >> r.elapsed_ms >> r.requests >> r.bytes >> r.upserted >> r.deleted >> r.peak_rss_mb >>
      r.outcome >> r.streams;
  if (!in) throw std::runtime_error("child sync printed '" + run.out + "'");
  return r;
}

int ChildMain(int argc, char** argv) {
  if (argc < 8) return 2;
  int fd = std::atoi(argv[2]);
  std::string site = argv[3], sink_name = argv[4], path = argv[5];
  engine::SessionOptions options;
  options.force_full = std::strcmp(argv[6], "1") == 0;
  options.reconcile = std::strcmp(argv[7], "1") == 0;
  std::string report;
  int rc = 0;
  try {
    auto client = MakeClient(site);
    std::vector<std::pair<std::string, std::string>> cfg;
    if (sink_name == "csv")
      cfg = {{"dir", path}};
    else
      cfg = {{"path", path}};
    auto sink = OpenSink(sink_name, cfg);
    auto t0 = std::chrono::steady_clock::now();
    engine::SessionEvents ev;
    StreamCounter streams;
    streams.Install(&ev);
    // SPSYNC_BENCH_RSS_TRACE=1: log each page where the peak RSS grows.
    if (std::getenv("SPSYNC_BENCH_RSS_TRACE") != nullptr) {
      ev.page_applied = [last = 0.0, page = 0](int64_t, int64_t) mutable {
        ++page;
        double now = PeakRssMb();
        if (now > last + 0.5) std::fprintf(stderr, "page %d: peak %.1f MiB\n", page, now);
        last = now;
      };
    }
    auto r = RunSession(*client, *sink, options, ev);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    sink.reset();
    std::ostringstream o;
    o << ms << ' ' << client->stats().requests.load() << ' ' << client->stats().bytes.load() << ' '
      << r.upserted << ' ' << r.deleted << ' ' << PeakRssMb() << ' '
      << engine::OutcomeName(r.outcome) << ' ' << streams.streams() << '\n';
    report = o.str();
  } catch (const std::exception& e) {
    report = std::string("error: ") + e.what() + "\n";
    rc = 1;
  }
  WriteReport(fd, report);
  return rc;
}

// ---- summary ------------------------------------------------------------

Summary& Summary::Get() {
  static Summary s;
  return s;
}

void Summary::Set(const std::string& key, double value) {
  std::lock_guard lock(mu_);
  values_[key] = value;
}

bool Summary::Has(const std::string& key) const {
  std::lock_guard lock(mu_);
  return values_.count(key) != 0;
}

double Summary::Value(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = values_.find(key);
  return it == values_.end() ? 0 : it->second;
}

void Summary::Row(const std::string& key, const std::string& target, const std::string& measured,
                  bool pass) {
  std::lock_guard lock(mu_);
  rows_[key] = Line{target, measured, pass};
}

std::string Fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Summary::Format() const {
  std::lock_guard lock(mu_);
  size_t w1 = 6, w2 = 8;
  for (const auto& [k, l] : rows_) {
    w1 = std::max(w1, l.target.size());
    w2 = std::max(w2, l.measured.size());
  }
  auto pad = [](const std::string& s, size_t w) {
    return s + std::string(w > s.size() ? w - s.size() : 0, ' ');
  };
  std::string out = "\nspsync-bench summary (targets of issues 9, 13 and 15)";
  if (SmokeMode()) out += " -- SMOKE MODE: tiny lists, figures are not meaningful";
  out += "\n" + pad("target", w1) + " | " + pad("measured", w2) + " | result\n";
  out += std::string(w1, '-') + "-+-" + std::string(w2, '-') + "-+-------\n";
  if (rows_.empty()) out += "(no target was measured by the selected benchmarks)\n";
  for (const auto& [k, l] : rows_)
    out +=
        pad(l.target, w1) + " | " + pad(l.measured, w2) + " | " + (l.pass ? "PASS" : "MISS") + "\n";
  return out;
}

}  // namespace spsync::bench
