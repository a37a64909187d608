// `spsync serve` with the emulator's list webhooks: subscriptions made at
// start (the handshake answered), a change synced within seconds by its
// notification, refused notifications (unknown subscription, wrong
// clientState) with no side effect, coalescing while a session runs,
// renewal, a subscription SharePoint lost made again, lost notifications
// recovered by polling, and --unsubscribe.
#include "serve_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using spsync_rel::Child;
using spsync_rel::Exit;
using spsync_rel::ReadFile;
using spsync_rel::RunToEnd;
using namespace spsync_serve_test;

namespace {

const char* kSessions =
    R"(spsync_pair_sessions_total{entity="orders",sink="db",result="complete"})";

class ServeWebhooks : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-hooks-" + std::to_string(getpid()) + "-" +
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
    o.webhooks.delivery_interval = std::chrono::milliseconds(200);
    o.webhooks.retry_interval = std::chrono::milliseconds(200);
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
  }
  std::string PublicUrl(const std::string& path = "/webhook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string WriteConfig(const std::string& more, const std::string& public_url = "") {
    std::string cfg = (dir_ / "spsync.json").string();
    std::ofstream(cfg) << R"({ "site": { "url": ")" << emu_->SiteUrl() << R"(" },
  "sinks": { "db": { "plugin": "sqlite", "path": "out.db" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db"] } ],
  "run": { "workDir": "work" },
  "serve": { "listen": "127.0.0.1:)"
                       << port_ << R"(", "publicUrl": ")"
                       << (public_url.empty() ? PublicUrl() : public_url) << "\"" << more << " } }";
    return cfg;
  }
  void StartServe(const std::string& cfg) {
    serve_ = std::make_unique<Child>(std::vector<std::string>{SPSYNC_CLI, "serve", "--config", cfg},
                                     std::map<std::string, std::string>{},
                                     (dir_ / "serve.log").string());
    ASSERT_TRUE(WaitUntil([&] { return Http(port_, "GET", "/healthz").status == 200; })) << Log();
  }
  // The one subscription on Orders, once there.
  spsync::emulator::SubscriptionInfo Subscription() {
    spsync::emulator::SubscriptionInfo s;
    EXPECT_TRUE(WaitUntil([&] { return emu_->Subscriptions("Orders").size() == 1; })) << Log();
    auto all = emu_->Subscriptions("Orders");
    if (!all.empty()) s = all.front();
    return s;
  }
  std::string Notification(const std::string& id, const std::string& client_state) {
    return R"({"value":[{"subscriptionId":")" + id + R"(","clientState":")" + client_state +
           R"(","expirationDateTime":"2027-01-01T00:00:00.0000000Z","resource":")" +
           emu_->ListId("Orders") + R"(","tenantId":"00000000-0000-0000-0000-000000000000",)" +
           R"("siteUrl":"/sites/demo","webId":"00000000-0000-0000-0000-000000000001"}]})";
  }
  double Metric(const std::string& series) {
    return Sample(Http(port_, "GET", "/metrics").body, series);
  }
  std::string db() const { return (dir_ / "out.db").string(); }
  std::string Log() const { return ReadFile((dir_ / "serve.log").string()); }

  fs::path dir_;
  uint16_t port_ = 0;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
  std::unique_ptr<Child> serve_;
};

TEST_F(ServeWebhooks, SubscribesAtStartAndANotificationSyncsTheChangeWithinSeconds) {
  StartEmulator(500);
  StartServe(WriteConfig(R"(, "pollEvery": "1h")"));
  auto sub = Subscription();
  EXPECT_EQ(sub.notification_url, PublicUrl());
  EXPECT_EQ(emu_->GetWebhookStats().validations, 1u);
  ASSERT_TRUE(WaitUntil([&] { return Rows(db()) == 500; })) << Log();
  // The secret is kept for the next start, readable by its owner only.
  const std::string store = (dir_ / "work" / "serve" / "subscriptions.json").string();
  struct stat st {};
  ASSERT_EQ(stat(store.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(ReadFile(store).find(sub.client_state), std::string::npos);
  EXPECT_EQ(Log().find(sub.client_state), std::string::npos) << "the secret reached the log";

  // No poll for an hour: only the notification can bring this in.
  emu_->AddItem("Orders", R"({"Title":"pushed"})");
  EXPECT_TRUE(WaitUntil([&] { return Rows(db()) == 501; }, std::chrono::seconds(10))) << Log();
  EXPECT_GE(Metric(R"(spsync_webhook_notifications_total{result="accepted"})"), 1);
  EXPECT_GE(Metric("spsync_webhook_validations_total"), 1);
  EXPECT_GT(Metric(R"(spsync_webhook_subscription_expiry_timestamp_seconds{entity="orders"})"),
            1.7e9);

  // A restart keeps the subscription (no second handshake).
  serve_->Signal(SIGTERM);
  EXPECT_EQ(serve_->Finish(std::chrono::seconds(20)).code, 0);
  StartServe((dir_ / "spsync.json").string());
  ASSERT_TRUE(WaitUntil([&] { return Metric(kSessions) >= 1; })) << Log();
  EXPECT_EQ(emu_->Subscriptions("Orders").size(), 1u);
  EXPECT_EQ(emu_->Subscriptions("Orders").front().id, sub.id);
  EXPECT_EQ(emu_->GetWebhookStats().validations, 1u);

  // --unsubscribe removes it from SharePoint.
  serve_->Signal(SIGTERM);
  EXPECT_EQ(serve_->Finish(std::chrono::seconds(20)).code, 0);
  auto un =
      RunToEnd({SPSYNC_CLI, "serve", "--config", (dir_ / "spsync.json").string(), "--unsubscribe"},
               {}, (dir_ / "unsubscribe.log").string());
  EXPECT_EQ(un.code, 0) << un.out;
  EXPECT_TRUE(emu_->Subscriptions("Orders").empty());
}

TEST_F(ServeWebhooks, NotificationsWithAWrongSecretOrUnknownSubscriptionAreRefused) {
  StartEmulator(300);
  StartServe(WriteConfig(R"(, "pollEvery": "1h")"));
  auto sub = Subscription();
  ASSERT_TRUE(WaitUntil([&] { return Rows(db()) == 300 && Metric(kSessions) >= 1; })) << Log();
  const double sessions = Metric(kSessions);
  emu_->AddItem("Orders", R"({"Title":"must not be fetched by a forged call"})");
  emu_->SetWebhooks({std::chrono::hours(1)});  // only our forged calls from here on
  auto wrong = Http(port_, "POST", "/webhook", Notification(sub.id, "not-the-secret"));
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  auto unknown = Http(port_, "POST", "/webhook",
                      Notification("11111111-2222-3333-4444-555555555555", sub.client_state));
  EXPECT_EQ(unknown.status, 403);
  EXPECT_EQ(Http(port_, "POST", "/webhook", "garbage").status, 400);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(Metric(kSessions), sessions) << "a refused call scheduled a session";
  EXPECT_EQ(Rows(db()), 300);
  EXPECT_EQ(Metric(R"(spsync_webhook_notifications_total{result="refused"})"), 3);
  // The right secret does schedule one.
  EXPECT_EQ(Http(port_, "POST", "/webhook", Notification(sub.id, sub.client_state)).status, 200);
  EXPECT_TRUE(WaitUntil([&] { return Rows(db()) == 301; }, std::chrono::seconds(10))) << Log();
}

TEST_F(ServeWebhooks, NotificationsDuringARunningSessionCoalesceIntoOneMore) {
  // Each request takes 300 ms: an incremental session is over a second long.
  StartEmulator(200, {300, 0});
  StartServe(WriteConfig(R"(, "pollEvery": "1h")"));
  auto sub = Subscription();
  ASSERT_TRUE(WaitUntil([&] { return Rows(db()) == 200 && Metric(kSessions) >= 1; },
                        std::chrono::seconds(30)))
      << Log();
  emu_->SetWebhooks({std::chrono::hours(1)});
  const double before = Metric(kSessions);
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(Http(port_, "POST", "/webhook", Notification(sub.id, sub.client_state)).status, 200);
  ASSERT_TRUE(WaitUntil([&] { return Metric(kSessions) >= before + 1; }, std::chrono::seconds(30)))
      << Log();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  // The first starts a session; the others arrive while it waits or runs and
  // give at most one more (the unit tests pin the exact rule).
  EXPECT_LE(Metric(kSessions), before + 2) << "ten notifications, more than two sessions";
  EXPECT_EQ(Metric(R"(spsync_webhook_notifications_total{result="accepted"})"), 10);
}

TEST_F(ServeWebhooks, SubscriptionsAreRenewedAndMadeAgainWhenSharePointLosesThem) {
  StartEmulator(100);
  // One-day subscriptions renewed with 23 h left: every check renews.
  StartServe(WriteConfig(
      R"(, "pollEvery": "1h", "subscriptionCheckEvery": "1s", "subscriptionDays": 1, "renewBefore": "23h")"));
  auto first = Subscription();
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = emu_->Subscriptions("Orders");
        return s.size() == 1 && s.front().expiration > first.expiration;
      },
      std::chrono::seconds(10)))
      << Log();
  EXPECT_EQ(emu_->Subscriptions("Orders").front().id, first.id) << "renewed, not replaced";
  // serve logs the renewal once SharePoint has answered the PATCH, which is
  // after the emulator shows the new expiry.
  EXPECT_TRUE(WaitUntil([&] { return Log().find("renewed") != std::string::npos; },
                        std::chrono::seconds(10)))
      << Log();

  emu_->RemoveSubscription(first.id);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = emu_->Subscriptions("Orders");
        return s.size() == 1 && s.front().id != first.id;
      },
      std::chrono::seconds(10)))
      << Log();
  EXPECT_NE(Log().find("no longer has webhook subscription"), std::string::npos) << Log();
  // The new one delivers.
  emu_->AddItem("Orders", R"({"Title":"after the new subscription"})");
  EXPECT_TRUE(WaitUntil([&] { return Rows(db()) == 101; }, std::chrono::seconds(10))) << Log();
}

TEST_F(ServeWebhooks, LostNotificationsAreRecoveredByPolling) {
  StartEmulator(100);
  StartServe(WriteConfig(R"(, "pollEvery": "2s", "subscriptionCheckEvery": "1h")"));
  auto sub = Subscription();
  ASSERT_TRUE(WaitUntil([&] { return Rows(db()) == 100; })) << Log();
  // SharePoint lost the subscription and nobody checks for an hour.
  emu_->RemoveSubscription(sub.id);
  emu_->AddItem("Orders", R"({"Title":"no notification for this one"})");
  EXPECT_TRUE(WaitUntil([&] { return Rows(db()) == 101; }, std::chrono::seconds(15))) << Log();
  EXPECT_EQ(emu_->GetWebhookStats().notifications, 0u);
}

TEST_F(ServeWebhooks, AFailedHandshakeLeavesTheListPolledAndTheDaemonUp) {
  StartEmulator(100);
  // SharePoint is told a URL nobody answers: the handshake fails.
  std::string cfg = WriteConfig(R"(, "pollEvery": "2s")",
                                "http://127.0.0.1:" + std::to_string(FreePort()) + "/webhook");
  StartServe(cfg);
  ASSERT_TRUE(WaitUntil([&] { return Rows(db()) == 100; })) << Log();
  EXPECT_TRUE(emu_->Subscriptions("Orders").empty());
  // The failure is logged when SharePoint's answer arrives, which need not be
  // before the first sync ends.
  EXPECT_TRUE(WaitUntil([&] { return Log().find("webhook subscription") != std::string::npos; },
                        std::chrono::seconds(10)))
      << Log();
  EXPECT_GE(emu_->GetWebhookStats().validation_failures, 1u);
  emu_->AddItem("Orders", R"({"Title":"polled"})");
  EXPECT_TRUE(WaitUntil([&] { return Rows(db()) == 101; }, std::chrono::seconds(15))) << Log();
  EXPECT_EQ(Http(port_, "GET", "/healthz").status, 200);
}

}  // namespace
