// Misbehaviour on demand: probabilistic faults drawn from (seed, request
// number) so a run is reproducible, a token bucket like SharePoint's per-app
// limit, and "fail the next N requests of kind K" rules for precise tests.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "http/faults.hpp"
#include "odata/query.hpp"
#include "util.hpp"

namespace spsync::emulator {
namespace {

double ParseNumber(std::string_view text, std::string_view what) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || v < 0)
    throw std::invalid_argument("invalid value '" + s + "' for " + std::string(what));
  return v;
}

std::vector<std::pair<std::string, std::string>> Pairs(std::string_view text, char sep) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& part : detail::SplitList(text)) {
    size_t at = part.find(sep);
    if (at == std::string::npos)
      throw std::invalid_argument("expected key" + std::string(1, sep) + "value, got '" + part +
                                  "'");
    out.emplace_back(detail::Lower(part.substr(0, at)), part.substr(at + 1));
  }
  return out;
}

}  // namespace

void ParseFaults(std::string_view text, FaultSpec& spec) {
  for (const auto& [key, value] : Pairs(text, ':')) {
    double v = ParseNumber(value, key);
    if (key == "429")
      spec.p429 = v;
    else if (key == "503")
      spec.p503 = v;
    else if (key == "500")
      spec.p500 = v;
    else if (key == "reset")
      spec.reset = v;
    else if (key == "truncate")
      spec.truncate = v;
    else if (key == "html")
      spec.html = v;
    else if (key == "slow")
      spec.slow = v;
    else if (key == "retry-after")
      spec.retry_after_seconds = static_cast<int>(v);
    else if (key == "slow-ms")
      spec.slow_ms = static_cast<int>(v);
    else if (key == "seed")
      spec.seed = static_cast<uint64_t>(v);
    else
      throw std::invalid_argument("unknown fault '" + key + "'");
  }
  double sum =
      spec.p429 + spec.p503 + spec.p500 + spec.reset + spec.truncate + spec.html + spec.slow;
  if (sum > 1.0) throw std::invalid_argument("fault probabilities add up to more than 1");
}

void ParseThrottle(std::string_view text, FaultSpec& spec) {
  for (const auto& [key, value] : Pairs(text, '=')) {
    double v = ParseNumber(value, key);
    if (key == "rate")
      spec.throttle_rate = v;
    else if (key == "burst")
      spec.throttle_burst = v;
    else
      throw std::invalid_argument("unknown throttle setting '" + key + "'");
  }
  if (spec.throttle_rate > 0 && spec.throttle_burst < 1)
    spec.throttle_burst = std::max(1.0, spec.throttle_rate);
}

namespace detail {

void FaultEngine::Set(FaultSpec spec) {
  std::lock_guard lock(mu_);
  spec_ = std::move(spec);
  n_ = 0;
  tokens_ = spec_.throttle_burst;
  last_ = std::chrono::steady_clock::now();
}

void FaultEngine::FailNext(RequestKind kind, int count, FaultKind fault) {
  std::lock_guard lock(mu_);
  spec_.rules.push_back(FaultRule{kind, count, fault});
}

int FaultEngine::slow_ms() const {
  std::lock_guard lock(mu_);
  return spec_.slow_ms;
}

FaultDecision FaultEngine::Decide(RequestKind kind) {
  std::lock_guard lock(mu_);
  FaultDecision d;
  d.retry_after = spec_.retry_after_seconds;
  for (auto& rule : spec_.rules) {
    if (rule.kind == kind && rule.count > 0) {
      --rule.count;
      d.fault = rule.fault;
      return d;
    }
  }
  if (spec_.throttle_rate > 0) {
    auto now = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(spec_.throttle_burst, tokens_ + elapsed * spec_.throttle_rate);
    d.limit = static_cast<int64_t>(spec_.throttle_burst);
    if (tokens_ < 1) {
      d.fault = FaultKind::kThrottle429;
      d.bucket_exhausted = true;
      d.retry_after = static_cast<int>(std::ceil((1 - tokens_) / spec_.throttle_rate));
      d.rate_limit_headers = true;
      d.remaining = 0;
      d.reset =
          static_cast<int64_t>(std::ceil((spec_.throttle_burst - tokens_) / spec_.throttle_rate));
      d.retry_after = std::max<int>(d.retry_after, 1);
      return d;
    }
    tokens_ -= 1;
    // SharePoint adds RateLimit-* only once 80% of the budget is used.
    if (tokens_ <= 0.2 * spec_.throttle_burst) {
      d.rate_limit_headers = true;
      d.remaining = static_cast<int64_t>(tokens_);
      d.reset =
          static_cast<int64_t>(std::ceil((spec_.throttle_burst - tokens_) / spec_.throttle_rate));
    }
  }
  double u = static_cast<double>(Mix(spec_.seed * 0x2545f4914f6cdd1dULL + n_++) >> 11) * 0x1.0p-53;
  const std::pair<double, FaultKind> table[] = {
      {spec_.p429, FaultKind::kThrottle429},  {spec_.p503, FaultKind::kBusy503},
      {spec_.p500, FaultKind::kError500},     {spec_.reset, FaultKind::kReset},
      {spec_.truncate, FaultKind::kTruncate}, {spec_.html, FaultKind::kHtml},
      {spec_.slow, FaultKind::kSlow}};
  double acc = 0;
  for (const auto& [p, f] : table) {
    acc += p;
    if (u < acc) {
      d.fault = f;
      break;
    }
  }
  return d;
}

}  // namespace detail
}  // namespace spsync::emulator
