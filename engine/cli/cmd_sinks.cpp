// `spsync sinks`: the sink plugins found, with their versions and capabilities.
#include "args.hpp"
#include "commands.hpp"
#include "spsync/plugins/option_validation.hpp"
#include "spsync/plugins/plugin_finder.hpp"

#include <iostream>

namespace spsync::cli {

int SinksCmd(const Argv& argv) {
  Args args(argv, {"--plugin-dir"}, {});
  SetupLogging("text", false);
  std::vector<std::filesystem::path> dirs;
  for (const auto& d : args.All("--plugin-dir")) dirs.emplace_back(d);
  plugins::PluginFinder finder(dirs);
  std::cout << plugins::FormatPluginTable(finder.Discover());
  return kExitOk;
}

}  // namespace spsync::cli
