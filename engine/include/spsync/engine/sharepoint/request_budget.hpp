// The tenant's request budget, kept rather than discovered (issue 15).
//
// SharePoint meters every app per tenant in resource units (RU) a minute
// (Microsoft's published limits: 1,250 to 6,250 RU a minute per app by
// licence count; a REST call costs about 2 RU) and answers 429 past it.
// Every request of the process spends its cost here first, from a token
// bucket per SharePoint host shared by all sessions: the budget is used
// evenly, and 429s become rare instead of being the way the limit is learned.
//
// The rate is the configured `run.ruPerMinute` (times this shard's share),
// or, when none is configured, the `RateLimit-Limit` SharePoint reports once
// 80% of its budget is used (until then: unlimited). `RateLimit-Remaining`
// lowers the tokens to what SharePoint says is left; a 429 empties them.
//
// Thread safety: safe to share between sessions and threads.
#pragma once

#include "spsync/engine/deadline.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace spsync::engine {

struct HttpResponse;

struct BudgetOptions {
  double ru_per_minute = 0;   // 0: learn from RateLimit-Limit
  double ru_per_request = 2;  // what one REST call costs
  double share = 1.0;         // this process's share of the tenant budget (1/shards)
  // Bucket size as seconds of budget: small, so no minute ever sees much
  // more than the rate (SharePoint counts per minute).
  double burst_seconds = 3;
};

class RequestBudget {
 public:
  explicit RequestBudget(BudgetOptions options);

  // Spends one request's cost for `host`, waiting while the bucket is
  // empty. Throws SharePointError(kBudget) when the wait would outlast the
  // deadline (nothing is spent then).
  void Spend(const std::string& host, const Deadline& deadline);
  // Learns from a response's RateLimit-* headers and 429s.
  void Observe(const std::string& host, const HttpResponse& response);

  struct HostStats {
    double ru_per_minute = 0;  // the rate in force (0: unlimited so far)
    double spent_ru = 0;       // since start
    double waited_seconds = 0;
    uint64_t requests = 0;
  };
  HostStats Stats(const std::string& host) const;
  // The requests a second the budget allows `host` (0: unlimited so far).
  // A full sync sizes its automatic streams by it.
  double RequestsPerSecond(const std::string& host) const;

 private:
  struct Host {
    double rate = 0;  // RU per second; 0 = unlimited
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled;
    HostStats stats;
  };
  Host& Find(const std::string& host);  // caller holds mu_
  void Refill(Host& h);
  double Capacity(const Host& h) const { return h.rate * options_.burst_seconds; }

  BudgetOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Host> hosts_;
};

}  // namespace spsync::engine
