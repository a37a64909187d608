// The request budget the engine keeps (issue 15): one token bucket per
// SharePoint host, shared by every session of the process, spent before each
// request. Two sessions at once stay inside a tenant's rate with (almost) no
// 429s; the same two with a budget each overrun it.
#include "spsync/engine/sharepoint/request_budget.hpp"
#include "memory_sink.hpp"
#include "test_support.hpp"

#include <Poco/URI.h>

#include <thread>

namespace spsync::test {
namespace {

using engine::Deadline;
using engine::Outcome;

std::unique_ptr<engine::SharePointClient> Client(const Env& env,
                                                 std::shared_ptr<engine::RequestBudget> budget) {
  engine::ClientOptions co;
  co.site_url = env.SiteUrl();
  co.budget = std::move(budget);
  co.retry.base_backoff = std::chrono::milliseconds(50);
  return std::make_unique<engine::SharePointClient>(
      co, std::make_shared<engine::HttpClient>(engine::HttpOptions{}),
      engine::BearerCredentials(kToken), std::make_shared<engine::ThrottleGate>());
}

engine::SessionResult Sync(engine::SharePointClient& client, MemorySink& sink,
                           const std::string& list, int page_size) {
  engine::EntityConfig e{list, list, {}, page_size, 2000, 55, 1};
  engine::SessionOptions o;
  o.sink_name = "memory";
  engine::SyncSession session(client, sink, e, o);
  return session.Run(Deadline(std::chrono::seconds(60)));
}

struct Outcome2 {
  engine::SessionResult a, b;
};

// Two sessions at once, each with its own client, spending from `ba` / `bb`.
Outcome2 TwoSessions(Env& env, std::shared_ptr<engine::RequestBudget> ba,
                     std::shared_ptr<engine::RequestBudget> bb) {
  auto ca = Client(env, std::move(ba));
  auto cb = Client(env, std::move(bb));
  MemorySink sa, sb;
  Outcome2 out;
  std::thread t([&] { out.a = Sync(*ca, sa, "Orders", 300); });
  out.b = Sync(*cb, sb, "Small", 20);
  t.join();
  EXPECT_TRUE(SameAsTruth(env.Truth("Orders"), sa.committed().items));
  EXPECT_TRUE(SameAsTruth(env.Truth("Small"), sb.committed().items));
  return out;
}

engine::BudgetOptions FortyPerSecond() {
  engine::BudgetOptions o;
  o.ru_per_minute = 40 * 60;
  o.ru_per_request = 1;
  o.burst_seconds = 0.25;
  return o;
}

emulator::FaultSpec TenantAllowsFortyPerSecond() {
  emulator::FaultSpec f;
  f.throttle_rate = 40;
  f.throttle_burst = 20;
  f.retry_after_seconds = 1;
  return f;
}

TEST(RequestBudget, OneBudgetSharedByConcurrentSessionsAvoidsThrottling) {
  Env env;
  env.emu.SetFaults(TenantAllowsFortyPerSecond());
  env.emu.ResetStats();
  auto shared = std::make_shared<engine::RequestBudget>(FortyPerSecond());
  auto r = TwoSessions(env, shared, shared);
  ASSERT_EQ(r.a.outcome, Outcome::kComplete) << r.a.error;
  ASSERT_EQ(r.b.outcome, Outcome::kComplete) << r.b.error;
  auto st = env.emu.GetStats();
  std::string host =
      Poco::URI(env.SiteUrl()).getHost() + ":" + std::to_string(Poco::URI(env.SiteUrl()).getPort());
  auto spent = shared->Stats(host);
  EXPECT_EQ(spent.requests, st.total) << "every request spent from the one budget";
  EXPECT_GT(spent.waited_seconds, 0.5)
      << "the budget should have paced " << st.total << " requests";
  EXPECT_LE(st.throttled * 100, st.total) << st.throttled << " of " << st.total << " throttled";
}

TEST(RequestBudget, ABudgetPerSessionOverrunsTheTenant) {
  Env env;
  env.emu.SetFaults(TenantAllowsFortyPerSecond());
  env.emu.ResetStats();
  auto r = TwoSessions(env, std::make_shared<engine::RequestBudget>(FortyPerSecond()),
                       std::make_shared<engine::RequestBudget>(FortyPerSecond()));
  ASSERT_EQ(r.a.outcome, Outcome::kComplete) << r.a.error;
  ASSERT_EQ(r.b.outcome, Outcome::kComplete) << r.b.error;
  EXPECT_GT(env.emu.GetStats().throttled, 0u)
      << "two budgets at the tenant's rate each are twice it";
}

}  // namespace
}  // namespace spsync::test
