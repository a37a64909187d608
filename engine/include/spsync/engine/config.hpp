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

struct EntityEntry {
  EntityConfig entity;
  std::vector<std::string> sinks;
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
};

struct Config {
  std::string path;  // as given
  std::string dir;   // the config file's absolute folder: relative paths resolve against it
  std::string site_url;
  AuthConfig auth;
  std::map<std::string, SinkConfigEntry> sinks;
  std::vector<EntityEntry> entities;
  RunConfig run;
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
