// Entity names the CLI turns into file names (locks, dead-letter files): names
// that differ only in non-ASCII characters, in punctuation or in length past
// a file name's limit must never share a file (issue 20, item 2), and the
// time budget's edge values are refused rather than guessed.
#include "cli_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;
using spsync_cli_test::Count;
using spsync_cli_test::Spsync;

namespace {

class PairNames : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-names-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    spsync::emulator::Options o;
    o.lists = {{"注文", 30}, {"顧客", 20}, {"a b", 10}, {"a_b", 12}};
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
  }
  void TearDown() override {
    emu_.reset();
    fs::remove_all(dir_);
  }
  std::string Config() {
    std::string long_name(300, 'x');
    std::string p = (dir_ / "spsync.json").string();
    std::ofstream(p) << R"({ "site": { "url": ")" << emu_->SiteUrl() << R"(" },
  "sinks": { "db": { "plugin": "sqlite", "path": ")"
                     << (dir_ / "out.db").string() << R"(" } },
  "entities": [ { "list": "注文", "sinks": ["db"] }, { "list": "顧客", "sinks": ["db"] },
                { "list": "a b", "sinks": ["db"] }, { "list": "a_b", "sinks": ["db"] },
                { "name": ")"
                     << long_name << R"(1", "list": "a b", "sinks": ["db"] },
                { "name": ")"
                     << long_name << R"(2", "list": "a_b", "sinks": ["db"] } ],
  "run": { "parallel": 4, "workDir": ")"
                     << (dir_ / "work").string() << R"(" } })";
    return p;
  }
  fs::path dir_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
};

TEST_F(PairNames, EveryPairGetsItsOwnLockAndRuns) {
  std::string cfg = Config();
  for (int run = 0; run < 2; ++run) {
    auto r = Spsync("run --config " + cfg);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out.find("skipped"), std::string::npos) << r.out;
  }
  std::string db = (dir_ / "out.db").string();
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"注文\""), 30);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"顧客\""), 20);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"a b\""), 10);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"a_b\""), 12);
  std::set<std::string> locks;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "work" / "locks"))
    if (e.is_regular_file()) {
      locks.insert(fs::relative(e.path(), dir_ / "work" / "locks").string());
      EXPECT_LE(e.path().parent_path().filename().string().size(), 200u);
    }
  EXPECT_EQ(locks.size(), 6u);
  EXPECT_TRUE(locks.count("注文/db.lock")) << "names stay readable";
  EXPECT_TRUE(locks.count("a%20b/db.lock"));
  EXPECT_TRUE(locks.count("a_b/db.lock"));
}

TEST_F(PairNames, ATimeoutOfZeroIsRefused) {
  auto r = Spsync("run --config " + Config() + " --timeout 0s");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("leave it out for no time limit"), std::string::npos) << r.out;
}

}  // namespace
