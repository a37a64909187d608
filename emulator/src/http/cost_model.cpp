// The latency model and the resource-unit budget (see cost_model.hpp), and
// their CLI forms.
#include "http/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "odata/query.hpp"
#include "util.hpp"

namespace spsync::emulator {
namespace {

// "300ms", "0.2ms", "1.5s", "250us", "0" -> milliseconds.
double ParseDuration(std::string text, std::string_view what) {
  text = detail::Lower(text);
  if (text.size() > 5 && text.compare(text.size() - 5, 5, "/item") == 0)
    text.resize(text.size() - 5);
  double scale = 1;
  auto strip = [&](const char* unit, double s) {
    size_t n = std::char_traits<char>::length(unit);
    if (text.size() > n && text.compare(text.size() - n, n, unit) == 0) {
      text.resize(text.size() - n);
      scale = s;
      return true;
    }
    return false;
  };
  if (!strip("ms", 1) && !strip("us", 0.001) && !strip("s", 1000) && text != "0")
    throw std::invalid_argument("invalid " + std::string(what) + " '" + text +
                                "': want a number with ms, s or us");
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || v < 0 || !std::isfinite(v))
    throw std::invalid_argument("invalid " + std::string(what) + " '" + text + "'");
  return v * scale;
}

double ParseCost(const std::string& text, const std::string& key) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || v < 0 || !std::isfinite(v))
    throw std::invalid_argument("invalid value '" + text + "' for budget " + key);
  return v;
}

}  // namespace

void ParseLatency(std::string_view text, LatencySpec& spec) {
  std::string t(text);
  t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
  size_t plus = t.find('+');
  LatencySpec out;
  out.base_ms = ParseDuration(t.substr(0, plus), "latency base");
  if (plus != std::string::npos)
    out.per_item_ms = ParseDuration(t.substr(plus + 1), "latency per item");
  spec = out;
}

void ParseBudget(std::string_view text, BudgetSpec& spec) {
  BudgetSpec out = spec;
  for (const auto& part : detail::SplitList(text)) {
    size_t eq = part.find('=');
    std::string key = eq == std::string::npos ? "ru" : detail::Lower(part.substr(0, eq));
    std::string value = eq == std::string::npos ? part : part.substr(eq + 1);
    if (key == "ru")
      out.ru_per_minute = ParseCost(value, key);
    else if (key == "read")
      out.read_cost = ParseCost(value, key);
    else if (key == "write")
      out.write_cost = ParseCost(value, key);
    else if (key == "charge-throttled")
      out.charge_throttled = ParseCost(value, key) != 0;
    else
      throw std::invalid_argument("unknown budget setting '" + key +
                                  "' (ru, read, write, charge-throttled)");
  }
  spec = out;
}

namespace detail {

void LatencyModel::Set(LatencySpec spec) {
  std::lock_guard lock(mu_);
  spec_ = spec;
}

LatencySpec LatencyModel::Get() const {
  std::lock_guard lock(mu_);
  return spec_;
}

std::chrono::microseconds LatencyModel::Delay(int64_t items) const {
  std::lock_guard lock(mu_);
  double ms = spec_.base_ms + spec_.per_item_ms * static_cast<double>(std::max<int64_t>(items, 0));
  return std::chrono::microseconds(static_cast<int64_t>(ms * 1000));
}

void ResourceBudget::Set(BudgetSpec spec) {
  std::lock_guard lock(mu_);
  spec_ = spec;
  tokens_ = spec_.ru_per_minute;
  last_ = std::chrono::steady_clock::now();
}

BudgetSpec ResourceBudget::Get() const {
  std::lock_guard lock(mu_);
  return spec_;
}

void ResourceBudget::Refill() {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  tokens_ = std::min(spec_.ru_per_minute, tokens_ + elapsed * spec_.ru_per_minute / 60.0);
}

BudgetDecision ResourceBudget::Charge(bool write) {
  std::lock_guard lock(mu_);
  BudgetDecision d;
  if (spec_.ru_per_minute <= 0) return d;
  Refill();
  const double limit = spec_.ru_per_minute, per_second = limit / 60.0;
  const double cost = write ? spec_.write_cost : spec_.read_cost;
  if (tokens_ + 1e-9 < cost) {
    d.allowed = false;
    ++refused_;
    // Throttled calls still count against the quota; the debt is capped at
    // one minute's budget so a client that ignores Retry-After is locked out
    // for at most two minutes.
    if (spec_.charge_throttled) {
      tokens_ = std::max(tokens_ - cost, -limit);
      spent_ += cost;
    }
    d.retry_after = std::max(1, static_cast<int>(std::ceil((cost - tokens_) / per_second)));
  } else {
    tokens_ -= cost;
    spent_ += cost;
  }
  // SharePoint adds RateLimit-* once 80% of the per-minute budget is used.
  if (tokens_ <= 0.2 * limit) {
    d.headers = true;
    d.limit = static_cast<int64_t>(std::llround(limit));
    d.remaining = static_cast<int64_t>(std::floor(std::max(tokens_, 0.0)));
    d.reset = static_cast<int64_t>(std::ceil((limit - tokens_) / per_second));
  }
  return d;
}

double ResourceBudget::spent() const {
  std::lock_guard lock(mu_);
  return spent_;
}

uint64_t ResourceBudget::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

void ResourceBudget::ResetCounters() {
  std::lock_guard lock(mu_);
  spent_ = 0;
  refused_ = 0;
}

double ResourceBudget::available() const {
  std::lock_guard lock(mu_);
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count();
  return std::min(spec_.ru_per_minute, tokens_ + elapsed * spec_.ru_per_minute / 60.0);
}

}  // namespace detail
}  // namespace spsync::emulator
