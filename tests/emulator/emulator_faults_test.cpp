// Faults and accounting: rules for the next N requests, probabilistic faults
// reproducible from a seed, the token bucket, and /_emulator/stats.
#include <Poco/Net/NetException.h>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

Options Small() {
  Options o;
  o.lists = {{"Tasks", 30}};
  return o;
}

TEST(EmulatorFaults, FailNextRules) {
  Emulator e(Small());
  e.Start();
  const std::string items = ApiList(e, "Tasks") + "/items";
  e.FailNext(RequestKind::kItems, 2, FaultKind::kThrottle429);
  e.FailNext(RequestKind::kListMetadata, 1, FaultKind::kBusy503);
  for (int i = 0; i < 2; ++i) {
    auto r = Http(items);
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.Header("Retry-After"), "2");
  }
  auto busy = Http(ApiList(e, "Tasks"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.Header("Retry-After"), "2");
  EXPECT_EQ(Http(items).status, 200);
  EXPECT_EQ(e.GetStats().throttled, 3u);

  e.FailNext(RequestKind::kItems, 1, FaultKind::kError500);
  auto err = Http(items);
  EXPECT_EQ(err.status, 500);
  EXPECT_TRUE(Json(err.body)->has("odata.error"));

  auto normal = Http(items);
  e.FailNext(RequestKind::kItems, 1, FaultKind::kTruncate);
  auto cut = Http(items);
  EXPECT_EQ(cut.status, 200);
  EXPECT_EQ(cut.body, normal.body.substr(0, normal.body.size() / 2));
  EXPECT_THROW(Json(cut.body), std::exception);

  e.FailNext(RequestKind::kItems, 1, FaultKind::kHtml);
  auto html = Http(items);
  EXPECT_EQ(html.status, 500);
  EXPECT_EQ(html.Header("Content-Type").rfind("text/html", 0), 0u);
  EXPECT_EQ(html.body.rfind("<!DOCTYPE html>", 0), 0u);

  e.FailNext(RequestKind::kItems, 1, FaultKind::kReset);
  EXPECT_THROW(
      {
        auto r = Http(items);
        // A reset may also surface as a short read on some stacks.
        if (r.body.size() < normal.body.size()) throw Poco::Net::NetException("short body");
      },
      std::exception);

  FaultSpec slow;
  slow.slow_ms = 300;
  e.SetFaults(slow);
  e.FailNext(RequestKind::kItems, 1, FaultKind::kSlow);
  auto t0 = std::chrono::steady_clock::now();
  auto s = Http(items);
  EXPECT_EQ(s.status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(290));
  EXPECT_EQ(Http(items).status, 200);
  EXPECT_EQ(e.GetStats().faulted, 5u);
}

TEST(EmulatorFaults, ThrottledWritesChangeNothing) {
  Emulator e(Small());
  e.Start();
  const std::string t0 = e.CurrentChangeToken("Tasks");
  e.FailNext(RequestKind::kWrites, 1, FaultKind::kThrottle429);
  auto r = Http(ApiList(e, "Tasks") + "/items", "POST",
                {{"Accept", kNoMeta}, {"Content-Type", "application/json"}}, "{\"Title\":\"x\"}");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(e.ItemCount("Tasks"), 30);
  EXPECT_EQ(e.CurrentChangeToken("Tasks").substr(t0.rfind(';')), t0.substr(t0.rfind(';')));
}

std::vector<int> Statuses(uint64_t seed) {
  Options o = Small();
  ParseFaults("429:0.2,503:0.1,seed:" + std::to_string(seed), o.faults);
  Emulator e(o);
  e.Start();
  std::vector<int> out;
  for (int i = 0; i < 60; ++i) out.push_back(Http(ApiList(e, "Tasks") + "/items?$top=1").status);
  return out;
}

TEST(EmulatorFaults, ProbabilisticFaultsAreReproducible) {
  auto a = Statuses(7), b = Statuses(7), c = Statuses(8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  int n429 = static_cast<int>(std::count(a.begin(), a.end(), 429));
  int n503 = static_cast<int>(std::count(a.begin(), a.end(), 503));
  int n200 = static_cast<int>(std::count(a.begin(), a.end(), 200));
  EXPECT_GT(n429, 3);
  EXPECT_GT(n503, 0);
  EXPECT_GT(n200, 30);
  EXPECT_EQ(n429 + n503 + n200, 60);
}

TEST(EmulatorFaults, TokenBucket) {
  Options o = Small();
  ParseThrottle("rate=0.5,burst=5", o.faults);
  Emulator e(o);
  e.Start();
  std::vector<HttpResult> results;
  for (int i = 0; i < 6; ++i) results.push_back(Http(ApiList(e, "Tasks")));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(results[static_cast<size_t>(i)].status, 200) << i;
  EXPECT_EQ(results[0].Header("RateLimit-Limit"), "");  // below 80% used
  EXPECT_EQ(results[4].Header("RateLimit-Limit"), "5");
  EXPECT_EQ(results[4].Header("RateLimit-Remaining"), "0");
  EXPECT_EQ(results[5].status, 429);
  EXPECT_EQ(results[5].Header("Retry-After"), "2");
  EXPECT_EQ(results[5].Header("RateLimit-Remaining"), "0");
  EXPECT_EQ(e.GetStats().throttled, 1u);
}

TEST(EmulatorFaults, CliSyntax) {
  FaultSpec s;
  ParseFaults(
      "429:0.1,503:0.05,reset:0.02,truncate:0.02,html:0.01,slow:0.01,retry-after:3,slow-ms:50", s);
  EXPECT_DOUBLE_EQ(s.p429, 0.1);
  EXPECT_DOUBLE_EQ(s.reset, 0.02);
  EXPECT_EQ(s.retry_after_seconds, 3);
  EXPECT_EQ(s.slow_ms, 50);
  ParseThrottle("rate=50,burst=100", s);
  EXPECT_DOUBLE_EQ(s.throttle_rate, 50);
  EXPECT_DOUBLE_EQ(s.throttle_burst, 100);
  EXPECT_THROW(ParseFaults("teapot:0.1", s), std::invalid_argument);
  EXPECT_THROW(ParseFaults("429:0.9,503:0.9", s), std::invalid_argument);
  EXPECT_THROW(ParseThrottle("rate", s), std::invalid_argument);
}

TEST(EmulatorStats, CountsPerKindOverHttp) {
  Emulator e(Small());
  e.Start();
  Http(ApiList(e, "Tasks"));
  Http(ApiList(e, "Tasks") + "/fields");
  Http(ApiList(e, "Tasks") + "/items");
  Http(ApiList(e, "Tasks") + "/items");
  Http(ApiList(e, "Tasks") + "/items(1)");
  Http(e.SiteUrl() + "/_api/contextinfo", "POST");
  Http(ApiList(e, "Tasks") + "/GetChanges", "POST",
       {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
       "{\"query\":{\"Item\":true,\"Add\":true}}");
  Http(ApiList(e, "Tasks") + "/items", "POST",
       {{"Accept", kNoMeta}, {"Content-Type", "application/json"}}, "{\"Title\":\"x\"}");
  Stats s = e.GetStats();
  EXPECT_EQ(s.total, 8u);
  EXPECT_EQ(s.list_metadata, 1u);
  EXPECT_EQ(s.fields, 1u);
  EXPECT_EQ(s.items, 2u);
  EXPECT_EQ(s.item_by_id, 1u);
  EXPECT_EQ(s.context_info, 1u);
  EXPECT_EQ(s.get_changes, 1u);
  EXPECT_EQ(s.writes, 1u);
  auto json = Json(Http(e.BaseUrl() + "/_emulator/stats").body);
  EXPECT_EQ(json->getValue<int>("items"), 2);
  EXPECT_EQ(json->getValue<int>("total"), 8);
  EXPECT_EQ(Http(e.BaseUrl() + "/_emulator/stats/reset", "POST").status, 204);
  EXPECT_EQ(e.GetStats().total, 0u);
  e.ResetStats();
  EXPECT_EQ(Json(Http(e.BaseUrl() + "/_emulator/stats").body)->getValue<int>("items"), 0);
}

}  // namespace
}  // namespace spsync::emulator::testing
