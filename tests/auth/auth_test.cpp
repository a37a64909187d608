// App-only authentication as Entra ID does it: a client assertion signed with
// the certificate's key (RS256 and PS256), exchanged for a token the site
// then accepts; token caching; refusals that name the problem and never
// echo a secret.
#include "spsync/emulator/emulator.hpp"
#include "spsync/engine/sharepoint/credentials.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace spsync::engine;

namespace {

// A self-signed certificate + key PEM made with the openssl CLI.
std::string MakeCertificate(const fs::path& dir, const std::string& name) {
  fs::create_directories(dir);
  std::string key = (dir / (name + ".key")).string(), crt = (dir / (name + ".crt")).string();
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name +
                    " -keyout " + key + " -out " + crt + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return "";
  std::string pem = (dir / (name + ".pem")).string();
  std::ofstream out(pem);
  out << std::ifstream(crt).rdbuf() << std::ifstream(key).rdbuf();
  return pem;
}

std::string ReadAll(const std::string& path) {
  std::stringstream ss;
  ss << std::ifstream(path).rdbuf();
  return ss.str();
}

class CertificateAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("spsync-auth-" + std::to_string(getpid()));
    pem_ = MakeCertificate(dir_, "app");
    ASSERT_FALSE(pem_.empty()) << "openssl CLI failed";
    spsync::emulator::Options o;
    o.lists = {{"Orders", 50}};
    o.tenant = "contoso.onmicrosoft.com";
    o.client_id = "11111111-2222-3333-4444-555555555555";
    o.client_cert_path = pem_;
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
    http_ = std::make_shared<HttpClient>(HttpOptions{});
  }
  void TearDown() override {
    emu_.reset();
    fs::remove_all(dir_);
  }
  CertificateAuthOptions Options(const std::string& pem, const std::string& alg) {
    CertificateAuthOptions a;
    a.authority = emu_->BaseUrl();
    a.tenant = "contoso.onmicrosoft.com";
    a.client_id = "11111111-2222-3333-4444-555555555555";
    a.certificate_path = pem;
    a.resource = emu_->BaseUrl();
    a.algorithm = alg;
    return a;
  }
  SharePointClient Client(std::shared_ptr<Credentials> creds) {
    ClientOptions co;
    co.site_url = emu_->SiteUrl();
    co.retry.max_attempts = 2;
    return SharePointClient(co, http_, std::move(creds), std::make_shared<ThrottleGate>());
  }
  fs::path dir_;
  std::string pem_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
  std::shared_ptr<HttpClient> http_;
};

}  // namespace

TEST_F(CertificateAuth, Rs256AndPs256AssertionsAreAcceptedAndTokensCached) {
  for (const char* alg : {"RS256", "PS256"}) {
    emu_->ResetStats();
    auto client = Client(CertificateCredentials(Options(pem_, alg), http_));
    Deadline d(std::chrono::seconds(30));
    ListInfo list = client.GetList("Orders", d);
    EXPECT_EQ(list.item_count, 50) << alg;
    EXPECT_FALSE(client.GetFields(list.id, d).empty()) << alg;
    client.GetList(list.id, d);
    // One token request serves every call until shortly before it expires.
    EXPECT_EQ(emu_->GetStats().token, 1u) << alg;
    EXPECT_EQ(emu_->GetStats().list_metadata, 2u) << alg;
  }
}

TEST_F(CertificateAuth, AForeignCertificateIsRefusedWithoutEchoingSecrets) {
  std::string other = MakeCertificate(dir_, "intruder");
  ASSERT_FALSE(other.empty());
  auto client = Client(CertificateCredentials(Options(other, "RS256"), http_));
  try {
    client.GetList("Orders", Deadline(std::chrono::seconds(30)));
    FAIL() << "a token was issued for a foreign certificate";
  } catch (const SharePointError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("signature validation"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("client_assertion="), std::string::npos) << msg;
    // No part of the key appears in the error.
    std::string key = ReadAll(other);
    auto body_start = key.find("PRIVATE KEY-----") + 17;
    EXPECT_EQ(msg.find(key.substr(body_start, 40)), std::string::npos);
  }
}

TEST_F(CertificateAuth, MissingCertificateFileIsAClearError) {
  try {
    CertificateCredentials(Options((dir_ / "nope.pem").string(), "RS256"), http_);
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("nope.pem"), std::string::npos) << e.what();
  }
}

TEST(BearerAuth, TheSiteRefusesAWrongTokenWith401AndTheErrorSaysSo) {
  spsync::emulator::Options o;
  o.lists = {{"Orders", 5}};
  o.token = "right-token";
  spsync::emulator::Emulator emu(o);
  emu.Start();
  ClientOptions co;
  co.site_url = emu.SiteUrl();
  auto http = std::make_shared<HttpClient>(HttpOptions{});
  SharePointClient good(co, http, BearerCredentials("right-token"),
                        std::make_shared<ThrottleGate>());
  EXPECT_EQ(good.GetList("Orders", Deadline(std::chrono::seconds(10))).item_count, 5);
  SharePointClient bad(co, http, BearerCredentials("wrong-token"),
                       std::make_shared<ThrottleGate>());
  try {
    bad.GetList("Orders", Deadline(std::chrono::seconds(10)));
    FAIL();
  } catch (const SharePointError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kAuth);
    EXPECT_EQ(e.status(), 401);
    EXPECT_EQ(std::string(e.what()).find("wrong-token"), std::string::npos) << e.what();
  }
}
