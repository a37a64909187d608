// `spsync restore` as operators run it (issue 18): the built CLI against the
// emulator over HTTP. --dry-run prints and writes nothing; a restore killed
// with SIGKILL while batches are in flight, run again, ends with every item
// exactly once; usage errors name what is wrong.
#include "cli_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using spsync_cli_test::Count;
using spsync_cli_test::Spsync;

namespace {

class RestoreCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-restore-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    spsync::emulator::Options o;
    o.lists = {{"Orders", 1500}};
    o.threads = 8;
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
    cfg_ = (dir_ / "spsync.json").string();
    std::ofstream(cfg_) << R"({ "site": { "url": ")" << emu_->SiteUrl() << R"(" },
  "sinks": { "db": { "plugin": "sqlite", "path": "out.db" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db"] } ],
  "run": { "workDir": "work" } })";
    auto r = Spsync("run --config " + cfg_);
    ASSERT_EQ(r.code, 0) << r.out;
  }
  void TearDown() override {
    emu_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }
  int64_t Live(const std::string& list) {
    int64_t n = 0;
    emu_->ForEachLiveItem(list, [&](int64_t, std::string_view) { ++n; });
    return n;
  }
  fs::path dir_;
  std::string cfg_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
};

TEST_F(RestoreCli, DryRunPrintsAndWritesNothing) {
  emu_->ResetStats();
  auto r = Spsync("restore --config " + cfg_ +
                  " --entity orders --from db --to-list 'Orders copy' --dry-run");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("would create list 'Orders copy'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would be created: 1500"), std::string::npos) << r.out;
  EXPECT_EQ(emu_->GetStats().writes, 0u);
  EXPECT_FALSE(fs::exists(dir_ / "work" / "restore"));
}

TEST_F(RestoreCli, AKilledRestoreRunAgainCreatesEveryItemOnce) {
  // Slow writes (a batch waits for each of its requests: 0.4 s a batch), so
  // the kill lands while batches are in flight.
  emu_->SetLatency({4, 0});
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(SPSYNC_CLI, SPSYNC_CLI, "restore", "--config", cfg_.c_str(), "--entity", "orders",
          "--from", "db", "--to-list", "Copy", static_cast<char*>(nullptr));
    _exit(127);
  }
  const fs::path map = dir_ / "work" / "restore" / "orders" / "db-Copy.map";
  // Kill once some items are mapped (the first batches are through).
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int64_t mapped = 0;
  while (std::chrono::steady_clock::now() < until && mapped < 250) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream in(map);
    mapped = 0;
    for (std::string line; std::getline(in, line);) mapped += line.rfind("map ", 0) == 0;
  }
  ASSERT_GE(mapped, 250) << "the restore did not get going";
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_LT(Live("Copy"), 1500) << "killed before the end";
  emu_->SetLatency({0, 0});
  auto r = Spsync("restore --config " + cfg_ + " --entity orders --from db --to-list Copy");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(Live("Copy"), 1500) << r.out;
  EXPECT_NE(r.out.find("ID map (old -> new):"), std::string::npos) << r.out;
}

TEST_F(RestoreCli, UsageErrorsSayWhatIsWrong) {
  auto r = Spsync("restore --config " + cfg_ + " --entity orders --from db");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("exactly one of --to-list TITLE and --missing"), std::string::npos) << r.out;
  r = Spsync("restore --config " + cfg_ + " --entity nope --from db --missing");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("no entity named \"nope\""), std::string::npos) << r.out;
  r = Spsync("restore --config " + cfg_ + " --entity orders --from other --missing");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("not synced into sink 'other'"), std::string::npos) << r.out;
  r = Spsync("restore --config " + cfg_ +
             " --entity orders --from db --to-list X --as-of yesterday");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--as-of: 'yesterday' is not a time"), std::string::npos) << r.out;
  r = Spsync("restore --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--to-list TITLE"), std::string::npos);
}

}  // namespace
