// `spsync reset`: forget a pair's state so the next run starts a full sync;
// with --gone, forget the discovered lists that no longer exist (their state
// in every sink, and their entry in the work directory; the data the sinks
// hold stays where it is).
#include "args.hpp"
#include "commands.hpp"
#include "estate.hpp"
#include "pair_files.hpp"
#include "runtime.hpp"
#include "spsync/engine/sync/state.hpp"

#include <algorithm>
#include <iostream>

namespace spsync::cli {

namespace {

// Writes `state` for `entity` in sink `sink`, under the pair's lock.
void PersistFor(Runtime& rt, const std::string& entity, const std::string& sink,
                const std::function<std::string(const engine::SyncState&)>& next) {
  PairLock lock(rt.config.run.work_dir, entity, sink);
  if (!lock.acquired())
    throw std::runtime_error(entity + "/" + sink + " is being synced right now; try later");
  auto s = OpenSink(rt, sink);
  std::string bytes;
  auto r = s->LoadState(entity, &bytes);
  if (!r.ok()) throw std::runtime_error("sink '" + sink + "': " + r.message);
  r = s->Persist(next(engine::DecodeState(bytes)));
  if (!r.ok()) throw std::runtime_error("sink '" + sink + "': " + r.message);
}

int ForgetGone(Runtime& rt) {
  int forgotten = 0;
  for (const auto& [name, site] : rt.config.sites) {
    if (site.discover.empty()) continue;
    engine::ListRegistry registry(rt.config.run.work_dir, name);
    registry.Load();
    std::vector<engine::KnownList> kept;
    for (const auto& k : registry.lists()) {
      if (k.gone_since == 0) {
        kept.push_back(k);
        continue;
      }
      for (const auto& s : k.sinks)
        PersistFor(rt, k.name, s, [](const engine::SyncState&) { return std::string(); });
      std::cout << "forgot " << k.name << " (list '" << k.title << "', " << k.gone_reason
                << "): its state is gone from " << k.sinks.size()
                << " sink(s); the data they hold stays\n";
      ++forgotten;
    }
    registry.lists() = std::move(kept);
    registry.Save();
  }
  if (forgotten == 0) std::cout << "no gone lists to forget\n";
  return kExitOk;
}

}  // namespace

int ResetCmd(const Argv& argv) {
  Args args(argv, {"--config", "--entity", "--sink", "--plugin-dir"}, {"--gone"});
  SetupLogging("text", false);
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
  if (args.Has("--gone")) {
    if (args.Has("--entity")) throw UsageError("--gone and --entity exclude each other");
    return ForgetGone(rt);
  }
  const std::string name = args.Require("--entity");
  std::vector<std::string> sinks;
  bool found = false;
  for (const auto& k : KnownEntities(rt))
    if (k.name() == name) {
      sinks = k.sinks();
      found = true;
    }
  if (!found)
    throw engine::ConfigError(rt.config.path + ": no entity named \"" + name +
                              "\" (see `entities`, and `spsync status` for discovered ones)");
  std::string only = args.Get("--sink");
  if (!only.empty() && std::find(sinks.begin(), sinks.end(), only) == sinks.end())
    throw engine::ConfigError(rt.config.path + ": entity \"" + name + "\" has no sink \"" + only +
                              "\"");
  for (const auto& s : sinks) {
    if (!only.empty() && s != only) continue;
    PersistFor(rt, name, s, [&](const engine::SyncState& old) {
      // Keep what the sink may hold, so the next full sync deletes what is gone.
      engine::SyncState fresh;
      fresh.entity = name;
      fresh.high_water_id = std::max(old.high_water_id, old.prior_high_water_id);
      return engine::EncodeState(fresh);
    });
    std::cout << "reset " << name << " -> " << s << ": the next run starts a full sync\n";
  }
  return kExitOk;
}

}  // namespace spsync::cli
