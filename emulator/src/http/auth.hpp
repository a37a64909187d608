// Bearer checks as SharePoint answers them and an Entra ID v2 token endpoint
// for app-only certificate credentials.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "spsync/emulator/emulator.hpp"

namespace spsync::emulator::detail {

struct AuthFailure {
  std::string reason;  // for x-ms-diagnostics
  std::string body;
};

// Thread-safe (issued tokens behind an internal mutex); owns the public key.
class Authenticator {
 public:
  Authenticator(const Options& options, std::function<int64_t()> now);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;
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

}  // namespace spsync::emulator::detail
