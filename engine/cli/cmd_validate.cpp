// `spsync validate`: check a config, its plugins and sink options; with --connect, reach the site
// and the sinks.
#include "args.hpp"
#include "commands.hpp"
#include "estate.hpp"
#include "runtime.hpp"
#include "spsync/plugins/option_validation.hpp"

#include <iostream>
#include <map>

namespace spsync::cli {

int ValidateConfigFile(const std::string& path, const std::vector<std::string>& plugin_dirs,
                       bool connect, std::ostream& out) {
  Runtime rt = MakeRuntime(engine::LoadConfig(path), plugin_dirs);
  int problems = 0;
  std::map<std::string, engine::SinkInfo> infos;  // by sink name, for the 1.2 features below
  for (const auto& [name, entry] : rt.config.sinks) {
    try {
      auto plugin = rt.finder->Load(entry.plugin);
      infos[name] = plugin->info();
      auto errors = plugins::ValidateOptions(*plugin, entry.options);
      for (const auto& err : errors) out << "sinks." << name << ": " << err << "\n";
      problems += static_cast<int>(errors.size());
      if (errors.empty()) {
        out << "sinks." << name << ": ok (" << plugin->info().name << " " << plugin->info().version
            << ", " << plugin->file().string() << ")\n";
        if (connect) {
          auto sink = plugin->Open(entry.options);
          auto r = sink->Check();
          if (!r.ok()) {
            out << "sinks." << name << ": check failed: " << r.message << "\n";
            problems++;
          }
        }
      }
    } catch (const std::exception& ex) {
      out << "sinks." << name << ": " << ex.what() << "\n";
      problems++;
    }
  }
  // What the complete-backup switches ask of sinks that cannot keep it (a
  // 1.0 / 1.1 plugin, or one that keeps no attachments): not an error, the
  // sink simply gets none of it, but the operator should know.
  auto features = [&](const std::string& where, const engine::EntityConfig& e,
                      const std::vector<std::string>& sinks) {
    for (const auto& sink : sinks) {
      auto it = infos.find(sink);
      if (it == infos.end()) continue;  // its plugin did not load: reported above
      auto missing = it->second.Missing(e.attachments, e.versions, false);
      if (missing.empty()) continue;
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : " and ") + m;
      out << where << ": note: sink '" << sink << "' (" << it->second.name << " "
          << it->second.version << ", sink ABI " << (it->second.abi_version >> 16) << "."
          << (it->second.abi_version & 0xffff) << ") keeps no " << list
          << ": it gets none, though the config asks for them\n";
    }
  };
  for (const auto& e : rt.config.entities) features("entities." + e.entity.name, e.entity, e.sinks);
  for (const auto& [name, site] : rt.config.sites)
    for (const auto& rule : site.discover) features(rule.where, rule.entity, rule.sinks);
  for (const auto& [name, site] : rt.config.sites)
    out << site.where << ": " << site.url << " (auth " << site.auth.type << ", "
        << site.discover.size() << " discovery rule(s))\n";
  if (connect) {
    engine::Deadline deadline(std::chrono::seconds(120));
    // What the discovery rules find now (nothing is written to the work dir).
    bool rules = false;
    for (const auto& [name, site] : rt.config.sites) rules |= !site.discover.empty();
    if (rules) {
      Estate estate = ReadEstate(rt, deadline, /*dry=*/true);
      for (const auto& [site, error] : estate.failed_sites) {
        out << "sites." << site << ": cannot read its lists: " << error << "\n";
        problems++;
      }
      std::map<std::string, int> found;
      for (const auto& e : estate.expansion.entities)
        if (e.discovered) found[e.site]++;
      for (const auto& [name, site] : rt.config.sites)
        if (!site.discover.empty())
          out << site.where << ".discover: " << found[name] << " list(s) found\n";
    }
    for (const auto& e : rt.config.entities) {
      try {
        auto list = rt.Client(e.site, e.web_url)->GetList(e.entity.list, deadline);
        out << "entities." << e.entity.name << ": ok (list '" << list.title << "', "
            << list.item_count << " items)\n";
      } catch (const std::exception& ex) {
        out << "entities." << e.entity.name << ": " << ex.what() << "\n";
        problems++;
      }
    }
  }
  out << (problems == 0 ? "config is valid\n" : std::to_string(problems) + " problem(s) found\n");
  return problems == 0 ? kExitOk : kExitUsage;
}

int ValidateCmd(const Argv& argv) {
  Args args(argv, {"--config", "--plugin-dir"}, {"--connect"});
  SetupLogging("text", false);
  return ValidateConfigFile(args.Require("--config"), args.All("--plugin-dir"),
                            args.Has("--connect"), std::cout);
}

}  // namespace spsync::cli
