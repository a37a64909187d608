#include "init_site.hpp"

#include "commands.hpp"
#include "runtime.hpp"
#include "spsync/engine/discovery/discovery.hpp"
#include "spsync/engine/discovery/list_names.hpp"
#include "spsync/engine/sharepoint/schema.hpp"

#include <Poco/URI.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

namespace spsync::cli {

namespace fs = std::filesystem;

namespace {

std::string TemplateName(int t) {
  if (t == 100) return "generic list";
  if (t == 101) return "document library";
  return "BaseTemplate " + std::to_string(t);
}

// "a, b, c" of at most `max` titles, then "and N more".
std::string Titles(const std::vector<std::string>& titles, size_t max = 6) {
  std::string out;
  for (size_t i = 0; i < titles.size() && i < max; ++i) out += (i ? ", " : "") + titles[i];
  if (titles.size() > max) out += " and " + std::to_string(titles.size() - max) + " more";
  return out;
}

// The lists a starter config takes, and the ones it leaves out by reason.
struct Selection {
  std::vector<std::pair<const engine::WebLists*, const engine::ListSummary*>> kept;
  std::vector<std::string> hidden, filtered;
  std::map<int, std::vector<std::string>> other_templates;
};

// The same tests as a discovery rule's (engine/src/discovery/discovery.cpp),
// so what init lists is what the written rule will find.
Selection Select(const engine::SiteInventory& inv, const StarterRule& rule) {
  Selection s;
  for (const auto& web : inv.webs) {
    for (const auto& l : web.lists) {
      std::string where = web.path.empty() ? l.title : web.path + "/" + l.title;
      bool in = false;
      for (const auto& g : rule.include) in = in || engine::GlobMatch(g, l.title);
      for (const auto& g : rule.exclude) in = in && !engine::GlobMatch(g, l.title);
      if (l.hidden || l.system)
        s.hidden.push_back(where);
      else if (std::find(rule.templates.begin(), rule.templates.end(), l.base_template) ==
               rule.templates.end())
        s.other_templates[l.base_template].push_back(where);
      else if (!in)
        s.filtered.push_back(where);
      else
        s.kept.emplace_back(&web, &l);
    }
  }
  return s;
}

void PrintSelection(const engine::SiteInventory& inv, const Selection& s, std::ostream& out) {
  size_t lists = 0;
  for (const auto& w : inv.webs) lists += w.lists.size();
  out << "site " << inv.webs.front().web.url << ": " << inv.webs.size() << " web(s), " << lists
      << " list(s)\n";
  for (const auto& [web, l] : s.kept)
    out << "  list " << (web->path.empty() ? "" : web->path + "/") << l->title << " ("
        << l->item_count << " items)\n";
  if (!s.hidden.empty())
    out << "  skipped " << s.hidden.size() << " hidden or system list(s): " << Titles(s.hidden)
        << "\n";
  for (const auto& [t, titles] : s.other_templates)
    out << "  skipped " << titles.size() << " list(s) of another template (" << TemplateName(t)
        << "): " << Titles(titles) << (t == 101 ? " (add --template library to take them)" : "")
        << "\n";
  if (!s.filtered.empty())
    out << "  skipped " << s.filtered.size()
        << " list(s) --include/--exclude leave out: " << Titles(s.filtered) << "\n";
}

// The list's reference in the config: its URL below the site ("Lists/Orders":
// readable, and it survives a rename of the title); a library at the web's
// top ("Shared Documents") by its server-relative URL, which has a slash.
std::string ListRef(const engine::ListSummary& l, const std::string& site_path) {
  const std::string& url = l.server_relative_url;
  if (url.size() > site_path.size() + 1 && url.compare(0, site_path.size(), site_path) == 0 &&
      url[site_path.size()] == '/') {
    std::string rel = url.substr(site_path.size() + 1);
    return rel.find('/') != std::string::npos ? rel : url;
  }
  return url.empty() ? l.title : url;
}

// The fields a session would copy without `select`, made explicit so the
// operator can prune them: visible, not Computed (SharePoint cannot return
// those as values), not the ones every row has anyway (ID, Modified, ...).
std::vector<std::string> SelectOf(engine::SharePointClient& client, const std::string& list_id,
                                  const engine::Deadline& deadline) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& f : client.GetFields(list_id, deadline)) {
    if (f.hidden || f.type == "Computed") continue;
    if (engine::IsSystemKey(f.internal_name) || engine::IsSystemKey(engine::MapField(f).key))
      continue;
    if (seen.insert(f.internal_name).second) out.push_back(f.internal_name);
  }
  return out;
}

void WriteFile(const std::string& path, const std::string& text) {
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) throw std::runtime_error("cannot write '" + tmp + "'");
  }
  fs::rename(tmp, p);
}

}  // namespace

int InitSite(const InitOptions& options, std::ostream& out) {
  if (!options.force && fs::exists(options.output)) {
    out.flush();
    std::cerr << "spsync init: " << options.output
              << " already exists; pass --force to overwrite it, or -o another file\n";
    return kExitUsage;
  }
  StarterConfig sc = options.config;

  // A config in memory with only the site, to connect with.
  engine::Config probe;
  probe.path = options.output;
  probe.dir = fs::absolute(options.output).parent_path().string();
  engine::SiteConfig site;
  site.name = sc.site_name;
  site.url = sc.site_url;
  site.auth = options.connect_auth;
  site.where = "sites." + sc.site_name;
  probe.sites[site.name] = site;
  Runtime rt = MakeRuntime(std::move(probe), options.plugin_dirs);
  engine::Deadline deadline(std::chrono::seconds(120));

  engine::SiteInventory inv;
  try {
    inv = engine::ReadInventory(
        site,
        [&](const std::string& web_url) -> engine::SharePointClient& {
          return *rt.Client(site.name, web_url);
        },
        /*subwebs=*/sc.discover, deadline);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read the lists of " + sc.site_url + ": " + e.what());
  }
  Selection sel = Select(inv, sc.rule);
  PrintSelection(inv, sel, out);
  if (sel.kept.empty())
    throw std::runtime_error("no list of " + sc.site_url +
                             " to sync (see what was skipped above); nothing written");

  if (!sc.discover) {
    std::string site_path = Poco::URI(sc.site_url).getPath();
    while (!site_path.empty() && site_path.back() == '/') site_path.pop_back();
    std::set<std::string> names;
    for (const auto& [web, l] : sel.kept) {
      StarterEntity e;
      std::string url_name = l->server_relative_url.substr(l->server_relative_url.rfind('/') + 1);
      e.name = engine::DiscoveredEntityName("", "", url_name.empty() ? l->title : url_name);
      if (!e.name.empty() && e.name[0] == '_') e.name.erase(0, 1);
      if (!names.insert(e.name).second) {
        e.name = engine::WithListIdSuffix(e.name, l->id);
        names.insert(e.name);
      }
      e.list = ListRef(*l, site_path);
      try {
        e.select = SelectOf(*rt.Client(site.name), l->id, deadline);
      } catch (const std::exception& ex) {
        throw std::runtime_error("cannot read the fields of list '" + l->title + "': " + ex.what());
      }
      sc.entities.push_back(std::move(e));
    }
  }

  WriteFile(options.output, RenderStarterConfig(sc));
  // The work directory exists from the start, so that a `.spsync` of another
  // config in the current folder is not taken for this one's old state (see
  // ResolveConfigPath: the upgrade path for configs older than the rule).
  fs::create_directories(fs::absolute(options.output).parent_path() / sc.work_dir);
  if (sc.discover)
    out << "wrote " << options.output << ": a discovery rule (" << sel.kept.size()
        << " list(s) now, in " << inv.webs.size() << " web(s); lists added later are found)\n";
  else
    out << "wrote " << options.output << ": " << sc.entities.size() << " entit"
        << (sc.entities.size() == 1 ? "y" : "ies") << " into " << sc.sinks.size() << " sink(s)\n";
  out << "checking it as `spsync validate` does:\n";
  int rc = ValidateConfigFile(options.output, options.plugin_dirs, /*connect=*/false, out);
  if (rc == kExitOk) {
    std::string env;
    if (!sc.auth.token_env.empty()) env = " (with " + sc.auth.token_env + " set)";
    out << "next: spsync run --config " << options.output << env << "\n";
  }
  return rc;
}

}  // namespace spsync::cli
