// One read of SharePoint feeding several sinks: an entity with two sinks
// whose states stand at the same position is synced by one session whose
// sink is a FanoutSink over both (issue 20: "two sinks of one entity read
// SharePoint twice").
//
// Each member keeps its own retries, dead-letter file and failure: a member
// that fails (FATAL, or RETRYABLE past its attempts) is dropped from the rest
// of the session, with its error kept, while the others carry on. Its state
// stays at its last persist, so its next session resumes from there on its
// own. The fan-out fails only when every member has failed.
//
// Thread safety: like any Sink, used by one session at a time. Members are
// borrowed and must outlive the FanoutSink.
#pragma once

#include "spsync/engine/sink.hpp"
#include "spsync/engine/sync/sync_session.hpp"

#include <memory>
#include <string>
#include <vector>

namespace spsync::engine {

class FanoutSink : public Sink {
 public:
  struct Member {
    Sink* sink = nullptr;    // borrowed
    SessionOptions options;  // sink_name, dead_letter_file, sink_attempts, sink_backoff
  };
  FanoutSink(std::vector<Member> members, const std::string& entity);
  ~FanoutSink() override;

  // After the session: whether member i is still in, and if not, why.
  bool alive(size_t i) const;
  const std::string& error(size_t i) const;
  // Records member i rejected (and dead-lettered).
  int64_t rejected(size_t i) const;
  size_t size() const;

  const SinkInfo& info() const override { return info_; }
  SinkResult LoadState(std::string_view entity, std::string* state) override;
  SinkResult Begin(const spsync_schema& schema) override;
  SinkResult Upsert(const spsync_item* const* items, size_t count) override;
  SinkResult Delete(const int64_t* ids, size_t count) override;
  SinkResult DeleteRanges(const spsync_id_range* ranges, size_t count) override;
  SinkResult Persist(std::string_view state) override;
  SinkResult Snapshot() override;
  SinkResult Check() override;
  // Sink ABI 1.2: forwarded to the members that have the feature.
  SinkResult WriteVersions(const spsync_version* const* versions, size_t count) override;
  // Attachments go to the members that keep them. A file counts as held
  // (ListAttachments) only when every such member holds it alike; otherwise
  // it is listed with size -1, so the engine downloads it again for all.
  // A member whose begin / write / commit fails for good is dropped; a
  // RETRYABLE one makes the whole call RETRYABLE (the engine aborts the file
  // in every member and starts it over).
  SinkResult AttachmentBegin(const spsync_attachment& attachment) override;
  SinkResult AttachmentWrite(const void* data, size_t len) override;
  SinkResult AttachmentCommit(const spsync_attachment& attachment) override;
  void AttachmentAbort() override;
  SinkResult AttachmentDelete(int64_t item_id, std::string_view file_name) override;
  SinkResult ListAttachments(const int64_t* item_ids, size_t count,
                             const spsync_attachment* const** out, size_t* out_count) override;

 private:
  struct Slot;
  // Calls `op` on every live member; drops those that fail for good.
  SinkResult Each(const char* what, const std::function<void(Slot&)>& op);
  // One streaming attachment call on every open member (see above).
  SinkResult Stream(const char* what, bool opening, const std::function<SinkResult(Sink&)>& op);

  struct Listed;  // ListAttachments' merged records

  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<Listed> listed_;
  SinkInfo info_;
};

}  // namespace spsync::engine
