// The operator's config file: JSON with ${VAR} / ${VAR:-default} expanded
// from the environment (once, not recursively: a value taken from the
// environment is never expanded again, so expansions cannot loop). Every
// error names the file, the line and column, the key path and what was
// expected, and shows the line with a caret under the column:
//
//   sales.json:10:78: `entities[0].pageSize`: must be between 1 and 5000
//       { "name": "orders", "list": "Lists/Orders", "sinks": ["db"], "pageSize": 6000 }
//                                                                                ^
//
// Relative paths in a config (run.workDir, run.caFile, pluginDirs, the auth
// files, a plugin given by path, and every sink option its plugin declares as
// a path) resolve against the config file's folder, not the current
// directory, so a config means the same wherever it is run from.
//
// Thread safety: a Config is a value; the functions are reentrant.
#pragma once

#include "spsync/engine/sync/sync_session.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace spsync::engine {

namespace config {
class ConfigSource;  // where each key is in the file (engine/src/config/config_source.hpp)
}

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AuthConfig {
  std::string type = "none";  // azure-certificate | managed-identity | bearer | none
  // bearer
  std::string token, token_file, token_env;
  // azure-certificate
  std::string tenant, client_id, certificate, private_key, private_key_password;
  std::string authority = "https://login.microsoftonline.com";
  std::string algorithm = "RS256";
  // managed-identity (client_id above = user-assigned identity)
  std::string resource;  // default: scheme://host of the site URL
};

struct SinkConfigEntry {
  std::string name;                                          // the key under "sinks"
  std::string plugin;                                        // plugin name or path
  std::vector<std::pair<std::string, std::string>> options;  // everything but "plugin", as strings
};

// A rule that turns the lists of a site (and, when asked, of its subwebs)
// into entities at run time. See README, "Sites and discovery".
struct DiscoverRule {
  std::vector<std::string> include = {"*"};  // list title globs (* and ?), case-insensitive
  std::vector<std::string> exclude;          // title globs that win over include
  std::vector<int> templates = {100};        // BaseTemplate: 100 generic list, 101 library, ...
  bool subwebs = false;                      // the subwebs' lists too, recursively
  bool hidden = false;                       // hidden and system lists too
  std::vector<std::string> sinks;
  EntityConfig entity;  // select, pageSize, ... for every list found (name and list unset)
  std::string where;    // its key path, e.g. "sites.sales.discover[0]", for messages
};

struct SiteConfig {
  std::string name;  // the key under "sites"; "default" for the single `site`
  std::string url;   // absolute, no trailing slash
  AuthConfig auth;
  std::vector<DiscoverRule> discover;
  std::string where;  // "sites.sales" or "site", for messages
};

struct EntityEntry {
  std::string site;  // a key of Config::sites
  EntityConfig entity;
  std::vector<std::string> sinks;
  // Set for entities a discovery rule made (then entity.list is the list's GUID).
  bool discovered = false;
  std::string web_url;  // the web holding the list ("" = the site itself)
};

struct RunConfig {
  std::chrono::seconds timeout{0};  // 0 = no budget
  int parallel = 2;
  int64_t incident_after_fails = 5;
  std::string incident_command;
  std::string incident_webhook;
  std::string work_dir;  // locks and dead-letter files; absolute (default <config folder>/.spsync)
  std::string user_agent;
  std::vector<std::string> insecure_hosts;
  std::string ca_file;
  int connect_timeout_s = 30;
  int read_timeout_s = 120;
  // The tenant's request budget per SharePoint host, in resource units a
  // minute (0: learn it from SharePoint's RateLimit-Limit), and what one
  // request costs.
  int64_t ru_per_minute = 0;
  int64_t ru_per_request = 2;
  // An idle list (its modified/deleted dates unchanged) still gets a real
  // change-log read this often: a date can miss a restore.
  std::chrono::seconds idle_check_every{6 * 3600};
};

// `spsync serve`: the listener, the webhook URL SharePoint calls, and how
// often pairs are polled and subscriptions checked (README, "serve").
struct ServeConfig {
  std::string address = "0.0.0.0";
  int port = 8080;
  // The notification URL as SharePoint reaches it (through a reverse proxy,
  // say); empty = no webhooks, polling only. `path` is its path, the one the
  // listener answers notifications on.
  std::string public_url;
  std::string path = "/webhook";
  std::chrono::seconds poll_every{15 * 60};
  // /readyz fails when a pair has not completed a session for this long.
  std::chrono::seconds stale_after{60 * 60};
  // One session's time budget: a full sync yields its worker this often
  // and resumes after the sessions waiting behind it.
  std::chrono::seconds session_budget{5 * 60};
  std::chrono::seconds subscription_check_every{60 * 60};
  int subscription_days = 180;                    // asked lifetime (SharePoint allows 180 days)
  std::chrono::seconds renew_before{60 * 86400};  // renewed when less than this is left
  std::string tls_certificate, tls_key;           // PEM files; both or neither (plain HTTP)
};

struct Config {
  std::string path;  // as given
  std::string dir;   // the config file's absolute folder: relative paths resolve against it
  std::map<std::string, SiteConfig> sites;  // by name; `site` becomes the one named "default"
  std::map<std::string, SinkConfigEntry> sinks;
  std::vector<EntityEntry> entities;
  RunConfig run;
  ServeConfig serve;
  std::vector<std::string> plugin_dirs;
  // Notes to log once when the config is used, e.g. a relative path found
  // only at its old, current-directory-relative place (see ResolveConfigPath).
  std::vector<std::string> warnings;
  // The parsed file, for ErrorAt. Null in a Config built by hand.
  std::shared_ptr<const config::ConfigSource> source;

  // A ConfigError about key `key_path` ("sinks.db", "entities[0].list") found
  // after parsing, pointing at the key's line like the parser's own errors.
  ConfigError ErrorAt(const std::string& key_path, const std::string& what) const;
};

// Reads and checks `path`. Throws ConfigError.
Config LoadConfig(const std::string& path);
// Parses a config from text; `path` names it in errors, and relative paths in
// it resolve against its folder.
Config ParseConfig(const std::string& text, const std::string& path);

// Makes a relative `value` of key `key_path` absolute against `config_dir`
// (absolute values and "" are returned unchanged). Upgrade safety: earlier
// spsync resolved against the current directory, so when the
// config-relative place does not exist but the current-directory one does,
// that one is returned and a warning saying how to silence it (move it next
// to the config, or make the path absolute) is added to `warnings`.
std::string ResolveConfigPath(const std::string& value, const std::string& key_path,
                              const std::string& config_dir, std::vector<std::string>* warnings);

// "90s", "10m", "2h", "1h30m" or plain seconds. Throws std::invalid_argument.
std::chrono::seconds ParseDuration(const std::string& text);

// Expands ${VAR} and ${VAR:-default} in `value`; `where` names the key in errors.
std::string ExpandEnv(const std::string& value, const std::string& where);

}  // namespace spsync::engine
