// The sync state of one (entity, sink) pair. The engine hands it to the sink
// as opaque bytes at every persist() and reads it back with load_state(), so
// state and data live (and, for transactional sinks, commit) together.
#pragma once

#include "spsync/engine/export/export_state.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::engine {

enum class SyncMode { kFull, kIncremental };

// Item IDs in (after, last]; last == INT64_MAX is open-ended (the list's end).
struct IdRange {
  int64_t after = 0;
  int64_t last = INT64_MAX;
  bool operator==(const IdRange& o) const { return after == o.after && last == o.last; }
};

struct SyncState {
  std::string entity;
  std::string list_id;  // GUID of the list when the state was written; a new GUID = recreated list
  SyncMode mode = SyncMode::kFull;

  // Full mode. page_last_id is the ID of the last item of the last applied
  // page (the $skiptoken position); 0 = start from the beginning.
  int64_t page_last_id = 0;
  // A parallel full sync: the ranges not yet applied to their end, each as
  // (position applied, end). Empty = one range (page_last_id, open end).
  std::vector<IdRange> ranges;
  // The change token taken at the start of this full sync, kept across
  // resumes; incremental mode starts from it so changes made while the full
  // sync ran are replayed.
  std::string full_start_token;
  // The highest ID the sink may hold from before this full sync began: gaps
  // and the tail at or below it are deletions to send; above it there is
  // nothing to delete.
  int64_t prior_high_water_id = 0;
  bool full_in_progress = false;
  // A forced resync (--full) has read the whole list but no session has
  // completed since (its replay of the change log ran out of time): a --full
  // run now finishes that replay instead of reading the list again, or a
  // budget shorter than crawl + replay would never see the end.
  bool forced_replay = false;
  // A full sync through the Migration Export API (engine/src/export/): its
  // job and how far its manifests are applied.
  ExportJobState export_job;

  // Incremental mode: the token of the last change applied.
  std::string change_token;

  // The highest item ID ever sent to the sink.
  int64_t high_water_id = 0;
  // Unix seconds of the end of the last successful session (0 = never).
  int64_t last_success_unix = 0;
  int64_t last_full_unix = 0;
  // Consecutive failed sessions; reset by a success.
  int64_t failed_sessions = 0;
  std::string last_error;
  std::string schema_fingerprint;
  // The fields the sink's rows carry, one "key:SharePointType" each, as of the
  // last schema handed to begin(). A field that appears here later means the
  // existing rows lack it: the engine re-reads the list so they get it.
  std::vector<std::string> fields;
  // Idle runs (see README, "Idle runs"): the list's LastItemModifiedDate and
  // LastItemDeletedDate as the lists collection gave them before the last
  // complete session, when that session last read the change log, and the
  // entity's settings then. While all three still hold, a run skips the pair
  // without a request of its own.
  std::string list_modified, list_deleted;
  int64_t last_change_check_unix = 0;
  std::string config_fingerprint;
  // Counters, for `spsync status`.
  int64_t items_upserted = 0;
  int64_t items_deleted = 0;
  int64_t sessions = 0;

  bool blank() const { return list_id.empty() && change_token.empty() && !full_in_progress; }
};

// Encodes as a small JSON document (human-readable in a sink's state table).
std::string EncodeState(const SyncState& state);
// Decodes; an empty input gives a blank state. Throws std::runtime_error on
// bytes that are not a state this version understands.
SyncState DecodeState(std::string_view bytes);

const char* ModeName(SyncMode mode);

// True if two pairs of one entity stand at the same position in the list
// (mode, page, tokens, high-water IDs, fields), so one session's reads can
// feed both. Counters and the last error do not count.
bool SamePosition(const SyncState& a, const SyncState& b);

}  // namespace spsync::engine
