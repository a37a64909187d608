// The emulator's shared state (Emulator::Impl) and the collaborators the HTTP
// layer uses: fault injection and authentication.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <mutex>

#include "internal.hpp"

namespace Poco::Net {
class HTTPServer;
}

namespace spsync::emulator {
namespace detail {

struct FaultDecision {
  FaultKind fault = FaultKind::kNone;
  bool bucket_exhausted = false;  // the token bucket, not an injected fault, refused it
  int retry_after = 0;
  bool rate_limit_headers = false;
  int64_t limit = 0, remaining = 0, reset = 0;
};

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

struct AuthFailure {
  std::string reason;  // for x-ms-diagnostics
  std::string body;
};

class Authenticator {
 public:
  Authenticator(const Options& options, std::function<int64_t()> now);
  ~Authenticator();
  bool enabled() const { return !static_token_.empty() || !tenant_.empty(); }
  bool token_endpoint() const { return !tenant_.empty(); }
  const std::string& tenant() const { return tenant_; }
  std::optional<AuthFailure> Check(std::string_view authorization) const;
  // The Entra ID v2 token endpoint; returns (status, JSON body).
  std::pair<int, std::string> IssueToken(std::string_view form_body, std::string_view own_url);
  std::string TenantId() const;

 private:
  std::string static_token_, tenant_, client_id_;
  EVP_PKEY* public_key_ = nullptr;
  std::function<int64_t()> now_;
  mutable std::mutex mu_;
  struct Issued {
    int64_t expires = 0;
    bool from_secret = false;
  };
  std::map<std::string, Issued> issued_;
  uint64_t counter_ = 0;
};

// A create/update body (verbose or JSON light) as (column, raw JSON) pairs;
// throws RestError with SharePoint's answer for bad bodies.
std::vector<std::pair<int, std::string>> ParseItemBody(const ListState& list, std::string_view body,
                                                       bool verbose_content_type);

constexpr size_t kKindCount = static_cast<size_t>(RequestKind::kOther) + 1;

}  // namespace detail

struct Emulator::Impl {
  explicit Impl(Options o);
  Options opt;
  mutable std::shared_mutex mu;
  std::vector<std::unique_ptr<detail::ListState>> lists;
  std::map<std::string, int> generations;  // lowercase title -> times recreated
  detail::ChangeLog log;
  std::map<std::string, std::pair<std::string, int64_t>> recycle_bin;  // id -> (list id, item)
  uint64_t recycle_counter = 0;
  std::atomic<int64_t> clock_offset{0};
  std::array<std::atomic<uint64_t>, detail::kKindCount> counts{};
  std::atomic<uint64_t> total{0}, throttled{0}, faulted{0};
  detail::FaultEngine faults;
  std::unique_ptr<detail::Authenticator> auth;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t bound_port = 0;
  std::string site_id, web_id;

  int64_t NowUnix() const;
  std::string SiteUrl() const;
  std::string BaseUrl() const;
  // Callers hold mu.
  detail::ListState* FindByTitle(std::string_view title) const;
  detail::ListState* FindById(std::string_view id) const;
  detail::ListState& Require(std::string_view title) const;  // throws std::invalid_argument
  std::string CurrentToken(const detail::ListState& list) const;
  int64_t RetentionStartTicks() const;
  void RecordItem(const detail::ListState& list, int type, int64_t id);
  std::string Recycle(detail::ListState& list, int64_t id);
  void Restore(detail::ListState& list, int64_t id);
};

// server.cpp
std::unique_ptr<Poco::Net::HTTPServer> StartServer(Emulator::Impl& impl);

}  // namespace spsync::emulator
