#include "spsync/engine/sharepoint/credentials.hpp"

#include "spsync/engine/sharepoint/http_client.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"
#include "spsync/engine/sharepoint/throttle_headers.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace spsync::engine {

namespace {

std::string Base64Url(const unsigned char* data, size_t len) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((len + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < len; i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == len) {
    uint32_t v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == len) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}
std::string Base64Url(const std::string& s) {
  return Base64Url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

std::string FormEncode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[]", out);
  return out;
}

std::string Json(const Poco::JSON::Object& o) {
  std::ostringstream s;
  o.stringify(s);
  return s.str();
}

// A token with its expiry, refreshed a little before it runs out.
struct CachedToken {
  std::string value;
  std::chrono::system_clock::time_point expires{};
  bool Fresh() const {
    return !value.empty() && std::chrono::system_clock::now() + std::chrono::minutes(5) < expires;
  }
};

class NoneCredentials final : public Credentials {
 public:
  std::string AuthorizationHeader(const Deadline&) override { return ""; }
  std::string Describe() const override { return "none"; }
};

class StaticBearer final : public Credentials {
 public:
  explicit StaticBearer(std::string token) : token_(std::move(token)) {}
  std::string AuthorizationHeader(const Deadline&) override { return "Bearer " + token_; }
  std::string Describe() const override { return "bearer token"; }

 private:
  std::string token_;
};

using PKeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

std::string ReadFile(const std::string& path, const char* what) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(std::string("cannot read the ") + what + " file '" + path + "'");
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

// Entra ID app-only with a certificate: a client assertion JWT signed with
// the certificate's private key, exchanged for an access token.
class CertificateAuth final : public Credentials {
 public:
  CertificateAuth(CertificateAuthOptions o, std::shared_ptr<HttpClient> http)
      : o_(std::move(o)),
        http_(std::move(http)),
        key_(nullptr, EVP_PKEY_free),
        cert_(nullptr, X509_free) {
    if (o_.algorithm != "RS256" && o_.algorithm != "PS256")
      throw std::runtime_error("auth.algorithm must be RS256 or PS256, got '" + o_.algorithm + "'");
    std::string cert_pem = ReadFile(o_.certificate_path, "certificate");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), BIO_free);
    cert_.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert_) throw std::runtime_error("no PEM certificate in '" + o_.certificate_path + "'");
    std::string key_pem =
        o_.private_key_path.empty() ? cert_pem : ReadFile(o_.private_key_path, "private key");
    std::unique_ptr<BIO, decltype(&BIO_free)> kbio(
        BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), BIO_free);
    key_.reset(PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr,
                                       o_.private_key_password.empty()
                                           ? nullptr
                                           : const_cast<char*>(o_.private_key_password.c_str())));
    if (!key_)
      throw std::runtime_error(
          "no usable private key in '" +
          (o_.private_key_path.empty() ? o_.certificate_path : o_.private_key_path) + "'");
    unsigned char sha1[EVP_MAX_MD_SIZE], sha256[EVP_MAX_MD_SIZE];
    unsigned int n1 = 0, n256 = 0;
    X509_digest(cert_.get(), EVP_sha1(), sha1, &n1);
    X509_digest(cert_.get(), EVP_sha256(), sha256, &n256);
    x5t_ = Base64Url(sha1, n1);
    x5t_s256_ = Base64Url(sha256, n256);
  }

  std::string AuthorizationHeader(const Deadline& deadline) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cached_.Fresh()) Refresh(deadline);
    return "Bearer " + cached_.value;
  }
  void Invalidate() override {
    std::lock_guard<std::mutex> lock(mu_);
    cached_ = {};
  }
  std::string Describe() const override {
    return "azure-certificate (tenant " + o_.tenant + ", client " + o_.client_id + ", " +
           o_.algorithm + ")";
  }

 private:
  std::string TokenUrl() const {
    std::string a = o_.authority;
    while (!a.empty() && a.back() == '/') a.pop_back();
    return a + "/" + o_.tenant + "/oauth2/v2.0/token";
  }

  std::string Assertion() const {
    Poco::JSON::Object header(Poco::JSON_PRESERVE_KEY_ORDER);
    header.set("alg", o_.algorithm);
    header.set("typ", "JWT");
    header.set("x5t", x5t_);
    header.set("x5t#S256", x5t_s256_);
    const auto now = static_cast<int64_t>(std::time(nullptr));
    Poco::JSON::Object claims(Poco::JSON_PRESERVE_KEY_ORDER);
    claims.set("aud", TokenUrl());
    claims.set("iss", o_.client_id);
    claims.set("sub", o_.client_id);
    claims.set("jti", Poco::UUIDGenerator::defaultGenerator().createRandom().toString());
    claims.set("nbf", now);
    claims.set("iat", now);
    claims.set("exp", now + 600);
    std::string signing_input = Base64Url(Json(header)) + "." + Base64Url(Json(claims));

    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1)
      throw std::runtime_error("cannot sign the client assertion with the configured key");
    if (o_.algorithm == "PS256") {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    size_t sig_len = 0;
    EVP_DigestSign(ctx.get(), nullptr, &sig_len,
                   reinterpret_cast<const unsigned char*>(signing_input.data()),
                   signing_input.size());
    std::string sig(sig_len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1)
      throw std::runtime_error("signing the client assertion failed");
    sig.resize(sig_len);
    return signing_input + "." + Base64Url(sig);
  }

  void Refresh(const Deadline& deadline) {
    if (deadline.expired())
      throw SharePointError(ErrorKind::kBudget, 0, "",
                            "time budget spent before the token request");
    std::string resource = o_.resource;
    while (!resource.empty() && resource.back() == '/') resource.pop_back();
    HttpRequest req;
    req.method = "POST";
    req.url = TokenUrl();
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Accept", "application/json"}};
    req.body = "client_id=" + FormEncode(o_.client_id) +
               "&scope=" + FormEncode(resource + "/.default") + "&client_assertion_type=" +
               FormEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
               "&client_assertion=" + Assertion() + "&grant_type=client_credentials";
    HttpResponse resp = http_->Send(req);
    if (resp.status != 200) {
      // The body of a token error names the error and never echoes the assertion.
      throw ErrorFromResponse(resp.status, resp.body, "token request to " + TokenUrl());
    }
    Poco::JSON::Parser parser;
    auto o = parser.parse(resp.body).extract<Poco::JSON::Object::Ptr>();
    if (!o->has("access_token"))
      throw SharePointError(ErrorKind::kAuth, 200, "", "token response without access_token");
    cached_.value = o->getValue<std::string>("access_token");
    // A lifetime that does not parse (or is absurd) is taken as an hour;
    // the token is refreshed early or on a 401 anyway.
    int64_t expires_in = 3600;
    if (o->has("expires_in"))
      expires_in = ParseBoundedInt(o->get("expires_in").toString(), 86400 * 365).value_or(3600);
    cached_.expires = std::chrono::system_clock::now() + std::chrono::seconds(expires_in);
  }

  CertificateAuthOptions o_;
  std::shared_ptr<HttpClient> http_;
  PKeyPtr key_;
  X509Ptr cert_;
  std::string x5t_, x5t_s256_;
  std::mutex mu_;
  CachedToken cached_;
};

// App Service / Functions managed identity (IDENTITY_ENDPOINT + IDENTITY_HEADER).
class ManagedIdentity final : public Credentials {
 public:
  ManagedIdentity(ManagedIdentityOptions o, std::shared_ptr<HttpClient> http)
      : o_(std::move(o)), http_(std::move(http)) {
    if (o_.endpoint.empty())
      if (const char* e = std::getenv("IDENTITY_ENDPOINT")) o_.endpoint = e;
    if (o_.header.empty())
      if (const char* h = std::getenv("IDENTITY_HEADER")) o_.header = h;
    if (o_.endpoint.empty() || o_.header.empty())
      throw std::runtime_error(
          "managed identity needs IDENTITY_ENDPOINT and IDENTITY_HEADER (set by App Service / "
          "Azure Functions)");
  }
  std::string AuthorizationHeader(const Deadline& deadline) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cached_.Fresh()) Refresh(deadline);
    return "Bearer " + cached_.value;
  }
  void Invalidate() override {
    std::lock_guard<std::mutex> lock(mu_);
    cached_ = {};
  }
  std::string Describe() const override { return "managed-identity"; }

 private:
  void Refresh(const Deadline& deadline) {
    if (deadline.expired())
      throw SharePointError(ErrorKind::kBudget, 0, "",
                            "time budget spent before the token request");
    Poco::URI uri(o_.endpoint);
    uri.addQueryParameter("resource", o_.resource);
    uri.addQueryParameter("api-version", "2019-08-01");
    if (!o_.client_id.empty()) uri.addQueryParameter("client_id", o_.client_id);
    HttpRequest req;
    req.url = uri.toString();
    req.headers = {{"X-IDENTITY-HEADER", o_.header}, {"Accept", "application/json"}};
    HttpResponse resp = http_->Send(req);
    if (resp.status != 200)
      throw ErrorFromResponse(resp.status, resp.body, "managed identity token request");
    Poco::JSON::Parser parser;
    auto o = parser.parse(resp.body).extract<Poco::JSON::Object::Ptr>();
    if (!o->has("access_token"))
      throw SharePointError(ErrorKind::kAuth, 200, "",
                            "managed identity response without access_token");
    cached_.value = o->getValue<std::string>("access_token");
    auto expires_on = o->has("expires_on")
                          ? ParseBoundedInt(o->get("expires_on").toString(), int64_t{1} << 40)
                          : std::nullopt;
    if (expires_on)
      cached_.expires = std::chrono::system_clock::time_point(std::chrono::seconds(*expires_on));
    else
      cached_.expires = std::chrono::system_clock::now() + std::chrono::hours(1);
  }

  ManagedIdentityOptions o_;
  std::shared_ptr<HttpClient> http_;
  std::mutex mu_;
  CachedToken cached_;
};

}  // namespace

std::shared_ptr<Credentials> NoCredentials() {
  return std::make_shared<NoneCredentials>();
}
std::shared_ptr<Credentials> BearerCredentials(std::string token) {
  return std::make_shared<StaticBearer>(std::move(token));
}
std::shared_ptr<Credentials> CertificateCredentials(CertificateAuthOptions options,
                                                    std::shared_ptr<HttpClient> http) {
  return std::make_shared<CertificateAuth>(std::move(options), std::move(http));
}
std::shared_ptr<Credentials> ManagedIdentityCredentials(ManagedIdentityOptions options,
                                                        std::shared_ptr<HttpClient> http) {
  return std::make_shared<ManagedIdentity>(std::move(options), std::move(http));
}

}  // namespace spsync::engine
