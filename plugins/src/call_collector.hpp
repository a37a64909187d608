// CallCollector: the host side of one spsync_call. set_message() and
// reject() record what the plugin says; Finish() checks the returned status
// against the ABI and turns everything into an engine::SinkResult.
//
// Ownership: owns the spsync_call it hands out; the plugin may use it only
// during the call (the ABI says so).
//
// Thread safety: one collector per call, used by one thread (the plugin
// calls set_message/reject from inside the call).
#pragma once

#include <spsync/sink.h>
#include <spsync/engine/sink.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::plugins::detail {

class CallCollector {
 public:
  // `batch_size`: records in the call's batch, or kNoBatch for callbacks
  // that cannot reject (open, load_state, begin, persist, snapshot, check).
  static constexpr size_t kNoBatch = std::numeric_limits<size_t>::max();

  CallCollector();
  CallCollector(const CallCollector&) = delete;
  CallCollector& operator=(const CallCollector&) = delete;

  spsync_call* call() { return &call_; }

  // Checks the plugin's answer. `file` and `callback` name the culprit in
  // every message about a broken contract.
  engine::SinkResult Finish(const std::string& file, std::string_view callback, int status,
                            size_t batch_size);

 private:
  static void SetMessage(spsync_call* call, const char* msg, size_t len) noexcept;
  static void Reject(spsync_call* call, size_t index, const char* msg, size_t len) noexcept;

  spsync_call call_{};
  std::string message_;
  std::vector<std::pair<size_t, std::string>> rejected_;
  // The first misuse of set_message/reject seen during the call.
  std::string violation_;
};

// "sink plugin <file> broke the sink ABI in <callback>: <what>"
std::string AbiViolation(const std::string& file, std::string_view callback, std::string_view what);

// "OK", "RETRYABLE", ... or the number.
std::string StatusName(int status);

}  // namespace spsync::plugins::detail
