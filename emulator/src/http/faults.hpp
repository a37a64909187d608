// Misbehaviour on demand: the decision, per request, whether to throttle,
// fail, cut or slow it (FaultSpec in the public header says how).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "spsync/emulator/emulator.hpp"

namespace spsync::emulator::detail {

struct FaultDecision {
  FaultKind fault = FaultKind::kNone;
  bool bucket_exhausted = false;  // the token bucket, not an injected fault, refused it
  int retry_after = 0;
  bool rate_limit_headers = false;
  int64_t limit = 0, remaining = 0, reset = 0;
};

// Thread-safe (one internal mutex); one per emulator.
class FaultEngine {
 public:
  void Set(FaultSpec spec);
  void FailNext(RequestKind kind, int count, FaultKind fault);
  FaultDecision Decide(RequestKind kind);
  int slow_ms() const;

 private:
  mutable std::mutex mu_;
  FaultSpec spec_;
  uint64_t n_ = 0;
  double tokens_ = -1;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace spsync::emulator::detail
