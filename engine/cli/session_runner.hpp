// Runs the sessions of a config (what `spsync run` and `spsync demo` do):
// one session per selected (entity, sink) pair, run.parallel at a time, each
// under its pair lock, sharing one SharePoint client (and so one throttle
// gate); fires the incident hook; folds the outcomes into an exit code.
#pragma once

#include "entity_sessions.hpp"
#include "runtime.hpp"
#include "shard.hpp"
#include "spsync/engine/deadline.hpp"
#include "spsync/engine/discovery/discovery.hpp"
#include "spsync/engine/sync/sync_session.hpp"

#include <string>
#include <vector>

namespace spsync::cli {

struct RunRequest {
  std::vector<std::string> entities;  // empty = all
  ShardSpec shard;                    // only the entities of this shard (default: all)
  bool full = false;
  bool reconcile = false;
  bool progress = false;  // a live progress line on the terminal
};

struct RunReport {
  std::vector<engine::SessionResult> results;
  std::vector<engine::KnownList> gone;  // discovered lists no longer found
  int skipped = 0;                      // pairs locked by another run
  ShardSpec shard;
  size_t entities_in_shard = 0, entities_selected = 0;  // after the shard filter / before it
  int exit_code = 0;
};

// The entities of `all` that `names` selects (all when empty) and that
// belong to `shard`, in order. Throws ConfigError for a name `all` lacks.
// `selected`, if given, is increased by the number `names` selects before
// the shard filter.
std::vector<const engine::EntityEntry*> SelectEntities(const engine::Config& config,
                                                       const std::vector<engine::EntityEntry>& all,
                                                       const std::vector<std::string>& names,
                                                       const ShardSpec& shard,
                                                       size_t* selected = nullptr);

RunReport RunSessions(Runtime& rt, const RunRequest& request, const engine::Deadline& deadline);

// One entity's sessions as `run` runs them (see RunEntitySessions): failed
// sessions logged, incidents fired. Never throws.
EntityOutcome RunEntity(Runtime& rt, const engine::EntityEntry& entity,
                        const EntityRequest& request, const engine::Deadline& deadline,
                        const engine::ListSummary* list);

// One line per session, for stdout.
std::string FormatReport(const RunReport& report);

}  // namespace spsync::cli
