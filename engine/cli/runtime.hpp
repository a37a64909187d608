// What a command builds from a config: the SharePoint client (HTTP, auth,
// retries), the plugin finder, and opened sinks; plus the per-(entity, sink)
// lock. Shared by run, status, reset, validate and snapshot.
#pragma once

#include "spsync/engine/config.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sink.hpp"
#include "spsync/plugins/plugin_finder.hpp"

#include <memory>
#include <string>
#include <vector>

namespace spsync::cli {

struct Runtime {
  engine::Config config;
  std::shared_ptr<engine::HttpClient> http;
  std::shared_ptr<engine::ThrottleGate> gate;
  std::shared_ptr<engine::SharePointClient> client;
  std::unique_ptr<plugins::PluginFinder> finder;
};

// `plugin_dirs`: --plugin-dir values (searched before the config's and the defaults).
Runtime MakeRuntime(engine::Config config, const std::vector<std::string>& plugin_dirs);

// Opens sink `name` of the config: finds and loads its plugin, checks its
// options (throws engine::ConfigError naming each problem), opens it.
std::unique_ptr<engine::Sink> OpenSink(Runtime& rt, const std::string& name);

// An exclusive lock on one (entity, sink) pair, held while the object lives.
// flock(2): the kernel drops it when the process dies, even by SIGKILL.
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

// A name safe as one path component (for lock and dead-letter files).
std::string SafeComponent(const std::string& s);

}  // namespace spsync::cli
