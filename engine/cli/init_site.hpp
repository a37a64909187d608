// What `spsync init` does once its options are read (and what `spsync demo`
// uses to make its config): connect to a site, read its lists (and, for a
// discovery rule, its subwebs'), write a starter config, and check it as
// `spsync validate` does.
//
// Thread safety: InitSite is reentrant; it writes one file.
#pragma once

#include "starter_config.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace spsync::cli {

struct InitOptions {
  StarterConfig config;             // site, auth (as written), sinks, rule; entities are filled in
  engine::AuthConfig connect_auth;  // the same with ${ENV} expanded and paths absolute
  std::string output;               // the config file to write
  bool force = false;               // overwrite `output` if it exists
  std::vector<std::string> plugin_dirs;
};

// Reads the site and writes `options.output`; prints what it found, what it
// skipped and why, the checks of `validate`, and what to run next, to `out`.
// Returns validate's exit code (kExitOk or kExitUsage), or kExitUsage when
// `output` exists without `force` (before any request). Throws
// std::runtime_error when the site cannot be read or holds no list to sync.
int InitSite(const InitOptions& options, std::ostream& out);

}  // namespace spsync::cli
