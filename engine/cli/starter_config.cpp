#include "starter_config.hpp"

#include "args.hpp"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <cstdio>
#include <sstream>

namespace spsync::cli {

namespace fs = std::filesystem;

namespace {

const char* kSinkForms = "sqlite:PATH, csv:DIR, kafka:BROKERS or s3:URL";

// A JSON string literal (RFC 8259): UTF-8 passes through as it is.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string QuoteAll(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Quote(v[i]);
  return out + "]";
}

// A string array over lines of at most 100 columns, its first line starting
// at column `indent` and the others aligned under its first element.
std::string Wrapped(const std::vector<std::string>& v, size_t indent) {
  std::string out = "[", line;
  size_t col = indent + 1;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string item = Quote(v[i]) + (i + 1 < v.size() ? "," : "]");
    if (i > 0 && col + 1 + item.size() > 100) {
      out += "\n" + std::string(indent + 1, ' ');
      col = indent + 1;
    } else if (i > 0) {
      out += ' ';
      ++col;
    }
    out += item;
    col += item.size();
  }
  return v.empty() ? "[]" : out;
}

std::string Templates(const std::vector<int>& t) {
  std::string out = "[";
  for (size_t i = 0; i < t.size(); ++i) {
    std::string one = t[i] == 100   ? Quote("list")
                      : t[i] == 101 ? Quote("library")
                                    : std::to_string(t[i]);
    out += (i ? ", " : "") + one;
  }
  return out + "]";
}

// `"key": "value"` pairs on one line, the ones with a value only.
std::string Members(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string out;
  for (const auto& [k, v] : kv)
    if (!v.empty()) out += (out.empty() ? "" : ", ") + Quote(k) + ": " + Quote(v);
  return out;
}

std::string Auth(const engine::AuthConfig& a) {
  engine::AuthConfig defaults;
  std::vector<std::pair<std::string, std::string>> kv = {{"type", a.type}};
  if (a.type == "bearer") {
    kv.insert(kv.end(), {{"tokenEnv", a.token_env}, {"tokenFile", a.token_file}});
  } else if (a.type == "azure-certificate") {
    kv.insert(kv.end(), {{"tenant", a.tenant},
                         {"clientId", a.client_id},
                         {"certificate", a.certificate},
                         {"privateKey", a.private_key},
                         {"privateKeyPassword", a.private_key_password}});
    if (a.authority != defaults.authority) kv.emplace_back("authority", a.authority);
    if (a.algorithm != defaults.algorithm) kv.emplace_back("algorithm", a.algorithm);
  } else if (a.type == "managed-identity") {
    kv.emplace_back("clientId", a.client_id);
  }
  if (a.type != "none") kv.emplace_back("resource", a.resource);
  return "{ " + Members(kv) + " }";
}

std::string NextName(const std::string& base, const std::vector<StarterSink>& taken) {
  for (int n = 1;; ++n) {
    std::string name = n == 1 ? base : base + std::to_string(n);
    bool used = false;
    for (const auto& s : taken) used |= s.name == name;
    if (!used) return name;
  }
}

// s3://bucket/prefix (AWS) or http(s)://host:port/bucket/prefix (MinIO and
// other S3-compatible endpoints).
void S3Options(const std::string& spec, const std::string& url, StarterSink& s) {
  Poco::URI u;
  try {
    u = Poco::URI(url);
  } catch (const Poco::Exception&) {
    throw UsageError("--sink '" + spec + "': not a URL");
  }
  if (!u.getUserInfo().empty())
    throw UsageError("--sink '" + spec +
                     "': credentials in the URL would be written into the config; export "
                     "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead (the config refers to "
                     "them)");
  std::string bucket, prefix, endpoint;
  std::string path = u.getPath();
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (u.getScheme() == "s3") {
    bucket = u.getHost();
    prefix = path;
  } else if (u.getScheme() == "http" || u.getScheme() == "https") {
    endpoint = u.getScheme() + "://" + u.getAuthority();
    size_t slash = path.find('/');
    bucket = path.substr(0, slash);
    prefix = slash == std::string::npos ? "" : path.substr(slash + 1);
  }
  if (bucket.empty())
    throw UsageError("--sink '" + spec +
                     "': expected s3://BUCKET[/PREFIX] or http(s)://HOST[:PORT]/BUCKET[/PREFIX]");
  s.options = {{"endpoint", endpoint},
               {"bucket", bucket},
               {"prefix", prefix},
               {"region", "${AWS_REGION:-us-east-1}"},
               {"accessKeyId", "${AWS_ACCESS_KEY_ID}"},
               {"secretAccessKey", "${AWS_SECRET_ACCESS_KEY}"}};
}

}  // namespace

std::string ConfigRelativePath(const std::string& typed, const fs::path& config_dir) {
  if (typed.find("${") != std::string::npos) return typed;
  fs::path abs = fs::absolute(typed).lexically_normal();
  fs::path rel = abs.lexically_relative(config_dir);
  if (rel.empty() || *rel.begin() == "..") return abs.string();
  return rel.string();
}

StarterSink ParseSinkSpec(const std::string& spec, const fs::path& config_dir,
                          const std::vector<StarterSink>& taken) {
  size_t colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  std::string value = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (value.empty()) throw UsageError("--sink '" + spec + "': expected " + kSinkForms);
  StarterSink s;
  s.plugin = kind;
  if (kind == "sqlite") {
    s.name = NextName("db", taken);
    s.options = {{"path", ConfigRelativePath(value, config_dir)}};
  } else if (kind == "csv") {
    s.name = NextName("csv", taken);
    s.options = {{"dir", ConfigRelativePath(value, config_dir)}};
  } else if (kind == "kafka") {
    s.name = NextName("kafka", taken);
    s.options = {{"brokers", value}};
  } else if (kind == "s3") {
    s.name = NextName("s3", taken);
    S3Options(spec, value, s);
  } else {
    throw UsageError("--sink '" + spec + "': unknown sink '" + kind + "'; expected " + kSinkForms);
  }
  return s;
}

std::string SiteNameFor(const std::string& url) {
  std::string raw;
  try {
    Poco::URI u(url);
    std::string path = u.getPath();
    while (!path.empty() && path.back() == '/') path.pop_back();
    raw = path.substr(path.rfind('/') + 1);
    if (raw.empty()) raw = u.getHost().substr(0, u.getHost().find('.'));
  } catch (const Poco::Exception&) {
  }
  std::string name;
  for (char c : raw) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
    name += plain ? c : '_';
  }
  if (name.size() > 64) name.resize(64);
  return name.empty() ? "site" : name;
}

bool IsEnvName(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

std::string RenderStarterConfig(const StarterConfig& c) {
  std::vector<std::string> sink_names;
  for (const auto& s : c.sinks) sink_names.push_back(s.name);
  std::ostringstream o;
  o << "{\n  \"sites\": {\n    " << Quote(c.site_name)
    << ": {\n      \"url\": " << Quote(c.site_url) << ",\n      \"auth\": " << Auth(c.auth);
  if (c.discover) {
    const auto& r = c.rule;
    o << ",\n      \"discover\": { \"include\": " << QuoteAll(r.include);
    if (!r.exclude.empty()) o << ", \"exclude\": " << QuoteAll(r.exclude);
    o << ", \"templates\": " << Templates(r.templates)
      << ", \"subwebs\": " << (r.subwebs ? "true" : "false")
      << ", \"sinks\": " << QuoteAll(sink_names) << " }";
  }
  o << "\n    }\n  },\n  \"sinks\": {\n";
  for (size_t i = 0; i < c.sinks.size(); ++i) {
    auto kv = c.sinks[i].options;
    kv.insert(kv.begin(), {"plugin", c.sinks[i].plugin});
    o << "    " << Quote(c.sinks[i].name) << ": { " << Members(kv) << " }"
      << (i + 1 < c.sinks.size() ? "," : "") << "\n";
  }
  o << "  },\n";
  if (!c.discover) {
    o << "  \"entities\": [\n";
    for (size_t i = 0; i < c.entities.size(); ++i) {
      const auto& e = c.entities[i];
      o << "    { \"name\": " << Quote(e.name) << ", \"list\": " << Quote(e.list)
        << ", \"sinks\": " << QuoteAll(sink_names);
      if (!e.select.empty()) o << ",\n      \"select\": " << Wrapped(e.select, 16);
      o << " }" << (i + 1 < c.entities.size() ? "," : "") << "\n";
    }
    o << "  ],\n";
  }
  o << "  \"run\": { \"workDir\": " << Quote(c.work_dir) << ", \"parallel\": " << c.parallel
    << ", \"timeout\": " << Quote(c.timeout) << " }\n}\n";
  return o.str();
}

}  // namespace spsync::cli
