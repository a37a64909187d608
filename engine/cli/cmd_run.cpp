#include "args.hpp"
#include "commands.hpp"
#include "session_runner.hpp"
#include "shard.hpp"
#include "spsync_metrics.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

namespace spsync::cli {

namespace {
std::atomic<bool>* g_cancel = nullptr;
extern "C" void OnSignal(int) {
  // Only an atomic store: async-signal-safe. The sessions see the deadline
  // expire, finish the page in hand, persist, and stop.
  if (g_cancel != nullptr) g_cancel->store(true);
}
}  // namespace

int RunCmd(const Argv& argv) {
  Args args(argv,
            {"--config", "--entity", "--timeout", "--plugin-dir", "--log-format", "--shard",
             "--shards", "--metrics-file"},
            {"--full", "--reconcile", "--verbose"});
  SetupLogging(args.Get("--log-format", "text"), args.Has("--verbose"));
  // Before the config is read: a pod with a wrong index fails fast, with exit 2.
  ShardSpec shard = ShardFromArgs(args);
  // run.ruPerMinute (or the limit SharePoint reports) is the tenant's budget
  // for all n shards together: this process spends its share of it.
  const double budget_share = ShardBudgetShare(shard);
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"),
                           budget_share);
  if (shard.sharded())
    spdlog::info("shard {}: request budget share {:.4g} of the tenant's", shard.ToString(),
                 budget_share);
  LogPaths(rt);
  // Hooked before the first request, so every answer is counted.
  std::unique_ptr<SpsyncMetrics> metrics;
  if (args.Has("--metrics-file")) metrics = std::make_unique<SpsyncMetrics>(rt);
  auto budget = rt.config.run.timeout;
  if (args.Has("--timeout")) {
    try {
      budget = engine::ParseDuration(args.Get("--timeout"));
    } catch (const std::exception&) {
      throw UsageError("--timeout must be a duration like 90s, 10m or 1h30m");
    }
    // 0 would silently mean "no limit": say so rather than guess.
    if (budget.count() == 0)
      throw UsageError("--timeout must be longer than 0 (leave it out for no time limit)");
  }
  if (args.Has("--full") && args.Has("--reconcile"))
    throw UsageError("--full and --reconcile exclude each other");
  engine::Deadline deadline(budget);
  // The deadline's cancellation flag is what the signal handler sets.
  static std::atomic<bool> cancel{false};
  g_cancel = &cancel;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (cancel.load()) {
        deadline.Cancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  RunRequest req;
  req.entities = args.All("--entity");
  req.shard = shard;
  req.full = args.Has("--full");
  req.reconcile = args.Has("--reconcile");
  req.progress = isatty(STDERR_FILENO) != 0 && args.Get("--log-format", "text") == "text";
  RunReport report;
  try {
    report = RunSessions(rt, req, deadline);
  } catch (...) {
    done = true;
    watcher.join();
    throw;
  }
  done = true;
  watcher.join();
  std::cout << FormatReport(report);
  if (metrics) {
    for (const auto& r : report.results)
      if (r.sink != "-") metrics->RecordSession(r);
    try {
      metrics->metrics().WriteFile(args.Get("--metrics-file"));
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return std::max(report.exit_code, kExitFailed);
    }
  }
  return report.exit_code;
}

}  // namespace spsync::cli
