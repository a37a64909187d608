// One sync session for one (entity, sink) pair: the full / incremental state
// machine. See docs in README "Architecture" and shared/docs/architecture.md.
//
//   load state -> resolve list (GUID changed? -> full) -> fields -> begin(schema)
//   full:  take the change token first; page by ID ascending; each page:
//          upsert, delete the ID gaps (inline deletion detection), persist;
//          then the tail above the last ID; switch to incremental from the
//          token taken at the start (replays changes made meanwhile)
//   incr:  GetChanges pages from the stored token; collapse per item in log
//          order; fetch upserted items in bulk; apply; persist the token of
//          the last change applied; until drained
//   token expired / foreign / too old -> full resync
//
// Thread safety: a session is run by one thread; several sessions may share
// one SharePointClient. A full sync reads pages on `streams` helper threads
// while the session's thread hands them to the sink; the sink is only ever
// called from the session's thread.
#pragma once

#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sink.hpp"
#include "spsync/engine/sync/state.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace spsync::engine {

struct EntityConfig {
  std::string name;                 // the operator's name, e.g. "orders"
  std::string list;                 // title, Lists/Name, server-relative URL or GUID
  std::vector<std::string> select;  // field names; empty = every non-hidden field
  int page_size = 5000;             // $top of item pages (max 5000)
  int fetch_limit = 2000;           // GetChanges FetchLimit (max 2000)
  int token_max_age_days = 55;      // older change tokens force a full resync
  int streams = 0;                  // ID ranges read at once in a full sync (0 = automatic)
  // How a full sync reads the list (README "Migration Export"): "rest"
  // (paging), "export" (the Migration Export API), "auto" (export from
  // export_above items on).
  std::string full_sync = "rest";
  int64_t export_above = 100000;
  // The operator's SAS URLs (secrets: never logged); empty = provisioned
  // through ProvisionMigrationContainers / ProvisionMigrationQueue.
  std::string export_container_url{}, export_queue_url{};
  bool export_encrypt = true;
  std::string export_progress =
      "queue";                   // "queue" (Azure queue) or "api" (GetMigrationJobProgress)
  int export_poll_seconds = 60;  // between GetMigrationJobProgress polls
  // Complete backups (README "Complete backups", sink ABI 1.2). Each needs a
  // sink that has the feature; one without it gets none of it.
  bool attachments = false;  // the files attached to items
  bool versions = false;     // every version of the items a session touches
  // People and lookups resolved: every User / Lookup field (resolve_all), or
  // the fields named (internal name, entity name or title).
  bool resolve_all = false;
  std::vector<std::string> resolve_fields{};
  bool resolves() const { return resolve_all || !resolve_fields.empty(); }
};

struct SessionOptions {
  bool force_full = false;  // forget the state and start a blank full sync
  bool reconcile = false;   // ID-only pass that deletes what the list no longer has
  int sink_attempts = 5;    // tries of a sink call that answers RETRYABLE
  std::chrono::milliseconds sink_backoff{200};
  std::string dead_letter_file;      // where REJECTED records go ("" = count only)
  int64_t incident_after_fails = 0;  // failed sessions that raise an incident (0 = never)
  std::string sink_name;             // for messages
  // For idle runs: the list's dates as the lists collection gave them just
  // before this session ("" = unknown), and the entity's settings; recorded
  // in the state when the session completes.
  std::string seen_modified, seen_deleted;
  int64_t seen_at_unix = 0;  // when the dates were read
  std::string config_fingerprint;
};

enum class Outcome { kComplete, kPartial, kFailed };
const char* OutcomeName(Outcome o);

struct SessionResult {
  Outcome outcome = Outcome::kComplete;
  std::string entity, sink;
  std::string error;                // why it failed or stopped early
  SyncMode mode = SyncMode::kFull;  // mode at the end
  // deleted counts the IDs sent for deletion: from the change log, exact; in
  // a full resync, every ID gap at or below the sink's high-water ID, which
  // includes IDs the list never had (sinks ignore unknown IDs).
  int64_t upserted = 0, deleted = 0, rejected = 0, pages = 0;
  int64_t failed_sessions = 0;
  bool incident = false;
  bool fell_back_to_full = false;
  bool idle = false;  // skipped: the list did not change (no request made)
  std::chrono::milliseconds elapsed{0};
};

// Hooks; any may be empty. Called on the session's thread, except
// page_requested, which the full sync's streams call from their threads.
struct SessionEvents {
  std::function<void(const std::string& entity, SyncMode mode)> session_started;
  std::function<void(const SessionResult& result)> session_finished;
  std::function<void(const std::string& what)> page_requested;
  std::function<void(int64_t upserted, int64_t deleted)> page_applied;
  std::function<void(int64_t count)> deletions_found;
  std::function<void(const std::string& reason)> fallback_to_full;
  std::function<void(int64_t failed_sessions, const std::string& error)> incident;
  std::function<void(int64_t done, int64_t total)> progress;
};

class SyncSession {
 public:
  SyncSession(SharePointClient& client, Sink& sink, EntityConfig entity, SessionOptions options,
              SessionEvents events = {});
  SyncSession(const SyncSession&) = delete;
  SyncSession& operator=(const SyncSession&) = delete;

  // Runs until complete, the deadline, or a failure. Never throws for
  // SharePoint or sink failures: they are in the result (and the persisted
  // failed-session count).
  SessionResult Run(const Deadline& deadline);

 private:
  class Impl;
  SharePointClient& client_;
  Sink& sink_;
  EntityConfig entity_;
  SessionOptions options_;
  SessionEvents events_;
};

}  // namespace spsync::engine
