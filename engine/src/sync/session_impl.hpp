// Internals of SyncSession shared by its source files (full, incremental,
// sink calls). Not installed.
#pragma once

#include "spsync/engine/sharepoint/change_page.hpp"
#include "spsync/engine/sharepoint/item_page.hpp"
#include "spsync/engine/sharepoint/lookup_split.hpp"
#include "spsync/engine/sharepoint/people_lookups.hpp"
#include "spsync/engine/sharepoint/schema.hpp"
#include "spsync/engine/sync/attachments.hpp"
#include "spsync/engine/sync/sync_session.hpp"
#include "spsync/engine/sync/versions.hpp"

#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace spsync::engine {

class RangeScheduler;
namespace exporter {
struct ExportRun;  // engine/src/export/export_session.cpp
class MigrationApi;
}  // namespace exporter

// One bulk request of changed items: a dense run as `ID ge a and ID le b`,
// or a CAML <In> chunk.
struct FetchUnit {
  int64_t first = 0, last = 0;  // a range, when ids is empty
  std::vector<int64_t> ids;
};

// A sink call failed for good (FATAL, or RETRYABLE past its attempts).
class SinkFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The session stopped at a clean point because the time budget ran out.
class BudgetReached : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Calls the sink with retries for RETRYABLE, dead-letters REJECTED records,
// and turns FATAL into SinkFailure.
class SinkCaller {
 public:
  SinkCaller(Sink& sink, const SessionOptions& options, const std::string& entity);
  void Begin(const spsync_schema& schema);
  // Returns the number of records the sink rejected.
  int64_t Upsert(const ItemPage& page);
  int64_t Upsert(const spsync_item* const* items, size_t count);
  void Delete(const std::vector<int64_t>& ids);
  void DeleteRanges(const std::vector<spsync_id_range>& ranges);
  void Persist(const SyncState& state);
  void PersistBytes(std::string_view state);
  // Sink ABI 1.2. Returns the number of versions the sink rejected.
  int64_t WriteVersions(const spsync_version* const* versions, size_t count);
  // Sink ABI 1.2 attachments, retried like the rest (the streaming calls are
  // retried per file by AttachmentSync, not here).
  void ListAttachments(const int64_t* item_ids, size_t count, const spsync_attachment* const** out,
                       size_t* out_count);
  void AttachmentDelete(int64_t item_id, std::string_view file_name);
  std::string LoadState();

 private:
  SinkResult Call(const char* what, const std::function<SinkResult()>& fn);
  void DeadLetter(const std::string& op, const std::string& record, const std::string& why);

  Sink& sink_;
  const SessionOptions& options_;
  std::string entity_;
  std::unique_ptr<std::ofstream> dead_letter_;
};

// Streams deletions to the sink in bounded batches: ranges where the sink
// takes ranges, explicit IDs otherwise. Only IDs in [1, limit] are sent:
// above the highest ID the sink could hold there is nothing to delete.
class DeletionWriter {
 public:
  DeletionWriter(SinkCaller& caller, bool ranges, int64_t limit);
  // Deletes every ID in [first, last] (clipped to the limit). last may be INT64_MAX.
  void AddRange(int64_t first, int64_t last);
  void Add(int64_t id) { AddRange(id, id); }
  // Everything from `first` up: an open range where the sink takes ranges
  // (robust even if the sink drifted above the limit), else up to the limit.
  void AddTail(int64_t first);
  // Sends what is buffered. Returns the number of IDs (or range span) sent since construction.
  void Flush();
  int64_t count() const { return count_; }

 private:
  SinkCaller& caller_;
  bool ranges_;
  int64_t limit_;
  std::vector<spsync_id_range> pending_ranges_;
  std::vector<int64_t> pending_ids_;
  int64_t count_ = 0;
};

class SyncSession::Impl {
 public:
  Impl(SharePointClient& client, Sink& sink, const EntityConfig& entity,
       const SessionOptions& options, const SessionEvents& events, const Deadline& deadline);
  SessionResult Run();

 private:
  void Prepare();
  void StartBlankFull(const std::string& reason);
  // Records the list's dates and the settings for the next idle-run check.
  void RecordListDates();
  // The fields of `fields_now` that the sink's existing rows were not written
  // with, comma-separated ("" = none, or nothing written yet).
  std::string MissingFields(const std::vector<std::string>& fields_now) const;
  void RunFull();
  // The Migration Export path (engine/src/export/export_session.cpp): true
  // when it put the whole list in the sink; false when the entity pages
  // through REST (its strategy, or a fallback it logged).
  bool RunExport();
  // Its steps: reads one manifest blob, applying the items after `skip`
  // (INT64_MAX: only noting the IDs); reads the job's events; adds the
  // manifests SystemData.xml lists that no event named (true if any).
  void ReadManifest(exporter::ExportRun& run, const std::string& container, const std::string& blob,
                    int64_t skip);
  void PollJob(exporter::ExportRun& run, exporter::MigrationApi& api, const std::string& queue);
  bool AddListedManifests(exporter::ExportRun& run, const std::string& container);
  // After a full read: deletions done, switch to incremental from the token
  // taken at the start.
  void FinishFull();
  // Streams a full sync starts with: entity_.streams, or automatic (1 or 2).
  int Streams() const;
  // The most streams an automatic full sync may grow to: by the list's size,
  // or under a request budget as many as keep the budget busy at the
  // latency measured since (answer_micros0, answered0).
  int StreamCap(uint64_t answer_micros0, uint64_t answered0) const;
  static constexpr int kMaxBudgetStreams = 32;
  // Splits the list's ID space for `streams` readers (one request for the
  // highest ID, returned in *max_id).
  std::vector<IdRange> PlanRanges(int streams, int64_t* max_id);
  // The scheduler's unapplied ranges into state_ (ranges / page_last_id).
  void RecordRanges(const RangeScheduler& sched);
  void RunIncremental();
  void ApplyChanges(const std::vector<Change>& log);
  // Bulk fetches in flight at once in incremental mode.
  size_t IncrementalStreams(size_t units) const;
  // Every page of one bulk fetch (safe to call from a helper thread).
  std::vector<ItemPage> FetchUnitPages(const FetchUnit& unit);
  void RunReconcile();
  std::string ItemsUrl(int64_t after_id, bool ids_only) const;
  // GETs and parses an item page. `after_id` > 0: the page was asked for
  // after that ID, and must start above it.
  void FetchPage(const std::string& url, ItemPage* page, spsync_change_kind kind,
                 int64_t after_id = 0);
  void Persist();
  void CheckBudget(const char* where);
  int64_t Now() const;

  SharePointClient& client_;
  SinkCaller caller_;
  Sink& sink_;
  const EntityConfig& entity_;
  const SessionOptions& options_;
  const SessionEvents& events_;
  const Deadline& deadline_;

  SyncState state_;
  ListInfo list_;
  std::vector<ListField> list_fields_;  // as GetFields read them (the export maps them)
  std::unique_ptr<EntitySchema> schema_;
  std::unique_ptr<ItemPageParser> parser_;
  // Column groups of a list past the lookup column threshold; null below it.
  std::unique_ptr<LookupSplit> split_;
  // The $select of item requests (the main group's, when split).
  std::string Select() const { return split_ ? split_->select() : schema_->SelectClause(); }
  // The `$select=...` of item requests, encoded, with each item's attachment
  // set (`AttachmentFiles`, expanded) when attachments are synced.
  std::string SelectQuery() const;
  // People and lookups resolved (entity `resolve`); null when off.
  std::unique_ptr<Resolver> resolver_;
  // Item versions (entity `versions`, a sink that keeps them); null when off.
  std::unique_ptr<VersionWriter> versions_;
  // Attachments (entity `attachments`, a sink that keeps them); null when off.
  std::unique_ptr<AttachmentSync> attachments_;
  SessionResult result_;
};

}  // namespace spsync::engine
