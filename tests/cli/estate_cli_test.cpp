// Whole sites through the real CLI (issue 13): discovery rules over two site
// collections with subwebs, mixed with an explicit entity; lists created,
// renamed, deleted and recreated between runs; the request count of idle
// runs; two tenants whose tokens must not cross.
#include "cli_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using spsync::emulator::Emulator;
using spsync::emulator::ListSpec;
using spsync::emulator::SiteSpec;
using spsync::emulator::WebSpec;
using spsync_cli_test::Count;
using spsync_cli_test::Result;
using spsync_cli_test::Spsync;

namespace {

// "<entity> -> <sink> <outcome> mode=<mode> ...": the session lines of a run.
std::map<std::string, std::string> SessionModes(const std::string& out) {
  std::map<std::string, std::string> modes;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    std::istringstream words(l);
    std::string entity, arrow, sink, outcome, mode;
    if (!(words >> entity >> arrow >> sink >> outcome >> mode) || arrow != "->" ||
        mode.rfind("mode=", 0) != 0)
      continue;
    EXPECT_EQ(outcome, "complete") << l;
    modes[entity] = mode.substr(5);
  }
  return modes;
}

// Whether a run's log says `entity` started a full sync (the report's mode
// is the one a session ends in: incremental once a full sync has finished).
bool StartedFull(const std::string& out, const std::string& entity) {
  return out.find("[" + entity + "/db] starting a full sync") != std::string::npos;
}

bool HasTable(const std::string& db, const std::string& table) {
  return Count(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='" + table +
                       "'") == 1;
}

// Alpha: a root web with generic lists, an archive the rule excludes, a
// document library a second rule asks for, a hidden list, and two levels of
// subwebs. Beta: a root web only. Both also have SharePoint's own lists.
std::vector<SiteSpec> Estate() {
  return {
      {"/sites/alpha",
       {WebSpec{"/sites/alpha",
                "Alpha",
                {ListSpec{"Orders", 30}, ListSpec{"Tasks", 20}, ListSpec{"Archive Orders", 10},
                 ListSpec{"Contracts", 5, 101}, ListSpec{"Hidden Stuff", 4, 100, true}},
                false},
        WebSpec{"/sites/alpha/emea", "EMEA", {ListSpec{"Invoices 2024", 25}}},
        WebSpec{"/sites/alpha/emea/north", "North", {ListSpec{"Leads", 15}}}}},
      {"/sites/beta",
       {WebSpec{"/sites/beta", "Beta", {ListSpec{"Orders", 12}, ListSpec{"Tickets", 8}}, false}}},
  };
}

class EstateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-estate-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (auto& e : emus_) e.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }
  Emulator& StartEmulator(std::vector<SiteSpec> sites, const std::string& token) {
    spsync::emulator::Options o;
    o.sites = std::move(sites);
    o.token = token;
    emus_.push_back(std::make_unique<Emulator>(o));
    emus_.back()->Start();
    return *emus_.back();
  }
  std::string WriteConfig(const std::string& sites_json, const std::string& entities_json) {
    std::string cfg = (dir_ / "spsync.json").string();
    std::ofstream(cfg) << R"({ "sites": )" << sites_json << R"(,
  "sinks": { "db": { "plugin": "sqlite", "path": ")"
                       << db() << R"(" } },
  "entities": )" << entities_json
                       << R"(,
  "run": { "workDir": ")"
                       << (dir_ / "work").string() << R"(", "parallel": 2 } })";
    return cfg;
  }
  // The estate of Estate() with its rules and one explicit entity.
  std::string EstateConfig(Emulator& emu) {
    const std::string auth = R"("auth": { "type": "bearer", "tokenEnv": "TOKEN_A" })";
    return WriteConfig(
        R"({
    "alpha": { "url": ")" +
            emu.BaseUrl() + R"(/sites/alpha", )" + auth + R"(,
      "discover": [ { "include": ["*"], "exclude": ["Archive*"], "subwebs": true, "sinks": ["db"] },
                    { "include": ["Contracts"], "templates": ["library"], "sinks": ["db"] } ] },
    "beta": { "url": ")" +
            emu.BaseUrl() + R"(/sites/beta", )" + auth + R"(,
      "discover": { "include": ["*"], "sinks": ["db"] } } })",
        R"([ { "name": "tickets", "site": "beta", "list": "Tickets", "sinks": ["db"] } ])");
  }
  Result Run(const std::string& cfg, const std::string& env = "TOKEN_A=token-a") {
    return Spsync("run --config " + cfg, env);
  }
  std::string db() const { return (dir_ / "out.db").string(); }

  fs::path dir_;
  std::vector<std::unique_ptr<Emulator>> emus_;
};

TEST_F(EstateCli, RulesFindTheRightListsAndAnExplicitEntityWins) {
  Emulator& emu = StartEmulator(Estate(), "token-a");
  std::string cfg = EstateConfig(emu);
  auto r = Run(cfg);
  ASSERT_EQ(r.code, 0) << r.out;
  auto modes = SessionModes(r.out);
  const std::map<std::string, int64_t> expected = {{"alpha_orders", 30},
                                                   {"alpha_tasks", 20},
                                                   {"alpha_emea_invoices2024", 25},
                                                   {"alpha_emea_north_leads", 15},
                                                   {"alpha_contracts", 5},
                                                   {"beta_orders", 12},
                                                   {"tickets", 8}};
  std::set<std::string> names;
  for (const auto& [name, mode] : modes) names.insert(name);
  std::set<std::string> want;
  for (const auto& [name, n] : expected) want.insert(name);
  EXPECT_EQ(names, want) << r.out;
  for (const auto& [name, n] : expected) {
    EXPECT_TRUE(StartedFull(r.out, name)) << name;
    EXPECT_EQ(Count(db(), "SELECT count(*) FROM \"" + name + "\""), n) << name;
  }
  // Excluded by a glob, hidden, SharePoint's own and the explicit entity's list.
  for (const char* t : {"alpha_archiveorders", "alpha_hiddenstuff", "alpha_sitepages",
                        "alpha_user_information_list", "beta_tickets"})
    EXPECT_FALSE(HasTable(db(), t)) << t;

  auto st = Spsync("status --json --config " + cfg, "TOKEN_A=token-a");
  ASSERT_EQ(st.code, 0) << st.out;
  EXPECT_NE(st.out.find(R"("entity":"alpha_emea_north_leads")"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find(R"("discovered":true)"), std::string::npos) << st.out;
  auto only_beta = Spsync("status --site beta --config " + cfg, "TOKEN_A=token-a");
  EXPECT_EQ(only_beta.out.find("alpha_"), std::string::npos) << only_beta.out;
  EXPECT_NE(only_beta.out.find("beta_orders"), std::string::npos) << only_beta.out;
}

TEST_F(EstateCli, ListsCreatedRenamedDeletedAndRecreatedBetweenRuns) {
  Emulator& emu = StartEmulator(Estate(), "token-a");
  std::string cfg = EstateConfig(emu);
  ASSERT_EQ(Run(cfg).code, 0);

  // Created: a full sync under a name from its URL.
  emu.CreateList("/sites/alpha/emea", ListSpec{"Budget Plans", 9});
  // Renamed: same GUID and URL, so the same name and state (no resync).
  emu.RenameList({"/sites/alpha", "Tasks"}, "Tasks 2025");
  emu.AddItem({"/sites/alpha", "Tasks 2025"}, R"({"Title":"after the rename"})");
  // Deleted: gone, not failed; its rows stay.
  emu.DeleteList({"/sites/beta", "Orders"});
  auto r = Run(cfg);
  ASSERT_EQ(r.code, 0) << r.out;
  auto modes = SessionModes(r.out);
  EXPECT_TRUE(StartedFull(r.out, "alpha_emea_budgetplans")) << r.out;
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM alpha_emea_budgetplans"), 9);
  EXPECT_EQ(modes["alpha_tasks"], "incremental") << r.out;
  EXPECT_FALSE(StartedFull(r.out, "alpha_tasks")) << r.out;
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM alpha_tasks"), 21);
  EXPECT_EQ(modes.count("beta_orders"), 0u) << r.out;
  EXPECT_NE(r.out.find("beta_orders: list 'Orders' is gone"), std::string::npos) << r.out;
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM beta_orders"), 12) << "a gone list keeps its data";

  auto gone = Spsync("status --gone --config " + cfg, "TOKEN_A=token-a");
  EXPECT_EQ(gone.code, 0) << gone.out;
  EXPECT_NE(gone.out.find("beta_orders"), std::string::npos) << gone.out;
  EXPECT_EQ(gone.out.find("alpha_orders"), std::string::npos) << gone.out;
  auto reset = Spsync("reset --gone --config " + cfg, "TOKEN_A=token-a");
  EXPECT_EQ(reset.code, 0) << reset.out;
  gone = Spsync("status --gone --config " + cfg, "TOKEN_A=token-a");
  EXPECT_EQ(gone.out.find("beta_orders"), std::string::npos) << gone.out;

  // Recreated at the same URL: the same name, a full resync of the new items.
  emu.RecreateList({"/sites/alpha", "Orders"});
  const int64_t now_items = emu.ItemCount({"/sites/alpha", "Orders"});
  r = Run(cfg);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(StartedFull(r.out, "alpha_orders")) << r.out;
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM alpha_orders"), now_items);
}

// The issue's idle-run target on a small estate (the 500-list figure is in
// bench/): nothing changed costs at most 2 requests per web; k changed lists
// at most 4 more each.
TEST_F(EstateCli, IdleRunsCostAtMostTwoRequestsPerWeb) {
  Emulator& emu = StartEmulator(Estate(), "token-a");
  std::string cfg = EstateConfig(emu);
  ASSERT_EQ(Run(cfg).code, 0);
  const uint64_t webs = 4;  // alpha, alpha/emea, alpha/emea/north, beta
  emu.ResetStats();
  auto idle = Run(cfg);
  ASSERT_EQ(idle.code, 0) << idle.out;
  EXPECT_LE(emu.GetStats().total, 2 * webs) << idle.out;
  EXPECT_TRUE(SessionModes(idle.out).empty()) << idle.out;
  EXPECT_NE(idle.out.find("7 pair(s) idle"), std::string::npos) << idle.out;

  emu.AddItem({"/sites/alpha/emea/north", "Leads"}, R"({"Title":"new lead"})");
  emu.UpdateItem({"/sites/beta", "Tickets"}, 3, R"({"Title":"changed"})");
  emu.ResetStats();
  auto two = Run(cfg);
  ASSERT_EQ(two.code, 0) << two.out;
  EXPECT_LE(emu.GetStats().total, 2 * webs + 4 * 2) << two.out;
  auto modes = SessionModes(two.out);
  EXPECT_EQ(modes.size(), 2u) << two.out;
  EXPECT_EQ(modes["alpha_emea_north_leads"], "incremental");
  EXPECT_EQ(modes["tickets"], "incremental");
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM alpha_emea_north_leads"), 16);
}

// Two tenants, each with its own token: every site's requests carry its own
// credentials only (each emulator refuses any other token), and a config
// that gives a site the other tenant's token fails that site alone.
TEST_F(EstateCli, TwoTenantsEachGetOnlyTheirOwnToken) {
  Emulator& a = StartEmulator({{"/sites/crm", {WebSpec{"/sites/crm", "", {{"Orders", 40}}}}}},
                              "token-of-contoso");
  Emulator& b = StartEmulator({{"/sites/crm", {WebSpec{"/sites/crm", "", {{"Orders", 25}}}}}},
                              "token-of-fabrikam");
  std::string cfg = WriteConfig(
      R"({
    "contoso": { "url": ")" +
          a.SiteUrl() + R"(", "auth": { "type": "bearer", "tokenEnv": "CONTOSO_TOKEN" },
                 "discover": { "include": ["Orders"], "sinks": ["db"] } },
    "fabrikam": { "url": ")" +
          b.SiteUrl() + R"(", "auth": { "type": "bearer", "tokenEnv": "FABRIKAM_TOKEN" },
                 "discover": { "include": ["Orders"], "sinks": ["db"] } } })",
      "[]");
  auto r = Spsync("run --config " + cfg,
                  "CONTOSO_TOKEN=token-of-contoso FABRIKAM_TOKEN=token-of-fabrikam");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM contoso_orders"), 40);
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM fabrikam_orders"), 25);
  EXPECT_GT(a.GetStats().total, 0u);
  EXPECT_GT(b.GetStats().total, 0u);

  // Fabrikam's site given Contoso's token: refused by Fabrikam, and only there.
  a.AddItem("Orders", R"({"Title":"contoso goes on"})");
  auto crossed = Spsync("run --config " + cfg,
                        "CONTOSO_TOKEN=token-of-contoso FABRIKAM_TOKEN=token-of-contoso");
  EXPECT_NE(crossed.code, 0) << crossed.out;
  EXPECT_NE(crossed.out.find("fabrikam"), std::string::npos) << crossed.out;
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM contoso_orders"), 41) << crossed.out;
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM fabrikam_orders"), 25) << "nothing lost";
}

}  // namespace
