// The operator's config file: JSON with ${VAR} / ${VAR:-default} expanded
// from the environment (once, not recursively: a value taken from the
// environment is never expanded again, so expansions cannot loop). Every
// error names the file, the key path and what was expected.
#pragma once

#include "spsync/engine/sync/sync_session.hpp"

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace spsync::engine {

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
  std::string work_dir = ".spsync";  // locks and dead-letter files
  std::string user_agent;
  std::vector<std::string> insecure_hosts;
  std::string ca_file;
  int connect_timeout_s = 30;
  int read_timeout_s = 120;
};

struct Config {
  std::string path;
  std::string site_url;
  AuthConfig auth;
  std::map<std::string, SinkConfigEntry> sinks;
  std::vector<EntityEntry> entities;
  RunConfig run;
  std::vector<std::string> plugin_dirs;
};

// Reads and checks `path`. Throws ConfigError.
Config LoadConfig(const std::string& path);
// Parses a config from text (`path` only names it in errors).
Config ParseConfig(const std::string& text, const std::string& path);

// "90s", "10m", "2h", "1h30m" or plain seconds. Throws std::invalid_argument.
std::chrono::seconds ParseDuration(const std::string& text);

// Expands ${VAR} and ${VAR:-default} in `value`; `where` names the key in errors.
std::string ExpandEnv(const std::string& value, const std::string& where);

}  // namespace spsync::engine
