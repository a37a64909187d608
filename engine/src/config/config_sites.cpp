// The config's sites: `sites` maps a name to {url, auth, discover}, so one
// config can span several sites and tenants, each with its own credentials;
// the older single `site` is shorthand for one site named "default".
#include "config_sections.hpp"

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace spsync::engine::config {

namespace {

void ReadAuth(ConfigReader& r, const ConfigNode& auth, AuthConfig& a) {
  r.Allowed(auth, {"type", "token", "tokenFile", "tokenEnv", "tenant", "clientId", "certificate",
                   "privateKey", "privateKeyPassword", "authority", "algorithm", "resource"});
  a.type = r.String(auth, "type", true);
  a.token = r.String(auth, "token", false);
  a.token_file = r.Path(auth, "tokenFile", false);
  a.token_env = r.String(auth, "tokenEnv", false);
  a.tenant = r.String(auth, "tenant", false);
  a.client_id = r.String(auth, "clientId", false);
  a.certificate = r.Path(auth, "certificate", false);
  a.private_key = r.Path(auth, "privateKey", false);
  a.private_key_password = r.String(auth, "privateKeyPassword", false);
  a.authority = r.String(auth, "authority", false, a.authority);
  a.algorithm = r.String(auth, "algorithm", false, a.algorithm);
  a.resource = r.String(auth, "resource", false);
  if (a.type == "bearer") {
    int given = !a.token.empty() + !a.token_file.empty() + !a.token_env.empty();
    if (given != 1) r.Fail(auth, "type bearer needs exactly one of token, tokenFile, tokenEnv");
  } else if (a.type == "azure-certificate") {
    if (a.tenant.empty()) r.Fail(r.Child(auth, "tenant"), "is required for azure-certificate");
    if (a.client_id.empty()) r.Fail(r.Child(auth, "clientId"), "is required for azure-certificate");
    if (a.certificate.empty())
      r.Fail(r.Child(auth, "certificate"), "is required for azure-certificate");
    if (a.algorithm != "RS256" && a.algorithm != "PS256")
      r.Fail(r.Child(auth, "algorithm"), "must be RS256 or PS256, got \"" + a.algorithm + "\"");
  } else if (a.type != "managed-identity" && a.type != "none") {
    r.Fail(
        r.Child(auth, "type"),
        "must be one of azure-certificate, managed-identity, bearer, none; got \"" + a.type + "\"");
  }
}

SiteConfig ReadSite(ConfigReader& r, const ConfigNode& site, const std::string& name,
                    bool may_discover) {
  if (may_discover)
    r.Allowed(site, {"url", "auth", "discover"});
  else
    r.Allowed(site, {"url", "auth"});
  SiteConfig s;
  s.name = name;
  s.where = site.path;
  ConfigNode url = r.Child(site, "url");
  s.url = r.String(site, "url", true);
  try {
    Poco::URI u(s.url);
    if ((u.getScheme() != "https" && u.getScheme() != "http") || u.getHost().empty())
      r.Fail(url, "must be an absolute http(s) URL, got \"" + s.url + "\"");
  } catch (const Poco::Exception&) {
    r.Fail(url, "is not a URL: \"" + s.url + "\"");
  }
  while (!s.url.empty() && s.url.back() == '/') s.url.pop_back();
  if (ConfigNode auth = r.Object(site, "auth", false)) ReadAuth(r, auth, s.auth);
  return s;
}

// A site name keys state and names discovered entities: keep it plain.
bool PlainName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char ch : n)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '-' || ch == '_'))
      return false;
  return true;
}

int TemplateOf(ConfigReader& r, const ConfigNode& n) {
  if (n.is(JsonKind::kString)) {
    std::string t = r.String(n);
    if (t == "list") return 100;
    if (t == "library") return 101;
    r.Fail(n, "must be \"list\", \"library\" or a BaseTemplate number, got \"" + t + "\"");
  }
  if (n.is(JsonKind::kNumber) && n.value->is_integer_literal()) {
    long v = std::stol(n.value->text);
    if (v >= 0 && v <= 100000) return static_cast<int>(v);
  }
  r.Fail(n, "must be \"list\", \"library\" or a BaseTemplate number (100, 101, ...)");
}

DiscoverRule ReadRule(ConfigReader& r, const ConfigNode& o, const Config& c) {
  if (!o.is(JsonKind::kObject))
    r.Fail(o, std::string("must be an object, not ") + JsonKindName(o.value->kind));
  std::vector<std::string_view> keys = {"include", "exclude", "templates",
                                        "subwebs", "hidden",  "sinks"};
  keys.insert(keys.end(), kEntityOptionKeys.begin(), kEntityOptionKeys.end());
  for (const auto& k : r.Members(o)) {
    if (std::find(keys.begin(), keys.end(), k.member->key) == keys.end()) {
      std::string list;
      for (auto key : keys) list += (list.empty() ? "" : ", ") + std::string(key);
      r.FailAtKey(k, "unknown key (expected one of: " + list + ")");
    }
  }
  DiscoverRule rule;
  rule.where = o.path;
  if (r.Child(o, "include")) rule.include = r.Strings(o, "include");
  if (rule.include.empty()) r.Fail(r.Child(o, "include"), "must hold at least one title glob");
  rule.exclude = r.Strings(o, "exclude");
  if (ConfigNode t = r.Child(o, "templates")) {
    if (!t.is(JsonKind::kArray))
      r.Fail(t, "must be an array like [\"list\", \"library\"] or of BaseTemplate numbers");
    rule.templates.clear();
    for (const auto& e : r.Elements(t)) rule.templates.push_back(TemplateOf(r, e));
    if (rule.templates.empty()) r.Fail(t, "must name at least one template");
  }
  rule.subwebs = r.Bool(o, "subwebs", false);
  rule.hidden = r.Bool(o, "hidden", false);
  ReadEntityOptions(r, o, rule.entity);
  rule.sinks = ReadSinkNames(r, o, c);
  return rule;
}

}  // namespace

void ReadSites(ConfigReader& r, const ConfigNode& root, Config& c) {
  ConfigNode one = r.Child(root, "site");
  ConfigNode many = r.Child(root, "sites");
  if (one && many)
    r.FailAtKey(many, "give either `site` (one site) or `sites` (a map of named sites), not both");
  if (!one && !many)
    r.Fail(root, "`sites` is required (a map of named sites, or `site` for just one)");
  if (one) {
    if (!one.is(JsonKind::kObject))
      r.Fail(one, std::string("must be an object, not ") + JsonKindName(one.value->kind));
    c.sites["default"] = ReadSite(r, one, "default", /*may_discover=*/true);
    return;
  }
  if (!many.is(JsonKind::kObject))
    r.Fail(many, std::string("must be an object mapping a name to a site, not ") +
                     JsonKindName(many.value->kind));
  auto members = r.Members(many);
  if (members.empty()) r.Fail(many, "must name at least one site");
  for (const auto& s : members) {
    const std::string& name = s.member->key;
    if (!PlainName(name))
      r.FailAtKey(s,
                  "a site name may hold letters, digits, '-' and '_' (at most 64): it names "
                  "discovered entities");
    if (!s.is(JsonKind::kObject))
      r.Fail(s, std::string("must be an object, not ") + JsonKindName(s.value->kind));
    c.sites[name] = ReadSite(r, s, name, /*may_discover=*/true);
  }
}

void ReadDiscoverRules(ConfigReader& r, const ConfigNode& root, Config& c) {
  for (auto& [name, site] : c.sites) {
    ConfigNode node = r.Child(root, "site");
    if (!node) node = r.Child(r.Child(root, "sites"), name);
    ConfigNode d = r.Child(node, "discover");
    if (!d || d.is(JsonKind::kNull)) continue;
    if (d.is(JsonKind::kObject)) {
      site.discover.push_back(ReadRule(r, d, c));
    } else if (d.is(JsonKind::kArray)) {
      for (const auto& e : r.Elements(d)) site.discover.push_back(ReadRule(r, e, c));
      if (site.discover.empty()) r.Fail(d, "must hold at least one rule");
    } else {
      r.Fail(d, std::string("must be a rule object or an array of them, not ") +
                    JsonKindName(d.value->kind));
    }
  }
}

}  // namespace spsync::engine::config
