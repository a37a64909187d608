// The sessions of one entity: every selected sink of it, under each pair's
// lock. Sinks whose states stand at the same position share one session
// through a FanoutSink, so SharePoint is read once for all of them; the
// others get a session each. Used by `run` (and anything else that starts
// sessions), one entity per worker thread.
#pragma once

#include "runtime.hpp"
#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/web_catalog.hpp"
#include "spsync/engine/sync/state.hpp"
#include "spsync/engine/sync/sync_session.hpp"

#include <functional>
#include <string>
#include <vector>

namespace spsync::cli {

struct EntityRequest {
  bool full = false;       // --full
  bool reconcile = false;  // --reconcile
  // Called with ("entity/sinks", done, total) while a session runs, and with
  // total < 0 when it ends. May be empty.
  std::function<void(const std::string& key, int64_t done, int64_t total)> progress;
};

struct EntityOutcome {
  std::vector<engine::SessionResult> results;  // one per pair that ran
  int skipped = 0;                             // pairs locked by another run
};

// Runs the sessions of `entity` for `sinks` (names from the config). Never
// throws for a pair's failure: it is in that pair's result.
// `list`: the list as the site's lists collection described it just now
// (nullptr = not known); a pair whose state says nothing changed since is
// skipped without a request (see IdlePair).
EntityOutcome RunEntitySessions(Runtime& rt, const engine::EntityEntry& entity,
                                const std::vector<std::string>& sinks, const EntityRequest& request,
                                const engine::Deadline& deadline,
                                const engine::ListSummary* list = nullptr);

// What the list's dates must be compared with: the settings that change
// what rows hold (the selected fields).
std::string EntityFingerprint(const engine::EntityConfig& entity);

// True if the pair may skip this run: incremental, healthy, the list's
// modified and deleted dates as recorded, the settings unchanged, and the
// change log read within `idle_check_every`.
bool IdlePair(const engine::SyncState& state, const engine::ListSummary& list,
              const std::string& fingerprint, int64_t now, std::chrono::seconds idle_check_every);

}  // namespace spsync::cli
