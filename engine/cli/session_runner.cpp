#include "session_runner.hpp"

#include "commands.hpp"
#include "entity_sessions.hpp"
#include "estate.hpp"

#include <Poco/JSON/Object.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace spsync::cli {

namespace {

// Live progress on a terminal: one line, redrawn, listing running sessions.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  void Update(const std::string& key, int64_t done, int64_t total) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    auto& s = sessions_[key];
    if (s.done == 0) s.started = now;
    s.done = done;
    s.total = total;
    if (now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    std::string line;
    for (const auto& [k, v] : sessions_) {
      double secs = std::chrono::duration<double>(now - v.started).count();
      double rate = secs > 0 ? v.done / secs : 0;
      char buf[200];
      std::snprintf(buf, sizeof(buf), "%s %lld/%lld %.0f/s ETA %.0fs  ", k.c_str(),
                    static_cast<long long>(v.done), static_cast<long long>(v.total), rate,
                    rate > 0 && v.total > v.done ? (v.total - v.done) / rate : 0.0);
      line += buf;
    }
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
  }
  void Done(const std::string& key) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(key);
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  struct S {
    int64_t done = 0, total = 0;
    std::chrono::steady_clock::time_point started;
  };
  bool enabled_;
  std::mutex mu_;
  std::map<std::string, S> sessions_;
  std::chrono::steady_clock::time_point last_draw_{};
};

void FireIncident(Runtime& rt, const engine::SessionResult& r) {
  spdlog::error("[{}/{}] INCIDENT: {} consecutive failed sessions; last error: {}", r.entity,
                r.sink, r.failed_sessions, r.error);
  const auto& run = rt.config.run;
  if (!run.incident_command.empty()) {
    pid_t pid = fork();
    if (pid == 0) {
      setenv("SPSYNC_ENTITY", r.entity.c_str(), 1);
      setenv("SPSYNC_SINK", r.sink.c_str(), 1);
      setenv("SPSYNC_FAILED_SESSIONS", std::to_string(r.failed_sessions).c_str(), 1);
      setenv("SPSYNC_ERROR", r.error.c_str(), 1);
      execl("/bin/sh", "sh", "-c", run.incident_command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      spdlog::error("incident command failed (exit status {})",
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  if (!run.incident_webhook.empty()) {
    Poco::JSON::Object o;
    o.set("entity", r.entity);
    o.set("sink", r.sink);
    o.set("failedSessions", r.failed_sessions);
    o.set("error", r.error);
    std::ostringstream body;
    o.stringify(body);
    engine::HttpRequest req;
    req.method = "POST";
    req.url = run.incident_webhook;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body.str();
    try {
      auto resp = rt.http->Send(req);
      if (resp.status >= 300) spdlog::error("incident webhook answered HTTP {}", resp.status);
    } catch (const std::exception& e) {
      spdlog::error("incident webhook failed: {}", e.what());
    }
  }
}

}  // namespace

EntityOutcome RunEntity(Runtime& rt, const engine::EntityEntry& e, const EntityRequest& er,
                        const engine::Deadline& deadline, const engine::ListSummary* list) {
  EntityOutcome outcome;
  try {
    outcome = RunEntitySessions(rt, e, e.sinks, er, deadline, list);
  } catch (const std::exception& ex) {  // e.g. the work dir cannot be created
    for (const auto& s : e.sinks) {
      engine::SessionResult r;
      r.entity = e.entity.name;
      r.sink = s;
      r.outcome = engine::Outcome::kFailed;
      r.error = ex.what();
      outcome.results.push_back(std::move(r));
    }
  }
  for (auto& r : outcome.results) {
    if (r.outcome == engine::Outcome::kFailed)
      spdlog::error("[{}/{}] session failed: {}", r.entity, r.sink, r.error);
    if (r.incident) FireIncident(rt, r);
  }
  return outcome;
}

std::vector<const engine::EntityEntry*> SelectEntities(const engine::Config& config,
                                                       const std::vector<engine::EntityEntry>& all,
                                                       const std::vector<std::string>& names,
                                                       const ShardSpec& shard, size_t* selected) {
  for (const auto& name : names) {
    bool known = false;
    for (const auto& e : all) known |= e.entity.name == name;
    if (!known)
      throw engine::ConfigError(config.path + ": no entity named \"" + name +
                                "\" (see `entities`, and `spsync status` for discovered ones)");
  }
  std::vector<const engine::EntityEntry*> entities;
  for (const auto& e : all) {
    if (!names.empty() && std::find(names.begin(), names.end(), e.entity.name) == names.end())
      continue;
    if (selected != nullptr) ++*selected;
    if (InShard(shard, EntityShardKey(config, e)))
      entities.push_back(&e);
    else if (!names.empty())  // asked for by name: say why it does not run
      spdlog::warn("entity \"{}\" belongs to shard {}/{}, not to this shard {}", e.entity.name,
                   ShardOf(EncodeShardKey(EntityShardKey(config, e)), shard.count), shard.count,
                   shard.ToString());
  }
  return entities;
}

RunReport RunSessions(Runtime& rt, const RunRequest& request, const engine::Deadline& deadline) {
  RunReport report;
  // Explicit entities and what discovery finds (one request per web). Every
  // shard reads the whole estate: the hash needs every entity's name.
  Estate estate = ReadEstate(rt, deadline);
  std::vector<const engine::EntityEntry*> entities =
      SelectEntities(rt.config, estate.expansion.entities, request.entities, request.shard,
                     &report.entities_selected);
  report.shard = request.shard;
  report.entities_in_shard = entities.size();
  if (request.shard.sharded())
    spdlog::info("shard {}: {} of {} entities (each with all its sinks)", request.shard.ToString(),
                 report.entities_in_shard, report.entities_selected);
  // Every shard reads the whole estate, so every shard reports gone lists.
  report.gone = estate.expansion.gone;
  for (const auto& [site, error] : estate.failed_sites) {
    engine::SessionResult r;
    r.entity = "(site " + site + ")";
    r.sink = "-";
    r.outcome = engine::Outcome::kFailed;
    r.error = "its lists could not be read: " + error;
    report.results.push_back(std::move(r));
  }

  std::mutex mu;
  std::atomic<size_t> next{0};
  ProgressLine progress(request.progress);
  EntityRequest er;
  er.full = request.full;
  er.reconcile = request.reconcile;
  er.progress = [&progress](const std::string& key, int64_t done, int64_t total) {
    if (total < 0)
      progress.Done(key);
    else
      progress.Update(key, done, total);
  };
  // One entity per worker: its sinks share one read of SharePoint where
  // their states allow (see entity_sessions.hpp).
  auto worker = [&] {
    while (true) {
      size_t i = next++;
      if (i >= entities.size()) return;
      const engine::EntityEntry& e = *entities[i];
      auto list = estate.expansion.lists.find(e.entity.name);
      EntityOutcome outcome = RunEntity(
          rt, e, er, deadline, list == estate.expansion.lists.end() ? nullptr : &list->second);
      std::lock_guard<std::mutex> g(mu);
      report.skipped += outcome.skipped;
      for (auto& r : outcome.results) report.results.push_back(std::move(r));
    }
  };
  std::vector<std::thread> threads;
  int n = std::max(1, std::min<int>(rt.config.run.parallel, static_cast<int>(entities.size())));
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  bool failed = false, partial = report.skipped > 0, incident = false;
  for (const auto& r : report.results) {
    failed |= r.outcome == engine::Outcome::kFailed;
    partial |= r.outcome == engine::Outcome::kPartial;
    incident |= r.incident;
  }
  report.exit_code = incident  ? kExitIncident
                     : failed  ? kExitFailed
                     : partial ? kExitPartial
                               : kExitOk;
  return report;
}

std::string FormatReport(const RunReport& report) {
  std::string out;
  if (report.shard.sharded())
    out += "shard " + report.shard.ToString() + ": " + std::to_string(report.entities_in_shard) +
           " of " + std::to_string(report.entities_selected) + " entities\n";
  size_t idle = 0;
  for (const auto& r : report.results) {
    if (r.idle) {
      ++idle;
      continue;
    }
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "%-20s -> %-10s %-9s mode=%-11s upserted=%lld deleted=%lld rejected=%lld %.1fs",
                  r.entity.c_str(), r.sink.c_str(), engine::OutcomeName(r.outcome),
                  engine::ModeName(r.mode), static_cast<long long>(r.upserted),
                  static_cast<long long>(r.deleted), static_cast<long long>(r.rejected),
                  r.elapsed.count() / 1000.0);
    out += buf;
    if (r.fell_back_to_full) out += " (fell back to a full sync)";
    if (!r.error.empty()) out += "\n    " + r.error;
    out += "\n";
  }
  if (idle > 0)
    out += std::to_string(idle) +
           " pair(s) idle: their lists did not change (no request made for them)\n";
  for (const auto& k : report.gone)
    out += k.name + ": list '" + k.title + "' is gone (" + k.gone_reason +
           "); its sinks keep data and state (`spsync reset --gone` forgets it)\n";
  if (report.skipped > 0)
    out += std::to_string(report.skipped) + " pair(s) skipped: another run holds their lock\n";
  return out;
}

}  // namespace spsync::cli
