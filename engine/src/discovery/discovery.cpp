#include "spsync/engine/discovery/discovery.hpp"

#include "spsync/engine/discovery/list_names.hpp"

#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace spsync::engine {

namespace {

std::string Lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string PathOf(const std::string& url) {
  try {
    std::string p = Poco::URI(url).getPath();
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
  } catch (...) {
    return "";
  }
}

void ReadWeb(const WebSummary& web, const std::string& path, const WebClientFor& client_for,
             bool subwebs, const Deadline& deadline, SiteInventory& out, int depth) {
  SharePointClient& client = client_for(web.url);
  WebLists w;
  w.web = web;
  w.path = path;
  w.lists = ReadLists(client, deadline);
  out.requests++;
  out.webs.push_back(std::move(w));
  if (!subwebs || depth > 16) return;  // SharePoint itself nests far less
  auto children = ReadSubwebs(client, deadline);
  out.requests++;
  const std::string site_path = PathOf(out.webs.front().web.url);
  for (const auto& child : children) {
    std::string rel = PathOf(child.url);
    rel = rel.size() > site_path.size() ? rel.substr(site_path.size() + 1) : child.title;
    ReadWeb(child, rel, client_for, subwebs, deadline, out, depth + 1);
  }
}

// Does explicit entity `ref` (title, "Lists/Name", server-relative URL or
// GUID) name list `l` of the site's root web?
bool Names(const std::string& ref, const ListSummary& l, const std::string& site_path) {
  std::string r = Lower(ref);
  for (char strip : {'{', '}'}) r.erase(std::remove(r.begin(), r.end(), strip), r.end());
  if (r == l.id || r == Lower(l.title)) return true;
  std::string url = Lower(l.server_relative_url);
  if (!r.empty() && r[0] == '/') return r == url;
  return Lower(site_path + "/" + ref) == url;
}

std::string LastSegment(const std::string& url) {
  size_t slash = url.rfind('/');
  return slash == std::string::npos ? url : url.substr(slash + 1);
}

bool Claims(const DiscoverRule& rule, const ListSummary& l, bool root_web) {
  if (!root_web && !rule.subwebs) return false;
  if ((l.hidden || l.system) && !rule.hidden) return false;
  if (std::find(rule.templates.begin(), rule.templates.end(), l.base_template) ==
      rule.templates.end())
    return false;
  bool in = false;
  for (const auto& g : rule.include) in = in || GlobMatch(g, l.title);
  for (const auto& g : rule.exclude) in = in && !GlobMatch(g, l.title);
  return in;
}

}  // namespace

SiteInventory ReadInventory(const SiteConfig& site, const WebClientFor& client_for, bool subwebs,
                            const Deadline& deadline) {
  SiteInventory out;
  out.site = site.name;
  WebSummary root;
  root.url = site.url;
  root.server_relative_url = PathOf(site.url);
  ReadWeb(root, "", client_for, subwebs, deadline, out, 0);
  return out;
}

Expansion Expand(const Config& config, const std::map<std::string, SiteInventory>& inventories,
                 std::map<std::string, ListRegistry>& registries, int64_t now) {
  Expansion out;
  std::set<std::string> taken;  // lower-cased entity names in use
  for (const auto& e : config.entities) taken.insert(Lower(e.entity.name));
  // Lists given to an entity, by site and GUID: two tenants may well hold
  // lists with the same GUID (a site copied from a template, a migration).
  std::set<std::pair<std::string, std::string>> claimed;

  // Explicit entities first: they win over rules for their list.
  for (const auto& e : config.entities) {
    out.entities.push_back(e);
    auto inv = inventories.find(e.site);
    if (inv == inventories.end() || inv->second.webs.empty()) continue;
    const auto& root = inv->second.webs.front();
    for (const auto& l : root.lists)
      if (Names(e.entity.list, l, root.web.server_relative_url)) {
        out.lists[e.entity.name] = l;
        claimed.insert({e.site, l.id});
        break;
      }
  }

  for (const auto& [site_name, site] : config.sites) {
    if (site.discover.empty()) continue;
    auto inv = inventories.find(site_name);
    if (inv == inventories.end()) continue;
    auto& registry = registries.at(site_name);
    std::map<std::string, KnownList*> known;  // by GUID
    for (auto& k : registry.lists()) known[k.id] = &k;
    std::set<std::string> present;  // GUIDs in the inventory
    for (const auto& web : inv->second.webs)
      for (const auto& l : web.lists) present.insert(l.id);

    std::set<std::string> found_now;
    for (size_t w = 0; w < inv->second.webs.size(); ++w) {
      const auto& web = inv->second.webs[w];
      for (const auto& l : web.lists) {
        if (claimed.count({site_name, l.id})) continue;
        const DiscoverRule* rule = nullptr;
        for (const auto& r : site.discover)
          if (Claims(r, l, w == 0)) {
            rule = &r;
            break;
          }
        if (rule == nullptr) continue;
        claimed.insert({site_name, l.id});
        found_now.insert(l.id);
        // The name: kept from an earlier run; or taken over from a list that
        // was recreated at the same URL; or made from site, web and URL.
        std::string name;
        if (auto k = known.find(l.id); k != known.end()) {
          name = k->second->name;
        } else {
          std::string base =
              DiscoveredEntityName(site_name, web.path, LastSegment(l.server_relative_url));
          name = base;
          for (auto& k2 : registry.lists())
            if (Lower(k2.name) == Lower(base) && !present.count(k2.id) &&
                Lower(k2.url) == Lower(l.server_relative_url))
              k2.gone_reason = "recreated";  // its name passes to the new list
          bool clash = taken.count(Lower(base)) > 0;
          for (const auto& k2 : registry.lists())
            if (Lower(k2.name) == Lower(base) && k2.gone_reason != "recreated") clash = true;
          if (clash) name = WithListIdSuffix(base, l.id);
        }
        taken.insert(Lower(name));
        EntityEntry e;
        e.site = site_name;
        e.discovered = true;
        e.web_url = w == 0 ? "" : web.web.url;
        e.entity = rule->entity;
        e.entity.name = name;
        e.entity.list = l.id;
        e.sinks = rule->sinks;
        out.lists[name] = l;
        out.entities.push_back(std::move(e));

        if (!known.count(l.id)) {
          KnownList fresh;
          fresh.id = l.id;
          fresh.first_seen = now;
          fresh.name = name;
          registry.lists().push_back(std::move(fresh));
          known.clear();  // the vector may have moved
          for (auto& k2 : registry.lists()) known[k2.id] = &k2;
        }
        KnownList* k = known.at(l.id);
        if (k->first_seen == now) out.appeared.push_back(*k);
        k->title = l.title;
        k->web_url = web.web.url;
        k->url = l.server_relative_url;
        k->sinks = rule->sinks;
        k->rule = rule->where;
        k->last_seen = now;
        k->gone_since = 0;
        k->gone_reason.clear();
      }
    }
    // Known lists not found now: gone (kept, with data and state in the
    // sinks, until `spsync reset --gone`), or replaced by a recreated list.
    std::vector<KnownList> kept;
    for (auto& k : registry.lists()) {
      if (found_now.count(k.id)) {
        kept.push_back(k);
        continue;
      }
      if (k.gone_reason == "recreated") {
        spdlog::info("[{}] list '{}' was deleted and recreated at {}: the new list resyncs", k.name,
                     k.title, k.url);
        continue;
      }
      if (k.gone_since == 0) {
        k.gone_since = now;
        k.gone_reason =
            present.count(k.id) ? "no rule matches it any more" : "deleted from SharePoint";
      }
      out.gone.push_back(k);
      kept.push_back(k);
    }
    registry.lists() = std::move(kept);
  }
  return out;
}

}  // namespace spsync::engine
