// `spsync demo`: the whole product in one command, against the built-in
// SharePoint emulator: a full sync into SQLite and CSV, then list edits made
// through SharePoint's REST API (as any client would make them), then an
// incremental sync that picks them up.
#include "args.hpp"
#include "commands.hpp"
#include "init_site.hpp"
#include "session_runner.hpp"
#include "spsync/emulator/emulator.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace spsync::cli {

namespace {

// Writes to the emulated list through REST, the way PnPjs or gosip would.
class RestWriter {
 public:
  RestWriter(std::string site, std::string token)
      : site_(std::move(site)), token_(std::move(token)) {
    engine::HttpOptions o;
    o.user_agent = "NONISV|spsync|spsync-demo";
    http_ = std::make_unique<engine::HttpClient>(o);
  }
  std::string Call(const std::string& method_path, const std::string& body,
                   std::vector<std::pair<std::string, std::string>> extra = {}) {
    engine::HttpRequest req;
    req.method = "POST";
    req.url = site_ + "/_api/" + method_path;
    req.body = body;
    req.headers = {{"Accept", "application/json;odata=nometadata"},
                   {"Content-Type", "application/json;odata=nometadata"},
                   {"Authorization", "Bearer " + token_}};
    for (auto& h : extra) req.headers.push_back(std::move(h));
    auto resp = http_->Send(req);
    if (resp.status >= 300)
      throw std::runtime_error("demo: " + method_path + " answered HTTP " +
                               std::to_string(resp.status) + ": " + resp.body.substr(0, 300));
    return resp.body;
  }
  int64_t Add(const std::string& list, const std::string& fields) {
    auto body = Call("web/lists/getbytitle('" + list + "')/items", fields);
    Poco::JSON::Parser p;
    return p.parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<int64_t>("Id");
  }
  void Update(const std::string& list, int64_t id, const std::string& fields) {
    Call("web/lists/getbytitle('" + list + "')/items(" + std::to_string(id) + ")", fields,
         {{"X-HTTP-Method", "MERGE"}, {"If-Match", "*"}});
  }
  void Delete(const std::string& list, int64_t id) {
    Call("web/lists/getbytitle('" + list + "')/items(" + std::to_string(id) + ")", "",
         {{"X-HTTP-Method", "DELETE"}, {"If-Match", "*"}});
  }
  std::string Recycle(const std::string& list, int64_t id) {
    auto body = Call(
        "web/lists/getbytitle('" + list + "')/items(" + std::to_string(id) + ")/recycle()", "");
    Poco::JSON::Parser p;
    return p.parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("value");
  }
  void Restore(const std::string& recycle_id) {
    Call("web/RecycleBin('" + recycle_id + "')/restore()", "");
  }

 private:
  std::string site_, token_;
  std::unique_ptr<engine::HttpClient> http_;
};

// The running spsync binary, so the hints work without spsync on the PATH.
std::string SelfPath() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("spsync") : p.string();
}

}  // namespace

int DemoCmd(const Argv& argv) {
  Args args(argv, {"--items", "--dir", "--plugin-dir", "--log-format"}, {"--verbose"});
  SetupLogging(args.Get("--log-format", "text"), args.Has("--verbose"));
  int64_t items = 0;
  try {
    items = std::stoll(args.Get("--items", "100000"));
  } catch (...) {
    throw UsageError("--items must be a number");
  }
  if (items < 10 || items > 50000000) throw UsageError("--items must be between 10 and 50000000");
  std::filesystem::path dir =
      std::filesystem::absolute(args.Get("--dir", "./spsync-demo")).lexically_normal();
  if (dir.has_filename() == false) dir = dir.parent_path();
  std::filesystem::create_directories(dir);

  const std::string token = "demo-token";
  emulator::Options eo;
  eo.lists = {{"Orders", items}};
  eo.seed = 7;
  eo.token = token;
  emulator::Emulator sp(eo);
  sp.Start();
  std::cout << "SharePoint emulator at " << sp.SiteUrl() << " with list 'Orders' ("
            << sp.ItemCount("Orders") << " items)\n";

  // The config, made as an operator would make it: `spsync init` against
  // the site, taking the Orders list into SQLite and CSV.
  setenv("SPSYNC_DEMO_TOKEN", token.c_str(), 1);
  std::string config_path = (dir / "spsync.json").string();
  std::cout << "\n0. spsync init --site " << sp.SiteUrl()
            << " --token-env SPSYNC_DEMO_TOKEN --include Orders --sink sqlite:"
            << (dir / "orders.db").string() << " --sink csv:" << (dir / "csv").string() << " -o "
            << config_path << " --force\n";
  InitOptions init;
  init.config.site_name = SiteNameFor(sp.SiteUrl());
  init.config.site_url = sp.SiteUrl();
  init.config.auth.type = "bearer";
  init.config.auth.token_env = "SPSYNC_DEMO_TOKEN";
  init.connect_auth = init.config.auth;
  init.config.rule.include = {"Orders"};
  for (const auto& spec :
       {"sqlite:" + (dir / "orders.db").string(), "csv:" + (dir / "csv").string()})
    init.config.sinks.push_back(ParseSinkSpec(spec, dir, init.config.sinks));
  init.output = config_path;
  init.force = true;  // a second demo in the same folder starts from a fresh config
  init.plugin_dirs = args.All("--plugin-dir");
  if (int rc = InitSite(init, std::cout); rc != kExitOk) return rc;
  Runtime rt = MakeRuntime(engine::LoadConfig(config_path), args.All("--plugin-dir"));
  engine::Deadline unlimited;
  RunRequest req;
  req.progress = isatty(STDERR_FILENO) != 0;

  std::cout << "\n1. First run: full sync into SQLite and CSV\n";
  auto first = RunSessions(rt, req, unlimited);
  std::cout << FormatReport(first);
  auto requests_after_full = rt.Requests();

  std::cout << "\n2. Editing the list through SharePoint's REST API\n";
  RestWriter w(sp.SiteUrl(), token);
  int64_t a1 = w.Add("Orders", R"({"Title":"Demo order A","Amount":125.5,"Status":"New"})");
  int64_t a2 =
      w.Add("Orders", R"({"Title":"Demo order B, with \"quotes\"","Amount":99,"Status":"New"})");
  w.Update("Orders", 2, R"({"Title":"Updated by the demo","Status":"Closed"})");
  w.Update("Orders", a1, R"({"Amount":130.25})");
  w.Delete("Orders", 3);
  std::string rid = w.Recycle("Orders", 4);
  w.Recycle("Orders", 5);
  w.Restore(rid);
  w.Delete("Orders", a2);
  std::cout << "   added items " << a1 << " and " << a2 << ", updated 2 and " << a1
            << ", deleted 3 and " << a2 << ", recycled 4 and 5, restored 4 from the recycle bin\n";

  std::cout << "\n3. Second run: incremental sync through the change log\n";
  auto second = RunSessions(rt, req, unlimited);
  std::cout << FormatReport(second);
  auto incremental_requests = rt.Requests() - requests_after_full;

  std::cout << "\nSharePoint requests: " << requests_after_full << " for the first run, "
            << incremental_requests << " for the incremental one (both sinks)\n"
            << "\nLook at the result:\n"
            << "  sqlite3 " << (dir / "orders.db").string()
            << " \"SELECT id, Title, Amount, Status FROM orders WHERE id IN (2,3,4,5," << a1 << ","
            << a2 << ")\"\n"
            << "  ls " << (dir / "csv").string() << "/orders\n"
            << "  SPSYNC_DEMO_TOKEN=" << token << " " << SelfPath() << " status --config "
            << config_path << "\n";
  int rc = std::max(first.exit_code, second.exit_code);
  return rc;
}

}  // namespace spsync::cli
