// The session scheduler of `spsync serve`: runs sessions of entities (each
// with all its sinks) on a fixed pool of workers (run.parallel).
//
// At most one session per entity runs at a time. A request for an entity
// that is waiting merges into the waiting request; a request for one that is
// running coalesces into exactly one more session after it (the changes that
// caused it may have come after the running session read the change log). A
// session that stops on its time budget with work left (a long full sync)
// goes to the back of the queue, so it never holds a worker away from the
// notifications of other lists for longer than one budget.
//
// Thread safety: every method may be called from any thread; the runner is
// called on worker threads, never twice at once for one entity.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spsync::engine::serve {

class PairScheduler {
 public:
  // Runs one entity's sessions; returns true to run it again soon (it
  // stopped on its time budget with work left).
  using Runner = std::function<bool(const std::string& entity, const std::string& reason)>;

  PairScheduler(int workers, Runner run);
  ~PairScheduler();  // Stop()
  PairScheduler(const PairScheduler&) = delete;
  PairScheduler& operator=(const PairScheduler&) = delete;

  enum class Outcome { kQueued, kMerged, kCoalesced, kStopped };
  Outcome Request(const std::string& entity, const std::string& reason);

  // No session starts after this; returns when the running ones returned.
  void Stop();

  struct Stats {
    uint64_t requested = 0, started = 0, merged = 0, coalesced = 0;
    size_t waiting = 0, running = 0;
  };
  Stats stats() const;
  // Blocks until no session runs or waits, or `timeout` passed; true if idle.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  struct Entry {
    bool waiting = false, running = false, again = false;
    std::string reason;
  };
  void Work();

  Runner run_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::string> queue_;
  std::map<std::string, Entry> entries_;
  Stats stats_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace spsync::engine::serve
