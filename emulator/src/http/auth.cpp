// Bearer checks as SharePoint answers them, and an Entra ID v2 token endpoint
// for app-only certificate credentials: the client assertion JWT (RS256 or
// PS256) is verified against the configured certificate's public key.
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstring>

#include "http/auth.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view part = body.substr(start, end - start);
    size_t eq = part.find('=');
    out[UrlDecode(part.substr(0, eq), true)] =
        eq == std::string_view::npos ? "" : UrlDecode(part.substr(eq + 1), true);
    start = end + 1;
  }
  return out;
}

std::pair<int, std::string> AadError(int status, const std::string& error, int code,
                                     const std::string& description) {
  std::string out = "{\"error\":";
  AppendJsonString(out, error);
  out += ",\"error_description\":";
  AppendJsonString(out, "AADSTS" + std::to_string(code) + ": " + description);
  out += ",\"error_codes\":[" + std::to_string(code) + "],\"timestamp\":";
  AppendJsonString(out, FormatIso(time(nullptr)));
  out += ",\"trace_id\":\"" + MakeGuid(Mix(static_cast<uint64_t>(code)), 1) +
         "\",\"correlation_id\":\"" + MakeGuid(Mix(static_cast<uint64_t>(code)), 2) + "\"}";
  return {status, out};
}

bool VerifySignature(EVP_PKEY* key, bool pss, std::string_view signed_part,
                     std::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, key) == 1;
  if (ok && pss) {
    // JWS PS256: PSS with MGF1-SHA256 and a salt as long as the digest (RFC 7518 3.5).
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                              signature.size(),
                              reinterpret_cast<const unsigned char*>(signed_part.data()),
                              signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace

Authenticator::Authenticator(const Options& o, std::function<int64_t()> now)
    : static_token_(o.token), tenant_(o.tenant), client_id_(o.client_id), now_(std::move(now)) {
  if (tenant_.empty()) return;
  if (client_id_.empty() || o.client_cert_path.empty())
    throw std::invalid_argument("--tenant needs --client-id and --client-cert");
  Poco::Crypto::X509Certificate cert(o.client_cert_path);
  public_key_ = X509_get_pubkey(const_cast<X509*>(cert.certificate()));
  if (!public_key_ || EVP_PKEY_base_id(public_key_) != EVP_PKEY_RSA)
    throw std::invalid_argument("the client certificate must hold an RSA public key");
}

Authenticator::~Authenticator() {
  if (public_key_) EVP_PKEY_free(public_key_);
}

std::string Authenticator::TenantId() const {
  return MakeGuid(Hash(7, Lower(tenant_)), Hash(8, Lower(tenant_)));
}

std::optional<AuthFailure> Authenticator::Check(std::string_view authorization) const {
  if (!enabled()) return std::nullopt;
  std::string_view token;
  if (IStartsWith(authorization, "Bearer ")) token = authorization.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty())
    return AuthFailure{"Token is missing.",
                       "{\"error_description\":\"Invalid issuer or signature.\"}"};
  if (!tenant_.empty()) {
    std::lock_guard lock(mu_);
    auto it = issued_.find(std::string(token));
    if (it != issued_.end()) {
      if (it->second.from_secret)
        return AuthFailure{"Unsupported app only token.",
                           "{\"error_description\":\"Unsupported app only token.\"}"};
      if (now_() >= it->second.expires)
        return AuthFailure{"Token expired.",
                           "{\"error_description\":\"Invalid JWT token. The token is expired.\"}"};
      return std::nullopt;
    }
  }
  if (!static_token_.empty() && token.size() == static_token_.size() &&
      CRYPTO_memcmp(token.data(), static_token_.data(), token.size()) == 0)
    return std::nullopt;
  return AuthFailure{"Token contains invalid signature.",
                     "{\"error_description\":\"Invalid issuer or signature.\"}"};
}

std::pair<int, std::string> Authenticator::IssueToken(std::string_view body,
                                                      std::string_view own_url) {
  auto form = ParseForm(body);
  if (form["grant_type"] != "client_credentials")
    return AadError(400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '" + form["grant_type"] + "'.");
  if (form["client_id"] != client_id_)
    return AadError(400, "unauthorized_client", 700016,
                    "Application with identifier '" + form["client_id"] +
                        "' was not found in the directory '" + tenant_ + "'.");
  const std::string scope = form["scope"];
  const std::string suffix = "/.default";
  if (scope.empty() || scope.find(' ') != std::string::npos || scope.size() <= suffix.size() ||
      scope.compare(scope.size() - suffix.size(), suffix.size(), suffix) != 0)
    return AadError(400, "invalid_scope", 1002012,
                    "The provided value for scope " + scope +
                        " is not valid. Client credential flows must have a scope value with "
                        "/.default suffixed to the resource identifier (application ID URI).");
  bool from_secret = false;
  if (form.count("client_secret")) {
    // Entra ID issues the token; SharePoint then refuses it (sp-dev-docs #3711).
    from_secret = true;
  } else {
    if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return AadError(400, "invalid_client", 7000218,
                      "The request body must contain the following parameter: 'client_assertion' "
                      "or 'client_secret'.");
    const std::string& jwt = form["client_assertion"];
    size_t d1 = jwt.find('.'), d2 = d1 == std::string::npos ? d1 : jwt.find('.', d1 + 1);
    if (d2 == std::string::npos || jwt.find('.', d2 + 1) != std::string::npos)
      return AadError(400, "invalid_client", 50027, "JWT token is invalid or malformed.");
    auto header = Base64UrlDecode(std::string_view(jwt).substr(0, d1));
    auto claims = Base64UrlDecode(std::string_view(jwt).substr(d1 + 1, d2 - d1 - 1));
    auto sig = Base64UrlDecode(std::string_view(jwt).substr(d2 + 1));
    if (!header || !claims || !sig)
      return AadError(400, "invalid_client", 50027, "JWT token is invalid or malformed.");
    Poco::JSON::Object::Ptr h, c;
    try {
      h = Poco::JSON::Parser().parse(*header).extract<Poco::JSON::Object::Ptr>();
      c = Poco::JSON::Parser().parse(*claims).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
      return AadError(400, "invalid_client", 50027, "JWT token is invalid or malformed.");
    }
    std::string alg = h->optValue<std::string>("alg", "");
    if (alg != "RS256" && alg != "PS256")
      return AadError(400, "invalid_client", 5002738,
                      "Invalid JWT token. '" + alg + "' is not a supported signature algorithm.");
    if (!VerifySignature(public_key_, alg == "PS256", std::string_view(jwt).substr(0, d2), *sig))
      return AadError(400, "invalid_client", 700027,
                      "Client assertion failed signature validation.");
    std::string aud = c->optValue<std::string>("aud", "");
    std::string expected = "https://login.microsoftonline.com/" + tenant_ + "/oauth2/v2.0/token";
    if (aud != expected && aud != own_url)
      return AadError(400, "invalid_client", 700212,
                      "No matching federated identity record found for presented assertion "
                      "audience '" +
                          aud + "'.");
    if (c->optValue<std::string>("iss", "") != client_id_ ||
        c->optValue<std::string>("sub", "") != client_id_)
      return AadError(400, "invalid_client", 700023,
                      "Client assertion audience claim does not match Realm issuer, or the "
                      "issuer or subject is not the client id.");
    int64_t now = now_();
    int64_t exp = c->has("exp") ? c->getValue<int64_t>("exp") : 0;
    int64_t nbf = c->has("nbf") ? c->getValue<int64_t>("nbf") : 0;
    if (exp <= now || nbf > now + 300)
      return AadError(400, "invalid_client", 700024,
                      "Client assertion is not within its valid time range. Current time: " +
                          FormatIso(now) + ", assertion valid from " + FormatIso(nbf) +
                          ", expiry time of assertion " + FormatIso(exp) + ".");
  }
  int64_t now = now_();
  const int64_t lifetime = 3599;
  std::string resource = scope.substr(0, scope.size() - suffix.size());
  unsigned char nonce[24];
  RAND_bytes(nonce, sizeof(nonce));
  std::string claims =
      "{\"aud\":" + JsonString(resource) + ",\"iss\":\"https://sts.windows.net/" + TenantId() +
      "/\",\"iat\":" + std::to_string(now) + ",\"nbf\":" + std::to_string(now) +
      ",\"exp\":" + std::to_string(now + lifetime) + ",\"appid\":" + JsonString(client_id_) +
      ",\"tid\":\"" + TenantId() + "\",\"roles\":[\"Sites.FullControl.All\"],\"ver\":\"1.0\"}";
  std::string token =
      Base64UrlEncode("{\"typ\":\"JWT\",\"alg\":\"RS256\"}") + "." + Base64UrlEncode(claims) + "." +
      Base64UrlEncode(std::string_view(reinterpret_cast<char*>(nonce), sizeof(nonce)));
  {
    std::lock_guard lock(mu_);
    issued_[token] = Issued{now + lifetime, from_secret};
  }
  return {200, "{\"token_type\":\"Bearer\",\"expires_in\":" + std::to_string(lifetime) +
                   ",\"ext_expires_in\":" + std::to_string(lifetime) +
                   ",\"access_token\":" + JsonString(token) + "}"};
}

}  // namespace spsync::emulator::detail
