// The metrics `spsync serve` exposes on /metrics and `spsync run
// --metrics-file` writes for node_exporter's textfile collector: one set of
// names for both (README, "Metrics reference").
//
// Thread safety: SpsyncMetrics may be used from any thread.
#pragma once

#include "runtime.hpp"
#include "spsync/engine/serve/metrics.hpp"
#include "spsync/engine/sync/sync_session.hpp"

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace spsync::cli {

class SpsyncMetrics {
 public:
  // Declares every family; hooks `rt`'s clients (requests by host and
  // status) and its request budget. Call before the first request.
  explicit SpsyncMetrics(Runtime& rt);

  // A session's outcome: sessions by result, items, last success.
  void RecordSession(const engine::SessionResult& r);
  // A pair known to the process before its first session (so its lag shows).
  void KnowPair(const std::string& entity, const std::string& sink);
  // Seconds since the pair's last complete (or idle) session; -1 = never.
  double SecondsBehind(const std::string& entity, const std::string& sink) const;

  // Pairs whose last complete or idle session (or, for none yet, the
  // process start) is older than `max_seconds`: "entity/sink (N s)".
  std::vector<std::string> Stale(double max_seconds) const;

  engine::serve::Metrics& metrics() { return m_; }

 private:
  engine::serve::Metrics m_;
  Runtime* rt_;
  mutable std::mutex mu_;
  std::set<std::string> hosts_;
  std::set<std::pair<std::string, std::string>> pairs_;
  const double started_unix_;
};

}  // namespace spsync::cli
