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

// What a sink is and can do.
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
};

}  // namespace spsync::engine
