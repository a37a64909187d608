// Child processes for the process-level suites: the real spsync binary (and
// node peers) spawned with posix_spawn, output captured to a file, killable
// with SIGKILL at a chosen instant. Shared by tests/reliability and
// tests/security.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace spsync_rel {

// How a child ended.
struct Exit {
  bool killed = false;  // ended by our SIGKILL
  int code = -1;        // exit code when it exited on its own
  int signal = 0;       // a signal other than our SIGKILL (a crash)
  std::chrono::milliseconds took{0};
  std::string out;  // stdout + stderr of this run
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A running child whose stdout and stderr go to `log` (appended to `all_log`
// afterwards, so a suite keeps every line the product printed).
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
        std::string log)
      : log_(std::move(log)), start_(std::chrono::steady_clock::now()) {
    std::vector<std::string> envs;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string s = *e;
      auto eq = s.find('=');
      if (eq != std::string::npos && env.count(s.substr(0, eq))) continue;
      envs.push_back(s);
    }
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int st;
      waitpid(pid_, &st, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Waits up to `d`; true if the child has ended (then Finish() returns at once).
  bool WaitFor(std::chrono::microseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    for (;;) {
      if (Reap(WNOHANG)) return true;
      auto now = std::chrono::steady_clock::now();
      if (now >= until) return false;
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(until - now);
      std::this_thread::sleep_for(std::min(left, std::chrono::microseconds(500)));
    }
  }
  // Sends `sig` (SIGTERM, say) if still running.
  void Signal(int sig) {
    if (!done_) kill(pid_, sig);
  }
  // SIGKILL now (if still running) and reap.
  Exit Kill() {
    if (!done_) kill(pid_, SIGKILL);
    return Finish();
  }
  // Waits for the end; SIGKILLs after `limit` (a hung child is a failure the
  // caller sees as killed with took >= limit).
  Exit Finish(std::chrono::seconds limit = std::chrono::seconds(300)) {
    if (!done_ && !WaitFor(limit)) {
      kill(pid_, SIGKILL);
      Reap(0);
    }
    Exit e = exit_;
    e.out = ReadFile(log_);
    return e;
  }

 private:
  bool Reap(int flags) {
    if (done_) return true;
    int st = 0;
    pid_t r = waitpid(pid_, &st, flags);
    if (r != pid_) return false;
    done_ = true;
    pid_ = -1;
    exit_.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start_);
    if (WIFEXITED(st)) {
      exit_.code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
      if (WTERMSIG(st) == SIGKILL)
        exit_.killed = true;
      else
        exit_.signal = WTERMSIG(st);
    }
    return true;
  }
  pid_t pid_ = -1;
  bool done_ = false;
  Exit exit_;
  std::string log_;
  std::chrono::steady_clock::time_point start_;
};

// Runs to the end and returns how it ended, with its output.
inline Exit RunToEnd(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env, const std::string& log,
                     std::chrono::seconds limit = std::chrono::seconds(300)) {
  Child c(argv, env, log);
  return c.Finish(limit);
}

}  // namespace spsync_rel
