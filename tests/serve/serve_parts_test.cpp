// The pieces of `spsync serve` on their own: the Prometheus exposition (and
// promtool's verdict on it), the scheduler's one-session-per-entity and
// coalescing rules, SharePoint's notification bodies, the `serve` config.
#include "spsync/engine/config.hpp"
#include "spsync/engine/serve/metrics.hpp"
#include "spsync/engine/serve/notifications.hpp"
#include "spsync/engine/serve/pair_scheduler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

namespace {

using spsync::engine::serve::Metrics;
using spsync::engine::serve::PairScheduler;

std::string Promtool(const std::string& text) {
  std::string path = testing::TempDir() + "/metrics.prom";
  std::ofstream(path) << text;
  std::string out;
  FILE* p = popen(("promtool check metrics < " + path + " 2>&1; echo rc=$?").c_str(), "r");
  char buf[512];
  while (p != nullptr && fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  if (p != nullptr) pclose(p);
  return out;
}

TEST(ServeMetrics, ExpositionIsWhatPromtoolAccepts) {
  Metrics m;
  m.Declare("spsync_pair_sessions_total", Metrics::Type::kCounter, "Sessions by result.");
  m.Declare("spsync_pair_seconds_behind", Metrics::Type::kGauge, "Seconds behind.\nTwo lines");
  m.Add("spsync_pair_sessions_total", {{"entity", "orders"}, {"sink", "db"}, {"result", "ok"}});
  m.Add("spsync_pair_sessions_total", {{"entity", "orders"}, {"sink", "db"}, {"result", "ok"}}, 2);
  m.Set("spsync_pair_seconds_behind", {{"entity", "a \"quoted\"\\name\n"}, {"sink", "db"}}, 1.5);
  m.Set("spsync_pair_seconds_behind", {{"entity", "big"}, {"sink", "db"}}, 1796106820.25);
  std::string text = m.Exposition();
  EXPECT_NE(text.find("# TYPE spsync_pair_sessions_total counter\n"), std::string::npos) << text;
  EXPECT_NE(
      text.find("spsync_pair_sessions_total{entity=\"orders\",sink=\"db\",result=\"ok\"} 3\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("entity=\"a \\\"quoted\\\"\\\\name\\n\""), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP spsync_pair_seconds_behind Seconds behind.\\nTwo lines\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" 1796106820.25\n"), std::string::npos) << "timestamps keep precision";
  EXPECT_NE(Promtool(text).find("rc=0"), std::string::npos) << Promtool(text) << text;
}

TEST(ServeMetrics, CollectorsRefreshGaugesAndFilesAreWholeAtOnce) {
  Metrics m;
  m.Declare("spsync_serve_sessions_waiting", Metrics::Type::kGauge, "Waiting.");
  int calls = 0;
  m.OnCollect([&](Metrics& mm) { mm.Set("spsync_serve_sessions_waiting", {}, ++calls); });
  EXPECT_NE(m.Exposition().find("spsync_serve_sessions_waiting 1\n"), std::string::npos);
  std::string path = testing::TempDir() + "/spsync.prom";
  m.WriteFile(path);
  std::ifstream f(path);
  std::string text((std::istreambuf_iterator<char>(f)), {});
  EXPECT_NE(text.find("spsync_serve_sessions_waiting 2\n"), std::string::npos) << text;
  EXPECT_THROW(m.Add("undeclared_total", {}), std::logic_error);
}

// A runner whose sessions block until released, recording what ran.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, int> runs, concurrent, max_concurrent;
  int open = 0;  // sessions allowed to finish
  bool Run(const std::string& entity) {
    std::unique_lock<std::mutex> lock(mu);
    ++runs[entity];
    max_concurrent[entity] = std::max(max_concurrent[entity], ++concurrent[entity]);
    cv.notify_all();
    cv.wait(lock, [&] { return open > 0; });
    --open;
    --concurrent[entity];
    return false;
  }
  void Release(int n) {
    std::lock_guard<std::mutex> lock(mu);
    open += n;
    cv.notify_all();
  }
  void WaitRuns(const std::string& entity, int n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return runs[entity] >= n; });
  }
};

TEST(ServeScheduler, RequestsDuringASessionCoalesceIntoOneMore) {
  Gate gate;
  PairScheduler s(4, [&](const std::string& e, const std::string&) { return gate.Run(e); });
  EXPECT_EQ(s.Request("orders", "webhook"), PairScheduler::Outcome::kQueued);
  gate.WaitRuns("orders", 1);
  // Five notifications while the session runs: one more session after it.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(s.Request("orders", "webhook"), PairScheduler::Outcome::kCoalesced);
  gate.Release(1);
  gate.WaitRuns("orders", 2);
  gate.Release(1);
  ASSERT_TRUE(s.WaitIdle(std::chrono::seconds(10)));
  EXPECT_EQ(gate.runs["orders"], 2);
  EXPECT_EQ(gate.max_concurrent["orders"], 1);
  EXPECT_EQ(s.stats().coalesced, 5u);
}

TEST(ServeScheduler, OneEntityNeverRunsTwiceAtOnceAndOthersAreNotHeldBack) {
  Gate gate;
  PairScheduler s(2, [&](const std::string& e, const std::string&) { return gate.Run(e); });
  s.Request("big", "start");
  gate.WaitRuns("big", 1);
  s.Request("big", "poll");  // coalesced behind the running one
  s.Request("small", "webhook");
  gate.WaitRuns("small", 1);  // the second worker takes it while "big" runs
  EXPECT_EQ(gate.runs["small"], 1);
  gate.Release(3);
  ASSERT_TRUE(s.WaitIdle(std::chrono::seconds(10)));
  EXPECT_EQ(gate.runs["big"], 2);
  EXPECT_EQ(gate.max_concurrent["big"], 1);
}

TEST(ServeScheduler, WaitingRequestsMergeAndAStoppedSessionGoesToTheBack) {
  std::mutex mu;
  std::vector<std::string> order;
  std::atomic<int> big_left{2};
  std::atomic<bool> go{false};
  PairScheduler s(1, [&](const std::string& e, const std::string&) {
    while (!go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(e);
    return e == "big" && --big_left > 0;  // stopped on its budget once
  });
  s.Request("big", "start");
  s.Request("a", "poll");
  EXPECT_EQ(s.Request("a", "webhook"), PairScheduler::Outcome::kMerged);
  s.Request("b", "poll");
  go = true;
  ASSERT_TRUE(s.WaitIdle(std::chrono::seconds(10)));
  EXPECT_EQ(order, (std::vector<std::string>{"big", "a", "b", "big"}));
}

TEST(ServeNotifications, ParsesSharePointsBodyAndRefusesOthers) {
  auto ns = spsync::engine::serve::ParseNotifications(
      R"({"value":[{"subscriptionId":"91779246-AFE9-4525-b122-6c199ae89211","clientState":"s3cret",
      "expirationDateTime":"2016-04-30T17:27:00.0000000Z","resource":"B9F6F714-9df8-470b-b22e-653855e1c181",
      "tenantId":"00000000-0000-0000-0000-000000000000","siteUrl":"/","webId":"dbc5a806-e4d4-46e5-951c-6344d70b62fa"}]})");
  ASSERT_EQ(ns.size(), 1u);
  EXPECT_EQ(ns[0].subscription_id, "91779246-afe9-4525-b122-6c199ae89211");
  EXPECT_EQ(ns[0].client_state, "s3cret");
  EXPECT_EQ(ns[0].resource, "b9f6f714-9df8-470b-b22e-653855e1c181");
  EXPECT_EQ(ns[0].site_url, "/");
  EXPECT_THROW(spsync::engine::serve::ParseNotifications("not json"), std::invalid_argument);
  EXPECT_THROW(spsync::engine::serve::ParseNotifications(R"({"value":{}})"), std::invalid_argument);
  EXPECT_TRUE(spsync::engine::serve::SameSecret("abc", "abc"));
  EXPECT_FALSE(spsync::engine::serve::SameSecret("abc", "abd"));
  EXPECT_FALSE(spsync::engine::serve::SameSecret("abc", "abcd"));
  EXPECT_FALSE(spsync::engine::serve::SameSecret("", "x"));
}

std::string Cfg(const std::string& serve) {
  return R"({ "site": {"url": "https://contoso.sharepoint.com/sites/a"},
  "sinks": {"db": {"plugin": "sqlite", "path": "x.db"}},
  "entities": [{"name": "o", "list": "Orders", "sinks": ["db"]}],
  "serve": )" +
         serve + "}";
}

TEST(ServeConfig, KeysDefaultsAndLocatedErrors) {
  auto c = spsync::engine::ParseConfig(
      Cfg(R"({"listen": "127.0.0.1:9090", "publicUrl": "https://sync.example.net/hooks/sp",
              "pollEvery": "5m", "subscriptionDays": 90})"),
      "/etc/spsync/a.json");
  EXPECT_EQ(c.serve.address, "127.0.0.1");
  EXPECT_EQ(c.serve.port, 9090);
  EXPECT_EQ(c.serve.path, "/hooks/sp");
  EXPECT_EQ(c.serve.poll_every.count(), 300);
  EXPECT_EQ(c.serve.renew_before.count(), 30 * 86400) << "a third of the lifetime";
  auto d = spsync::engine::ParseConfig(Cfg("{}"), "/etc/spsync/a.json");
  EXPECT_EQ(d.serve.port, 8080);
  EXPECT_EQ(d.serve.poll_every.count(), 900);
  EXPECT_TRUE(d.serve.public_url.empty());
  auto fails = [](const std::string& serve, const std::string& words) {
    try {
      spsync::engine::ParseConfig(Cfg(serve), "/etc/spsync/a.json");
      ADD_FAILURE() << serve << " was accepted";
    } catch (const spsync::engine::ConfigError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(words), std::string::npos) << what;
      EXPECT_NE(what.find("a.json:"), std::string::npos) << what;
    }
  };
  fails(R"({"listen": "127.0.0.1:99999"})", "serve.listen");
  fails(R"({"publicUrl": "ftp://x/y"})", "https://");
  fails(R"({"publicUrl": "https://x/y?a=b"})", "query");
  fails(R"({"pollEvery": "soon"})", "serve.pollEvery");
  fails(R"({"subscriptionDays": 181})", "serve.subscriptionDays");
  fails(R"({"tlsCertificate": "c.pem"})", "go together");
  fails(R"({"subscriptionDays": 10, "renewBefore": "10d"})", "lifetime");
  fails(R"({"port": 1})", "port");
}

}  // namespace
