// The spsync commands. Each takes the arguments after its name and returns
// the process exit code (see kExit*).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace spsync::cli {

// Exit codes, documented in `spsync --help` and the README.
inline constexpr int kExitOk = 0;        // every session complete
inline constexpr int kExitFailed = 1;    // at least one session failed
inline constexpr int kExitUsage = 2;     // usage or config error
inline constexpr int kExitPartial = 3;   // at least one session stopped early; resumes next run
inline constexpr int kExitIncident = 4;  // an incident threshold was reached

using Argv = std::vector<std::string>;

int RunCmd(const Argv& args);
int StatusCmd(const Argv& args);
int ResetCmd(const Argv& args);
int ValidateCmd(const Argv& args);
int SnapshotCmd(const Argv& args);
int SinksCmd(const Argv& args);
int DemoCmd(const Argv& args);
int ServeCmd(const Argv& args);
int InitCmd(const Argv& args);
int RestoreCmd(const Argv& args);

// What `spsync validate` does, for `init` to check what it wrote: prints one
// line per sink and site and a verdict to `out`; returns kExitOk or
// kExitUsage. Throws engine::ConfigError for a config that does not parse.
int ValidateConfigFile(const std::string& path, const std::vector<std::string>& plugin_dirs,
                       bool connect, std::ostream& out);

// Help text of a command ("" for the top level).
std::string HelpText(const std::string& command);

// Log setup shared by the commands: --log-format text|json, --verbose.
void SetupLogging(const std::string& format, bool verbose);

}  // namespace spsync::cli
