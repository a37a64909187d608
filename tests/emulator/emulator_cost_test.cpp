// What requests cost: the latency model (a base plus a cost per list item in
// the answer, waited concurrently) and the tenant's resource-unit budget
// (429 with Retry-After when exhausted, RateLimit-* headers past 80%), both
// set at start, in process and over HTTP at run time.
#include <chrono>
#include <thread>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

using Clock = std::chrono::steady_clock;

int64_t Millis(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// Milliseconds one GET takes.
int64_t Timed(const std::string& url, HttpResult* out = nullptr) {
  auto start = Clock::now();
  HttpResult r = Http(url);
  int64_t ms = Millis(Clock::now() - start);
  EXPECT_EQ(r.status, 200) << url << " " << r.body.substr(0, 300);
  if (out) *out = std::move(r);
  return ms;
}

TEST(EmulatorLatency, ABigPageTakesItsItemsLonger) {
  Options o;
  o.lists = {{"Big", 12000}};
  ParseLatency("300ms+0.2ms", o.latency);
  Emulator e(o);
  e.Start();
  HttpResult page;
  const int64_t one = Timed(ApiList(e, "Big") + "/items?$top=1");
  const int64_t full = Timed(ApiList(e, "Big") + "/items?$top=5000", &page);
  ASSERT_EQ(Json(page.body)->getArray("value")->size(), 5000u);
  // 300 ms + 0.2 ms per item: a 5000-item page takes 1.3 s, a 1-item page 0.3 s.
  EXPECT_GE(one, 300);
  EXPECT_GE(full, 1300);
  EXPECT_GE(full - one, 900) << one << " ms vs " << full << " ms";
  // Answers without items take the base.
  EXPECT_GE(Timed(ApiList(e, "Big")), 300);
  EXPECT_GE(Timed(ApiList(e, "Big") + "/items(2)"), 300);
}

TEST(EmulatorLatency, ConcurrentRequestsWaitConcurrently) {
  Options o;
  o.lists = {{"Tasks", 20}};
  o.latency.base_ms = 500;
  Emulator e(o);
  e.Start();
  for (int concurrent : {8, 16}) {
    std::vector<int64_t> each(static_cast<size_t>(concurrent));
    std::vector<std::thread> threads;
    auto start = Clock::now();
    for (int i = 0; i < concurrent; ++i)
      threads.emplace_back([&, i] { each[static_cast<size_t>(i)] = Timed(ApiList(e, "Tasks")); });
    for (auto& t : threads) t.join();
    const int64_t all = Millis(Clock::now() - start);
    for (int64_t ms : each) EXPECT_GE(ms, 500);
    // Serialised they would take concurrent x 500 ms.
    EXPECT_LT(all, 1000) << concurrent << " requests of 500 ms took " << all << " ms together";
  }
}

TEST(EmulatorLatency, ChangesAtRunTime) {
  Options o;
  o.lists = {{"Tasks", 20}};
  Emulator e(o);
  e.Start();
  const std::string control = e.BaseUrl() + "/_emulator/latency";
  EXPECT_LT(Timed(ApiList(e, "Tasks")), 250);
  auto set = Http(control, "POST", {{"Content-Type", "text/plain"}}, "400ms+1ms");
  EXPECT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.body, Http(control).body);  // the settings now in force
  auto shown = Json(Http(control).body);
  EXPECT_EQ(shown->getValue<double>("base_ms"), 400);
  EXPECT_EQ(shown->getValue<double>("per_item_ms"), 1);
  EXPECT_GE(Timed(ApiList(e, "Tasks") + "/items?$top=20"), 420);
  EXPECT_EQ(Http(control, "POST", {}, "fast").status, 400);
  e.SetLatency(LatencySpec{});
  EXPECT_LT(Timed(ApiList(e, "Tasks")), 250);
  // The emulator's own endpoints never wait.
  e.SetLatency(LatencySpec{2000, 0});
  auto start = Clock::now();
  EXPECT_EQ(Http(e.BaseUrl() + "/_emulator/stats").status, 200);
  EXPECT_LT(Millis(Clock::now() - start), 1000);
}

struct Limits {
  int status;
  std::string limit, remaining, reset, retry_after;
};

Limits Read(const Emulator& e, const std::string& method = "GET", const std::string& body = "") {
  auto r = Http(ApiList(e, "Tasks") + (method == "GET" ? "" : "/items"), method,
                {{"Accept", kNoMeta}, {"Content-Type", "application/json"}}, body);
  return {r.status, r.Header("RateLimit-Limit"), r.Header("RateLimit-Remaining"),
          r.Header("RateLimit-Reset"), r.Header("Retry-After")};
}

TEST(EmulatorBudget, ABurstPastTheBudgetIsThrottledWithTheHeaders) {
  Options o;
  o.lists = {{"Tasks", 20}};
  ParseBudget("ru=60", o.budget);  // 60 RU a minute, 2 RU a call: 30 calls
  Emulator e(o);
  e.Start();
  int64_t last_remaining = 1000;
  for (int i = 1; i <= 30; ++i) {
    Limits l = Read(e);
    ASSERT_EQ(l.status, 200) << "call " << i;
    const int64_t left = 60 - 2 * i;  // refill adds 1 RU a second: at most 1 more here
    if (left > 13) {
      // Less than 80% of the budget used: no headers.
      EXPECT_EQ(l.limit, "") << "call " << i;
      continue;
    }
    if (left > 11) continue;  // at the 80% line, the refill decides
    ASSERT_NE(l.limit, "") << "call " << i << " (" << left << " RU left)";
    EXPECT_EQ(l.limit, "60");
    const int64_t remaining = std::stoll(l.remaining);
    EXPECT_GE(remaining, left);
    EXPECT_LE(remaining, left + 1);
    EXPECT_LT(remaining, last_remaining);
    last_remaining = remaining;
    EXPECT_GE(std::stoll(l.reset), 48);  // seconds until the bucket is full again
    EXPECT_LE(std::stoll(l.reset), 60);
  }
  Limits refused = Read(e);
  EXPECT_EQ(refused.status, 429);
  // Charged too: 2 RU of debt, 4 RU to go at 1 RU a second.
  EXPECT_GE(std::stoll(refused.retry_after), 3);
  EXPECT_LE(std::stoll(refused.retry_after), 4);
  EXPECT_EQ(refused.remaining, "0");
  Stats s = e.GetStats();
  EXPECT_EQ(s.ru_throttled, 1u);
  EXPECT_GE(s.throttled, 1u);
  EXPECT_DOUBLE_EQ(s.ru_spent, 62);
  auto stats = Json(Http(e.BaseUrl() + "/_emulator/stats").body);
  EXPECT_EQ(stats->getValue<double>("ru_spent"), 62);
  EXPECT_EQ(stats->getValue<int>("ru_throttled"), 1);
}

TEST(EmulatorBudget, HonouringRetryAfterGetsThrough) {
  Options o;
  o.lists = {{"Tasks", 20}};
  ParseBudget("ru=120", o.budget);  // 2 RU a second
  Emulator e(o);
  e.Start();
  int calls = 0;
  Limits l;
  while ((l = Read(e)).status == 200 && calls < 100) ++calls;
  ASSERT_EQ(l.status, 429);
  EXPECT_GE(calls, 60);
  EXPECT_LE(calls, 61);
  const int wait = std::stoi(l.retry_after);
  EXPECT_EQ(wait, 2);
  std::this_thread::sleep_for(std::chrono::seconds(wait));
  EXPECT_EQ(Read(e).status, 200);
}

TEST(EmulatorBudget, CostsAndWhatIsNotCharged) {
  Options o;
  o.lists = {{"Tasks", 20}};
  o.token = "secret";
  ParseBudget("ru=100,read=1,write=5,charge-throttled=0", o.budget);
  Emulator e(o);
  e.Start();
  const Headers auth = {{"Accept", kNoMeta},
                        {"Content-Type", "application/json"},
                        {"Authorization", "Bearer secret"}};
  // An unauthenticated call, and the emulator's own endpoints, cost nothing.
  EXPECT_EQ(Http(ApiList(e, "Tasks")).status, 401);
  Http(e.BaseUrl() + "/_emulator/stats");
  EXPECT_DOUBLE_EQ(e.GetStats().ru_spent, 0);
  for (int i = 0; i < 16; ++i)
    ASSERT_EQ(Http(ApiList(e, "Tasks") + "/items", "POST", auth, "{\"Title\":\"x\"}").status, 201);
  EXPECT_DOUBLE_EQ(e.GetStats().ru_spent, 80);
  auto read = Http(ApiList(e, "Tasks"), "GET", auth);
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.Header("RateLimit-Limit"), "100");
  EXPECT_EQ(read.Header("RateLimit-Remaining"), "19");
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(Http(ApiList(e, "Tasks") + "/items", "POST", auth, "{\"Title\":\"x\"}").status, 201);
  EXPECT_DOUBLE_EQ(e.GetStats().ru_spent, 96);
  // A write no longer fits; refused calls are not charged here (charge-throttled=0).
  for (int i = 0; i < 3; ++i) {
    auto refused = Http(ApiList(e, "Tasks") + "/items", "POST", auth, "{\"Title\":\"x\"}");
    EXPECT_EQ(refused.status, 429);
    EXPECT_EQ(refused.Header("Retry-After"), "1");  // 5 RU needed, 4 left, 1.67 RU a second
  }
  EXPECT_DOUBLE_EQ(e.GetStats().ru_spent, 96);
  EXPECT_EQ(e.GetStats().ru_throttled, 3u);
  EXPECT_EQ(Http(ApiList(e, "Tasks"), "GET", auth).status, 200);  // reads still fit
}

TEST(EmulatorBudget, ChangesAtRunTime) {
  Options o;
  o.lists = {{"Tasks", 20}};
  Emulator e(o);
  e.Start();
  EXPECT_EQ(Read(e).limit, "");
  const std::string control = e.BaseUrl() + "/_emulator/budget";
  EXPECT_EQ(Http(control, "POST", {}, "ru=10").status, 200);
  auto shown = Json(Http(control).body);
  EXPECT_EQ(shown->getValue<double>("ru_per_minute"), 10);
  EXPECT_EQ(shown->getValue<double>("read_cost"), 2);
  EXPECT_TRUE(shown->getValue<bool>("charge_throttled"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Read(e).status, 200);
  EXPECT_EQ(Read(e).status, 429);
  EXPECT_EQ(Http(control, "POST", {}, "ru=x").status, 400);
  e.SetBudget(BudgetSpec{});  // no budget
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Read(e).status, 200);
  EXPECT_EQ(Read(e).limit, "");
}

TEST(EmulatorCostSyntax, LatencyAndBudget) {
  LatencySpec l;
  ParseLatency("300ms+0.2ms", l);
  EXPECT_DOUBLE_EQ(l.base_ms, 300);
  EXPECT_DOUBLE_EQ(l.per_item_ms, 0.2);
  ParseLatency("1.5s", l);
  EXPECT_DOUBLE_EQ(l.base_ms, 1500);
  EXPECT_DOUBLE_EQ(l.per_item_ms, 0);
  ParseLatency("250us + 0.5ms/item", l);
  EXPECT_DOUBLE_EQ(l.base_ms, 0.25);
  EXPECT_DOUBLE_EQ(l.per_item_ms, 0.5);
  ParseLatency("0", l);
  EXPECT_DOUBLE_EQ(l.base_ms, 0);
  EXPECT_THROW(ParseLatency("300", l), std::invalid_argument);
  EXPECT_THROW(ParseLatency("-1ms", l), std::invalid_argument);
  EXPECT_THROW(ParseLatency("fast", l), std::invalid_argument);
  BudgetSpec b;
  ParseBudget("1250", b);
  EXPECT_DOUBLE_EQ(b.ru_per_minute, 1250);
  EXPECT_DOUBLE_EQ(b.read_cost, 2);
  ParseBudget("ru=6250,read=1,write=3,charge-throttled=0", b);
  EXPECT_DOUBLE_EQ(b.ru_per_minute, 6250);
  EXPECT_DOUBLE_EQ(b.write_cost, 3);
  EXPECT_FALSE(b.charge_throttled);
  EXPECT_THROW(ParseBudget("teapot=1", b), std::invalid_argument);
  EXPECT_THROW(ParseBudget("ru=-5", b), std::invalid_argument);
}

}  // namespace
}  // namespace spsync::emulator::testing
