// The real `spsync serve` against the emulator over HTTP: polling, health,
// readiness going stale, SIGTERM in the middle of a session, metrics checked
// by promtool and scraped by a real Prometheus server, and `run
// --metrics-file`, and the listener over TLS.
#include "serve_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using spsync_rel::Child;
using spsync_rel::Exit;
using spsync_rel::ReadFile;
using spsync_rel::RunToEnd;
using namespace spsync_serve_test;

namespace {

std::string Promtool(const std::string& text, const std::string& dir) {
  std::ofstream(dir + "/check.prom") << text;
  auto e = RunToEnd({"/bin/sh", "-c", "promtool check metrics < " + dir + "/check.prom"}, {},
                    dir + "/promtool.log");
  return e.code == 0 ? "ok" : e.out;
}

class ServeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-serve-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    port_ = FreePort();
  }
  void TearDown() override {
    serve_.reset();
    emu_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }
  void StartEmulator(int64_t items, spsync::emulator::LatencySpec latency = {}) {
    spsync::emulator::Options o;
    o.lists = {{"Orders", items}};
    o.latency = latency;
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
  }
  std::string WriteConfig(const std::string& serve, const std::string& entity_extra = "") {
    std::string cfg = (dir_ / "spsync.json").string();
    std::ofstream(cfg) << R"({ "site": { "url": ")" << emu_->SiteUrl() << R"(" },
  "sinks": { "db": { "plugin": "sqlite", "path": "out.db" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db"])"
                       << entity_extra << R"( } ],
  "run": { "workDir": "work" },
  "serve": )" << serve << " }";
    return cfg;
  }
  std::string ServeSection(const std::string& more) {
    return R"({ "listen": "127.0.0.1:)" + std::to_string(port_) + "\"" + more + " }";
  }
  void StartServe(const std::string& cfg) {
    serve_ = std::make_unique<Child>(std::vector<std::string>{SPSYNC_CLI, "serve", "--config", cfg},
                                     std::map<std::string, std::string>{},
                                     (dir_ / "serve.log").string());
    ASSERT_TRUE(WaitUntil([&] { return Http(port_, "GET", "/healthz").status == 200; }))
        << ReadFile((dir_ / "serve.log").string());
  }
  std::string Metrics() { return Http(port_, "GET", "/metrics").body; }
  std::string db() const { return (dir_ / "out.db").string(); }
  std::string Log() const { return ReadFile((dir_ / "serve.log").string()); }

  fs::path dir_;
  uint16_t port_ = 0;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
  std::unique_ptr<Child> serve_;
};

const char* kUpserted = R"(spsync_pair_items_upserted_total{entity="orders",sink="db"})";

TEST_F(ServeCli, PollsKeepsThePairInSyncAndReportsHealth) {
  StartEmulator(3000);
  StartServe(WriteConfig(ServeSection(R"(, "pollEvery": "1s", "staleAfter": "1h")")));
  ASSERT_TRUE(WaitUntil([&] { return Rows(db(), "orders") == 3000; })) << Log();
  ASSERT_TRUE(WaitUntil([&] { return Http(port_, "GET", "/readyz").status == 200; })) << Log();
  // A change is picked up by the next poll (no webhooks configured).
  emu_->AddItem("Orders", R"({"Title":"polled in"})");
  ASSERT_TRUE(WaitUntil([&] { return Rows(db(), "orders") == 3001; })) << Log();
  // The row is visible once the sink commits; the session is counted after.
  std::string m;
  EXPECT_TRUE(WaitUntil([&] {
    m = Metrics();
    return Sample(m,
                  R"(spsync_pair_sessions_total{entity="orders",sink="db",result="complete"})") >=
           2;
  })) << m;
  EXPECT_EQ(Sample(m, kUpserted), 3001) << m;
  EXPECT_NE(m.find("spsync_sharepoint_requests_total{host=\"127.0.0.1:" +
                   std::to_string(emu_->port()) + "\",code=\"200\"}"),
            std::string::npos)
      << m;
  EXPECT_EQ(Promtool(m, dir_.string()), "ok");
  EXPECT_EQ(Http(port_, "GET", "/nowhere").status, 404);
  serve_->Signal(SIGTERM);
  Exit e = serve_->Finish(std::chrono::seconds(20));
  EXPECT_EQ(e.code, 0) << e.out;
}

TEST_F(ServeCli, ReadyzTurnsUnreadyWhenAPairGoesStale) {
  StartEmulator(200);
  StartServe(WriteConfig(ServeSection(R"(, "pollEvery": "1h", "staleAfter": "2s")")));
  ASSERT_TRUE(WaitUntil([&] { return Rows(db(), "orders") == 200; })) << Log();
  // Ready once the session that committed those rows has been recorded.
  ASSERT_TRUE(WaitUntil([&] { return Http(port_, "GET", "/readyz").status == 200; })) << Log();
  // No poll for an hour and no webhooks: the pair falls behind.
  ASSERT_TRUE(WaitUntil([&] { return Http(port_, "GET", "/readyz").status == 503; },
                        std::chrono::seconds(10)));
  auto r = Http(port_, "GET", "/readyz");
  EXPECT_NE(r.body.find("orders/db"), std::string::npos) << r.body;
  EXPECT_EQ(Http(port_, "GET", "/healthz").status, 200) << "stale is not dead";
  EXPECT_GE(Sample(Metrics(), R"(spsync_pair_seconds_behind{entity="orders",sink="db"})"), 2);
}

TEST_F(ServeCli, SigtermMidSessionPersistsWhatItHasAndExitsZero) {
  // 30 pages of 1,000 items, 150 ms each, one stream: about 5 s of reading.
  StartEmulator(30000, {150, 0});
  StartServe(
      WriteConfig(ServeSection(R"(, "pollEvery": "1h")"), R"(, "pageSize": 1000, "streams": 1)"));
  ASSERT_TRUE(WaitUntil([&] { return Rows(db(), "orders") > 0; })) << Log();
  serve_->Signal(SIGTERM);
  Exit e = serve_->Finish(std::chrono::seconds(20));
  EXPECT_EQ(e.code, 0) << e.out;
  EXPECT_LT(e.took, std::chrono::seconds(15)) << e.out;
  EXPECT_NE(e.out.find("serve: stopped"), std::string::npos) << e.out;
  const int64_t kept = Rows(db(), "orders");
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 30000) << "the session should have been cut short";
  // The next run resumes from the persisted page, and every item is there once.
  auto run = RunToEnd({SPSYNC_CLI, "run", "--config", (dir_ / "spsync.json").string()}, {},
                      (dir_ / "run.log").string());
  EXPECT_EQ(run.code, 0) << run.out;
  EXPECT_NE(run.out.find("resuming"), std::string::npos) << run.out;
  EXPECT_EQ(Rows(db(), "orders"), 30000);
}

TEST_F(ServeCli, APrometheusServerScrapesTheValuesThatHappened) {
  StartEmulator(1500);
  StartServe(WriteConfig(ServeSection(R"(, "pollEvery": "1h")")));
  ASSERT_TRUE(WaitUntil([&] { return Rows(db(), "orders") == 1500; })) << Log();
  const uint16_t prom_port = FreePort();
  std::ofstream((dir_ / "prometheus.yml").string())
      << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: spsync\n"
         "    static_configs:\n      - targets: ['127.0.0.1:"
      << port_ << "']\n";
  Child prom({"/usr/bin/prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
              "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
              "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
             {}, (dir_ / "prometheus.log").string());
  // Prometheus's own HTTP API answers with what it scraped.
  const std::string query =
      "/api/v1/query?query=spsync_pair_items_upserted_total%7Bentity%3D%22orders%22%7D";
  std::string answer;
  bool got = WaitUntil(
      [&] {
        answer = Http(prom_port, "GET", query).body;
        return answer.find("\"1500\"") != std::string::npos;
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(got) << answer << "\n" << ReadFile((dir_ / "prometheus.log").string());
  EXPECT_NE(answer.find("\"job\":\"spsync\""), std::string::npos) << answer;
  answer = Http(prom_port, "GET", "/api/v1/query?query=up%7Bjob%3D%22spsync%22%7D").body;
  EXPECT_NE(answer.find("\"1\"]"), std::string::npos) << answer;
  prom.Signal(SIGTERM);
  prom.Finish(std::chrono::seconds(20));
}

TEST_F(ServeCli, RunWritesTheSameMetricsToAFile) {
  StartEmulator(700);
  std::string cfg = WriteConfig("{}");
  std::string file = (dir_ / "spsync.prom").string();
  auto run = RunToEnd({SPSYNC_CLI, "run", "--config", cfg, "--metrics-file", file}, {},
                      (dir_ / "run.log").string());
  ASSERT_EQ(run.code, 0) << run.out;
  std::string m = ReadFile(file);
  EXPECT_EQ(Sample(m, kUpserted), 700) << m;
  EXPECT_GT(Sample(m, R"(spsync_pair_last_success_timestamp_seconds{entity="orders",sink="db"})"),
            1.7e9)
      << m;
  EXPECT_EQ(Promtool(m, dir_.string()), "ok");
  EXPECT_FALSE(fs::exists(file + ".tmp"));
}

// GET over HTTPS from a client that trusts only `ca` (a PEM certificate):
// the status, or 0 when the TLS handshake or the request fails (then `why`
// says how).
int HttpsStatus(uint16_t port, const std::string& target, const std::string& ca,
                std::string* why = nullptr) {
  try {
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "",
                                                         ca, Poco::Net::Context::VERIFY_STRICT);
    Poco::Net::HTTPSClientSession s("127.0.0.1", port, ctx);
    s.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req("GET", target, Poco::Net::HTTPMessage::HTTP_1_1);
    s.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
    return resp.getStatus();
  } catch (const Poco::Exception& e) {
    if (why) *why = e.displayText();
    return 0;
  } catch (const std::exception& e) {
    if (why) *why = e.what();
    return 0;
  }
}

// With `tlsCertificate` and `tlsKey` the listener speaks only HTTPS, with
// that certificate: a client that verifies it against the certificate gets
// the health check and the metrics; a plain-HTTP client gets no answer.
TEST_F(ServeCli, ListensOverTlsWithTheConfiguredCertificate) {
  StartEmulator(50);
  const std::string key = (dir_ / "serve.key").string();
  const std::string crt = (dir_ / "serve.crt").string();
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                         "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                         key + " -out " + crt + " 2>/dev/null")
                            .c_str()),
            0);
  std::string cfg = WriteConfig(ServeSection(R"(, "pollEvery": "1h", "tlsCertificate": ")" + crt +
                                             R"(", "tlsKey": ")" + key + "\""));
  // OpenSSL objects of the TLS connections Poco's server accepted are still
  // allocated when the process exits (allocated and held inside libcrypto);
  // LeakSanitizer would fail this run for them. The other serve tests check
  // the daemon's own leaks.
  const char* asan = std::getenv("ASAN_OPTIONS");
  serve_ = std::make_unique<Child>(
      std::vector<std::string>{SPSYNC_CLI, "serve", "--config", cfg},
      std::map<std::string, std::string>{
          {"ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") + ":detect_leaks=0"}},
      (dir_ / "serve.log").string());
  std::string why;
  ASSERT_TRUE(WaitUntil([&] { return HttpsStatus(port_, "/healthz", crt, &why) == 200; },
                        std::chrono::seconds(60)))
      << why << "\n"
      << Log();
  ASSERT_TRUE(WaitUntil([&] { return Rows(db(), "orders") == 50; }, std::chrono::seconds(60)))
      << Log();
  EXPECT_EQ(HttpsStatus(port_, "/metrics", crt, &why), 200) << why << "\n" << Log();
  HttpResult plain = Http(port_, "GET", "/healthz");
  EXPECT_EQ(plain.status, 0) << "plain HTTP must not be answered: " << plain.body;
  serve_->Signal(SIGTERM);
  Exit e = serve_->Finish(std::chrono::seconds(30));
  EXPECT_EQ(e.code, 0) << e.out << "\n" << Log();
}

}  // namespace
