// `spsync snapshot`: a snapshot of an entity's live items, where the sink supports it.
#include "args.hpp"
#include "commands.hpp"
#include "estate.hpp"
#include "runtime.hpp"

#include <iostream>

namespace spsync::cli {

int SnapshotCmd(const Argv& argv) {
  Args args(argv, {"--config", "--entity", "--sink", "--plugin-dir"}, {});
  SetupLogging("text", false);
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
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
  int made = 0;
  for (const auto& s : sinks) {
    if (!only.empty() && s != only) continue;
    auto sink = OpenSink(rt, s);
    if (!sink->info().snapshot()) {
      if (!only.empty())
        throw std::runtime_error("sink '" + s + "' (" + sink->info().name +
                                 ") cannot write snapshots");
      continue;
    }
    std::string bytes;
    auto r = sink->LoadState(name, &bytes);
    if (r.ok()) r = sink->Snapshot();
    if (!r.ok()) throw std::runtime_error("sink '" + s + "': " + r.message);
    std::cout << name << " -> " << s << ": " << (r.message.empty() ? "snapshot written" : r.message)
              << "\n";
    made++;
  }
  if (made == 0) throw std::runtime_error("no sink of entity '" + name + "' can write snapshots");
  return kExitOk;
}

}  // namespace spsync::cli
