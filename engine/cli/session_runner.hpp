// Runs the sessions of a config (what `spsync run` and `spsync demo` do):
// one session per selected (entity, sink) pair, run.parallel at a time, each
// under its pair lock, sharing one SharePoint client (and so one throttle
// gate); fires the incident hook; folds the outcomes into an exit code.
#pragma once

#include "runtime.hpp"
#include "spsync/engine/deadline.hpp"
#include "spsync/engine/discovery/discovery.hpp"
#include "spsync/engine/sync/sync_session.hpp"

#include <string>
#include <vector>

namespace spsync::cli {

struct RunRequest {
  std::vector<std::string> entities;  // empty = all
  bool full = false;
  bool reconcile = false;
  bool progress = false;  // a live progress line on the terminal
};

struct RunReport {
  std::vector<engine::SessionResult> results;
  std::vector<engine::KnownList> gone;  // discovered lists no longer found
  int skipped = 0;                      // pairs locked by another run
  int exit_code = 0;
};

RunReport RunSessions(Runtime& rt, const RunRequest& request, const engine::Deadline& deadline);

// One line per session, for stdout.
std::string FormatReport(const RunReport& report);

}  // namespace spsync::cli
