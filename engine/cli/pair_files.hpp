// The files a run keeps per (entity, sink) pair under run.workDir: the pair's
// lock and its dead-letter file. Each name lives in a folder per entity:
//
//   <workDir>/locks/<entity>/<sink>.lock
//   <workDir>/dead-letter/<entity>/<sink>.ndjson
//
// Names are mapped to path components injectively (two different names never
// share a file, which would make one pair skip the other forever) and
// readably (letters, digits, `-`, `_`, `.` and non-ASCII UTF-8 stay as they
// are; other bytes become %XX). See PathComponent.
#pragma once

#include <filesystem>
#include <string>

namespace spsync::cli {

// `name` as one path component: injective, never "", "." or "..", never
// longer than 200 bytes (a long name keeps a readable prefix plus a hash of
// the whole name).
std::string PathComponent(const std::string& name);

std::filesystem::path LockFile(const std::string& work_dir, const std::string& entity,
                               const std::string& sink);
std::filesystem::path DeadLetterFile(const std::string& work_dir, const std::string& entity,
                                     const std::string& sink);

// An exclusive lock on one (entity, sink) pair, held while the object lives.
// flock(2): the kernel drops it when the process dies, even by SIGKILL.
//
// Thread safety: one object per holder; not shared between threads.
class PairLock {
 public:
  PairLock(const std::string& work_dir, const std::string& entity, const std::string& sink);
  ~PairLock();
  PairLock(const PairLock&) = delete;
  PairLock& operator=(const PairLock&) = delete;
  bool acquired() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace spsync::cli
