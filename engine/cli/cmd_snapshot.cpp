// `spsync snapshot`: a snapshot of an entity's live items, where the sink supports it.
#include "args.hpp"
#include "commands.hpp"
#include "runtime.hpp"
#include "state_view.hpp"

#include <iostream>

namespace spsync::cli {

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

}  // namespace spsync::cli
