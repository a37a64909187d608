// Internal: one long-lived thread that runs the next page's fetch while the
// session applies the current page. One thread for the whole session (not
// one per page) keeps thread stacks and allocator caches from piling up.
//
// Thread safety: Start/Wait are called by the session thread only; one job
// at a time.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace spsync::engine {

class Prefetcher {
 public:
  Prefetcher() : thread_([this] { Loop(); }) {}
  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Runs `job` on the fetch thread. The previous job must have been waited for.
  void Start(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = std::move(job);
      done_ = false;
      error_ = nullptr;
    }
    cv_.notify_all();
  }
  // Waits for the job; rethrows what it threw when `rethrow`.
  void Wait(bool rethrow = true) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    std::exception_ptr e = error_;
    error_ = nullptr;
    if (e && rethrow) std::rethrow_exception(e);
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || static_cast<bool>(job_); });
      if (stop_) return;
      auto job = std::move(job_);
      job_ = nullptr;
      lock.unlock();
      std::exception_ptr e;
      try {
        job();
      } catch (...) {
        e = std::current_exception();
      }
      lock.lock();
      error_ = e;
      done_ = true;
      cv_.notify_all();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool done_ = true;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace spsync::engine
