// A session's time budget. The engine checks it between requests and before
// any wait; on expiry it finishes the page in hand, persists, and stops.
//
// Thread safety: immutable after construction except Cancel(), which is safe
// from any thread (a signal handler's thread included: it only stores an atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

namespace spsync::engine {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // No time limit.
  Deadline() : cancelled_(std::make_shared<std::atomic<bool>>(false)) {}
  explicit Deadline(Clock::duration budget) : Deadline() {
    if (budget > Clock::duration::zero()) {
      at_ = Clock::now() + budget;
      limited_ = true;
    }
  }

  // Expired: the budget ran out or Cancel() was called (Ctrl-C).
  bool expired() const { return cancelled_->load() || (limited_ && Clock::now() >= at_); }
  bool cancelled() const { return cancelled_->load(); }
  void Cancel() const { cancelled_->store(true); }
  // Time left, or a very long time when unlimited.
  Clock::duration remaining() const {
    if (cancelled_->load()) return Clock::duration::zero();
    if (!limited_) return std::chrono::hours(24 * 365);
    auto left = at_ - Clock::now();
    return left > Clock::duration::zero() ? left : Clock::duration::zero();
  }
  // True if waiting `d` would run past the budget.
  bool WouldExpireAfter(Clock::duration d) const { return d >= remaining(); }

 private:
  Clock::time_point at_{};
  bool limited_ = false;
  // Shared so copies of a deadline observe the same cancellation.
  std::shared_ptr<std::atomic<bool>> cancelled_;
};

}  // namespace spsync::engine
