// An entity with two sinks reads SharePoint once for both (issue 20: "two
// sinks of one entity read SharePoint twice"), and a sink that fails drops
// out of the shared session without holding back the other.
#include "cli_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using spsync_cli_test::Count;
using spsync_cli_test::Spsync;

namespace {

class SharedRead : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-shared-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    spsync::emulator::Options o;
    o.lists = {{"Orders", 12000}};
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
    cfg_ = (dir_ / "spsync.json").string();
    std::ofstream(cfg_) << R"({ "site": { "url": ")" << emu_->SiteUrl() << R"(" },
  "sinks": { "db": { "plugin": "sqlite", "path": ")"
                        << (dir_ / "out.db").string() << R"(", "busyTimeoutMs": 0 },
             "csv": { "plugin": "csv", "dir": ")"
                        << (dir_ / "csv").string() << R"(" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db", "csv"] } ],
  "run": { "workDir": ")"
                        << (dir_ / "work").string() << R"(" } })";
  }
  void TearDown() override {
    emu_.reset();
    fs::remove_all(dir_);
  }
  std::string db() const { return (dir_ / "out.db").string(); }
  fs::path dir_;
  std::string cfg_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
};

TEST_F(SharedRead, TwoSinksOneRead) {
  auto r = Spsync("run --config " + cfg_);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(emu_->GetStats().items, 3u) << "12000 items, 5000 a page, read once for both sinks";
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM orders"), 12000);
  ASSERT_EQ(Spsync("snapshot --config " + cfg_ + " --entity orders").code, 0);
  emu_->ResetStats();
  emu_->AddItem("Orders", R"({"Title":"one more"})");
  r = Spsync("run --config " + cfg_);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(emu_->GetStats().get_changes, 1u) << "one change-log read for both sinks";
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM orders"), 12001);
}

TEST_F(SharedRead, AFailingSinkDropsOutAndCatchesUpAlone) {
  ASSERT_EQ(Spsync("run --config " + cfg_).code, 0);
  emu_->AddItem("Orders", R"({"Title":"while db was locked"})");
  // Another writer holds the database: the SQLite sink cannot write.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = Spsync("run --config " + cfg_);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("orders               -> csv        complete"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("orders               -> db         failed"), std::string::npos) << r.out;
  auto again = Spsync("run --config " + cfg_);
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM orders"), 12001);
  EXPECT_EQ(Count(db(), "SELECT count(*) FROM orders WHERE Title = 'while db was locked'"), 1);
}

}  // namespace
