#include "spsync/engine/config.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace spsync::engine {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr size_t kMaxConfigBytes = 4 * 1024 * 1024;
constexpr size_t kMaxValueBytes = 64 * 1024;

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void Fail(const std::string& key, const std::string& what) const {
    throw ConfigError(path_ + ": " + (key.empty() ? "" : "`" + key + "`: ") + what);
  }

  void Allowed(const Object::Ptr& o, const std::string& where,
               const std::set<std::string>& keys) const {
    for (const auto& name : o->getNames()) {
      if (!keys.count(name)) {
        std::string list;
        for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
        Fail(where.empty() ? name : where + "." + name,
             "unknown key (expected one of: " + list + ")");
      }
    }
  }

  Object::Ptr Obj(const Object::Ptr& o, const std::string& key, const std::string& where,
                  bool required) const {
    if (!o->has(key)) {
      if (required) Fail(Join(where, key), "is required (an object)");
      return nullptr;
    }
    auto v = o->get(key);
    if (v.type() != typeid(Object::Ptr)) Fail(Join(where, key), "must be an object");
    return v.extract<Object::Ptr>();
  }

  std::string Str(const Object::Ptr& o, const std::string& key, const std::string& where,
                  bool required, const std::string& fallback = "") const {
    std::string k = Join(where, key);
    if (!o->has(key) || o->isNull(key)) {
      if (required) Fail(k, "is required (a string)");
      return fallback;
    }
    auto v = o->get(key);
    if (!v.isString()) Fail(k, "must be a string");
    std::string s = v.extract<std::string>();
    if (s.size() > kMaxValueBytes)
      Fail(k, "is longer than " + std::to_string(kMaxValueBytes) + " bytes");
    return ExpandEnv(s, path_ + ": `" + k + "`");
  }

  // Strings, numbers and booleans as the string a sink option receives.
  std::string Scalar(const Object::Ptr& o, const std::string& key, const std::string& where) const {
    std::string k = Join(where, key);
    auto v = o->get(key);
    if (v.isString()) return Str(o, key, where, true);
    if (v.isBoolean()) return v.extract<bool>() ? "true" : "false";
    if (v.isNumeric()) return v.toString();
    Fail(k, "must be a string, number or boolean");
  }

  int64_t Int(const Object::Ptr& o, const std::string& key, const std::string& where,
              int64_t fallback, int64_t min, int64_t max) const {
    std::string k = Join(where, key);
    if (!o->has(key)) return fallback;
    auto v = o->get(key);
    int64_t n = 0;
    if (v.isInteger()) {
      n = v.convert<int64_t>();
    } else if (v.isString()) {
      std::string s = ExpandEnv(v.extract<std::string>(), path_ + ": `" + k + "`");
      try {
        size_t used = 0;
        n = std::stoll(s, &used);
        if (used != s.size()) throw std::invalid_argument(s);
      } catch (...) {
        Fail(k, "must be an integer, got \"" + s + "\"");
      }
    } else {
      Fail(k, "must be an integer");
    }
    if (n < min || n > max)
      Fail(k, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
  }

  std::vector<std::string> Strings(const Object::Ptr& o, const std::string& key,
                                   const std::string& where) const {
    std::vector<std::string> out;
    std::string k = Join(where, key);
    if (!o->has(key)) return out;
    auto v = o->get(key);
    if (v.type() != typeid(Array::Ptr)) Fail(k, "must be an array of strings");
    auto a = v.extract<Array::Ptr>();
    for (size_t i = 0; i < a->size(); ++i) {
      auto e = a->get(static_cast<unsigned>(i));
      if (!e.isString()) Fail(k + "[" + std::to_string(i) + "]", "must be a string");
      out.push_back(
          ExpandEnv(e.extract<std::string>(), path_ + ": `" + k + "[" + std::to_string(i) + "]`"));
    }
    return out;
  }

  static std::string Join(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }

 private:
  std::string path_;
};

}  // namespace

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

std::string ExpandEnv(const std::string& value, const std::string& where) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '{') {
      size_t end = value.find('}', i + 2);
      if (end == std::string::npos)
        throw ConfigError(where + ": unterminated ${ in \"" + value + "\"");
      std::string inner = value.substr(i + 2, end - i - 2);
      std::string name = inner, fallback;
      bool has_default = false;
      if (auto p = inner.find(":-"); p != std::string::npos) {
        name = inner.substr(0, p);
        fallback = inner.substr(p + 2);
        has_default = true;
      }
      if (name.empty() || name.find_first_not_of(
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                              std::string::npos)
        throw ConfigError(where + ": \"${" + inner + "}\" is not a valid variable reference");
      const char* env = std::getenv(name.c_str());
      if (env != nullptr && *env != '\0') {
        out += env;
      } else if (has_default) {
        out += fallback;
      } else {
        throw ConfigError(where + ": environment variable " + name + " is not set (write ${" +
                          name + ":-default} to give a default)");
      }
      i = end + 1;
    } else {
      out += value[i++];
    }
  }
  return out;
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
  Reader r(path);
  Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(text);
    if (v.type() != typeid(Object::Ptr)) r.Fail("", "the top level must be a JSON object");
    root = v.extract<Object::Ptr>();
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    r.Fail("", std::string("not valid JSON: ") + e.what());
  }
  Config c;
  c.path = path;
  r.Allowed(root, "", {"site", "sinks", "entities", "run", "pluginDirs"});

  auto site = r.Obj(root, "site", "", true);
  r.Allowed(site, "site", {"url", "auth"});
  c.site_url = r.Str(site, "url", "site", true);
  try {
    Poco::URI u(c.site_url);
    if ((u.getScheme() != "https" && u.getScheme() != "http") || u.getHost().empty())
      r.Fail("site.url", "must be an absolute http(s) URL, got \"" + c.site_url + "\"");
  } catch (const Poco::Exception&) {
    r.Fail("site.url", "is not a URL: \"" + c.site_url + "\"");
  }
  while (!c.site_url.empty() && c.site_url.back() == '/') c.site_url.pop_back();

  if (auto auth = r.Obj(site, "auth", "site", false)) {
    r.Allowed(auth, "site.auth",
              {"type", "token", "tokenFile", "tokenEnv", "tenant", "clientId", "certificate",
               "privateKey", "privateKeyPassword", "authority", "algorithm", "resource"});
    auto& a = c.auth;
    a.type = r.Str(auth, "type", "site.auth", true);
    a.token = r.Str(auth, "token", "site.auth", false);
    a.token_file = r.Str(auth, "tokenFile", "site.auth", false);
    a.token_env = r.Str(auth, "tokenEnv", "site.auth", false);
    a.tenant = r.Str(auth, "tenant", "site.auth", false);
    a.client_id = r.Str(auth, "clientId", "site.auth", false);
    a.certificate = r.Str(auth, "certificate", "site.auth", false);
    a.private_key = r.Str(auth, "privateKey", "site.auth", false);
    a.private_key_password = r.Str(auth, "privateKeyPassword", "site.auth", false);
    a.authority = r.Str(auth, "authority", "site.auth", false, a.authority);
    a.algorithm = r.Str(auth, "algorithm", "site.auth", false, a.algorithm);
    a.resource = r.Str(auth, "resource", "site.auth", false);
    if (a.type == "bearer") {
      int given = !a.token.empty() + !a.token_file.empty() + !a.token_env.empty();
      if (given != 1)
        r.Fail("site.auth", "type bearer needs exactly one of token, tokenFile, tokenEnv");
    } else if (a.type == "azure-certificate") {
      if (a.tenant.empty()) r.Fail("site.auth.tenant", "is required for azure-certificate");
      if (a.client_id.empty()) r.Fail("site.auth.clientId", "is required for azure-certificate");
      if (a.certificate.empty())
        r.Fail("site.auth.certificate", "is required for azure-certificate");
      if (a.algorithm != "RS256" && a.algorithm != "PS256")
        r.Fail("site.auth.algorithm", "must be RS256 or PS256, got \"" + a.algorithm + "\"");
    } else if (a.type != "managed-identity" && a.type != "none") {
      r.Fail("site.auth.type",
             "must be one of azure-certificate, managed-identity, bearer, none; got \"" + a.type +
                 "\"");
    }
  }

  auto sinks = r.Obj(root, "sinks", "", true);
  if (sinks->size() == 0) r.Fail("sinks", "must name at least one sink");
  for (const auto& name : sinks->getNames()) {
    std::string where = "sinks." + name;
    auto s = r.Obj(sinks, name, "sinks", true);
    SinkConfigEntry e;
    e.name = name;
    e.plugin = r.Str(s, "plugin", where, true);
    for (const auto& key : s->getNames())
      if (key != "plugin") e.options.emplace_back(key, r.Scalar(s, key, where));
    c.sinks[name] = std::move(e);
  }

  if (!root->has("entities")) r.Fail("entities", "is required (an array of entities)");
  auto ev = root->get("entities");
  if (ev.type() != typeid(Array::Ptr)) r.Fail("entities", "must be an array");
  auto entities = ev.extract<Array::Ptr>();
  if (entities->size() == 0) r.Fail("entities", "must name at least one entity");
  std::set<std::string> names;
  for (size_t i = 0; i < entities->size(); ++i) {
    std::string where = "entities[" + std::to_string(i) + "]";
    auto v = entities->get(static_cast<unsigned>(i));
    if (v.type() != typeid(Object::Ptr)) r.Fail(where, "must be an object");
    auto o = v.extract<Object::Ptr>();
    r.Allowed(o, where,
              {"name", "list", "select", "sinks", "pageSize", "fetchLimit", "tokenMaxAgeDays"});
    EntityEntry e;
    e.entity.list = r.Str(o, "list", where, true);
    e.entity.name = r.Str(o, "name", where, false, e.entity.list);
    if (e.entity.name.empty()) r.Fail(where + ".name", "must not be empty");
    if (!names.insert(e.entity.name).second)
      r.Fail(where + ".name", "\"" + e.entity.name + "\" is used twice");
    e.entity.select = r.Strings(o, "select", where);
    e.entity.page_size = static_cast<int>(r.Int(o, "pageSize", where, 5000, 1, 5000));
    e.entity.fetch_limit = static_cast<int>(r.Int(o, "fetchLimit", where, 2000, 1, 2000));
    e.entity.token_max_age_days = static_cast<int>(r.Int(o, "tokenMaxAgeDays", where, 55, 1, 3650));
    e.sinks = r.Strings(o, "sinks", where);
    if (e.sinks.empty()) r.Fail(where + ".sinks", "must name at least one sink");
    for (size_t k = 0; k < e.sinks.size(); ++k)
      if (!c.sinks.count(e.sinks[k]))
        r.Fail(where + ".sinks[" + std::to_string(k) + "]",
               "names sink \"" + e.sinks[k] + "\", which `sinks` does not define");
    c.entities.push_back(std::move(e));
  }

  if (auto run = r.Obj(root, "run", "", false)) {
    r.Allowed(run, "run",
              {"timeout", "parallel", "incidentAfterFails", "incidentCommand", "incidentWebhook",
               "workDir", "userAgent", "insecureHosts", "caFile", "connectTimeout", "readTimeout"});
    if (run->has("timeout")) {
      std::string t = r.Scalar(run, "timeout", "run");
      try {
        c.run.timeout = ParseDuration(t);
      } catch (const std::exception&) {
        r.Fail("run.timeout", "must be a duration like 90s, 10m or 1h30m; got \"" + t + "\"");
      }
    }
    c.run.parallel = static_cast<int>(r.Int(run, "parallel", "run", 2, 1, 64));
    c.run.incident_after_fails = r.Int(run, "incidentAfterFails", "run", 5, 0, 1000000);
    c.run.incident_command = r.Str(run, "incidentCommand", "run", false);
    c.run.incident_webhook = r.Str(run, "incidentWebhook", "run", false);
    c.run.work_dir = r.Str(run, "workDir", "run", false, c.run.work_dir);
    c.run.user_agent = r.Str(run, "userAgent", "run", false);
    c.run.insecure_hosts = r.Strings(run, "insecureHosts", "run");
    c.run.ca_file = r.Str(run, "caFile", "run", false);
    c.run.connect_timeout_s = static_cast<int>(r.Int(run, "connectTimeout", "run", 30, 1, 3600));
    c.run.read_timeout_s = static_cast<int>(r.Int(run, "readTimeout", "run", 120, 1, 3600));
  }
  c.plugin_dirs = r.Strings(root, "pluginDirs", "");
  return c;
}

}  // namespace spsync::engine
