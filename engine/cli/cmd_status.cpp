// `spsync status`: the sync state of every (entity, sink) pair, as a table or JSON.
#include "args.hpp"
#include "commands.hpp"
#include "runtime.hpp"
#include "spsync/engine/sync/state.hpp"
#include "state_view.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdio>
#include <iostream>

namespace spsync::cli {

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
                          : !st.full_in_progress                    ? "not started"
                          : st.ranges.empty()
                              ? "pages after ID " + std::to_string(st.page_last_id)
                              : std::to_string(st.ranges.size()) + " ID ranges left";
      // The position of the first unread range (the only one, usually).
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
        // A parallel full sync: every unread range as [after, last] (null = the list's end).
        Poco::JSON::Array ranges;
        for (const auto& rg : st.ranges) {
          Poco::JSON::Array pair;
          pair.add(rg.after);
          pair.add(rg.last == INT64_MAX ? Poco::Dynamic::Var() : Poco::Dynamic::Var(rg.last));
          ranges.add(pair);
        }
        o.set("ranges", ranges);
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

}  // namespace spsync::cli
