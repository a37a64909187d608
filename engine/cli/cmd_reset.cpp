// `spsync reset`: forget a pair's state so the next run starts a full sync.
#include "args.hpp"
#include "commands.hpp"
#include "pair_files.hpp"
#include "runtime.hpp"
#include "spsync/engine/sync/state.hpp"
#include "state_view.hpp"

#include <algorithm>
#include <iostream>

namespace spsync::cli {

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

}  // namespace spsync::cli
