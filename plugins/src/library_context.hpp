// Per-library-file state that must outlive any one load of the library: the
// host services table (a plugin may keep the pointer in a static, and
// dlopen of an already-loaded file returns the same image, so the table must
// not dangle while any load of that file exists) and the mutex serialising
// calls into a plugin that is not thread safe (shared by every load of the
// file because the image, and its globals, are shared).
//
// Ownership: contexts live in a process-wide registry and are never freed;
// there is one per distinct canonical library path, so this is bounded.
//
// Thread safety: LibraryContextFor() may be called concurrently; SetName()
// and the log service synchronise on name_mutex.
#pragma once

#include <spsync/sink.h>

#include <memory>
#include <mutex>
#include <string>

namespace spsync::plugins::detail {

struct LibraryContext {
  std::string file;  // canonical path
  spsync_host host{};
  std::mutex call_mutex;

  // What log lines from this library are prefixed with: the plugin's name
  // once negotiated, the file name before.
  void SetName(const std::string& name);
  std::string name() const;

 private:
  mutable std::mutex name_mutex_;
  std::string name_;
};

// The context for the library at canonical path `file`, created on first
// use with a host table whose log service routes to spdlog.
std::shared_ptr<LibraryContext> LibraryContextFor(const std::string& file);

}  // namespace spsync::plugins::detail
