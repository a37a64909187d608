// The spsync command line, end to end: every command, every exit code, config
// errors that name their key, the demo, and two runs racing for one entity.
#include "cli_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace fs = std::filesystem;

namespace {

using spsync_cli_test::Count;
using spsync_cli_test::Result;
using spsync_cli_test::Spsync;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-cli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    spsync::emulator::Options o;
    o.lists = {{"Orders", 1200}, {"Tasks", 40}};
    o.seed = 11;
    o.token = "cli-secret-token";
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
  }
  void TearDown() override {
    emu_.reset();
    fs::remove_all(dir_);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  // A working config; `extra_run` is spliced into "run".
  std::string Config(const std::string& extra_run = "", const std::string& list = "Orders") {
    return Write("spsync.json", R"({
  "site": { "url": ")" + emu_->SiteUrl() +
                                    R"(", "auth": { "type": "bearer", "tokenEnv": "CLI_TOKEN" } },
  "sinks": { "db": { "plugin": "sqlite", "path": ")" +
                                    (dir_ / "out.db").string() + R"(" },
             "csv": { "plugin": "csv", "dir": ")" +
                                    (dir_ / "csv").string() + R"(" } },
  "entities": [ { "name": "orders", "list": ")" +
                                    list + R"(", "sinks": ["db", "csv"] } ],
  "run": { "workDir": ")" + (dir_ / "work").string() +
                                    "\"" + extra_run + R"( }
})");
  }
  static constexpr const char* kEnv = "CLI_TOKEN=cli-secret-token";
  fs::path dir_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
};

TEST(CliBasics, VersionNamesTheSinkAbi) {
  auto r = Spsync("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("spsync 0.1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sink ABI 1.2"), std::string::npos) << r.out;
}

TEST(CliBasics, EveryCommandHasHelpWithAnExample) {
  for (const char* c : {"run", "status", "reset", "validate", "snapshot", "sinks", "demo"}) {
    auto r = Spsync(std::string(c) + " --help");
    EXPECT_EQ(r.code, 0) << c;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << c << ": " << r.out;
  }
  auto top = Spsync("--help");
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("Exit codes"), std::string::npos);
}

TEST(CliBasics, UnknownCommandAndOptionAreUsageErrors) {
  EXPECT_EQ(Spsync("frobnicate").code, 2);
  auto r = Spsync("run --config x.json --bogus");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("unknown option '--bogus'"), std::string::npos) << r.out;
}

TEST(CliBasics, SinksListsTheBuiltInPlugins) {
  auto r = Spsync("sinks");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("sqlite"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("csv"), std::string::npos) << r.out;
}

TEST_F(CliTest, ConfigErrorsNameTheKeyAndExitTwo) {
  struct Case {
    std::string text, expect;
  };
  std::string site = R"("site": {"url": ")" + emu_->SiteUrl() + R"("})";
  std::vector<Case> cases = {
      {"{" + site +
           R"(, "sinks": {"db": {"plugin": "sqlite", "path": "x.db"}}, "entities": [{"list": "Orders", "sinks": ["db"], "colour": 1}]})",
       "`entities[0].colour`: unknown key"},
      {"{" + site +
           R"(, "sinks": {"db": {"plugin": "sqlite", "path": "x.db"}}, "entities": [{"list": "Orders", "sinks": ["db"], "pageSize": "many"}]})",
       "`entities[0].pageSize`: must be an integer"},
      {"{" + site +
           R"(, "sinks": {"db": {"plugin": "sqlite", "path": "x.db"}}, "entities": [{"list": "Orders", "sinks": ["nope"]}]})",
       "`entities[0].sinks[0]`: names sink \"nope\""},
      {"{" + site +
           R"(, "sinks": {"db": {"plugin": "sqlite", "path": "${SPSYNC_CLI_TEST_UNSET_VAR}"}}, "entities": [{"list": "Orders", "sinks": ["db"]}]})",
       "SPSYNC_CLI_TEST_UNSET_VAR is not set"},
      {"{" + site +
           R"(, "sinks": {"db": {"plugin": "sqlite", "path": "x.db"}}, "entities": [{"list": "Orders", "sinks": ["db"]}], "run": {"timeout": "soon"}})",
       "`run.timeout`: must be a duration"},
      {"{ not json", "bad.json:1:3: the key `not` must be in double quotes"},
  };
  for (const auto& c : cases) {
    std::string path = Write("bad.json", c.text);
    auto r = Spsync("run --config " + path);
    EXPECT_EQ(r.code, 2) << c.text << "\n" << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos)
        << "expected: " << c.expect << "\ngot: " << r.out;
    EXPECT_NE(r.out.find(path), std::string::npos) << "the message names the file: " << r.out;
  }
}

TEST_F(CliTest, ValidateChecksSinkOptionsAgainstThePlugin) {
  std::string path =
      Write("v.json", R"({"site": {"url": ")" + emu_->SiteUrl() +
                          R"("}, "sinks": {"db": {"plugin": "sqlite", "path": "x.db", "pth": 1}},
     "entities": [{"list": "Orders", "sinks": ["db"]}]})");
  auto r = Spsync("validate --config " + path);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("pth"), std::string::npos) << r.out;
  auto ok = Spsync("validate --connect --config " + Config(), kEnv);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("1200 items"), std::string::npos) << ok.out;
}

TEST_F(CliTest, RunFullThenIncrementalThenStatusAndReset) {
  std::string cfg = Config();
  auto first = Spsync("run --config " + cfg, kEnv);
  ASSERT_EQ(first.code, 0) << first.out;
  std::string db = (dir_ / "out.db").string();
  int64_t live = 0;
  emu_->ForEachLiveItem("Orders", [&](int64_t, std::string_view) { ++live; });
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\""), live);

  int64_t added = emu_->AddItem("Orders", R"({"Title":"from the CLI test"})");
  emu_->DeleteItem("Orders", 10);
  auto second = Spsync("run --config " + cfg, kEnv);
  ASSERT_EQ(second.code, 0) << second.out;
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\" WHERE id = " + std::to_string(added)), 1);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\" WHERE id = 10"), 0);

  auto status = Spsync("status --json --config " + cfg, kEnv);
  EXPECT_EQ(status.code, 0) << status.out;
  EXPECT_NE(status.out.find("\"mode\":\"incremental\""), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("cli-secret-token"), std::string::npos)
      << "status must not show secrets";

  auto reset = Spsync("reset --config " + cfg + " --entity orders --sink db", kEnv);
  EXPECT_EQ(reset.code, 0) << reset.out;
  auto after = Spsync("status --json --config " + cfg, kEnv);
  EXPECT_NE(after.out.find("\"sink\":\"db\",\"mode\":\"full\""), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("\"sink\":\"csv\",\"mode\":\"incremental\""), std::string::npos)
      << after.out;
}

TEST_F(CliTest, ATimeBudgetGivesPartialAndTheNextRunResumes) {
  spsync::emulator::FaultSpec slow;
  spsync::emulator::ParseFaults("slow:1,slow-ms:300", slow);
  emu_->SetFaults(slow);
  std::string cfg = Write("s.json", R"({"site": {"url": ")" + emu_->SiteUrl() +
                                        R"(", "auth": {"type": "bearer", "tokenEnv": "CLI_TOKEN"}},
    "sinks": {"db": {"plugin": "sqlite", "path": ")" +
                                        (dir_ / "out.db").string() + R"("}},
    "entities": [{"name": "orders", "list": "Orders", "sinks": ["db"], "pageSize": 100}],
    "run": {"workDir": ")" + (dir_ / "work").string() +
                                        R"("}})");
  auto partial = Spsync("run --timeout 2s --config " + cfg, kEnv);
  EXPECT_EQ(partial.code, 3) << partial.out;
  EXPECT_NE(partial.out.find("partial"), std::string::npos) << partial.out;
  emu_->SetFaults({});
  auto rest = Spsync("run --config " + cfg, kEnv);
  EXPECT_EQ(rest.code, 0) << rest.out;
}

TEST_F(CliTest, FailuresExitOneAndAnIncidentExitsFourAndRunsTheHook) {
  std::string marker = (dir_ / "incident.txt").string();
  std::string cfg = Config(
      R"(, "incidentAfterFails": 2, "incidentCommand": "echo $SPSYNC_ENTITY $SPSYNC_FAILED_SESSIONS >> )" +
          marker + "\"",
      "No Such List");
  auto first = Spsync("run --config " + cfg, kEnv);
  EXPECT_EQ(first.code, 1) << first.out;
  auto second = Spsync("run --config " + cfg, kEnv);
  EXPECT_EQ(second.code, 4) << second.out;
  std::ifstream in(marker);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "orders 2");
  EXPECT_EQ(second.out.find("cli-secret-token"), std::string::npos) << "logs must not show secrets";
}

TEST_F(CliTest, AnOverlappingRunSkipsALockedPair) {
  std::string cfg = Config();
  fs::create_directories(dir_ / "work" / "locks" / "orders");
  std::string lock = (dir_ / "work" / "locks" / "orders" / "db.lock").string();
  int fd = open(lock.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
  auto r = Spsync("run --config " + cfg, kEnv);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("skipped"), std::string::npos) << r.out;
  close(fd);
  auto again = Spsync("run --config " + cfg, kEnv);
  EXPECT_EQ(again.code, 0) << again.out;
}

TEST_F(CliTest, SnapshotWritesTheCsvOfLiveItems) {
  std::string cfg = Config();
  ASSERT_EQ(Spsync("run --config " + cfg, kEnv).code, 0);
  auto r = Spsync("snapshot --config " + cfg + " --entity orders", kEnv);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "csv" / "orders" / "snapshot.csv")) << r.out;
}

TEST_F(CliTest, SigtermFinishesThePagePersistsAndExitsThree) {
  spsync::emulator::FaultSpec slow;
  spsync::emulator::ParseFaults("slow:1,slow-ms:300", slow);
  emu_->SetFaults(slow);
  std::string cfg = Write("t.json", R"({"site": {"url": ")" + emu_->SiteUrl() +
                                        R"(", "auth": {"type": "bearer", "tokenEnv": "CLI_TOKEN"}},
    "sinks": {"db": {"plugin": "sqlite", "path": ")" +
                                        (dir_ / "out.db").string() + R"("}},
    "entities": [{"name": "orders", "list": "Orders", "sinks": ["db"], "pageSize": 50}],
    "run": {"workDir": ")" + (dir_ / "work").string() +
                                        R"("}})");
  std::string log = (dir_ / "run.log").string();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("CLI_TOKEN", "cli-secret-token", 1);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(SPSYNC_CLI, SPSYNC_CLI, "run", "--config", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // The signal lands in the middle of the crawl: after the first committed
  // page (a slow machine, a sanitizer build, takes longer to get there than
  // any fixed sleep).
  std::string db = (dir_ / "out.db").string();
  for (int i = 0; i < 300 && Count(db, "SELECT count(*) FROM \"orders\"") <= 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::stringstream out;
  out << std::ifstream(log).rdbuf();
  ASSERT_TRUE(WIFEXITED(status)) << out.str();
  EXPECT_EQ(WEXITSTATUS(status), 3) << out.str();
  EXPECT_NE(out.str().find("interrupted"), std::string::npos) << out.str();
  // What was applied is committed with its position: rows and state agree.
  int64_t rows = Count(db, "SELECT count(*) FROM \"orders\"");
  EXPECT_GT(rows, 0);
  // Every row lies in the part of the list the state says is read: below the
  // page position, or outside the unread ID ranges of a parallel crawl.
  int64_t unread_rows = Count(
      db,
      "SELECT count(*) FROM \"orders\" o, _spsync_state s WHERE "
      "json_extract(CAST(s.state AS TEXT), '$.fullInProgress') AND "
      "((json_array_length(CAST(s.state AS TEXT), '$.ranges') IS NULL AND "
      "o.id > json_extract(CAST(s.state AS TEXT), '$.pageLastId')) OR EXISTS (SELECT 1 FROM "
      "json_each(CAST(s.state AS TEXT), '$.ranges') r WHERE o.id > json_extract(r.value, '$[0]') "
      "AND o.id <= json_extract(r.value, '$[1]')))");
  EXPECT_EQ(unread_rows, 0) << out.str();
  emu_->SetFaults({});
  auto rest = Spsync("run --config " + cfg, kEnv);
  EXPECT_EQ(rest.code, 0) << rest.out;
  int64_t live = 0;
  emu_->ForEachLiveItem("Orders", [&](int64_t, std::string_view) { ++live; });
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\""), live);
}

TEST(CliDemo, RunsEndToEnd) {
  fs::path dir = fs::temp_directory_path() / ("spsync-demo-" + std::to_string(getpid()));
  fs::remove_all(dir);
  auto r = Spsync("demo --items 3000 --dir " + dir.string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Second run: incremental"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sqlite3 "), std::string::npos) << r.out;
  // The restored item 4 is back, deleted item 3 is gone.
  std::string db = (dir / "orders.db").string();
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\" WHERE id = 4"), 1);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\" WHERE id = 3"), 0);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\" WHERE Title = 'Updated by the demo'"), 1);
  fs::remove_all(dir);
}

}  // namespace
