// PluginSink: one opened instance of a sink plugin, seen as the engine's
// Sink. Created by LoadedPlugin::Open(); the engine only sees engine::Sink.
//
// Every call is guarded: the host builds an spsync_call whose set_message()
// and reject() collect into the returned SinkResult, then checks what the
// plugin did against the ABI. A status outside the enum, a non-OK status
// without a message, REJECTED without reject() calls (or reject() with OK),
// reject() from a call that has no batch or with an index outside the batch,
// load_state() returning len > 0 with a NULL pointer, and a missing optional
// callback all become FATAL results whose message names the plugin file. The
// plugin's own messages are passed through unchanged.
//
// Ownership: owns the spsync_instance (closed in the destructor) and a
// reference to its LoadedPlugin, which keeps the library loaded. Pointers
// passed in are borrowed for the call.
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

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace spsync::plugins {

class PluginSink final : public engine::Sink {
 public:
  // Takes ownership of `instance` (returned by the plugin's open()).
  PluginSink(std::shared_ptr<LoadedPlugin> plugin, spsync_instance* instance);
  ~PluginSink() override;
  PluginSink(const PluginSink&) = delete;
  PluginSink& operator=(const PluginSink&) = delete;

  const engine::SinkInfo& info() const override;
  engine::SinkResult LoadState(std::string_view entity, std::string* state) override;
  engine::SinkResult Begin(const spsync_schema& schema) override;
  engine::SinkResult Upsert(const spsync_item* const* items, size_t count) override;
  engine::SinkResult Delete(const int64_t* ids, size_t count) override;
  engine::SinkResult DeleteRanges(const spsync_id_range* ranges, size_t count) override;
  engine::SinkResult Persist(std::string_view state) override;
  engine::SinkResult Snapshot() override;
  engine::SinkResult Check() override;

 private:
  std::shared_ptr<LoadedPlugin> plugin_;
  spsync_instance* instance_;
  std::mutex mutex_;
};

}  // namespace spsync::plugins
