// PluginSink: one opened instance of a sink plugin, seen as the engine's
// Sink. Created by LoadedPlugin::Open(); the engine only sees engine::Sink.
//
// Every call is guarded: the host builds an spsync_call whose set_message()
// and reject() collect into the returned SinkResult, then checks what the
// plugin did against the ABI. A status outside the enum, a non-OK status
// without a message, REJECTED without reject() calls (or reject() with OK),
// reject() from a call that has no batch or with an index outside the batch,
// load_state() returning len > 0 with a NULL pointer, records from the read
// and list callbacks that break their contract (NULL, too small, out of
// order, more than asked for), and a missing optional callback all become
// FATAL results whose message names the plugin file. The plugin's own
// messages are passed through unchanged.
//
// Attachments (ABI 1.2): the adapter keeps the begin / write / commit |
// abort state machine (one open attachment, nothing else called while it is
// open, after a failed write or commit only abort), counts the bytes and
// computes their SHA-256 while they stream, and gives the plugin the exact
// size and hash at commit (checking any the engine passed). Chunks larger
// than SPSYNC_ATTACHMENT_CHUNK_MAX are split.
//
// Ownership: owns the spsync_instance (closed in the destructor) and a
// reference to its LoadedPlugin, which keeps the library loaded. Pointers
// passed in are borrowed for the call; what the read and list calls return
// is the plugin's, valid until the next call on this sink.
//
// Thread safety: like every engine::Sink, one object is called from one
// thread at a time; it still takes a per-instance mutex so a misuse cannot
// break the ABI's promise. Calls into plugins without
// SPSYNC_CAP_THREAD_SAFE are additionally serialised across all instances of
// the library.
#pragma once

#include <spsync/sink.h>
#include <spsync/engine/sink.hpp>
#include <spsync/plugins/loaded_plugin.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace spsync::plugins {

namespace detail {
class Sha256Stream;
}

class PluginSink final : public engine::Sink {
 public:
  // Takes ownership of `instance` (returned by the plugin's open()), whose
  // capabilities are `capabilities` (instance_capabilities() or the plugin's).
  PluginSink(std::shared_ptr<LoadedPlugin> plugin, spsync_instance* instance,
             uint64_t capabilities);
  ~PluginSink() override;
  PluginSink(const PluginSink&) = delete;
  PluginSink& operator=(const PluginSink&) = delete;

  // This instance: the plugin's description with the instance's capabilities.
  const engine::SinkInfo& info() const override;
  engine::SinkResult LoadState(std::string_view entity, std::string* state) override;
  engine::SinkResult Begin(const spsync_schema& schema) override;
  engine::SinkResult Upsert(const spsync_item* const* items, size_t count) override;
  engine::SinkResult Delete(const int64_t* ids, size_t count) override;
  engine::SinkResult DeleteRanges(const spsync_id_range* ranges, size_t count) override;
  engine::SinkResult Persist(std::string_view state) override;
  engine::SinkResult Snapshot() override;
  engine::SinkResult Check() override;

  engine::SinkResult AttachmentBegin(const spsync_attachment& attachment) override;
  engine::SinkResult AttachmentWrite(const void* data, size_t len) override;
  engine::SinkResult AttachmentCommit(const spsync_attachment& attachment) override;
  void AttachmentAbort() override;
  engine::SinkResult AttachmentDelete(int64_t item_id, std::string_view file_name) override;
  engine::SinkResult ListAttachments(const int64_t* item_ids, size_t count,
                                     const spsync_attachment* const** out,
                                     size_t* out_count) override;
  engine::SinkResult WriteVersions(const spsync_version* const* versions, size_t count) override;
  engine::SinkResult ReadSchema(const spsync_schema** schema) override;
  engine::SinkResult ReadItems(int64_t after_id, size_t max_count, const spsync_item* const** items,
                               size_t* count) override;
  engine::SinkResult ReadVersions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                                  const spsync_version* const** versions, size_t* count) override;
  engine::SinkResult ReadAttachment(int64_t item_id, std::string_view file_name, uint64_t offset,
                                    void* buffer, size_t capacity, size_t* len) override;

 private:
  // FATAL "<callback> while attachment ... is open" unless none is open.
  bool AttachmentOpen(std::string_view callback, engine::SinkResult* refusal) const;
  engine::SinkResult NotSupported(const char* what) const;
  engine::SinkResult WriteChunk(const char* data, size_t len);

  std::shared_ptr<LoadedPlugin> plugin_;
  spsync_instance* instance_;
  engine::SinkInfo info_;
  std::mutex mutex_;

  // The open attachment, if any.
  bool attachment_open_ = false;
  bool attachment_failed_ = false;  // a write or commit failed: only abort may follow
  std::string attachment_name_;     // for messages
  int64_t attachment_item_ = 0;
  int64_t attachment_declared_size_ = -1;
  uint64_t attachment_bytes_ = 0;
  std::unique_ptr<detail::Sha256Stream> attachment_hash_;
};

}  // namespace spsync::plugins
