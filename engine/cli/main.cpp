// spsync: keeps copies of SharePoint lists in other systems.
#include "args.hpp"
#include "commands.hpp"
#include "spsync/engine/config.hpp"
#include "spsync/engine/process.hpp"
#include "spsync/engine/version.hpp"
#include "spsync/sink.h"

#include <iostream>
#include <map>

int main(int argc, char** argv) {
  using namespace spsync::cli;
  // Flat peak memory whatever the list's size (see process.hpp).
  spsync::engine::ReexecWithTunedAllocator(argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::string topic = args.size() > 1 && args[0] == "help" ? args[1] : "";
    std::cout << HelpText(topic);
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::cout << "spsync " << spsync::engine::kVersion << " (sink ABI " << SPSYNC_SINK_ABI_MAJOR
              << "." << SPSYNC_SINK_ABI_MINOR << ", loads plugins of ABI " << SPSYNC_SINK_ABI_MAJOR
              << ".0 to " << SPSYNC_SINK_ABI_MAJOR << "." << SPSYNC_SINK_ABI_MINOR << ")\n";
    return kExitOk;
  }
  static const std::map<std::string, int (*)(const Argv&)> commands = {
      {"run", RunCmd},           {"status", StatusCmd},     {"reset", ResetCmd},
      {"validate", ValidateCmd}, {"snapshot", SnapshotCmd}, {"sinks", SinksCmd},
      {"demo", DemoCmd},         {"serve", ServeCmd},       {"init", InitCmd},
      {"restore", RestoreCmd}};
  auto it = commands.find(args[0]);
  if (it == commands.end()) {
    std::cerr << "spsync: unknown command '" << args[0] << "'\n\n" << HelpText("");
    return kExitUsage;
  }
  Argv rest(args.begin() + 1, args.end());
  for (const auto& a : rest)
    if (a == "--help" || a == "-h") {
      std::cout << HelpText(args[0]);
      return kExitOk;
    }
  try {
    return it->second(rest);
  } catch (const UsageError& e) {
    std::cerr << "spsync " << args[0] << ": " << e.what() << "\n\n" << HelpText(args[0]);
    return kExitUsage;
  } catch (const spsync::engine::ConfigError& e) {
    std::cerr << "spsync " << args[0] << ": config error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "spsync " << args[0] << ": " << e.what() << "\n";
    return kExitFailed;
  }
}
