// The calls of sink ABI 1.2: attachments, versions, reading back. Each is
// refused without calling the plugin when the instance lacks the feature
// (so a 1.0 / 1.1 plugin, whose table has no such members, is never called
// through one), and what the plugin returns is checked against sink.h.
#include <spsync/plugins/plugin_sink.hpp>

#include "call_collector.hpp"
#include "sha256_stream.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <unordered_set>

namespace spsync::plugins {

using detail::CallCollector;
using engine::SinkResult;

namespace {

// The smallest records a 1.2 plugin may hand back: everything 1.2 defined.
constexpr size_t kAttachmentSize = offsetof(spsync_attachment, url) + sizeof(spsync_str);
constexpr size_t kVersionSize = offsetof(spsync_version, value_count) + sizeof(size_t);
constexpr size_t kItemSize = offsetof(spsync_item, value_count) + sizeof(size_t);
constexpr size_t kSchemaSize = offsetof(spsync_schema, fingerprint) + sizeof(spsync_str);
constexpr size_t kFieldSize = offsetof(spsync_field, sp_type) + sizeof(spsync_str);

std::string_view View(spsync_str s) {
  return s.len == 0 ? std::string_view() : std::string_view(s.data, s.len);
}

bool IsSha256Hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// `what` about a returned string: NULL data with a length.
bool BadStr(spsync_str s) {
  return s.data == nullptr && s.len != 0;
}

}  // namespace

SinkResult PluginSink::NotSupported(const char* what) const {
  return SinkResult::Fatal("sink plugin " + info_.file + " (" + info_.name + ") does not support " +
                           what);
}

// ---- Attachments ---------------------------------------------------------

SinkResult PluginSink::AttachmentBegin(const spsync_attachment& attachment) {
  std::lock_guard<std::mutex> own(mutex_);
  if (!info_.attachments()) return NotSupported("attachments");
  if (SinkResult r; AttachmentOpen("attachment_begin", &r)) return r;
  std::string_view name = View(attachment.file_name);
  if (name.empty() || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return SinkResult::Fatal("attachment of item " + std::to_string(attachment.item_id) +
                             " has an invalid file name '" + std::string(name) + "'");
  }
  spsync_attachment a = attachment;
  a.struct_size = sizeof(a);
  a.sha256 = spsync_str{nullptr, 0};  // known only at commit
  if (a.size < -1) a.size = -1;
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().attachment_begin(instance_, collector.call(), &a);
  }
  SinkResult result =
      collector.Finish(info_.file, "attachment_begin", status, CallCollector::kNoBatch);
  if (!result.ok()) return result;
  attachment_open_ = true;
  attachment_failed_ = false;
  attachment_name_ = std::string(name);
  attachment_item_ = a.item_id;
  attachment_declared_size_ = a.size;
  attachment_bytes_ = 0;
  if (!attachment_hash_) attachment_hash_ = std::make_unique<detail::Sha256Stream>();
  attachment_hash_->FinishHex();  // starts a fresh digest
  return result;
}

SinkResult PluginSink::WriteChunk(const char* data, size_t len) {
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().attachment_write(instance_, collector.call(), data, len);
  }
  SinkResult result =
      collector.Finish(info_.file, "attachment_write", status, CallCollector::kNoBatch);
  if (!result.ok()) {
    attachment_failed_ = true;
    return result;
  }
  attachment_hash_->Update(data, len);
  attachment_bytes_ += len;
  return result;
}

SinkResult PluginSink::AttachmentWrite(const void* data, size_t len) {
  std::lock_guard<std::mutex> own(mutex_);
  if (!attachment_open_)
    return SinkResult::Fatal("sink '" + info_.name +
                             "': attachment_write without attachment_begin");
  if (attachment_failed_) {
    return SinkResult::Fatal("sink '" + info_.name + "': attachment '" + attachment_name_ +
                             "' failed earlier; abort it before writing again");
  }
  if (len == 0) return SinkResult::Ok();
  if (attachment_declared_size_ >= 0 &&
      attachment_bytes_ + len > static_cast<uint64_t>(attachment_declared_size_)) {
    return SinkResult::Fatal("attachment '" + attachment_name_ + "' of item " +
                             std::to_string(attachment_item_) + " is longer than the " +
                             std::to_string(attachment_declared_size_) + " bytes announced");
  }
  const char* bytes = static_cast<const char*>(data);
  // The ABI bounds chunks; a larger write is passed on in pieces.
  while (len > 0) {
    size_t n = std::min(len, SPSYNC_ATTACHMENT_CHUNK_MAX);
    SinkResult r = WriteChunk(bytes, n);
    if (!r.ok()) return r;
    bytes += n;
    len -= n;
  }
  return SinkResult::Ok();
}

SinkResult PluginSink::AttachmentCommit(const spsync_attachment& attachment) {
  std::lock_guard<std::mutex> own(mutex_);
  if (!attachment_open_)
    return SinkResult::Fatal("sink '" + info_.name +
                             "': attachment_commit without attachment_begin");
  if (attachment_failed_) {
    return SinkResult::Fatal("sink '" + info_.name + "': attachment '" + attachment_name_ +
                             "' failed earlier; abort it");
  }
  const std::string what =
      "attachment '" + attachment_name_ + "' of item " + std::to_string(attachment_item_);
  if (attachment.item_id != attachment_item_ || View(attachment.file_name) != attachment_name_)
    return SinkResult::Fatal("attachment_commit names another file than the open " + what);
  if (attachment_declared_size_ >= 0 &&
      attachment_bytes_ != static_cast<uint64_t>(attachment_declared_size_)) {
    return SinkResult::Fatal(what + ": " + std::to_string(attachment_bytes_) + " bytes written, " +
                             std::to_string(attachment_declared_size_) + " announced");
  }
  if (attachment.size >= 0 && static_cast<uint64_t>(attachment.size) != attachment_bytes_) {
    return SinkResult::Fatal(what + ": committed with size " + std::to_string(attachment.size) +
                             " after " + std::to_string(attachment_bytes_) + " bytes written");
  }
  const std::string sha256 = attachment_hash_->FinishHex();
  if (attachment.sha256.len != 0 && View(attachment.sha256) != sha256) {
    return SinkResult::Fatal(what + ": SHA-256 given at commit (" +
                             std::string(View(attachment.sha256)) +
                             ") differs from the bytes written (" + sha256 + ")");
  }
  spsync_attachment a = attachment;
  a.struct_size = sizeof(a);
  a.size = static_cast<int64_t>(attachment_bytes_);
  a.sha256 = spsync_str{sha256.data(), sha256.size()};
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().attachment_commit(instance_, collector.call(), &a);
  }
  SinkResult result =
      collector.Finish(info_.file, "attachment_commit", status, CallCollector::kNoBatch);
  if (!result.ok()) {
    attachment_failed_ = true;
    return result;
  }
  attachment_open_ = false;
  return result;
}

void PluginSink::AttachmentAbort() {
  std::lock_guard<std::mutex> own(mutex_);
  if (!attachment_open_) return;
  {
    auto lock = plugin_->LockLibrary();
    plugin_->vtable().attachment_abort(instance_);
  }
  attachment_open_ = false;
  attachment_failed_ = false;
}

SinkResult PluginSink::AttachmentDelete(int64_t item_id, std::string_view file_name) {
  std::lock_guard<std::mutex> own(mutex_);
  if (!info_.attachments()) return NotSupported("attachments");
  if (SinkResult r; AttachmentOpen("attachment_delete", &r)) return r;
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().attachment_delete(instance_, collector.call(), item_id,
                                                 spsync_str{file_name.data(), file_name.size()});
  }
  return collector.Finish(info_.file, "attachment_delete", status, CallCollector::kNoBatch);
}

SinkResult PluginSink::ListAttachments(const int64_t* item_ids, size_t count,
                                       const spsync_attachment* const** out, size_t* out_count) {
  std::lock_guard<std::mutex> own(mutex_);
  *out = nullptr;
  *out_count = 0;
  if (!info_.attachments()) return NotSupported("attachments");
  if (SinkResult r; AttachmentOpen("attachment_list", &r)) return r;
  CallCollector collector;
  const spsync_attachment* const* records = nullptr;
  size_t n = 0;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().attachment_list(instance_, collector.call(), item_ids, count,
                                               &records, &n);
  }
  SinkResult result =
      collector.Finish(info_.file, "attachment_list", status, CallCollector::kNoBatch);
  if (!result.ok()) return result;
  auto violation = [&](const std::string& what) {
    return SinkResult::Fatal(detail::AbiViolation(info_.file, "attachment_list", what));
  };
  if (n > 0 && records == nullptr) return violation("returned records with a NULL array");
  std::unordered_set<int64_t> asked(item_ids, item_ids + count);
  for (size_t i = 0; i < n; ++i) {
    const spsync_attachment* a = records[i];
    const std::string at = "record " + std::to_string(i);
    if (a == nullptr) return violation(at + " is NULL");
    if (a->struct_size < kAttachmentSize)
      return violation(at + " has struct_size " + std::to_string(a->struct_size));
    if (BadStr(a->file_name) || BadStr(a->sha256) || BadStr(a->etag) || BadStr(a->modified) ||
        BadStr(a->url))
      return violation(at + " has a NULL string with a length");
    if (asked.count(a->item_id) == 0)
      return violation(at + " is for item " + std::to_string(a->item_id) + ", which was not asked");
    if (a->size < 0 || !IsSha256Hex(View(a->sha256)))
      return violation(at + " (item " + std::to_string(a->item_id) + ", '" +
                       std::string(View(a->file_name)) + "') has no size or SHA-256");
    if (i > 0) {
      const spsync_attachment* p = records[i - 1];
      if (p->item_id > a->item_id ||
          (p->item_id == a->item_id && View(p->file_name) >= View(a->file_name)))
        return violation("records are not ordered by item ID, then file name (at " + at + ")");
    }
  }
  *out = records;
  *out_count = n;
  return result;
}

// ---- Versions ------------------------------------------------------------

SinkResult PluginSink::WriteVersions(const spsync_version* const* versions, size_t count) {
  std::lock_guard<std::mutex> own(mutex_);
  if (!info_.versions()) return NotSupported("versions");
  if (SinkResult r; AttachmentOpen("write_versions", &r)) return r;
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().write_versions(instance_, collector.call(), versions, count);
  }
  return collector.Finish(info_.file, "write_versions", status, count);
}

// ---- Reading back --------------------------------------------------------

SinkResult PluginSink::ReadSchema(const spsync_schema** schema) {
  std::lock_guard<std::mutex> own(mutex_);
  *schema = nullptr;
  if (!info_.read_back()) return NotSupported("reading back");
  if (SinkResult r; AttachmentOpen("read_schema", &r)) return r;
  CallCollector collector;
  const spsync_schema* got = nullptr;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().read_schema(instance_, collector.call(), &got);
  }
  SinkResult result = collector.Finish(info_.file, "read_schema", status, CallCollector::kNoBatch);
  if (!result.ok() || got == nullptr) return result;
  auto violation = [&](const std::string& what) {
    return SinkResult::Fatal(detail::AbiViolation(info_.file, "read_schema", what));
  };
  if (got->struct_size < kSchemaSize)
    return violation("returned a schema with struct_size " + std::to_string(got->struct_size));
  if (got->field_count > 0 && got->fields == nullptr)
    return violation("returned fields with a NULL array");
  for (size_t i = 0; i < got->field_count; ++i) {
    const spsync_field* f = got->fields[i];
    if (f == nullptr || f->struct_size < kFieldSize)
      return violation("field " + std::to_string(i) + " is NULL or too small");
  }
  *schema = got;
  return result;
}

SinkResult PluginSink::ReadItems(int64_t after_id, size_t max_count,
                                 const spsync_item* const** items, size_t* count) {
  std::lock_guard<std::mutex> own(mutex_);
  *items = nullptr;
  *count = 0;
  if (!info_.read_back()) return NotSupported("reading back");
  if (SinkResult r; AttachmentOpen("read_items", &r)) return r;
  if (max_count == 0) return SinkResult::Fatal("read_items with max_count 0");
  CallCollector collector;
  const spsync_item* const* got = nullptr;
  size_t n = 0;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status =
        plugin_->vtable().read_items(instance_, collector.call(), after_id, max_count, &got, &n);
  }
  SinkResult result = collector.Finish(info_.file, "read_items", status, CallCollector::kNoBatch);
  if (!result.ok()) return result;
  auto violation = [&](const std::string& what) {
    return SinkResult::Fatal(detail::AbiViolation(info_.file, "read_items", what));
  };
  if (n > max_count)
    return violation("returned " + std::to_string(n) + " items for at most " +
                     std::to_string(max_count));
  if (n > 0 && got == nullptr) return violation("returned items with a NULL array");
  int64_t last = after_id;
  for (size_t i = 0; i < n; ++i) {
    const spsync_item* it = got[i];
    if (it == nullptr || it->struct_size < kItemSize)
      return violation("item " + std::to_string(i) + " is NULL or too small");
    if (it->id <= last)
      return violation("item ID " + std::to_string(it->id) + " is not above " +
                       std::to_string(last) + " (IDs must ascend, after after_id)");
    if (it->value_count > 0 && it->values == nullptr)
      return violation("item " + std::to_string(it->id) + " has values with a NULL array");
    last = it->id;
  }
  *items = got;
  *count = n;
  return result;
}

SinkResult PluginSink::ReadVersions(int64_t after_item_id, int64_t after_version_id,
                                    size_t max_count, const spsync_version* const** versions,
                                    size_t* count) {
  std::lock_guard<std::mutex> own(mutex_);
  *versions = nullptr;
  *count = 0;
  if (!info_.read_back() || !info_.versions()) return NotSupported("reading back versions");
  if (SinkResult r; AttachmentOpen("read_versions", &r)) return r;
  if (max_count == 0) return SinkResult::Fatal("read_versions with max_count 0");
  CallCollector collector;
  const spsync_version* const* got = nullptr;
  size_t n = 0;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().read_versions(instance_, collector.call(), after_item_id,
                                             after_version_id, max_count, &got, &n);
  }
  SinkResult result =
      collector.Finish(info_.file, "read_versions", status, CallCollector::kNoBatch);
  if (!result.ok()) return result;
  auto violation = [&](const std::string& what) {
    return SinkResult::Fatal(detail::AbiViolation(info_.file, "read_versions", what));
  };
  if (n > max_count)
    return violation("returned " + std::to_string(n) + " versions for at most " +
                     std::to_string(max_count));
  if (n > 0 && got == nullptr) return violation("returned versions with a NULL array");
  std::pair<int64_t, int64_t> last{after_item_id, after_version_id};
  for (size_t i = 0; i < n; ++i) {
    const spsync_version* v = got[i];
    if (v == nullptr || v->struct_size < kVersionSize)
      return violation("version " + std::to_string(i) + " is NULL or too small");
    std::pair<int64_t, int64_t> key{v->item_id, v->version_id};
    if (key <= last)
      return violation("version (" + std::to_string(key.first) + ", " + std::to_string(key.second) +
                       ") is not after (" + std::to_string(last.first) + ", " +
                       std::to_string(last.second) + ")");
    if (v->value_count > 0 && v->values == nullptr)
      return violation("a version has values with a NULL array");
    last = key;
  }
  *versions = got;
  *count = n;
  return result;
}

SinkResult PluginSink::ReadAttachment(int64_t item_id, std::string_view file_name, uint64_t offset,
                                      void* buffer, size_t capacity, size_t* len) {
  std::lock_guard<std::mutex> own(mutex_);
  *len = 0;
  if (!info_.read_back() || !info_.attachments()) return NotSupported("reading attachments");
  if (SinkResult r; AttachmentOpen("attachment_read", &r)) return r;
  if (capacity == 0) return SinkResult::Ok();
  CallCollector collector;
  size_t n = 0;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().attachment_read(instance_, collector.call(), item_id,
                                               spsync_str{file_name.data(), file_name.size()},
                                               offset, buffer, capacity, &n);
  }
  SinkResult result =
      collector.Finish(info_.file, "attachment_read", status, CallCollector::kNoBatch);
  if (!result.ok()) return result;
  if (n > capacity) {
    return SinkResult::Fatal(detail::AbiViolation(
        info_.file, "attachment_read",
        "returned " + std::to_string(n) + " bytes into a buffer of " + std::to_string(capacity)));
  }
  *len = n;
  return result;
}

}  // namespace spsync::plugins
