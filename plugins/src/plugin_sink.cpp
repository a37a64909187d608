// The calls of sink ABI 1.0 and 1.1 (the 1.2 ones are in plugin_sink_v12.cpp).
#include <spsync/plugins/plugin_sink.hpp>

#include "call_collector.hpp"
#include "sha256_stream.hpp"

namespace spsync::plugins {

using detail::CallCollector;
using engine::SinkResult;

PluginSink::PluginSink(std::shared_ptr<LoadedPlugin> plugin, spsync_instance* instance,
                       uint64_t capabilities)
    : plugin_(std::move(plugin)), instance_(instance), info_(plugin_->info()) {
  info_.capabilities = capabilities;
}

PluginSink::~PluginSink() {
  std::lock_guard<std::mutex> own(mutex_);
  auto lock = plugin_->LockLibrary();
  // close() discards an open attachment with everything else not persisted.
  plugin_->vtable().close(instance_);
}

const engine::SinkInfo& PluginSink::info() const {
  return info_;
}

bool PluginSink::AttachmentOpen(std::string_view callback, SinkResult* refusal) const {
  if (!attachment_open_) return false;
  *refusal =
      SinkResult::Fatal("sink '" + info_.name + "': " + std::string(callback) +
                        " called while attachment '" + attachment_name_ + "' of item " +
                        std::to_string(attachment_item_) + " is open (commit or abort it first)");
  return true;
}

SinkResult PluginSink::LoadState(std::string_view entity, std::string* state) {
  std::lock_guard<std::mutex> own(mutex_);
  if (SinkResult r; AttachmentOpen("load_state", &r)) return r;
  CallCollector collector;
  const void* data = nullptr;
  size_t len = 0;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().load_state(instance_, collector.call(),
                                          spsync_str{entity.data(), entity.size()}, &data, &len);
  }
  SinkResult result = collector.Finish(info_.file, "load_state", status, CallCollector::kNoBatch);
  if (!result.ok()) return result;
  if (len > 0 && data == nullptr) {
    return SinkResult::Fatal(detail::AbiViolation(
        info_.file, "load_state",
        "returned OK with a NULL state pointer and length " + std::to_string(len)));
  }
  // The bytes are valid only until the next call on this instance: copy now.
  if (state != nullptr) state->assign(len == 0 ? "" : static_cast<const char*>(data), len);
  return result;
}

SinkResult PluginSink::Begin(const spsync_schema& schema) {
  std::lock_guard<std::mutex> own(mutex_);
  if (SinkResult r; AttachmentOpen("begin", &r)) return r;
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().begin(instance_, collector.call(), &schema);
  }
  return collector.Finish(info_.file, "begin", status, CallCollector::kNoBatch);
}

SinkResult PluginSink::Upsert(const spsync_item* const* items, size_t count) {
  std::lock_guard<std::mutex> own(mutex_);
  if (SinkResult r; AttachmentOpen("upsert", &r)) return r;
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().upsert(instance_, collector.call(), items, count);
  }
  return collector.Finish(info_.file, "upsert", status, count);
}

SinkResult PluginSink::Delete(const int64_t* ids, size_t count) {
  std::lock_guard<std::mutex> own(mutex_);
  if (SinkResult r; AttachmentOpen("delete_items", &r)) return r;
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().delete_items(instance_, collector.call(), ids, count);
  }
  return collector.Finish(info_.file, "delete_items", status, count);
}

SinkResult PluginSink::DeleteRanges(const spsync_id_range* ranges, size_t count) {
  std::lock_guard<std::mutex> own(mutex_);
  if (SinkResult r; AttachmentOpen("delete_ranges", &r)) return r;
  if (plugin_->vtable().delete_ranges == nullptr) {
    return SinkResult::Fatal("sink plugin " + info_.file + " does not support delete ranges");
  }
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().delete_ranges(instance_, collector.call(), ranges, count);
  }
  return collector.Finish(info_.file, "delete_ranges", status, count);
}

SinkResult PluginSink::Persist(std::string_view state) {
  std::lock_guard<std::mutex> own(mutex_);
  if (SinkResult r; AttachmentOpen("persist", &r)) return r;
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().persist(instance_, collector.call(), state.data(), state.size());
  }
  return collector.Finish(info_.file, "persist", status, CallCollector::kNoBatch);
}

SinkResult PluginSink::Snapshot() {
  std::lock_guard<std::mutex> own(mutex_);
  if (SinkResult r; AttachmentOpen("snapshot", &r)) return r;
  // NULL for plugins built against ABI 1.0, whose vtable ends before it.
  if (plugin_->vtable().snapshot == nullptr) {
    return SinkResult::Fatal("sink plugin " + info_.file + " does not support snapshots");
  }
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().snapshot(instance_, collector.call());
  }
  return collector.Finish(info_.file, "snapshot", status, CallCollector::kNoBatch);
}

SinkResult PluginSink::Check() {
  std::lock_guard<std::mutex> own(mutex_);
  if (SinkResult r; AttachmentOpen("check", &r)) return r;
  // A plugin without check() (every ABI 1.0 plugin) has nothing to verify
  // beyond open() having succeeded.
  if (plugin_->vtable().check == nullptr) {
    SinkResult result;
    result.message = "sink '" + info_.name + "' has no connection check";
    return result;
  }
  CallCollector collector;
  int status;
  {
    auto lock = plugin_->LockLibrary();
    status = plugin_->vtable().check(instance_, collector.call());
  }
  return collector.Finish(info_.file, "check", status, CallCollector::kNoBatch);
}

}  // namespace spsync::plugins
