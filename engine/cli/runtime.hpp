// What a command builds from a config: the SharePoint client (HTTP, auth,
// retries), the plugin finder, and opened sinks; plus the per-(entity, sink)
// Shared by run, status, reset, validate and snapshot.
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

}  // namespace spsync::cli
