// The engine's view of a sink: what the sync state machine calls. Plugins
// loaded through the C ABI are adapted to it by plugins/ (PluginSink); tests
// and embedders may implement it directly.
//
// Thread safety: one Sink object is used by one session at a time; the
// engine never calls it from two threads at once. Implementations that share
// resources between objects (e.g. one plugin library) guard those.
//
// Ownership: every pointer passed in is borrowed for the duration of the call.
#pragma once

#include <spsync/sink.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::engine {

// The outcome of one sink call, as the engine acts on it.
struct SinkResult {
  spsync_status status = SPSYNC_OK;
  std::string message;
  // For REJECTED: (index in the batch, why) of each refused record.
  std::vector<std::pair<size_t, std::string>> rejected;

  bool ok() const { return status == SPSYNC_OK; }
  static SinkResult Ok() { return {}; }
  static SinkResult Fatal(std::string why) { return {SPSYNC_FATAL, std::move(why), {}}; }
};

// What a sink is and can do. A Sink's info() describes that instance: its
// capabilities may be fewer than its plugin's (sink ABI 1.2), e.g. a Kafka
// sink without a transactional id is not transactional.
struct SinkInfo {
  std::string name;          // plugin name, e.g. "sqlite"
  std::string version;       // plugin version
  std::string description;   // one line
  std::string file;          // the library it came from ("" if built in)
  uint32_t abi_version = 0;  // negotiated (packed major << 16 | minor)
  uint64_t capabilities = 0;

  bool transactional() const { return capabilities & SPSYNC_CAP_TRANSACTIONAL_PERSIST; }
  bool delete_ranges() const { return capabilities & SPSYNC_CAP_DELETE_RANGES; }
  bool snapshot() const { return capabilities & SPSYNC_CAP_SNAPSHOT; }
  // Sink ABI 1.2 features (false for every 1.0 / 1.1 plugin): keeps the
  // files attached to items; keeps item versions; can be read back (restore).
  bool attachments() const { return capabilities & SPSYNC_CAP_ATTACHMENTS; }
  bool versions() const { return capabilities & SPSYNC_CAP_VERSIONS; }
  bool read_back() const { return capabilities & SPSYNC_CAP_READ_BACK; }
  // Which of the wanted 1.2 features this sink lacks, by name ("attachments",
  // "versions", "read-back"), so `spsync validate` can say so in one line.
  std::vector<std::string> Missing(bool want_attachments, bool want_versions,
                                   bool want_read_back) const {
    std::vector<std::string> missing;
    if (want_attachments && !attachments()) missing.emplace_back("attachments");
    if (want_versions && !versions()) missing.emplace_back("versions");
    if (want_read_back && !read_back()) missing.emplace_back("read-back");
    return missing;
  }
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual const SinkInfo& info() const = 0;
  // Binds to `entity`; *state receives the last persisted state ("" = none).
  virtual SinkResult LoadState(std::string_view entity, std::string* state) = 0;
  virtual SinkResult Begin(const spsync_schema& schema) = 0;
  virtual SinkResult Upsert(const spsync_item* const* items, size_t count) = 0;
  virtual SinkResult Delete(const int64_t* ids, size_t count) = 0;
  // Only when info().delete_ranges().
  virtual SinkResult DeleteRanges(const spsync_id_range* ranges, size_t count) = 0;
  virtual SinkResult Persist(std::string_view state) = 0;
  // Only when info().snapshot(); the message says where the snapshot went.
  virtual SinkResult Snapshot() = 0;
  virtual SinkResult Check() = 0;

  // ---- Sink ABI 1.2 ----
  // Each group is called only when info() has its feature; the defaults say
  // the sink lacks it, so implementers without it (tests, embedders) need
  // not override anything. Semantics are sink.h's callbacks of the same
  // names; the notes here are what the engine's side adds.

  // Attachments (info().attachments()). One open at a time: Begin, Write*
  // (chunks of at most SPSYNC_ATTACHMENT_CHUNK_MAX bytes), then Commit or
  // Abort; nothing else in between. At Commit, `attachment.sha256` and
  // `size` may be left empty / -1: a plugin-backed sink fills them from the
  // bytes it passed on (and checks them if given).
  virtual SinkResult AttachmentBegin(const spsync_attachment& /*attachment*/) {
    return Unsupported("attachments");
  }
  virtual SinkResult AttachmentWrite(const void* /*data*/, size_t /*len*/) {
    return Unsupported("attachments");
  }
  virtual SinkResult AttachmentCommit(const spsync_attachment& /*attachment*/) {
    return Unsupported("attachments");
  }
  virtual void AttachmentAbort() {}
  // Empty file_name: every attachment of the item.
  virtual SinkResult AttachmentDelete(int64_t /*item_id*/, std::string_view /*file_name*/) {
    return Unsupported("attachments");
  }
  // *out / *out_count: what the sink holds for the items, ordered by item
  // ID then file name; valid until the next call on this Sink.
  virtual SinkResult ListAttachments(const int64_t* /*item_ids*/, size_t /*count*/,
                                     const spsync_attachment* const** /*out*/,
                                     size_t* /*out_count*/) {
    return Unsupported("attachments");
  }

  // Versions (info().versions()).
  virtual SinkResult WriteVersions(const spsync_version* const* /*versions*/, size_t /*count*/) {
    return Unsupported("versions");
  }

  // Reading back (info().read_back()), after LoadState(). Everything
  // returned is valid until the next call on this Sink.
  virtual SinkResult ReadSchema(const spsync_schema** /*schema*/) {
    return Unsupported("reading back");
  }
  virtual SinkResult ReadItems(int64_t /*after_id*/, size_t /*max_count*/,
                               const spsync_item* const** /*items*/, size_t* /*count*/) {
    return Unsupported("reading back");
  }
  // Only when info().versions() too.
  virtual SinkResult ReadVersions(int64_t /*after_item_id*/, int64_t /*after_version_id*/,
                                  size_t /*max_count*/, const spsync_version* const** /*versions*/,
                                  size_t* /*count*/) {
    return Unsupported("reading back versions");
  }
  // Only when info().attachments() too.
  virtual SinkResult ReadAttachment(int64_t /*item_id*/, std::string_view /*file_name*/,
                                    uint64_t /*offset*/, void* /*buffer*/, size_t /*capacity*/,
                                    size_t* /*len*/) {
    return Unsupported("reading attachments");
  }

 protected:
  SinkResult Unsupported(const char* what) const {
    return SinkResult::Fatal("sink '" + info().name + "' does not support " + what);
  }
};

}  // namespace spsync::engine
