// `spsync validate`: check a config, its plugins and sink options; with --connect, reach the site
// and the sinks.
#include "args.hpp"
#include "commands.hpp"
#include "runtime.hpp"
#include "spsync/plugins/option_validation.hpp"

#include <iostream>

namespace spsync::cli {

int ValidateCmd(const Argv& argv) {
  Args args(argv, {"--config", "--plugin-dir"}, {"--connect"});
  SetupLogging("text", false);
  Runtime rt = MakeRuntime(engine::LoadConfig(args.Require("--config")), args.All("--plugin-dir"));
  int problems = 0;
  for (const auto& [name, entry] : rt.config.sinks) {
    try {
      auto plugin = rt.finder->Load(entry.plugin);
      auto errors = plugins::ValidateOptions(*plugin, entry.options);
      for (const auto& err : errors) std::cout << "sinks." << name << ": " << err << "\n";
      problems += static_cast<int>(errors.size());
      if (errors.empty()) {
        std::cout << "sinks." << name << ": ok (" << plugin->info().name << " "
                  << plugin->info().version << ", " << plugin->file().string() << ")\n";
        if (args.Has("--connect")) {
          auto sink = plugin->Open(entry.options);
          auto r = sink->Check();
          if (!r.ok()) {
            std::cout << "sinks." << name << ": check failed: " << r.message << "\n";
            problems++;
          }
        }
      }
    } catch (const std::exception& ex) {
      std::cout << "sinks." << name << ": " << ex.what() << "\n";
      problems++;
    }
  }
  if (args.Has("--connect")) {
    engine::Deadline deadline(std::chrono::seconds(120));
    for (const auto& e : rt.config.entities) {
      try {
        auto list = rt.Client(e.site, e.web_url)->GetList(e.entity.list, deadline);
        std::cout << "entities." << e.entity.name << ": ok (list '" << list.title << "', "
                  << list.item_count << " items)\n";
      } catch (const std::exception& ex) {
        std::cout << "entities." << e.entity.name << ": " << ex.what() << "\n";
        problems++;
      }
    }
  }
  std::cout << (problems == 0 ? "config is valid\n"
                              : std::to_string(problems) + " problem(s) found\n");
  return problems == 0 ? kExitOk : kExitUsage;
}

}  // namespace spsync::cli
