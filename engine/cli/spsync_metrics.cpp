#include "spsync_metrics.hpp"

#include <chrono>

namespace spsync::cli {

namespace {

using engine::serve::Labels;
using Type = engine::serve::Metrics::Type;

double NowUnix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const char* ResultName(const engine::SessionResult& r) {
  if (r.idle) return "idle";
  switch (r.outcome) {
    case engine::Outcome::kComplete:
      return "complete";
    case engine::Outcome::kPartial:
      return "partial";
    default:
      return "failed";
  }
}

}  // namespace

SpsyncMetrics::SpsyncMetrics(Runtime& rt) : rt_(&rt), started_unix_(NowUnix()) {
  m_.Declare("spsync_pair_sessions_total", Type::kCounter,
             "Sessions of an (entity, sink) pair by result: complete, partial (time budget), "
             "failed, idle (skipped: the list did not change).");
  m_.Declare("spsync_pair_items_upserted_total", Type::kCounter,
             "Items written to the sink by the pair's sessions.");
  m_.Declare("spsync_pair_items_deleted_total", Type::kCounter,
             "Items deleted from the sink by the pair's sessions.");
  m_.Declare("spsync_pair_last_success_timestamp_seconds", Type::kGauge,
             "Unix time of the pair's last complete or idle session.");
  m_.Declare("spsync_pair_seconds_behind", Type::kGauge,
             "Seconds since the pair's last complete or idle session (since the process "
             "started if it has none yet).");
  m_.Declare("spsync_sharepoint_requests_total", Type::kCounter,
             "Answers SharePoint gave, by host and HTTP status code.");
  m_.Declare("spsync_sharepoint_throttled_requests_total", Type::kCounter,
             "Requests SharePoint throttled (HTTP 429 or 503), by host.");
  m_.Declare("spsync_request_budget_ru_per_minute", Type::kGauge,
             "The request budget in force for a host, in resource units a minute (0: none).");
  m_.Declare("spsync_request_budget_spent_ru_total", Type::kCounter,
             "Resource units spent on a host since the process started.");
  m_.Declare("spsync_request_budget_wait_seconds_total", Type::kCounter,
             "Seconds requests waited for the request budget, by host.");
  rt.on_response = [this](const std::string& host, int status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hosts_.insert(host);
    }
    m_.Add("spsync_sharepoint_requests_total", {{"host", host}, {"code", std::to_string(status)}});
    if (status == 429 || status == 503)
      m_.Add("spsync_sharepoint_throttled_requests_total", {{"host", host}}, 1);
  };
  m_.OnCollect([this](engine::serve::Metrics& m) {
    std::set<std::string> hosts;
    std::set<std::pair<std::string, std::string>> pairs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hosts = hosts_;
      pairs = pairs_;
    }
    for (const auto& h : hosts) {
      auto s = rt_->budget->Stats(h);
      m.Set("spsync_request_budget_ru_per_minute", {{"host", h}}, s.ru_per_minute);
      m.Set("spsync_request_budget_spent_ru_total", {{"host", h}}, s.spent_ru);
      m.Set("spsync_request_budget_wait_seconds_total", {{"host", h}}, s.waited_seconds);
    }
    const double now = NowUnix();
    for (const auto& [entity, sink] : pairs) {
      Labels l{{"entity", entity}, {"sink", sink}};
      double last = m.Value("spsync_pair_last_success_timestamp_seconds", l);
      m.Set("spsync_pair_seconds_behind", l, now - (last > 0 ? last : started_unix_));
    }
  });
}

void SpsyncMetrics::KnowPair(const std::string& entity, const std::string& sink) {
  std::lock_guard<std::mutex> lock(mu_);
  pairs_.insert({entity, sink});
}

void SpsyncMetrics::RecordSession(const engine::SessionResult& r) {
  KnowPair(r.entity, r.sink);
  Labels l{{"entity", r.entity}, {"sink", r.sink}};
  Labels with_result = l;
  with_result.emplace_back("result", ResultName(r));
  m_.Add("spsync_pair_sessions_total", with_result);
  m_.Add("spsync_pair_items_upserted_total", l, static_cast<double>(r.upserted));
  m_.Add("spsync_pair_items_deleted_total", l, static_cast<double>(r.deleted));
  if (r.idle || r.outcome == engine::Outcome::kComplete)
    m_.Set("spsync_pair_last_success_timestamp_seconds", l, NowUnix());
}

std::vector<std::string> SpsyncMetrics::Stale(double max_seconds) const {
  std::set<std::pair<std::string, std::string>> pairs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pairs = pairs_;
  }
  std::vector<std::string> out;
  const double now = NowUnix();
  for (const auto& [entity, sink] : pairs) {
    double behind = SecondsBehind(entity, sink);
    if (behind < 0) behind = now - started_unix_;
    if (behind > max_seconds)
      out.push_back(entity + "/" + sink + " (" + std::to_string(static_cast<int64_t>(behind)) +
                    " s)");
  }
  return out;
}

double SpsyncMetrics::SecondsBehind(const std::string& entity, const std::string& sink) const {
  double last =
      m_.Value("spsync_pair_last_success_timestamp_seconds", {{"entity", entity}, {"sink", sink}});
  return last > 0 ? NowUnix() - last : -1;
}

}  // namespace spsync::cli
