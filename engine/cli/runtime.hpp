// What a command builds from a config: the SharePoint client (HTTP, auth,
// retries), the plugin finder, and opened sinks; plus the per-(entity, sink)
// Shared by run, status, reset, validate and snapshot.
#pragma once

#include "spsync/engine/config.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sink.hpp"
#include "spsync/plugins/plugin_finder.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace spsync::cli {

// The SharePoint clients of a run: one per web that is used, each with its
// site's credentials (so a config can span tenants without a token ever
// reaching the wrong one).
struct SiteClients {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<engine::Credentials>> credentials;  // by site name
  std::map<std::string, std::shared_ptr<engine::SharePointClient>> by_url;  // "site url"
};

struct Runtime {
  engine::Config config;
  std::shared_ptr<engine::HttpClient> http;
  std::shared_ptr<engine::ThrottleGate> gate;
  std::shared_ptr<engine::RequestBudget> budget;  // per host, shared by every session
  std::shared_ptr<SiteClients> clients;

  // The client of site `site`'s web at `web_url` ("" = the site itself),
  // made on first use. Thread-safe.
  std::shared_ptr<engine::SharePointClient> Client(const std::string& site,
                                                   const std::string& web_url = "");
  // Called with (host, HTTP status) after every answer any client gets; set
  // before the first Client() call (metrics).
  std::function<void(const std::string&, int)> on_response;
  // Requests made by every client so far.
  uint64_t Requests() const;
  std::unique_ptr<plugins::PluginFinder> finder;
  // Per sink: its path options (SPSYNC_OPTION_PATH), made absolute, as
  // (option, path); also written back into config.sinks[sink].options.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> sink_paths;
};

// `plugin_dirs`: --plugin-dir values (searched before the config's and the
// defaults). Resolves the sinks' path options against the config's folder
// and logs the config's warnings (a path found only at its old place).
// `budget_share`: this process's share of the tenant's request budget (1/n
// for one of n shards).
Runtime MakeRuntime(engine::Config config, const std::vector<std::string>& plugin_dirs,
                    double budget_share = 1.0);

// Logs one line naming the config, the absolute work directory and each
// sink's absolute path(s), so an operator sees where a run writes.
void LogPaths(const Runtime& rt);

// Opens sink `name` of the config: finds and loads its plugin, checks its
// options (throws engine::ConfigError naming each problem), opens it.
std::unique_ptr<engine::Sink> OpenSink(Runtime& rt, const std::string& name);

}  // namespace spsync::cli
