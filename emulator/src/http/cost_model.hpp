// What a request costs on real SharePoint, in time and in quota: the latency
// model (a base plus a cost per list item in the answer) and the tenant's
// resource-unit budget (a token bucket in RU per minute). LatencySpec and
// BudgetSpec in the public header say what is modelled.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "spsync/emulator/emulator.hpp"

namespace spsync::emulator::detail {

// Thread-safe (one internal mutex); one per emulator.
class LatencyModel {
 public:
  void Set(LatencySpec spec);
  LatencySpec Get() const;
  // How long an answer carrying `items` list items takes.
  std::chrono::microseconds Delay(int64_t items) const;

 private:
  mutable std::mutex mu_;
  LatencySpec spec_;
};

struct BudgetDecision {
  bool allowed = true;
  int retry_after = 0;   // seconds, when refused
  bool headers = false;  // RateLimit-* belong on the answer
  int64_t limit = 0, remaining = 0, reset = 0;
};

// Thread-safe (one internal mutex); one per emulator (one tenant, one app).
class ResourceBudget {
 public:
  void Set(BudgetSpec spec);  // starts full
  BudgetSpec Get() const;
  // Charges one API request (a write or a read) and says whether it is served.
  BudgetDecision Charge(bool write);
  double spent() const;
  uint64_t refused() const;
  void ResetCounters();
  double available() const;  // RU in the bucket now (negative: in debt)

 private:
  void Refill();  // callers hold mu_
  mutable std::mutex mu_;
  BudgetSpec spec_;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_{};
  double spent_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace spsync::emulator::detail
