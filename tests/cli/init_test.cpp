// `spsync init` as a new user meets it: the real binary against the emulator
// over HTTP writes a starter config, and `spsync run` syncs it completely
// into a real SQLite file; with --discover, a rule that reaches every list of
// every web. Secrets stay out of the file, an existing file is kept, and a
// bad --sink is a usage error that names the option.
#include "cli_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using spsync_cli_test::Count;
using spsync_cli_test::Spsync;

namespace {

// Looks like a real token (long, mixed): grepping the file for it proves the
// file never holds it.
constexpr const char* kSecret = "eyJ0eXAi.InitTestSecret-9f8e7d6c5b4a";
const std::string kEnv = std::string("INIT_TOKEN=") + kSecret;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The tables of entity data in a SQLite file (not state, attachments or versions).
std::vector<std::string> DataTables(const std::string& db) {
  std::vector<std::string> out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    const char* sql =
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' "
        "AND name NOT LIKE '%\\_\\_%' ESCAPE '\\' ORDER BY name";
    if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW)
        out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return out;
}

class InitCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-init-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    emu_.reset();
    fs::remove_all(dir_);
  }
  void StartSingleSite() {
    spsync::emulator::Options o;
    o.lists = {{"Orders", 1200}, {"Tasks", 40}, {"Hidden Things", 5, 100, true}};
    o.seed = 5;
    o.token = kSecret;
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
  }
  // A site with two levels of subwebs, a hidden list and a library.
  void StartSiteWithSubwebs() {
    spsync::emulator::Options o;
    spsync::emulator::SiteSpec site{"/sites/sales", {}};
    site.webs.push_back({"/sites/sales", "", {{"Orders", 120}, {"Archive", 10, 100, true}}});
    site.webs.push_back({"/sites/sales/emea", "", {{"Invoices 2024", 50}, {"Contracts", 7, 101}}});
    site.webs.push_back({"/sites/sales/emea/north", "", {{"Leads", 30}}});
    o.sites = {site};
    o.seed = 9;
    o.token = kSecret;
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
  }
  std::string Init(const std::string& args) {
    return "init --site " + emu_->SiteUrl() + " --token-env INIT_TOKEN " + args;
  }
  fs::path dir_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
};

TEST_F(InitCli, TheStarterConfigSyncsEveryListCompletely) {
  StartSingleSite();
  // Typed from dir_, written into a subfolder: the sink path follows the
  // shell's current folder, the config holds it so that it means the same.
  auto init = Spsync(Init("--sink sqlite:out.db -o conf/spsync.json"), kEnv, dir_.string());
  ASSERT_EQ(init.code, 0) << init.out;
  EXPECT_NE(init.out.find("config is valid"), std::string::npos) << init.out;
  // What was left out, and why.
  EXPECT_NE(init.out.find("hidden or system list(s): "), std::string::npos) << init.out;
  EXPECT_NE(init.out.find("Hidden Things"), std::string::npos) << init.out;
  EXPECT_NE(init.out.find("(document library): Documents"), std::string::npos) << init.out;
  std::string cfg = Read(dir_ / "conf" / "spsync.json");
  EXPECT_NE(cfg.find(R"("name": "orders", "list": "Lists/Orders")"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find(R"("name": "tasks", "list": "Lists/Tasks")"), std::string::npos) << cfg;
  EXPECT_EQ(cfg.find("Hidden"), std::string::npos) << cfg;
  // Visible fields by internal name; no Computed ones (SharePoint cannot
  // return them) and none that every row has anyway.
  EXPECT_NE(cfg.find(R"("Title", )"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find(R"("Amount")"), std::string::npos) << cfg;
  EXPECT_EQ(cfg.find(R"("ContentType")"), std::string::npos) << cfg;
  EXPECT_EQ(cfg.find(R"("ID")"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find(R"("workDir": ".spsync")"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("\"path\": \"" + (dir_ / "out.db").string() + "\""), std::string::npos) << cfg;

  // Run from another folder: the config alone says where everything goes.
  auto run = Spsync("run --config " + (dir_ / "conf" / "spsync.json").string(), kEnv, "/");
  ASSERT_EQ(run.code, 0) << run.out;
  std::string db = (dir_ / "out.db").string();
  for (const char* list : {"Orders", "Tasks", "Customers"}) {
    std::string table(list);
    for (auto& c : table) c = static_cast<char>(std::tolower(c));
    EXPECT_EQ(Count(db, "SELECT count(*) FROM \"" + table + "\""), emu_->ItemCount(list)) << list;
  }
  EXPECT_EQ(Count(db, "SELECT count(*) FROM pragma_table_info('orders') WHERE name = 'Amount'"), 1);
  EXPECT_TRUE(fs::is_directory(dir_ / "conf" / ".spsync"));
}

TEST_F(InitCli, DiscoverWritesARuleWhoseRunSyncsEveryListOfEveryWeb) {
  StartSiteWithSubwebs();
  std::string cfg_path = (dir_ / "estate.json").string();
  auto init =
      Spsync(Init("--discover --sink sqlite:estate.db -o " + cfg_path), kEnv, dir_.string());
  ASSERT_EQ(init.code, 0) << init.out;
  EXPECT_NE(init.out.find("list emea/north/Leads"), std::string::npos) << init.out;
  std::string cfg = Read(cfg_path);
  EXPECT_NE(cfg.find(R"("sales": {)"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find(R"("subwebs": true)"), std::string::npos) << cfg;
  EXPECT_EQ(cfg.find(R"("entities")"), std::string::npos) << cfg;

  auto run = Spsync("run --config " + cfg_path, kEnv);
  ASSERT_EQ(run.code, 0) << run.out;
  std::string db = (dir_ / "estate.db").string();
  // Every generic, visible list of every web, named from site, web and URL;
  // the hidden list and the library are left out.
  std::vector<std::string> expected = {"sales_customers", "sales_emea_invoices2024",
                                       "sales_emea_north_leads", "sales_orders"};
  EXPECT_EQ(DataTables(db), expected);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM sales_orders"), 120);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM sales_emea_invoices2024"), 50);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM sales_emea_north_leads"), 30);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM sales_customers"), emu_->ItemCount("Customers"));
}

// App-only auth as the README recommends: a certificate file typed relative
// to the current folder, a client ID given as a ${VAR} reference (written as
// it is, expanded to connect); the run from another folder authenticates too.
TEST_F(InitCli, CertificateAuthWithPathsAndEnvReferences) {
  fs::create_directories(dir_ / "certs");
  std::string key = (dir_ / "certs" / "app.key").string();
  std::string crt = (dir_ / "certs" / "app.crt").string();
  ASSERT_EQ(
      std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=app -keyout " +
                   key + " -out " + crt + " >/dev/null 2>&1")
                      .c_str()),
      0);
  {
    std::ofstream pem(dir_ / "certs" / "app.pem");
    pem << std::ifstream(crt).rdbuf() << std::ifstream(key).rdbuf();
  }
  spsync::emulator::Options o;
  o.lists = {{"Orders", 300}};
  o.tenant = "contoso.onmicrosoft.com";
  o.client_id = "11111111-2222-3333-4444-555555555555";
  o.client_cert_path = (dir_ / "certs" / "app.pem").string();
  emu_ = std::make_unique<spsync::emulator::Emulator>(o);
  emu_->Start();
  const std::string env = "INIT_APP_ID=" + o.client_id;
  auto init = Spsync("init --site " + emu_->SiteUrl() +
                         " --tenant contoso.onmicrosoft.com --client-id '${INIT_APP_ID}' "
                         "--certificate certs/app.pem --authority " +
                         emu_->BaseUrl() + " --include Orders -o c.json",
                     env, dir_.string());
  ASSERT_EQ(init.code, 0) << init.out;
  std::string cfg = Read(dir_ / "c.json");
  EXPECT_NE(cfg.find(R"("type": "azure-certificate")"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find(R"("clientId": "${INIT_APP_ID}")"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find(R"("certificate": "certs/app.pem")"), std::string::npos) << cfg;
  EXPECT_EQ(cfg.find("BEGIN"), std::string::npos) << cfg;  // the key stays in its file

  auto run = Spsync("run --config " + (dir_ / "c.json").string(), env, "/");
  ASSERT_EQ(run.code, 0) << run.out;
  EXPECT_EQ(Count((dir_ / "c.db").string(), "SELECT count(*) FROM orders"), 300);
}

TEST_F(InitCli, SecretsNeverReachTheFile) {
  StartSingleSite();
  std::string cfg_path = (dir_ / "s.json").string();
  auto init = Spsync(Init("-o " + cfg_path), kEnv, dir_.string());
  ASSERT_EQ(init.code, 0) << init.out;
  std::string cfg = Read(cfg_path);
  EXPECT_NE(cfg.find(R"("tokenEnv": "INIT_TOKEN")"), std::string::npos) << cfg;
  EXPECT_EQ(cfg.find(kSecret), std::string::npos) << cfg;
  EXPECT_EQ(init.out.find(kSecret), std::string::npos) << init.out;

  // A secret given as a value is refused, not echoed, and nothing is written.
  const std::string site = "init --site " + emu_->SiteUrl() + " -o " + (dir_ / "t.json").string();
  for (const std::string& bad :
       {"--token " + std::string(kSecret), "--token-env " + std::string(kSecret),
        "--certificate x.pem --tenant t --client-id c "
        "--private-key-password " +
            std::string(kSecret)}) {
    auto r = Spsync(site + " " + bad, kEnv);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.out;
    EXPECT_EQ(r.out.find(kSecret), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Nothing was written"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "t.json")) << bad;
  }
  auto s3 = Spsync(Init("--sink s3:s3://AKIA:" + std::string(kSecret) + "@bucket/x -o " +
                        (dir_ / "t.json").string()),
                   kEnv);
  EXPECT_EQ(s3.code, 2) << s3.out;
  EXPECT_NE(s3.out.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << s3.out;
  EXPECT_FALSE(fs::exists(dir_ / "t.json"));
}

TEST_F(InitCli, AnExistingFileIsKeptWithoutForce) {
  StartSingleSite();
  fs::path existing = dir_ / "existing.json";
  std::ofstream(existing) << "{ \"mine\": true }\n";
  auto r = Spsync(Init("-o " + existing.string()), kEnv);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(existing.string() + " already exists"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--force"), std::string::npos) << r.out;
  EXPECT_EQ(Read(existing), "{ \"mine\": true }\n");

  auto forced = Spsync(Init("-o " + existing.string() + " --force"), kEnv);
  EXPECT_EQ(forced.code, 0) << forced.out;
  EXPECT_NE(Read(existing).find("\"entities\""), std::string::npos);

  // The default output is spsync.json in the current folder, kept the same way.
  auto first = Spsync(Init(""), kEnv, dir_.string());
  EXPECT_EQ(first.code, 0) << first.out;
  EXPECT_TRUE(fs::exists(dir_ / "spsync.json"));
  auto again = Spsync(Init(""), kEnv, dir_.string());
  EXPECT_EQ(again.code, 2) << again.out;
  EXPECT_NE(again.out.find("spsync.json already exists"), std::string::npos) << again.out;
}

TEST_F(InitCli, ABadSinkIsAUsageErrorNamingTheOption) {
  StartSingleSite();
  for (const char* bad : {"mysql:db", "sqlite", "sqlite:", "s3:s3://"}) {
    auto r = Spsync(Init(std::string("--sink ") + bad + " -o " + (dir_ / "b.json").string()), kEnv);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.out;
    EXPECT_NE(r.out.find(std::string("--sink '") + bad + "'"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Usage: spsync init"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(fs::exists(dir_ / "b.json"));
}

TEST(InitCliHelp, InitIsListedAndHasHelpWithAnExample) {
  auto top = Spsync("--help");
  EXPECT_NE(top.out.find("  init "), std::string::npos) << top.out;
  auto r = Spsync("init --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Example"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--discover"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("spsync.json in the current folder"), std::string::npos) << r.out;
}

}  // namespace
