#include "spsync/engine/sharepoint/request_budget.hpp"

#include "spsync/engine/sharepoint/http_client.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"
#include "spsync/engine/sharepoint/throttle_headers.hpp"

#include <algorithm>
#include <thread>

namespace spsync::engine {

using Clock = std::chrono::steady_clock;

RequestBudget::RequestBudget(BudgetOptions options) : options_(options) {}

RequestBudget::Host& RequestBudget::Find(const std::string& host) {
  auto [it, added] = hosts_.try_emplace(host);
  if (added) {
    it->second.rate = options_.ru_per_minute * options_.share / 60.0;
    it->second.tokens = Capacity(it->second);
    it->second.refilled = Clock::now();
    it->second.stats.ru_per_minute = it->second.rate * 60;
  }
  return it->second;
}

void RequestBudget::Refill(Host& h) {
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - h.refilled).count();
  h.refilled = now;
  if (h.rate > 0) h.tokens = std::min(Capacity(h), h.tokens + elapsed * h.rate);
}

void RequestBudget::Spend(const std::string& host, const Deadline& deadline) {
  const double cost = options_.ru_per_request;
  double wait_seconds = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Host& h = Find(host);
    h.stats.requests++;
    h.stats.spent_ru += cost;
    if (h.rate <= 0) return;
    Refill(h);
    // Reserve first (tokens may go negative), then wait for the debt to be
    // repaid: concurrent callers queue fairly without a thundering herd.
    h.tokens -= cost;
    if (h.tokens >= 0) return;
    wait_seconds = -h.tokens / h.rate;
    auto wait =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait_seconds));
    if (deadline.WouldExpireAfter(wait)) {
      h.tokens += cost;
      h.stats.requests--;
      h.stats.spent_ru -= cost;
      throw SharePointError(
          ErrorKind::kBudget, 0, "",
          "the time budget ends before the request budget of " + host + " allows another request");
    }
    h.stats.waited_seconds += wait_seconds;
  }
  auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(wait_seconds));
  while (Clock::now() < until && !deadline.cancelled())
    std::this_thread::sleep_for(
        std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
}

void RequestBudget::Observe(const std::string& host, const HttpResponse& r) {
  std::lock_guard<std::mutex> lock(mu_);
  Host& h = Find(host);
  Refill(h);
  if (options_.ru_per_minute <= 0) {
    // Nothing configured: adopt the limit SharePoint reports (per minute).
    if (auto limit = ParseBoundedInt(r.Header("RateLimit-Limit"), 100000000); limit && *limit > 0) {
      double rate = static_cast<double>(*limit) * options_.share / 60.0;
      if (h.rate <= 0) h.tokens = 0;  // it only says so past 80% used: start empty
      h.rate = rate;
      h.stats.ru_per_minute = rate * 60;
    }
  }
  if (h.rate <= 0) return;
  // SharePoint's own count wins when it has less left than we think.
  if (auto remaining = ParseBoundedInt(r.Header("RateLimit-Remaining"), 100000000))
    h.tokens = std::min(h.tokens, static_cast<double>(*remaining) * options_.share);
  if (r.status == 429) h.tokens = std::min(h.tokens, 0.0);
}

RequestBudget::HostStats RequestBudget::Stats(const std::string& host) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = hosts_.find(host);
  return it == hosts_.end() ? HostStats{} : it->second.stats;
}

double RequestBudget::RequestsPerSecond(const std::string& host) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = hosts_.find(host);
  if (options_.ru_per_request <= 0) return 0;
  const double rate =
      it == hosts_.end() ? options_.ru_per_minute * options_.share / 60.0 : it->second.rate;
  return rate / options_.ru_per_request;
}

}  // namespace spsync::engine
