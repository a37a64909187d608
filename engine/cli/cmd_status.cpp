// `spsync status`: the sync state of every (entity, sink) pair: a summary by
// state first (readable at a thousand pairs), then the pairs, narrowed by
// --entity GLOB, --site NAME, --failed and --gone; --json gives every field.
// --shard i/n (or --shards n) scopes it all to the pairs `run` with the same
// option runs.
// Reads only what the sinks and the work directory hold: no request to
// SharePoint.
#include "args.hpp"
#include "commands.hpp"
#include "estate.hpp"
#include "runtime.hpp"
#include "shard.hpp"
#include "spsync/engine/discovery/list_names.hpp"
#include "spsync/engine/sync/state.hpp"
#include "state_view.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdio>
#include <iostream>
#include <map>

namespace spsync::cli {

namespace {

struct PairView {
  std::string entity, site, sink;
  bool discovered = false, gone = false;
  std::string gone_reason;
  engine::SyncState state;
  std::string error;  // the state could not be read

  // The one word a summary counts it under.
  std::string Kind() const {
    if (!error.empty()) return "unreadable";
    if (gone) return "gone";
    if (state.failed_sessions > 0) return "failing";
    if (state.mode == engine::SyncMode::kIncremental) return "incremental";
    if (state.full_in_progress) return "full sync in progress";
    return "not synced yet";
  }
};

std::string Stage(const engine::SyncState& st) {
  if (st.mode == engine::SyncMode::kIncremental) return "changes";
  if (!st.full_in_progress) return "not started";
  if (st.ranges.empty()) return "pages after ID " + std::to_string(st.page_last_id);
  return std::to_string(st.ranges.size()) + " ID ranges left";
}

}  // namespace

int StatusCmd(const Argv& argv) {
  Args args(argv, {"--config", "--plugin-dir", "--entity", "--site", "--shard", "--shards"},
            {"--json", "--failed", "--gone"});
  SetupLogging("text", false);
  ShardSpec shard = ShardFromArgs(args);
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
  const auto globs = args.All("--entity");
  const auto sites = args.All("--site");
  for (const auto& s : sites)
    if (!rt.config.sites.count(s))
      throw UsageError("--site " + s + ": the config has no such site");

  // Every known pair, each sink opened once and bound to entity after entity.
  std::vector<PairView> pairs;
  std::map<std::string, std::unique_ptr<engine::Sink>> sinks;
  std::map<std::string, std::string> sink_errors;
  for (const auto& k : KnownEntities(rt)) {
    // The same entities `run` with the same --shard / --shards runs.
    if (!InShard(shard, EntityShardKey(rt.config, k.site, k.name()))) continue;
    for (const auto& s : k.sinks()) {
      PairView p;
      p.entity = k.name();
      p.site = k.site;
      p.sink = s;
      p.discovered = k.entity == nullptr;
      p.gone = k.gone();
      p.gone_reason = k.discovered.gone_reason;
      try {
        if (!sinks.count(s) && !sink_errors.count(s)) {
          try {
            sinks[s] = OpenSink(rt, s);
          } catch (const std::exception& e) {
            sink_errors[s] = e.what();
          }
        }
        if (sink_errors.count(s)) throw std::runtime_error(sink_errors[s]);
        std::string bytes;
        auto r = sinks[s]->LoadState(p.entity, &bytes);
        if (!r.ok()) throw std::runtime_error(r.message);
        p.state = engine::DecodeState(bytes);
      } catch (const std::exception& e) {
        p.error = e.what();
      }
      pairs.push_back(std::move(p));
    }
  }

  auto selected = [&](const PairView& p) {
    if (!sites.empty() && std::find(sites.begin(), sites.end(), p.site) == sites.end())
      return false;
    if (!globs.empty() && std::none_of(globs.begin(), globs.end(), [&](const std::string& g) {
          return engine::GlobMatch(g, p.entity);
        }))
      return false;
    if (args.Has("--failed") && p.state.failed_sessions == 0 && p.error.empty()) return false;
    if (args.Has("--gone") && !p.gone) return false;
    return true;
  };
  int rc = kExitOk;
  for (const auto& p : pairs)
    if (!p.error.empty()) rc = kExitFailed;

  if (args.Has("--json")) {
    Poco::JSON::Array rows;
    for (const auto& p : pairs) {
      if (!selected(p)) continue;
      const auto& st = p.state;
      Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
      o.set("entity", p.entity);
      o.set("sink", p.sink);
      o.set("mode", std::string(engine::ModeName(st.mode)));
      o.set("stage", Stage(st));
      o.set("lastSuccess", st.last_success_unix > 0 ? IsoTime(st.last_success_unix) : "");
      o.set("failedSessions", st.failed_sessions);
      o.set("pageToken",
            st.full_in_progress ? "Paged=TRUE&p_ID=" + std::to_string(st.page_last_id) : "");
      // A parallel full sync: every unread range as [after, last] (null = the list's end).
      Poco::JSON::Array ranges;
      for (const auto& rg : st.ranges) {
        Poco::JSON::Array pair;
        pair.add(rg.after);
        pair.add(rg.last == INT64_MAX ? Poco::Dynamic::Var() : Poco::Dynamic::Var(rg.last));
        ranges.add(pair);
      }
      o.set("ranges", ranges);
      o.set("changeTokenAge",
            TokenAge(st.mode == engine::SyncMode::kIncremental ? st.change_token
                                                               : st.full_start_token));
      o.set("itemsUpserted", st.items_upserted);
      o.set("itemsDeleted", st.items_deleted);
      o.set("lastError", p.error.empty() ? st.last_error : p.error);
      o.set("site", p.site);
      o.set("discovered", p.discovered);
      o.set("state", p.Kind());
      o.set("gone", p.gone);
      if (p.gone) o.set("goneReason", p.gone_reason);
      rows.add(o);
    }
    rows.stringify(std::cout);
    std::cout << "\n";
    return rc;
  }

  // The summary first: how many pairs are in which state.
  std::map<std::string, int> by_kind;
  for (const auto& p : pairs) by_kind[p.Kind()]++;
  std::printf("%zu pair(s):", pairs.size());
  for (const auto& [kind, n] : by_kind) std::printf("  %d %s", n, kind.c_str());
  std::printf("\n\n");
  std::printf("%-24s %-10s %-10s %-22s %-26s %-21s %-6s %-9s %s\n", "ENTITY", "SITE", "SINK",
              "STATE", "STAGE", "LAST SUCCESS", "FAILS", "TOKEN AGE", "ITEMS");
  size_t shown = 0;
  for (const auto& p : pairs) {
    if (!selected(p)) continue;
    ++shown;
    const auto& st = p.state;
    std::string token =
        st.mode == engine::SyncMode::kIncremental ? st.change_token : st.full_start_token;
    std::printf("%-24s %-10s %-10s %-22s %-26s %-21s %-6lld %-9s %lld\n", p.entity.c_str(),
                p.site.c_str(), p.sink.c_str(), p.Kind().c_str(), Stage(st).c_str(),
                IsoTime(st.last_success_unix).c_str(), static_cast<long long>(st.failed_sessions),
                TokenAge(token).c_str(), static_cast<long long>(st.items_upserted));
    if (!p.error.empty())
      std::printf("    %s\n", p.error.c_str());
    else if (p.gone)
      std::printf("    gone: %s; data and state kept (`spsync reset --gone` forgets it)\n",
                  p.gone_reason.c_str());
    else if (!st.last_error.empty())
      std::printf("    last error: %s\n", st.last_error.c_str());
  }
  if (shown < pairs.size())
    std::printf("(%zu of %zu pairs shown; filters: --entity GLOB, --site NAME, --failed, --gone)\n",
                shown, pairs.size());
  return rc;
}

}  // namespace spsync::cli
