// status, reset, validate, snapshot and sinks: the commands that look at or
// touch state and plugins without syncing.
#include "args.hpp"
#include "commands.hpp"
#include "runtime.hpp"
#include "spsync/engine/change_page.hpp"
#include "spsync/engine/state.hpp"
#include "spsync/plugins/option_validation.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <iostream>

namespace spsync::cli {

namespace {

std::string IsoTime(int64_t unix) {
  if (unix <= 0) return "never";
  std::time_t t = static_cast<std::time_t>(unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string TokenAge(const std::string& token) {
  engine::ChangeTokenParts p;
  if (token.empty() || !engine::ParseChangeToken(token, &p)) return "-";
  int64_t secs = static_cast<int64_t>(std::time(nullptr)) - engine::TicksToUnix(p.ticks);
  if (secs < 3600) return std::to_string(secs / 60) + "m";
  if (secs < 86400 * 2) return std::to_string(secs / 3600) + "h";
  return std::to_string(secs / 86400) + "d";
}

const engine::EntityEntry& FindEntity(const engine::Config& c, const std::string& name) {
  for (const auto& e : c.entities)
    if (e.entity.name == name) return e;
  throw engine::ConfigError(c.path + ": no entity named \"" + name + "\" (see `entities`)");
}

}  // namespace

int StatusCmd(const Argv& argv) {
  Args args(argv, {"--config", "--plugin-dir"}, {"--json"});
  SetupLogging("text", false);
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
  Poco::JSON::Array rows;
  bool json = args.Has("--json");
  if (!json)
    std::printf("%-16s %-10s %-12s %-26s %-21s %-6s %-24s %-9s %s\n", "ENTITY", "SINK", "MODE",
                "STAGE", "LAST SUCCESS", "FAILS", "PAGE TOKEN", "TOKEN AGE", "ITEMS");
  int rc = kExitOk;
  for (const auto& e : rt.config.entities) {
    for (const auto& s : e.sinks) {
      engine::SyncState st;
      std::string error;
      try {
        auto sink = OpenSink(rt, s);
        std::string bytes;
        auto r = sink->LoadState(e.entity.name, &bytes);
        if (!r.ok()) throw std::runtime_error(r.message);
        st = engine::DecodeState(bytes);
      } catch (const std::exception& ex) {
        error = ex.what();
        rc = kExitFailed;
      }
      std::string stage = st.mode == engine::SyncMode::kIncremental ? "changes"
                          : st.full_in_progress
                              ? "pages after ID " + std::to_string(st.page_last_id)
                              : "not started";
      std::string page_token =
          st.full_in_progress ? "Paged=TRUE&p_ID=" + std::to_string(st.page_last_id) : "-";
      std::string token =
          st.mode == engine::SyncMode::kIncremental ? st.change_token : st.full_start_token;
      if (json) {
        Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
        o.set("entity", e.entity.name);
        o.set("sink", s);
        o.set("mode", std::string(engine::ModeName(st.mode)));
        o.set("stage", stage);
        o.set("lastSuccess", st.last_success_unix > 0 ? IsoTime(st.last_success_unix) : "");
        o.set("failedSessions", st.failed_sessions);
        o.set("pageToken", page_token == "-" ? "" : page_token);
        o.set("changeTokenAge", TokenAge(token));
        o.set("itemsUpserted", st.items_upserted);
        o.set("itemsDeleted", st.items_deleted);
        o.set("lastError", error.empty() ? st.last_error : error);
        rows.add(o);
      } else {
        std::printf("%-16s %-10s %-12s %-26s %-21s %-6lld %-24s %-9s %lld\n", e.entity.name.c_str(),
                    s.c_str(), error.empty() ? engine::ModeName(st.mode) : "error", stage.c_str(),
                    IsoTime(st.last_success_unix).c_str(),
                    static_cast<long long>(st.failed_sessions), page_token.c_str(),
                    TokenAge(token).c_str(), static_cast<long long>(st.items_upserted));
        if (!error.empty())
          std::printf("    %s\n", error.c_str());
        else if (!st.last_error.empty())
          std::printf("    last error: %s\n", st.last_error.c_str());
      }
    }
  }
  if (json) {
    rows.stringify(std::cout);
    std::cout << "\n";
  }
  return rc;
}

int ResetCmd(const Argv& argv) {
  Args args(argv, {"--config", "--entity", "--sink", "--plugin-dir"}, {});
  SetupLogging("text", false);
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
  const auto& e = FindEntity(rt.config, args.Require("--entity"));
  std::string only = args.Get("--sink");
  if (!only.empty() && std::find(e.sinks.begin(), e.sinks.end(), only) == e.sinks.end())
    throw engine::ConfigError(rt.config.path + ": entity \"" + e.entity.name + "\" has no sink \"" +
                              only + "\"");
  for (const auto& s : e.sinks) {
    if (!only.empty() && s != only) continue;
    PairLock lock(rt.config.run.work_dir, e.entity.name, s);
    if (!lock.acquired())
      throw std::runtime_error(e.entity.name + "/" + s + " is being synced right now; try later");
    auto sink = OpenSink(rt, s);
    std::string bytes;
    auto r = sink->LoadState(e.entity.name, &bytes);
    if (!r.ok()) throw std::runtime_error("sink '" + s + "': " + r.message);
    engine::SyncState old = engine::DecodeState(bytes);
    // Keep what the sink may hold, so the next full sync deletes what is gone.
    engine::SyncState fresh;
    fresh.entity = e.entity.name;
    fresh.high_water_id = std::max(old.high_water_id, old.prior_high_water_id);
    r = sink->Persist(engine::EncodeState(fresh));
    if (!r.ok()) throw std::runtime_error("sink '" + s + "': " + r.message);
    std::cout << "reset " << e.entity.name << " -> " << s << ": the next run starts a full sync\n";
  }
  return kExitOk;
}

int ValidateCmd(const Argv& argv) {
  Args args(argv, {"--config", "--plugin-dir"}, {"--connect"});
  SetupLogging("text", false);
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
  int problems = 0;
  for (const auto& [name, entry] : rt.config.sinks) {
    try {
      auto plugin = rt.finder->Load(entry.plugin);
      auto errors = plugins::ValidateOptions(*plugin, entry.options);
      for (const auto& err : errors) std::cout << "sinks." << name << ": " << err << "\n";
      problems += static_cast<int>(errors.size());
      if (errors.empty()) {
        std::cout << "sinks." << name << ": ok (" << plugin->info().name << " "
                  << plugin->info().version << ", " << plugin->file().string() << ")\n";
        if (args.Has("--connect")) {
          auto sink = plugin->Open(entry.options);
          auto r = sink->Check();
          if (!r.ok()) {
            std::cout << "sinks." << name << ": check failed: " << r.message << "\n";
            problems++;
          }
        }
      }
    } catch (const std::exception& ex) {
      std::cout << "sinks." << name << ": " << ex.what() << "\n";
      problems++;
    }
  }
  if (args.Has("--connect")) {
    engine::Deadline deadline(std::chrono::seconds(120));
    for (const auto& e : rt.config.entities) {
      try {
        auto list = rt.client->GetList(e.entity.list, deadline);
        std::cout << "entities." << e.entity.name << ": ok (list '" << list.title << "', "
                  << list.item_count << " items)\n";
      } catch (const std::exception& ex) {
        std::cout << "entities." << e.entity.name << ": " << ex.what() << "\n";
        problems++;
      }
    }
  }
  std::cout << (problems == 0 ? "config is valid\n"
                              : std::to_string(problems) + " problem(s) found\n");
  return problems == 0 ? kExitOk : kExitUsage;
}

int SnapshotCmd(const Argv& argv) {
  Args args(argv, {"--config", "--entity", "--sink", "--plugin-dir"}, {});
  SetupLogging("text", false);
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
  const auto& e = FindEntity(rt.config, args.Require("--entity"));
  std::string only = args.Get("--sink");
  int made = 0;
  for (const auto& s : e.sinks) {
    if (!only.empty() && s != only) continue;
    auto sink = OpenSink(rt, s);
    if (!sink->info().snapshot()) {
      if (!only.empty())
        throw std::runtime_error("sink '" + s + "' (" + sink->info().name +
                                 ") cannot write snapshots");
      continue;
    }
    std::string bytes;
    auto r = sink->LoadState(e.entity.name, &bytes);
    if (r.ok()) r = sink->Snapshot();
    if (!r.ok()) throw std::runtime_error("sink '" + s + "': " + r.message);
    std::cout << e.entity.name << " -> " << s << ": "
              << (r.message.empty() ? "snapshot written" : r.message) << "\n";
    made++;
  }
  if (made == 0)
    throw std::runtime_error("no sink of entity '" + e.entity.name + "' can write snapshots");
  return kExitOk;
}

int SinksCmd(const Argv& argv) {
  Args args(argv, {"--plugin-dir"}, {});
  SetupLogging("text", false);
  std::vector<std::filesystem::path> dirs;
  for (const auto& d : args.All("--plugin-dir")) dirs.emplace_back(d);
  plugins::PluginFinder finder(dirs);
  std::cout << plugins::FormatPluginTable(finder.Discover());
  return kExitOk;
}

}  // namespace spsync::cli
