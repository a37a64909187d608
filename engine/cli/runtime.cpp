#include "runtime.hpp"

#include "spsync/engine/version.hpp"
#include "spsync/plugins/option_validation.hpp"

#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace spsync::cli {

namespace {

std::string ReadSecretFile(const engine::Config& c, const std::string& path,
                           const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw c.ErrorAt(key, "cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.empty()) throw c.ErrorAt(key, "'" + path + "' is empty");
  return s;
}

// Sink options the plugin declares as paths (SPSYNC_OPTION_PATH) resolve
// against the config's folder like the config's own paths. A plugin that
// does not load is left alone here: opening the sink reports it.
void ResolveSinkPaths(Runtime& rt) {
  for (auto& [name, entry] : rt.config.sinks) {
    std::shared_ptr<plugins::LoadedPlugin> plugin;
    try {
      plugin = rt.finder->Load(entry.plugin);
    } catch (const std::exception&) {
      continue;
    }
    for (auto& [key, value] : entry.options) {
      for (const auto& declared : plugin->options()) {
        if (declared.name != key || declared.type != SPSYNC_OPTION_PATH) continue;
        value = engine::ResolveConfigPath(value, "sinks." + name + "." + key, rt.config.dir,
                                          &rt.config.warnings);
        rt.sink_paths[name].emplace_back(key, value);
      }
    }
  }
}

// The credentials of one site; errors point at its `auth` keys.
std::shared_ptr<engine::Credentials> MakeCredentials(
    const engine::Config& c, const engine::SiteConfig& site,
    const std::shared_ptr<engine::HttpClient>& http) {
  const auto& a = site.auth;
  const std::string key = site.where + ".auth";
  Poco::URI url(site.url);
  std::string resource =
      a.resource.empty() ? url.getScheme() + "://" + url.getAuthority() : a.resource;
  if (a.type == "bearer") {
    if (!a.token.empty()) return engine::BearerCredentials(a.token);
    if (!a.token_file.empty())
      return engine::BearerCredentials(ReadSecretFile(c, a.token_file, key + ".tokenFile"));
    const char* v = std::getenv(a.token_env.c_str());
    if (v == nullptr || *v == '\0')
      throw c.ErrorAt(key + ".tokenEnv", "environment variable " + a.token_env + " is not set");
    return engine::BearerCredentials(v);
  }
  if (a.type == "azure-certificate") {
    engine::CertificateAuthOptions o;
    o.authority = a.authority;
    o.tenant = a.tenant;
    o.client_id = a.client_id;
    o.certificate_path = a.certificate;
    o.private_key_path = a.private_key;
    o.private_key_password = a.private_key_password;
    o.resource = resource;
    o.algorithm = a.algorithm;
    try {
      return engine::CertificateCredentials(o, http);
    } catch (const std::exception& e) {
      throw c.ErrorAt(key, e.what());
    }
  }
  if (a.type == "managed-identity") {
    engine::ManagedIdentityOptions o;
    o.resource = resource;
    o.client_id = a.client_id;
    try {
      return engine::ManagedIdentityCredentials(o, http);
    } catch (const std::exception& e) {
      throw c.ErrorAt(key, e.what());
    }
  }
  return engine::NoCredentials();
}

}  // namespace

Runtime MakeRuntime(engine::Config config, const std::vector<std::string>& plugin_dirs,
                    double budget_share) {
  Runtime rt;
  engine::HttpOptions ho;
  ho.user_agent = config.run.user_agent.empty()
                      ? std::string("ISV|spsync|spsync/") + engine::kVersion
                      : config.run.user_agent;
  ho.connect_timeout = std::chrono::seconds(config.run.connect_timeout_s);
  ho.read_timeout = std::chrono::seconds(config.run.read_timeout_s);
  ho.insecure_hosts = {config.run.insecure_hosts.begin(), config.run.insecure_hosts.end()};
  ho.ca_file = config.run.ca_file;
  for (const auto& h : ho.insecure_hosts)
    spdlog::warn("TLS certificates of host '{}' are NOT verified (run.insecureHosts)", h);
  rt.http = std::make_shared<engine::HttpClient>(ho);
  rt.gate = std::make_shared<engine::ThrottleGate>();
  engine::BudgetOptions bo;
  bo.ru_per_minute = static_cast<double>(config.run.ru_per_minute);
  bo.ru_per_request = static_cast<double>(config.run.ru_per_request);
  bo.share = budget_share;
  rt.budget = std::make_shared<engine::RequestBudget>(bo);
  rt.clients = std::make_shared<SiteClients>();
  for (const auto& [name, site] : config.sites)
    rt.clients->credentials[name] = MakeCredentials(config, site, rt.http);
  std::vector<std::filesystem::path> dirs(plugin_dirs.begin(), plugin_dirs.end());
  for (const auto& d : config.plugin_dirs) dirs.emplace_back(d);
  rt.finder = std::make_unique<plugins::PluginFinder>(dirs);
  rt.config = std::move(config);
  ResolveSinkPaths(rt);
  // Once per process: each warning is about one path of the config.
  for (const auto& w : rt.config.warnings) spdlog::warn("{}: {}", rt.config.path, w);
  return rt;
}

std::shared_ptr<engine::SharePointClient> Runtime::Client(const std::string& site,
                                                          const std::string& web_url) {
  const auto& s = config.sites.at(site);
  std::string url = web_url.empty() ? s.url : web_url;
  std::lock_guard<std::mutex> lock(clients->mu);
  auto& slot = clients->by_url[site + " " + url];
  if (!slot) {
    engine::ClientOptions co;
    co.site_url = url;
    co.budget = budget;
    co.on_response = on_response;
    co.on_throttled = [](std::chrono::milliseconds wait, int status) {
      spdlog::warn(
          "SharePoint throttled a request (HTTP {}); pausing requests to the host for {} ms",
          status, wait.count());
    };
    // Every web of a site shares the site's credentials; the gate and the
    // budget are per host, across all sites.
    slot =
        std::make_shared<engine::SharePointClient>(co, http, clients->credentials.at(site), gate);
  }
  return slot;
}

uint64_t Runtime::Requests() const {
  std::lock_guard<std::mutex> lock(clients->mu);
  uint64_t n = 0;
  for (const auto& [key, c] : clients->by_url) n += c->stats().requests.load();
  return n;
}

void LogPaths(const Runtime& rt) {
  std::string line = "config " + rt.config.path + ": work directory " + rt.config.run.work_dir;
  for (const auto& [sink, paths] : rt.sink_paths)
    for (const auto& [key, path] : paths) line += "; sink " + sink + " " + key + " " + path;
  spdlog::info("{}", line);
}

std::unique_ptr<engine::Sink> OpenSink(Runtime& rt, const std::string& name) {
  const auto& entry = rt.config.sinks.at(name);
  auto plugin = rt.finder->Load(entry.plugin);
  auto problems = plugins::ValidateOptions(*plugin, entry.options);
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p;
    throw rt.config.ErrorAt("sinks." + name, msg);
  }
  return plugin->Open(entry.options);
}

}  // namespace spsync::cli
