#include "spsync/engine/serve/pair_scheduler.hpp"

#include <algorithm>

namespace spsync::engine::serve {

PairScheduler::PairScheduler(int workers, Runner run) : run_(std::move(run)) {
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { Work(); });
}

PairScheduler::~PairScheduler() {
  Stop();
}

PairScheduler::Outcome PairScheduler::Request(const std::string& entity,
                                              const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return Outcome::kStopped;
  ++stats_.requested;
  Entry& e = entries_[entity];
  if (e.waiting) {
    ++stats_.merged;
    return Outcome::kMerged;
  }
  if (e.running) {
    if (!e.again) e.reason = reason;
    e.again = true;
    ++stats_.coalesced;
    return Outcome::kCoalesced;
  }
  e.waiting = true;
  e.reason = reason;
  queue_.push_back(entity);
  cv_.notify_one();
  return Outcome::kQueued;
}

void PairScheduler::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::string entity = queue_.front();
    queue_.pop_front();
    Entry& e = entries_[entity];
    e.waiting = false;
    e.running = true;
    std::string reason = e.reason;
    ++stats_.started;
    lock.unlock();
    bool more = false;
    try {
      more = run_(entity, reason);
    } catch (...) {
      // The runner reports its own failures; a throw must not kill the worker.
    }
    lock.lock();
    Entry& done = entries_[entity];
    done.running = false;
    if ((done.again || more) && !stop_) {
      done.again = false;
      done.waiting = true;
      if (more && done.reason.empty()) done.reason = "resume";
      queue_.push_back(entity);
      cv_.notify_one();
    }
    idle_cv_.notify_all();
  }
}

void PairScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && threads_.empty()) return;
    stop_ = true;
    cv_.notify_all();
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  idle_cv_.notify_all();
}

PairScheduler::Stats PairScheduler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.waiting = queue_.size();
  s.running = 0;
  for (const auto& [name, e] : entries_) s.running += e.running ? 1 : 0;
  return s;
}

bool PairScheduler::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] {
    if (!queue_.empty()) return false;
    for (const auto& [name, e] : entries_)
      if (e.running) return false;
    return true;
  });
}

}  // namespace spsync::engine::serve
