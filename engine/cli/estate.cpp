#include "estate.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <map>

namespace spsync::cli {

Estate ReadEstate(Runtime& rt, const engine::Deadline& deadline, bool dry) {
  Estate out;
  std::map<std::string, engine::SiteInventory> inventories;
  std::map<std::string, engine::ListRegistry> registries;
  for (const auto& [name, site] : rt.config.sites) {
    bool subwebs = false;
    for (const auto& rule : site.discover) subwebs |= rule.subwebs;
    try {
      if (!site.discover.empty()) {
        engine::ListRegistry registry(rt.config.run.work_dir, name);
        registry.Load();
        registries.emplace(name, std::move(registry));
      }
      const std::string site_name = name;
      auto inventory = engine::ReadInventory(
          site,
          [&rt, site_name](const std::string& web_url) -> engine::SharePointClient& {
            return *rt.Client(site_name, web_url);
          },
          subwebs, deadline);
      size_t lists = 0;
      for (const auto& w : inventory.webs) lists += w.lists.size();
      spdlog::debug("site {}: {} webs, {} lists ({} requests)", name, inventory.webs.size(), lists,
                    inventory.requests);
      inventories.emplace(name, std::move(inventory));
    } catch (const std::exception& e) {
      registries.erase(name);  // nothing of this site is judged gone on a failed read
      if (site.discover.empty()) {
        // Only explicit entities: their sessions run as usual (and say
        // what is wrong); just no idle-run shortcut this time.
        spdlog::warn("site {}: cannot read its lists ({}); every entity of it reads its change log",
                     name, e.what());
      } else {
        out.failed_sites.emplace_back(name, e.what());
        spdlog::error("site {}: cannot read its lists: {}", name, e.what());
      }
    }
  }
  out.expansion =
      engine::Expand(rt.config, inventories, registries, static_cast<int64_t>(std::time(nullptr)));
  // A failed site's discovered entities are not in the expansion; its
  // explicit ones are (without a list to compare for idle runs).
  for (const auto& k : out.expansion.appeared)
    spdlog::info("[{}] discovered list '{}' ({}): a full sync starts", k.name, k.title, k.url);
  for (const auto& k : out.expansion.gone)
    spdlog::warn(
        "[{}] list '{}' is gone ({}); its sinks keep their data and state (`spsync reset "
        "--gone` forgets it)",
        k.name, k.title, k.gone_reason);
  if (!dry)
    for (const auto& [name, registry] : registries) registry.Save();
  return out;
}

std::vector<KnownEntity> KnownEntities(const Runtime& rt) {
  std::vector<KnownEntity> out;
  for (const auto& e : rt.config.entities) {
    KnownEntity k;
    k.entity = &e;
    k.site = e.site;
    out.push_back(std::move(k));
  }
  for (const auto& [name, site] : rt.config.sites) {
    if (site.discover.empty()) continue;
    engine::ListRegistry registry(rt.config.run.work_dir, name);
    registry.Load();
    for (const auto& l : registry.lists()) {
      KnownEntity k;
      k.discovered = l;
      k.site = name;
      out.push_back(std::move(k));
    }
  }
  return out;
}

}  // namespace spsync::cli
