// `spsync init`: a working starter config from a site. The command line
// gives the site, how to authenticate (environment variable names and file
// paths only: a secret given as a value is refused, so it never reaches the
// file, the shell history or `ps`), the sinks, and whether to name each list
// or write a discovery rule; init_site.cpp does the rest.
#include "args.hpp"
#include "commands.hpp"
#include "init_site.hpp"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>

namespace spsync::cli {

namespace fs = std::filesystem;

namespace {

// Options that would carry a secret as a value, and what to give instead.
const std::vector<std::pair<std::string, std::string>> kSecretOptions = {
    {"--token", "export the token and pass --token-env NAME (or --token-file FILE)"},
    {"--private-key-password", "export it and pass --private-key-password-env NAME"},
    {"--client-secret",
     "SharePoint accepts app-only tokens only from certificate credentials: use --certificate"},
    {"--password", "spsync does not sign in with a user's password: use --certificate"},
};

// A NAME option: refuses what looks like a secret pasted in its place, and a
// variable that is not set (init connects with it).
std::string EnvName(const Args& args, const std::string& flag) {
  std::string name = args.Get(flag);
  if (name.empty()) return name;
  if (!IsEnvName(name))
    throw UsageError(flag + " takes the NAME of an environment variable (like SP_TOKEN), not " +
                     "the secret itself. Nothing was written");
  const char* v = std::getenv(name.c_str());
  if (v == nullptr || *v == '\0')
    throw UsageError(flag + " " + name + ": the environment variable is not set (init connects " +
                     "to the site with it)");
  return name;
}

// The auth the config gets (`written`) and the one init connects with.
void ReadAuth(const Args& args, const fs::path& config_dir, engine::AuthConfig& written,
              engine::AuthConfig& connect) {
  std::string type = args.Get("--auth");
  if (type.empty()) {
    if (args.Has("--token-env") || args.Has("--token-file"))
      type = "bearer";
    else if (args.Has("--certificate") || args.Has("--tenant"))
      type = "azure-certificate";
    else
      type = "none";
  }
  written.type = type;
  auto path = [&](const std::string& flag) {
    std::string p = args.Get(flag);
    return p.empty() ? p : ConfigRelativePath(p, config_dir);
  };
  if (type == "bearer") {
    written.token_env = EnvName(args, "--token-env");
    written.token_file = path("--token-file");
    if (written.token_env.empty() == written.token_file.empty())
      throw UsageError("--auth bearer needs --token-env NAME or --token-file FILE (one of them)");
  } else if (type == "azure-certificate") {
    written.tenant = args.Get("--tenant");
    written.client_id = args.Get("--client-id");
    written.certificate = path("--certificate");
    written.private_key = path("--private-key");
    std::string pw = EnvName(args, "--private-key-password-env");
    if (!pw.empty()) written.private_key_password = "${" + pw + "}";
    written.authority = args.Get("--authority", written.authority);
    written.algorithm = args.Get("--algorithm", written.algorithm);
    for (const char* f : {"--tenant", "--client-id", "--certificate"})
      if (!args.Has(f)) throw UsageError(std::string("--auth azure-certificate needs ") + f);
  } else if (type == "managed-identity") {
    written.client_id = args.Get("--client-id");
  } else if (type != "none") {
    throw UsageError(
        "--auth must be one of azure-certificate, managed-identity, bearer, none; "
        "got '" +
        type + "'");
  }
  written.resource = args.Get("--resource");
  // Connecting: ${ENV} expanded as a run would, paths as typed (relative
  // to here, where the user typed them).
  connect = written;
  auto expand = [](std::string& s, const std::string& what) { s = engine::ExpandEnv(s, what); };
  expand(connect.client_id, "--client-id");
  expand(connect.tenant, "--tenant");
  expand(connect.private_key_password, "--private-key-password-env");
  expand(connect.resource, "--resource");
  for (auto [value, flag] : {std::pair{&connect.token_file, "--token-file"},
                             {&connect.certificate, "--certificate"},
                             {&connect.private_key, "--private-key"}})
    if (args.Has(flag)) *value = fs::absolute(args.Get(flag)).string();
}

std::vector<int> Templates(const Args& args) {
  std::vector<int> out;
  for (const auto& t : args.All("--template")) {
    if (t == "list") {
      out.push_back(100);
    } else if (t == "library") {
      out.push_back(101);
    } else {
      try {
        size_t used = 0;
        int n = std::stoi(t, &used);
        if (used != t.size() || n < 0) throw std::invalid_argument(t);
        out.push_back(n);
      } catch (const std::exception&) {
        throw UsageError("--template must be list, library or a BaseTemplate number; got '" + t +
                         "'");
      }
    }
  }
  if (out.empty()) out.push_back(100);
  return out;
}

}  // namespace

int InitCmd(const Argv& argv) {
  std::vector<std::string> secret_flags;
  for (const auto& [flag, instead] : kSecretOptions) secret_flags.push_back(flag);
  std::set<std::string> valued = {"--site",
                                  "--site-name",
                                  "--sink",
                                  "-o",
                                  "--output",
                                  "--auth",
                                  "--token-env",
                                  "--token-file",
                                  "--tenant",
                                  "--client-id",
                                  "--certificate",
                                  "--private-key",
                                  "--private-key-password-env",
                                  "--authority",
                                  "--algorithm",
                                  "--resource",
                                  "--include",
                                  "--exclude",
                                  "--template",
                                  "--plugin-dir",
                                  "--log-format"};
  valued.insert(secret_flags.begin(), secret_flags.end());
  Args args(argv, valued, {"--discover", "--force", "--verbose"});
  for (const auto& [flag, instead] : kSecretOptions)
    if (args.Has(flag))
      throw UsageError(flag + " would put a secret on the command line and into the config; " +
                       instead + ". Nothing was written");
  SetupLogging(args.Get("--log-format", "text"), args.Has("--verbose"));

  InitOptions o;
  o.output = args.Get("-o", args.Get("--output", "spsync.json"));
  o.force = args.Has("--force");
  o.plugin_dirs = args.All("--plugin-dir");
  fs::path config_dir = fs::absolute(o.output).parent_path().lexically_normal();

  StarterConfig& sc = o.config;
  sc.site_url = args.Require("--site");
  try {
    Poco::URI u(sc.site_url);
    if ((u.getScheme() != "https" && u.getScheme() != "http") || u.getHost().empty())
      throw UsageError(
          "--site must be an absolute http(s) URL, like "
          "https://contoso.sharepoint.com/sites/sales; got '" +
          sc.site_url + "'");
    if (!u.getUserInfo().empty())
      throw UsageError("--site must not hold credentials; see the auth options");
  } catch (const Poco::Exception&) {
    throw UsageError("--site is not a URL: '" + sc.site_url + "'");
  }
  while (sc.site_url.back() == '/') sc.site_url.pop_back();
  sc.site_name = args.Get("--site-name", SiteNameFor(sc.site_url));
  if (sc.site_name.empty() || sc.site_name.size() > 64 ||
      sc.site_name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_") != std::string::npos)
    throw UsageError("--site-name may hold letters, digits, '-' and '_' (at most 64)");
  ReadAuth(args, config_dir, sc.auth, o.connect_auth);

  std::vector<std::string> specs = args.All("--sink");
  if (specs.empty())
    specs.push_back("sqlite:" +
                    (config_dir / (fs::path(o.output).stem().string() + ".db")).string());
  for (const auto& spec : specs) sc.sinks.push_back(ParseSinkSpec(spec, config_dir, sc.sinks));

  sc.discover = args.Has("--discover");
  if (args.Has("--include")) sc.rule.include = args.All("--include");
  sc.rule.exclude = args.All("--exclude");
  sc.rule.templates = Templates(args);
  return InitSite(o, std::cout);
}

}  // namespace spsync::cli
