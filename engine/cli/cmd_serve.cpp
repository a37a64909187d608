// `spsync serve`: keeps every pair of the config in sync as a daemon. List
// webhooks schedule incremental sessions within seconds of a change; every
// pair is also polled every serve.pollEvery (notifications can be lost);
// subscriptions are made, checked and renewed; /healthz, /readyz and
// /metrics report how it goes. SIGTERM finishes the pages in hand, persists
// and exits 0.
#include "args.hpp"
#include "commands.hpp"
#include "estate.hpp"
#include "serve_http.hpp"
#include "serve_subscriptions.hpp"
#include "session_runner.hpp"
#include "spsync/engine/serve/notifications.hpp"
#include "spsync/engine/serve/pair_scheduler.hpp"
#include "spsync_metrics.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace spsync::cli {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnServeSignal(int) {
  g_stop.store(true);
}

using Clock = std::chrono::steady_clock;
using engine::serve::Labels;
using Type = engine::serve::Metrics::Type;

// The entities and their lists as the last estate read found them.
struct Snapshot {
  std::vector<engine::EntityEntry> entities;
  std::map<std::string, engine::ListSummary> lists;
};

// The deadlines of running sessions, cancelled together on SIGTERM.
class RunningDeadlines {
 public:
  void Add(engine::Deadline* d) {
    std::lock_guard<std::mutex> lock(mu_);
    set_.insert(d);
    if (cancelled_) d->Cancel();
  }
  void Remove(engine::Deadline* d) {
    std::lock_guard<std::mutex> lock(mu_);
    set_.erase(d);
  }
  void CancelAll() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    for (auto* d : set_) d->Cancel();
  }

 private:
  std::mutex mu_;
  std::set<engine::Deadline*> set_;
  bool cancelled_ = false;
};

std::vector<SubscriptionTarget> Targets(const Runtime& rt, const Snapshot& snap) {
  std::vector<SubscriptionTarget> out;
  for (const auto& e : snap.entities) {
    auto l = snap.lists.find(e.entity.name);
    if (l == snap.lists.end() || l->second.id.empty()) continue;
    const std::string web = e.web_url.empty() ? rt.config.sites.at(e.site).url : e.web_url;
    out.push_back({e.entity.name, e.site, web, l->second.id});
  }
  return out;
}

}  // namespace

int ServeCmd(const Argv& argv) {
  Args args(argv, {"--config", "--plugin-dir", "--log-format"}, {"--unsubscribe", "--verbose"});
  SetupLogging(args.Get("--log-format", "text"), args.Has("--verbose"));
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
  LogPaths(rt);
  const engine::ServeConfig& cfg = rt.config.serve;
  SpsyncMetrics metrics(rt);  // before the first request
  auto& m = metrics.metrics();
  m.Declare("spsync_webhook_notifications_total", Type::kCounter,
            "Webhook notifications received, by result: accepted, or refused (unknown "
            "subscription or wrong clientState; nothing is scheduled for them).");
  m.Declare("spsync_webhook_validations_total", Type::kCounter,
            "Webhook validation handshakes answered.");
  m.Declare("spsync_serve_sessions_waiting", Type::kGauge,
            "Entities whose session waits for a worker.");
  SubscriptionManager subs(rt, metrics);
  if (args.Has("--unsubscribe")) {
    int failed = subs.RemoveAll();
    std::printf("%s\n", failed == 0 ? "every webhook subscription of this config was deleted"
                                    : "some subscriptions could not be deleted (see the log)");
    return failed == 0 ? kExitOk : kExitFailed;
  }

  g_stop = false;
  std::signal(SIGINT, OnServeSignal);
  std::signal(SIGTERM, OnServeSignal);

  std::mutex snap_mu;
  auto snapshot = std::make_shared<Snapshot>();
  RunningDeadlines running;
  auto run_one = [&](const std::string& entity, const std::string& reason) -> bool {
    std::shared_ptr<Snapshot> snap;
    {
      std::lock_guard<std::mutex> lock(snap_mu);
      snap = snapshot;
    }
    const engine::EntityEntry* e = nullptr;
    for (const auto& x : snap->entities)
      if (x.entity.name == entity) e = &x;
    if (e == nullptr) return false;  // gone from the estate meanwhile
    // Only a poll may skip an idle pair: a notification says the list changed.
    auto list = snap->lists.find(entity);
    const engine::ListSummary* summary =
        reason == "poll" && list != snap->lists.end() ? &list->second : nullptr;
    engine::Deadline deadline(cfg.session_budget);
    running.Add(&deadline);
    EntityOutcome outcome = RunEntity(rt, *e, EntityRequest{}, deadline, summary);
    running.Remove(&deadline);
    bool more = false;
    for (const auto& r : outcome.results) {
      metrics.RecordSession(r);
      if (!r.idle)
        spdlog::info("[{}/{}] {} ({}): upserted {}, deleted {}", r.entity, r.sink,
                     engine::OutcomeName(r.outcome), reason, r.upserted, r.deleted);
      more |= r.outcome == engine::Outcome::kPartial;
    }
    return more && !g_stop.load();
  };
  engine::serve::PairScheduler scheduler(rt.config.run.parallel, run_one);
  m.OnCollect([&scheduler](engine::serve::Metrics& mm) {
    mm.Set("spsync_serve_sessions_waiting", {}, static_cast<double>(scheduler.stats().waiting));
  });

  ServeHandlers h;
  h.validated = [&m] { m.Add("spsync_webhook_validations_total", {}); };
  h.notification = [&](const std::string& body, std::string* reason) {
    std::vector<engine::serve::Notification> ns;
    try {
      ns = engine::serve::ParseNotifications(body);
    } catch (const std::exception& e) {
      m.Add("spsync_webhook_notifications_total", {{"result", "refused"}});
      *reason = "not a SharePoint notification";
      return 400;
    }
    int accepted = 0;
    for (const auto& n : ns) {
      auto entity = subs.Match(n);
      if (!entity) {
        m.Add("spsync_webhook_notifications_total", {{"result", "refused"}});
        spdlog::warn(
            "webhook: refused a notification for subscription '{}' (unknown, or a "
            "wrong clientState)",
            n.subscription_id);
        continue;
      }
      m.Add("spsync_webhook_notifications_total", {{"result", "accepted"}});
      scheduler.Request(*entity, "webhook");
      ++accepted;
    }
    *reason = std::to_string(accepted) + " accepted";
    return accepted > 0 || ns.empty() ? 200 : 403;
  };
  h.ready = [&](std::string* why) {
    auto stale = metrics.Stale(static_cast<double>(cfg.stale_after.count()));
    if (stale.empty()) return true;
    for (const auto& s : stale) *why += (why->empty() ? "" : ", ") + s;
    *why = std::to_string(stale.size()) + " stale pair(s): " + *why;
    return false;
  };
  h.metrics = [&m] { return m.Exposition(); };
  ServeHttp http(cfg, std::move(h));
  http.Start();
  spdlog::info("serve: listening on {}:{}; webhooks {}", cfg.address, http.port(),
               cfg.public_url.empty() ? "off (no serve.publicUrl): polling every " +
                                            std::to_string(cfg.poll_every.count()) + "s"
                                      : "at " + cfg.public_url);

  // Reads the estate, schedules every entity, keeps the subscriptions.
  auto poll = [&](bool verify_subscriptions) {
    std::shared_ptr<Snapshot> snap;
    try {
      Estate estate = ReadEstate(rt, engine::Deadline(std::chrono::minutes(2)));
      snap = std::make_shared<Snapshot>();
      snap->entities = estate.expansion.entities;
      snap->lists = estate.expansion.lists;
      for (const auto& [site, error] : estate.failed_sites)
        spdlog::error("serve: site {}: its lists could not be read: {}", site, error);
      for (const auto& g : estate.expansion.gone)
        spdlog::warn("serve: {}: list '{}' is gone; its sinks keep data and state", g.name,
                     g.title);
    } catch (const std::exception& e) {
      spdlog::error("serve: reading the sites failed: {} (trying again at the next poll)",
                    e.what());
      return;
    }
    {
      std::lock_guard<std::mutex> lock(snap_mu);
      snapshot = snap;
    }
    for (const auto& e : snap->entities)
      for (const auto& s : e.sinks) metrics.KnowPair(e.entity.name, s);
    if (!cfg.public_url.empty()) subs.Maintain(Targets(rt, *snap), verify_subscriptions);
    for (const auto& e : snap->entities) scheduler.Request(e.entity.name, "poll");
  };

  poll(true);
  auto next_poll = Clock::now() + cfg.poll_every;
  auto next_check = Clock::now() + cfg.subscription_check_every;
  while (!g_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = Clock::now();
    if (now >= next_check) {
      next_check = now + cfg.subscription_check_every;
      next_poll = now + cfg.poll_every;
      poll(true);
    } else if (now >= next_poll) {
      next_poll = now + cfg.poll_every;
      poll(false);
    }
  }
  spdlog::info("serve: stopping: finishing the pages in hand");
  http.Stop();
  running.CancelAll();
  scheduler.Stop();
  spdlog::info("serve: stopped");
  return kExitOk;
}

}  // namespace spsync::cli
