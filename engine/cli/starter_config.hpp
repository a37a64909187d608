// The text of the starter config `spsync init` writes: what it holds (one
// site with its auth, the sinks named on the command line, one entity per
// list or a discovery rule, a run block) and how command-line values become
// config values. Secrets never appear in it: auth holds environment variable
// names (`tokenEnv`) or `${ENV}` references, and so do the S3 credentials.
//
// Paths typed on the command line are relative to the current directory, as
// in any command; in the config they are written relative to the config's
// folder when they lie under it (the config and its files move together),
// else absolute, so the config means the same from any folder.
//
// Thread safety: values and pure functions.
#pragma once

#include "spsync/engine/config.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace spsync::cli {

struct StarterSink {
  std::string name;    // key under "sinks": db, csv, kafka, s3 (db2, ... when repeated)
  std::string plugin;  // sqlite, csv, kafka, s3
  std::vector<std::pair<std::string, std::string>> options;  // in the order written
};

struct StarterEntity {
  std::string name;                 // from the list's URL, like discovered names
  std::string list;                 // web-relative URL ("Lists/Orders"), or the title
  std::vector<std::string> select;  // internal names; empty = every visible field
};

struct StarterRule {
  std::vector<std::string> include = {"*"}, exclude;
  std::vector<int> templates = {100};
  bool subwebs = true;
};

struct StarterConfig {
  std::string site_name;  // key under "sites"
  std::string site_url;
  engine::AuthConfig auth;  // as written: env names and ${ENV} references only
  std::vector<StarterSink> sinks;
  std::vector<StarterEntity> entities;  // or:
  bool discover = false;
  StarterRule rule;
  std::string work_dir = ".spsync";
  int parallel = 4;
  std::string timeout = "10m";
};

// `spec` of --sink (sqlite:PATH, csv:DIR, kafka:BROKERS, s3:URL) as a sink
// named after its plugin (`taken` names already used get a number). Throws
// UsageError naming --sink and the accepted forms; refuses credentials in an
// s3 URL (they would end up in the file).
StarterSink ParseSinkSpec(const std::string& spec, const std::filesystem::path& config_dir,
                          const std::vector<StarterSink>& taken);

// A path typed on the command line (relative to the current directory) as
// the config should hold it. Values holding `${` are kept as typed.
std::string ConfigRelativePath(const std::string& typed, const std::filesystem::path& config_dir);

// A site name for `url` (letters, digits, '-', '_'): its last path segment,
// or its host's first label for a root site.
std::string SiteNameFor(const std::string& url);

// True for a plausible environment variable name ([A-Za-z_][A-Za-z0-9_]*):
// what an option expecting a NAME gets when a user pastes a secret instead.
bool IsEnvName(const std::string& s);

// The config file's text, ending in a newline.
std::string RenderStarterConfig(const StarterConfig& c);

}  // namespace spsync::cli
