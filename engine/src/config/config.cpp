// ParseConfig: the config's sections, read with ConfigReader (which gives
// every error its key path, line and column), plus LoadConfig and durations.
#include "spsync/engine/config.hpp"

#include "config_reader.hpp"
#include "config_sections.hpp"
#include "config_source.hpp"

#include <algorithm>
#include <fstream>
#include <map>

namespace spsync::engine {

namespace {

using config::ConfigNode;
using config::ConfigReader;
using config::JsonKind;

constexpr size_t kMaxConfigBytes = 4 * 1024 * 1024;

std::string AsciiLower(std::string s) {
  for (auto& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return s;
}

void ReadSinks(ConfigReader& r, const ConfigNode& sinks, Config& c) {
  auto members = r.Members(sinks);
  if (members.empty()) r.Fail(sinks, "must name at least one sink");
  for (const auto& s : members) {
    if (!s.is(JsonKind::kObject))
      r.Fail(s, std::string("must be an object, not ") + config::JsonKindName(s.value->kind));
    SinkConfigEntry e;
    e.name = s.member->key;
    e.plugin = r.String(s, "plugin", true);
    // A plugin given by path (it has a '/') is a path like any other.
    if (e.plugin.find('/') != std::string::npos)
      e.plugin = r.ResolvePath(r.Child(s, "plugin"), e.plugin);
    for (const auto& option : r.Members(s))
      if (option.member->key != "plugin")
        e.options.emplace_back(option.member->key, r.Scalar(option));
    c.sinks[e.name] = std::move(e);
  }
}

// Entity names key the sinks' tables and files: no two may be equal, nor
// differ only in case (SQLite table names ignore ASCII case, so the rows of
// `Orders` and `orders` would land in one table).
struct NameUse {
  std::string name;
  std::string where;  // "entities[0]"
  size_t line;
};

void ReadEntities(ConfigReader& r, const ConfigNode& root, Config& c) {
  ConfigNode entities = r.Child(root, "entities");
  bool rules = false;
  for (const auto& [n, site] : c.sites) rules |= !site.discover.empty();
  if (!entities && rules) return;  // every entity comes from discovery
  if (!entities)
    r.Fail(entities, "is required (an array of entities), unless a site has `discover` rules");
  if (!entities.is(JsonKind::kArray))
    r.Fail(entities,
           std::string("must be an array, not ") + config::JsonKindName(entities.value->kind));
  auto items = r.Elements(entities);
  if (items.empty() && !rules)
    r.Fail(entities, "must name at least one entity (or give a site `discover` rules)");
  std::map<std::string, NameUse> names;  // by AsciiLower(name)
  for (const auto& o : items) {
    if (!o.is(JsonKind::kObject))
      r.Fail(o, std::string("must be an object, not ") + config::JsonKindName(o.value->kind));
    std::vector<std::string_view> keys = {"name", "list", "site", "sinks"};
    keys.insert(keys.end(), config::kEntityOptionKeys.begin(), config::kEntityOptionKeys.end());
    for (const auto& k : r.Members(o))
      if (std::find(keys.begin(), keys.end(), k.member->key) == keys.end()) {
        std::string list;
        for (auto key : keys) list += (list.empty() ? "" : ", ") + std::string(key);
        r.FailAtKey(k, "unknown key (expected one of: " + list + ")");
      }
    EntityEntry e;
    e.entity.list = r.String(o, "list", true);
    e.entity.name = r.String(o, "name", false, e.entity.list);
    // Errors about the name point at `name`, or at `list` when the name defaults to it.
    ConfigNode name = r.Child(o, "name");
    bool defaulted = !name || name.is(JsonKind::kNull);
    if (defaulted) {
      name = r.Child(o, "list");
      name.path = config::JoinKey(o.path, "name");
    }
    std::string hint = defaulted ? " (a name defaults to the list: give one of them a `name`)" : "";
    if (e.entity.name.empty()) r.Fail(name, "must not be empty");
    NameUse use{e.entity.name, o.path, r.LineOf(name)};
    auto [it, fresh] = names.emplace(AsciiLower(e.entity.name), use);
    if (!fresh) {
      const NameUse& first = it->second;
      std::string there = first.where + ", line " + std::to_string(first.line);
      if (first.name == e.entity.name)
        r.Fail(name, "\"" + e.entity.name + "\" is used twice (also by " + there + ")" + hint);
      r.Fail(name, "\"" + e.entity.name + "\" and \"" + first.name + "\" (" + there +
                       ") differ only in case; SQLite table names ignore case, so their rows "
                       "would mix: rename one" +
                       hint);
    }
    config::ReadEntityOptions(r, o, e.entity);
    e.sinks = config::ReadSinkNames(r, o, c);
    // The site: required when there are several.
    ConfigNode site = r.Child(o, "site");
    if (site) {
      e.site = r.String(o, "site", true);
      if (!c.sites.count(e.site)) {
        std::string defined;
        for (const auto& [n, _] : c.sites) defined += (defined.empty() ? "" : ", ") + n;
        r.Fail(site, "names site \"" + e.site +
                         "\", which `sites` does not define (it defines: " + defined + ")");
      }
    } else if (c.sites.size() == 1) {
      e.site = c.sites.begin()->first;
    } else {
      std::string defined;
      for (const auto& [n, _] : c.sites) defined += (defined.empty() ? "" : ", ") + n;
      r.Fail(site, "is required: the config has several sites (" + defined + ")");
    }
    c.entities.push_back(std::move(e));
  }
}

}  // namespace

namespace config {

void ReadEntityOptions(ConfigReader& r, const ConfigNode& o, EntityConfig& e) {
  e.select = r.Strings(o, "select");
  e.page_size = static_cast<int>(r.Int(o, "pageSize", 5000, 1, 5000));
  e.fetch_limit = static_cast<int>(r.Int(o, "fetchLimit", 2000, 1, 2000));
  e.token_max_age_days = static_cast<int>(r.Int(o, "tokenMaxAgeDays", 55, 1, 3650));
  // ID ranges read at once in a full sync: a number, or "auto" (the default).
  if (ConfigNode streams = r.Child(o, "streams");
      streams && !(streams.is(JsonKind::kString) && r.String(streams) == "auto"))
    e.streams = static_cast<int>(r.Int(o, "streams", 0, 1, 32));
  // Full-sync strategy (README "Migration Export").
  if (ConfigNode full = r.Child(o, "fullSync")) {
    e.full_sync = r.String(o, "fullSync", false, "rest");
    if (e.full_sync != "rest" && e.full_sync != "export" && e.full_sync != "auto")
      r.Fail(full, "must be \"rest\", \"export\" or \"auto\"; got \"" + e.full_sync + "\"");
  }
  e.export_above = r.Int(o, "exportAbove", e.export_above, 0, 1000000000);
  e.export_container_url = r.String(o, "exportContainerUrl", false);
  e.export_queue_url = r.String(o, "exportQueueUrl", false);
  for (const auto& [key, url] :
       {std::pair<const char*, const std::string&>{"exportContainerUrl", e.export_container_url},
        {"exportQueueUrl", e.export_queue_url}}) {
    // Only a URL without a query is refused here: an error shows the config
    // line, and a SAS token's signature is a secret (give it as ${VAR}).
    if (!url.empty() && url.find('?') == std::string::npos)
      r.Fail(r.Child(o, key), "has no SAS token (the part after '?')");
  }
  e.export_encrypt = r.Bool(o, "exportEncrypt", true);
  if (ConfigNode progress = r.Child(o, "exportProgress")) {
    e.export_progress = r.String(o, "exportProgress", false, "queue");
    if (e.export_progress != "queue" && e.export_progress != "api")
      r.Fail(progress, "must be \"queue\" or \"api\"");
  }
  e.export_poll_seconds = static_cast<int>(r.Int(o, "exportPollSeconds", 60, 1, 3600));
  // Complete backups (README "Complete backups").
  e.attachments = r.Bool(o, "attachments", false);
  e.versions = r.Bool(o, "versions", false);
  if (ConfigNode resolve = r.Child(o, "resolve"); resolve && !resolve.is(JsonKind::kNull)) {
    if (resolve.is(JsonKind::kArray)) {
      for (const auto& n : r.Elements(resolve)) {
        if (!n.is(JsonKind::kString))
          r.Fail(n, "must be a field name (a string), not " +
                        std::string(config::JsonKindName(n.value->kind)));
        std::string name = r.String(n);
        if (name.empty()) r.Fail(n, "must not be empty");
        e.resolve_fields.push_back(std::move(name));
      }
      if (e.resolve_fields.empty())
        r.Fail(resolve,
               "names no field: give `true` (every person and lookup field), `false`, or "
               "field names");
    } else if (resolve.is(JsonKind::kBool) || resolve.is(JsonKind::kString)) {
      e.resolve_all = r.Bool(o, "resolve", false);
    } else {
      r.Fail(resolve, std::string("must be true, false or an array of field names, not ") +
                          config::JsonKindName(resolve.value->kind));
    }
  }
}

std::vector<std::string> ReadSinkNames(ConfigReader& r, const ConfigNode& o, const Config& c) {
  std::vector<std::string> sinks = r.Strings(o, "sinks");
  if (sinks.empty()) r.Fail(r.Child(o, "sinks"), "must name at least one sink");
  auto nodes = r.Elements(r.Child(o, "sinks"));
  for (size_t k = 0; k < sinks.size(); ++k) {
    if (c.sinks.count(sinks[k])) continue;
    std::string defined;
    for (const auto& [n, _] : c.sinks) defined += (defined.empty() ? "" : ", ") + n;
    r.Fail(nodes[k], "names sink \"" + sinks[k] +
                         "\", which `sinks` does not define (it defines: " + defined + ")");
  }
  return sinks;
}

}  // namespace config

namespace {

void ReadRun(ConfigReader& r, const ConfigNode& run, RunConfig& out) {
  if (run)
    r.Allowed(run,
              {"timeout", "parallel", "incidentAfterFails", "incidentCommand", "incidentWebhook",
               "workDir", "userAgent", "insecureHosts", "caFile", "connectTimeout", "readTimeout",
               "ruPerMinute", "ruPerRequest", "idleCheckEvery"});
  if (ConfigNode timeout = r.Child(run, "timeout")) {
    std::string t = r.Scalar(timeout);
    try {
      out.timeout = ParseDuration(t);
    } catch (const std::exception&) {
      r.Fail(timeout, "must be a duration like 90s, 10m or 1h30m; got \"" + t + "\"");
    }
    if (out.timeout.count() == 0)
      r.Fail(timeout, "\"" + t +
                          "\" would mean no time limit: for no limit leave `run.timeout` out; "
                          "otherwise give a duration like 10m");
  }
  out.parallel = static_cast<int>(r.Int(run, "parallel", 2, 1, 64));
  out.incident_after_fails = r.Int(run, "incidentAfterFails", 5, 0, 1000000);
  out.incident_command = r.String(run, "incidentCommand", false);
  out.incident_webhook = r.String(run, "incidentWebhook", false);
  out.work_dir = r.Path(run, "workDir", false, ".spsync");
  out.user_agent = r.String(run, "userAgent", false);
  out.insecure_hosts = r.Strings(run, "insecureHosts");
  out.ca_file = r.Path(run, "caFile", false);
  out.connect_timeout_s = static_cast<int>(r.Int(run, "connectTimeout", 30, 1, 3600));
  out.read_timeout_s = static_cast<int>(r.Int(run, "readTimeout", 120, 1, 3600));
  out.ru_per_minute = r.Int(run, "ruPerMinute", 0, 0, 10000000);
  out.ru_per_request = r.Int(run, "ruPerRequest", 2, 1, 1000);
  if (ConfigNode idle = r.Child(run, "idleCheckEvery")) {
    std::string t = r.Scalar(idle);
    try {
      out.idle_check_every = ParseDuration(t);
    } catch (const std::exception&) {
      r.Fail(idle, "must be a duration like 6h or 30m; got \"" + t + "\"");
    }
  }
}

}  // namespace

ConfigError Config::ErrorAt(const std::string& key_path, const std::string& what) const {
  if (source) return ConfigError(source->Describe(key_path, what));
  return ConfigError(path + ": `" + key_path + "`: " + what);
}

std::chrono::seconds ParseDuration(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("empty duration");
  int64_t total = 0, number = 0;
  bool digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      number = number * 10 + (c - '0');
      if (number > 10LL * 365 * 86400) throw std::invalid_argument("duration too large: " + text);
      digits = true;
      continue;
    }
    if (!digits) throw std::invalid_argument("bad duration: " + text);
    switch (c) {
      case 's':
        total += number;
        break;
      case 'm':
        total += number * 60;
        break;
      case 'h':
        total += number * 3600;
        break;
      case 'd':
        total += number * 86400;
        break;
      default:
        throw std::invalid_argument("bad duration unit '" + std::string(1, c) + "' in " + text);
    }
    number = 0;
    digits = false;
  }
  total += number;  // a bare number is seconds
  return std::chrono::seconds(total);
}

Config LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the config file");
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes)
      throw ConfigError(path + ": the config file is larger than 4 MiB");
  }
  return ParseConfig(text, path);
}

Config ParseConfig(const std::string& text, const std::string& path) {
  ConfigReader r(text, path);
  const ConfigNode& root = r.root();
  Config c;
  c.path = path;
  c.dir = r.config_dir().string();
  r.Allowed(root, {"site", "sites", "sinks", "entities", "run", "serve", "pluginDirs"});
  config::ReadSites(r, root, c);
  ReadSinks(r, r.Object(root, "sinks", true), c);
  config::ReadDiscoverRules(r, root, c);
  ReadEntities(r, root, c);
  ReadRun(r, r.Object(root, "run", false), c.run);
  config::ReadServe(r, r.Object(root, "serve", false), c.serve);
  c.plugin_dirs = r.Paths(root, "pluginDirs");
  c.warnings = std::move(r.warnings());
  c.source = r.source();
  return c;
}

}  // namespace spsync::engine
