// Auth: the static bearer, and the Entra ID token endpoint with certificate
// client assertions (RS256 and PS256) verified against a certificate made at
// test time with the openssl CLI.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

std::string B64Url(const std::string& in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {a[v >> 18 & 63], a[v >> 12 & 63], a[v >> 6 & 63], a[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {a[v >> 18 & 63], a[v >> 12 & 63]};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {a[v >> 18 & 63], a[v >> 12 & 63], a[v >> 6 & 63]};
  }
  return out;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

class EmulatorAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("spsync-emu-auth-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    for (const char* name : {"good", "evil"}) {
      std::string cmd =
          std::string(
              "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=spsync-test -keyout ") +
          (dir_ / (std::string(name) + ".key")).string() + " -out " +
          (dir_ / (std::string(name) + ".pem")).string() + " >/dev/null 2>&1";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static Options TenantOptions() {
    Options o;
    o.lists = {{"Tasks", 10}};
    o.tenant = "contoso.onmicrosoft.com";
    o.client_id = "11111111-2222-3333-4444-555555555555";
    o.client_cert_path = (dir_ / "good.pem").string();
    return o;
  }

  static std::string Assertion(const std::string& key_name, const std::string& alg,
                               const std::string& aud, const std::string& iss, int64_t now,
                               int64_t lifetime = 300) {
    std::string header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}";
    std::string claims = "{\"aud\":\"" + aud + "\",\"iss\":\"" + iss + "\",\"sub\":\"" + iss +
                         "\",\"jti\":\"" + std::to_string(now) +
                         "-j\",\"nbf\":" + std::to_string(now) + ",\"iat\":" + std::to_string(now) +
                         ",\"exp\":" + std::to_string(now + lifetime) + "}";
    std::string signing_input = B64Url(header) + "." + B64Url(claims);
    FILE* f = fopen((dir_ / (key_name + ".key")).c_str(), "r");
    EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    fclose(f);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key);
    if (alg == "PS256") {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                   signing_input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(signing_input.data()),
                   signing_input.size());
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return signing_input + "." + B64Url(sig);
  }

  static HttpResult RequestToken(const Emulator& e, const std::string& form) {
    return Http(e.BaseUrl() + "/contoso.onmicrosoft.com/oauth2/v2.0/token", "POST",
                {{"Content-Type", "application/x-www-form-urlencoded"}}, form);
  }

  static std::string AssertionForm(const std::string& assertion) {
    return "client_id=11111111-2222-3333-4444-555555555555&scope=" +
           UrlEncode("https://contoso.sharepoint.com/.default") + "&client_assertion_type=" +
           UrlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
           "&client_assertion=" + assertion + "&grant_type=client_credentials";
  }

  static int64_t Now(const Emulator& e) {
    return std::chrono::duration_cast<std::chrono::seconds>(e.Now().time_since_epoch()).count();
  }

  static std::filesystem::path dir_;
};
std::filesystem::path EmulatorAuthTest::dir_;

const char* kAud = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
const char* kClient = "11111111-2222-3333-4444-555555555555";

TEST_F(EmulatorAuthTest, StaticBearer) {
  Options o;
  o.lists = {{"Tasks", 10}};
  o.token = "s3cret";
  Emulator e(o);
  e.Start();
  auto none = Http(ApiList(e, "Tasks"));
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Header("WWW-Authenticate").rfind("Bearer realm=\"", 0), 0u);
  EXPECT_NE(none.Header("x-ms-diagnostics").find("3000006;reason="), std::string::npos);
  EXPECT_EQ(
      Http(ApiList(e, "Tasks"), "GET", {{"Accept", kNoMeta}, {"Authorization", "Bearer wrong"}})
          .status,
      401);
  auto ok =
      Http(ApiList(e, "Tasks"), "GET", {{"Accept", kNoMeta}, {"Authorization", "Bearer s3cret"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(Json(ok.body)->getValue<int>("ItemCount"), 10);
}

TEST_F(EmulatorAuthTest, CertificateAssertionsRs256AndPs256) {
  Emulator e(TenantOptions());
  e.Start();
  EXPECT_EQ(Http(ApiList(e, "Tasks")).status, 401);
  for (const char* alg : {"RS256", "PS256"}) {
    auto r = RequestToken(e, AssertionForm(Assertion("good", alg, kAud, kClient, Now(e))));
    ASSERT_EQ(r.status, 200) << alg << " " << r.body;
    auto o = Json(r.body);
    EXPECT_EQ(o->getValue<std::string>("token_type"), "Bearer");
    EXPECT_EQ(o->getValue<int>("expires_in"), 3599);
    const std::string token = o->getValue<std::string>("access_token");
    auto ok = Http(ApiList(e, "Tasks"), "GET",
                   {{"Accept", kNoMeta}, {"Authorization", "Bearer " + token}});
    EXPECT_EQ(ok.status, 200) << alg;
  }
  // A token expires with the emulator clock.
  auto r = RequestToken(e, AssertionForm(Assertion("good", "PS256", kAud, kClient, Now(e))));
  const std::string token = Json(r.body)->getValue<std::string>("access_token");
  e.AdvanceClock(std::chrono::seconds(3600));
  auto expired =
      Http(ApiList(e, "Tasks"), "GET", {{"Accept", kNoMeta}, {"Authorization", "Bearer " + token}});
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.body, "{\"error_description\":\"Invalid JWT token. The token is expired.\"}");
}

TEST_F(EmulatorAuthTest, BadAssertionsAreInvalidClient) {
  Emulator e(TenantOptions());
  e.Start();
  struct Case {
    std::string assertion;
    int code;
  };
  const int64_t now = Now(e);
  std::vector<Case> cases = {
      {Assertion("evil", "RS256", kAud, kClient, now), 700027},
      {Assertion("good", "RS256", "https://example.com/token", kClient, now), 700212},
      {Assertion("good", "PS256", kAud, "someone-else", now), 700023},
      {Assertion("good", "RS256", kAud, kClient, now - 4000), 700024},
      {"not.a-jwt", 50027},
  };
  for (const auto& c : cases) {
    auto r = RequestToken(e, AssertionForm(c.assertion));
    EXPECT_EQ(r.status, 400) << c.code;
    auto o = Json(r.body);
    EXPECT_EQ(o->getValue<std::string>("error"), "invalid_client") << c.code;
    EXPECT_EQ(o->getArray("error_codes")->getElement<int>(0), c.code);
    EXPECT_EQ(o->getValue<std::string>("error_description")
                  .rfind("AADSTS" + std::to_string(c.code) + ": ", 0),
              0u);
  }
  auto scope = RequestToken(e, "client_id=" + std::string(kClient) +
                                   "&scope=https%3A%2F%2Fcontoso.sharepoint.com&client_secret=x&"
                                   "grant_type=client_credentials");
  EXPECT_EQ(scope.status, 400);
  EXPECT_EQ(Json(scope.body)->getValue<std::string>("error"), "invalid_scope");
  auto grant = RequestToken(e, "client_id=" + std::string(kClient) + "&grant_type=password");
  EXPECT_EQ(Json(grant.body)->getValue<std::string>("error"), "unsupported_grant_type");
}

TEST_F(EmulatorAuthTest, ClientSecretTokensAreRefusedBySharePoint) {
  Emulator e(TenantOptions());
  e.Start();
  auto r = RequestToken(e, "client_id=" + std::string(kClient) +
                               "&scope=" + UrlEncode("https://contoso.sharepoint.com/.default") +
                               "&client_secret=abc&grant_type=client_credentials");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string token = Json(r.body)->getValue<std::string>("access_token");
  auto refused =
      Http(ApiList(e, "Tasks"), "GET", {{"Accept", kNoMeta}, {"Authorization", "Bearer " + token}});
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body, "{\"error_description\":\"Unsupported app only token.\"}");
  EXPECT_EQ(e.GetStats().token, 1u);
}

}  // namespace
}  // namespace spsync::emulator::testing
