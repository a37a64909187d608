// spsync sink SDK, C++ helper (header-only, C++17).
//
// Write a sink as a class derived from spsync::sdk::Sink, override what it
// supports, and export it with one macro:
//
//   class JsonlSink : public spsync::sdk::Sink {
//    public:
//     explicit JsonlSink(const spsync::sdk::Config& config);
//     std::string LoadState(std::string_view entity) override;
//     void Begin(const spsync::sdk::Schema& schema) override;
//     void Upsert(spsync::sdk::Items items, spsync::sdk::Call& call) override;
//     void Delete(spsync::sdk::Ids ids, spsync::sdk::Call& call) override;
//     void Persist(std::string_view state) override;
//     static const std::vector<spsync_option>& Options();
//   };
//   SPSYNC_SINK_PLUGIN(JsonlSink, "jsonl", "1.0.0", "JSON lines files", 0)
//
// ABI 1.2 features are groups of virtual methods with defaults; the macro
// fills a group's vtable members, and sets its capability bit, only when the
// class overrides the group (so a sink never claims what it does not do, and
// declaring a bit without the methods fails to compile):
//   attachments  AttachmentBegin, AttachmentWrite, AttachmentCommit,
//                AttachmentAbort, AttachmentDelete, ListAttachments
//   versions     WriteVersions
//   read-back    ReadSchema, ReadItems (+ ReadVersions with versions,
//                + ReadAttachment with attachments)
//   per instance Capabilities(plugin_bits): the bits of this instance
// The macro inspects the overrides, so declare them public.
//
// Errors are exceptions inside the plugin and statuses at the boundary:
// throw spsync::sdk::Retryable / spsync::sdk::Fatal (or anything derived
// from std::exception, which becomes FATAL with its what()). Nothing ever
// propagates across the C ABI.
//
// Thread safety: the host serialises calls on one instance, so a Sink needs
// no locking of its own members. A plugin that declares
// SPSYNC_CAP_THREAD_SAFE must make any state shared between instances safe.
#ifndef SPSYNC_SINK_HPP_
#define SPSYNC_SINK_HPP_

#include <spsync/sink.h>

#include <spsync/sdk/config.hpp>
#include <spsync/sdk/errors.hpp>
#include <spsync/sdk/records.hpp>
#include <spsync/sdk/text.hpp>
#include <spsync/sdk/views.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace spsync {
namespace sdk {

// ---- Host services ----------------------------------------------------------

namespace detail {
inline const spsync_host*& HostSlot() {
  static const spsync_host* host = nullptr;
  return host;
}
}  // namespace detail

// Logs through the host. Safe from any thread; a no-op before negotiation.
inline void Log(spsync_log_level level, std::string_view message) {
  const spsync_host* host = detail::HostSlot();
  if (host != nullptr && host->log != nullptr) {
    host->log(host->host_data, level, message.data(), message.size());
  }
}

// The per-call context: attach a message, reject single records.
class Call {
 public:
  explicit Call(spsync_call* call) : call_(call) {}
  // Marks record `index` of the current batch as refused; the call then
  // returns REJECTED and the host dead-letters that record.
  void Reject(size_t index, std::string_view why) {
    rejected_ = true;
    if (call_ != nullptr && call_->reject != nullptr)
      call_->reject(call_, index, why.data(), why.size());
  }
  void Message(std::string_view text) {
    if (call_ != nullptr && call_->set_message != nullptr)
      call_->set_message(call_, text.data(), text.size());
  }
  bool rejected() const { return rejected_; }

 private:
  spsync_call* call_;
  bool rejected_ = false;
};

// ---- The base class ---------------------------------------------------------

class Sink {
 public:
  virtual ~Sink() = default;
  // Binds to `entity`; returns the last persisted state, empty if none.
  virtual std::string LoadState(std::string_view entity) = 0;
  virtual void Begin(const Schema& schema) = 0;
  virtual void Upsert(Items items, Call& call) = 0;
  virtual void Delete(Ids ids, Call& call) = 0;
  // Only called if the plugin declares SPSYNC_CAP_DELETE_RANGES.
  virtual void DeleteRanges(Ranges /*ranges*/, Call& /*call*/) {
    throw Fatal("this sink does not support delete ranges");
  }
  virtual void Persist(std::string_view state) = 0;
  // Only called if the plugin declares SPSYNC_CAP_SNAPSHOT.
  virtual void Snapshot(Call& /*call*/) { throw Fatal("this sink does not support snapshots"); }
  // Reachability check for `spsync validate --connect`; default: nothing to check.
  virtual void Check(Call& /*call*/) {}

  // ---- ABI 1.2 ----
  // Each group below is claimed (vtable members and capability bit) only if
  // the class overrides it; the defaults are never called then.

  // The capabilities of this instance: a subset of `plugin` (the bits the
  // plugin declared), e.g. without TRANSACTIONAL_PERSIST when an option
  // turns transactions off. Called once after the constructor. Must not throw.
  virtual uint64_t Capabilities(uint64_t plugin) const { return plugin; }

  // Attachments (sink.h: attachment_*). One attachment is open at a time:
  // Begin, Write* (chunks of at most SPSYNC_ATTACHMENT_CHUNK_MAX bytes), then
  // Commit with the final size and SHA-256, or Abort. Part of the current
  // transaction: durable at the next Persist().
  virtual void AttachmentBegin(const Attachment& /*attachment*/) { Unsupported("attachments"); }
  virtual void AttachmentWrite(std::string_view /*bytes*/) { Unsupported("attachments"); }
  virtual void AttachmentCommit(const Attachment& /*attachment*/) { Unsupported("attachments"); }
  // Drops the open attachment (an attachment it would have replaced stays).
  // Exceptions are swallowed: abort cannot fail.
  virtual void AttachmentAbort() {}
  // Deletes one attachment, or every attachment of the item if `file_name`
  // is empty; deleting what does not exist is fine.
  virtual void AttachmentDelete(int64_t /*item_id*/, std::string_view /*file_name*/) {
    Unsupported("attachments");
  }
  // Appends what the sink holds for `item_ids` to `out`, with the size,
  // sha256, etag, modified and url given at commit (the helper sorts them by
  // item ID, then file name).
  virtual void ListAttachments(Ids /*item_ids*/, std::vector<AttachmentInfo>& /*out*/) {
    Unsupported("attachments");
  }

  // Versions (sink.h: write_versions): idempotent by (item_id, version_id).
  virtual void WriteVersions(Versions /*versions*/, Call& /*call*/) { Unsupported("versions"); }

  // Reading back (sink.h: read_*), after LoadState(). ReadSchema returns
  // false when no schema was ever stored. ReadItems / ReadVersions append at
  // most max_count records after the given key, in key order; none = the end.
  virtual bool ReadSchema(StoredSchema& /*out*/) {
    Unsupported("reading back");
    return false;
  }
  virtual void ReadItems(int64_t /*after_id*/, size_t /*max_count*/,
                         std::vector<StoredItem>& /*out*/) {
    Unsupported("reading back");
  }
  virtual void ReadVersions(int64_t /*after_item_id*/, int64_t /*after_version_id*/,
                            size_t /*max_count*/, std::vector<StoredVersion>& /*out*/) {
    Unsupported("reading back versions");
  }
  // Copies up to `capacity` bytes from `offset` into `buffer`; returns how
  // many (0 at the end). Throws Fatal if there is no such attachment.
  virtual size_t ReadAttachment(int64_t /*item_id*/, std::string_view /*file_name*/,
                                uint64_t /*offset*/, void* /*buffer*/, size_t /*capacity*/) {
    Unsupported("reading attachments");
    return 0;
  }

 private:
  [[noreturn]] static void Unsupported(const char* what) {
    throw Fatal(std::string("this sink does not support ") + what);
  }
};

}  // namespace sdk
}  // namespace spsync

#include <spsync/sdk/plugin_detail.hpp>

namespace spsync {
namespace sdk {

// Builds one option entry for a sink's Options() table.
inline spsync_option Option(const char* name, spsync_option_type type, bool required,
                            const char* default_value, const char* help) {
  spsync_option o;
  std::memset(&o, 0, sizeof(o));
  o.struct_size = sizeof(o);
  o.type = type;
  o.required = required ? 1 : 0;
  o.name = name;
  o.default_value = default_value;
  o.help = help;
  return o;
}

}  // namespace sdk
}  // namespace spsync

// Exports `Class` as this library's sink. Use once per plugin, at namespace
// scope in one source file. `Class` needs a constructor taking
// `const spsync::sdk::Config&` and `static const std::vector<spsync_option>& Options()`.
// `capabilities` (a constant expression) lists the 1.0 / 1.1 bits; the 1.2
// bits follow from the overrides (declaring one without them fails to build).
#define SPSYNC_SINK_PLUGIN(Class, name, version, description, capabilities)                 \
  static_assert(::spsync::sdk::detail::CheckClaims<Class, (capabilities)>::ok,              \
                "see the messages above");                                                  \
  extern "C" SPSYNC_SINK_EXPORT spsync_status spsync_sink_entry(const spsync_host* host,    \
                                                                spsync_negotiation* out) {  \
    static const spsync_sink_vtable vtable =                                                \
        ::spsync::sdk::detail::MakeVtable<Class>(name, version, description, capabilities); \
    return ::spsync::sdk::detail::Negotiate(host, out, &vtable);                            \
  }

#endif  // SPSYNC_SINK_HPP_
