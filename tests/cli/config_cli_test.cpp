// The config as an operator meets it through the real spsync binary: errors
// that point at the line and column (syntax and semantics), `validate`'s exit
// codes, relative paths that mean the same from any working directory, and
// state left by an earlier spsync at its current-directory-relative place
// found again after the upgrade.
#include "cli_support.hpp"
#include "spsync/emulator/emulator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using spsync_cli_test::Count;
using spsync_cli_test::Spsync;

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ConfigCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-cfgcli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    spsync::emulator::Options o;
    o.lists = {{"Orders", 300}};
    o.seed = 5;
    o.token = "cfg-secret-token";
    emu_ = std::make_unique<spsync::emulator::Emulator>(o);
    emu_->Start();
  }
  void TearDown() override {
    emu_.reset();
    fs::remove_all(dir_);
  }
  std::string Write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }
  // A config with relative paths only: the SQLite file, the CSV folder, the
  // token file; the work directory is the default (.spsync).
  std::string RelativeConfig() const {
    return R"({
  "site": { "url": ")" +
           emu_->SiteUrl() + R"(", "auth": { "type": "bearer", "tokenFile": "secrets/token.txt" } },
  "sinks": { "db":  { "plugin": "sqlite", "path": "data/out.db" },
             "csv": { "plugin": "csv", "dir": "csv" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db", "csv"] } ]
}
)";
  }
  int64_t Live() const {
    int64_t n = 0;
    emu_->ForEachLiveItem("Orders", [&](int64_t, std::string_view) { ++n; });
    return n;
  }
  // Every regular file and folder under `d`, for "nothing was written here".
  static std::vector<std::string> Tree(const fs::path& d) {
    std::vector<std::string> out;
    if (!fs::exists(d)) return out;
    for (const auto& e : fs::recursive_directory_iterator(d))
      out.push_back(fs::relative(e.path(), d).string());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<spsync::emulator::Emulator> emu_;
};

struct ErrorCase {
  std::string name, text;
  int line, column;
  std::string message;
};

TEST_F(ConfigCli, SyntaxErrorsNameLineAndColumnAndExitTwo) {
  std::vector<ErrorCase> cases = {
      {"trailing comma, the issue's {,}",
       "{\n  \"site\": {\"url\": \"https://a.b\"},\n  \"sinks\": {,}\n}", 3, 13,
       "trailing comma in an empty object: JSON allows none; write `{}`"},
      {"trailing comma in an object", "{\n  \"site\": {\"url\": \"https://a.b\"},\n}", 2, 33,
       "trailing comma before `}`"},
      {"trailing comma in an array", "{\"entities\": [\n  {},\n]}", 2, 5,
       "trailing comma before `]`"},
      {"// comment", "{\n  // sales site\n  \"site\": {}}", 2, 3,
       "JSON has no comments: remove this `//` comment"},
      {"/* comment */", "{\"site\": /* later */ {}}", 1, 10,
       "JSON has no comments: remove this `/* */` comment"},
      {"unquoted key", "{\n  site: {}\n}", 2, 3, "the key `site` must be in double quotes"},
      {"single quotes", "{\"site\": {\"url\": 'https://a.b'}}", 1, 18, "not single quotes"},
      {"missing comma", "{\n  \"site\": {}\n  \"sinks\": {}\n}", 2, 13,
       "missing comma after the value of \"site\""},
      {"missing colon", "{\"site\" {}}", 1, 9, "expected `:` after the key \"site\""},
      {"unterminated string", "{\"site\": {\"url\": \"https://a.b}\n}", 1, 18,
       "unterminated string"},
      {"bad escape", "{\"sinks\": {\"d\": {\"path\": \"C:\\data\\x.db\"}}}", 1, 29,
       "bad escape `\\d`"},
      {"control character", "{\"site\": {\"url\": \"a\tb\"}}", 1, 20, "control character U+0009"},
      {"duplicate key", "{\n  \"sinks\": {},\n  \"sinks\": {}\n}", 3, 3,
       "duplicate key \"sinks\": it is at line 2 and again at line 3"},
      {"leading zero", "{\"run\": {\"parallel\": 04}}", 1, 22, "cannot start with 0"},
      {".5", "{\"run\": {\"parallel\": .5}}", 1, 22, "write 0.5"},
      {"NaN", "{\"run\": {\"parallel\": NaN}}", 1, 22, "NaN and Infinity are not JSON numbers"},
      {"trailing garbage", "{}\n}\n", 2, 1, "after the end of the JSON document"},
      {"empty file", "", 1, 1, "the file is empty"},
      {"invalid UTF-8", "{\"site\": {\"url\": \"caf\xE9\"}}", 1, 22, "invalid UTF-8 (byte 0xE9"},
      {"columns count characters", "{\"entities\": [{\"list\": \"Заказы\", \"pageSize\": 1e}]}", 1,
       48, "the exponent of a number needs digits"},
  };
  std::string path = (dir_ / "bad.json").string();
  for (const auto& c : cases) {
    Write(path, c.text);
    auto r = Spsync("validate --config " + path);
    EXPECT_EQ(r.code, 2) << c.name << "\n" << r.out;
    std::string head = "spsync validate: config error: " + path + ":" + std::to_string(c.line) +
                       ":" + std::to_string(c.column) + ": ";
    EXPECT_EQ(r.out.rfind(head, 0), 0u) << c.name << ": expected " << head << "\ngot: " << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos)
        << c.name << ": expected " << c.message << "\ngot: " << r.out;
  }
}

TEST_F(ConfigCli, TheOffendingLineIsShownWithACaret) {
  std::string path = Write(dir_ / "bad.json",
                           "{\n  \"site\": {\"url\": \"https://a.b\"},\n"
                           "  \"sinks\": {\"db\": {\"plugin\": \"sqlite\",}}\n}\n");
  auto r = Spsync("validate --config " + path);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "spsync validate: config error: " + path +
                       ":3:38: trailing comma before `}`: JSON allows none; remove it\n"
                       "    \"sinks\": {\"db\": {\"plugin\": \"sqlite\",}}\n"
                       "                                       ^\n");
}

TEST_F(ConfigCli, SemanticErrorsPointAtTheirLine) {
  std::string site = "\"site\": {\"url\": \"" + emu_->SiteUrl() + "\"}";
  std::string sinks = R"("sinks": {"db": {"plugin": "sqlite", "path": "x.db"}})";
  std::vector<ErrorCase> cases = {
      {"out of range",
       "{" + site + ",\n" + sinks +
           ",\n\"entities\": [\n  {\"list\": \"Orders\", \"sinks\": [\"db\"], \"pageSize\": "
           "6000}\n]}",
       4, 51, "`entities[0].pageSize`: must be between 1 and 5000"},
      {"unknown key",
       "{" + site + ",\n" + sinks +
           ",\n\"entities\": [{\"list\": \"Orders\", \"sinks\": [\"db\"],\n  \"colour\": 1}]}",
       4, 3, "`entities[0].colour`: unknown key"},
      {"unknown sink",
       "{" + site + ",\n" + sinks +
           ",\n\"entities\": [{\"list\": \"Orders\",\n  \"sinks\": [\"db\", \"nope\"]}]}",
       4, 19, "`entities[0].sinks[1]`: names sink \"nope\""},
      {"missing key: at the object",
       "{" + site + ",\n" + sinks + ",\n\"entities\": [\n  {\"sinks\": [\"db\"]}]}", 4, 3,
       "`entities[0].list`: is required"},
      {"wrong type",
       "{" + site + ",\n" + sinks +
           ",\n\"entities\": [{\"list\": \"Orders\", \"sinks\": [\"db\"]}],\n\"run\": "
           "{\"parallel\": true}}",
       4, 21, "`run.parallel`: must be an integer"},
      {"names differing in case",
       "{" + site + ",\n" + sinks +
           ",\n\"entities\": [\n  {\"list\": \"Orders\", \"sinks\": [\"db\"]},\n  {\"name\": "
           "\"ORDERS\", "
           "\"list\": \"Orders\", \"sinks\": [\"db\"]}]}",
       5, 12, "\"ORDERS\" and \"Orders\" (entities[0], line 4) differ only in case"},
      {"zero timeout",
       "{" + site + ",\n" + sinks +
           ",\n\"entities\": [{\"list\": \"Orders\", \"sinks\": [\"db\"]}],\n\"run\": "
           "{\"timeout\": \"0s\"}}",
       4, 20, "for no limit leave `run.timeout` out"},
  };
  std::string path = (dir_ / "bad.json").string();
  for (const auto& c : cases) {
    Write(path, c.text);
    for (const char* command : {"validate", "run"}) {
      auto r = Spsync(std::string(command) + " --config " + path);
      EXPECT_EQ(r.code, 2) << c.name << "\n" << r.out;
      std::string head = "spsync " + std::string(command) + ": config error: " + path + ":" +
                         std::to_string(c.line) + ":" + std::to_string(c.column) + ": ";
      EXPECT_EQ(r.out.rfind(head, 0), 0u) << c.name << ": expected " << head << "\ngot: " << r.out;
      EXPECT_NE(r.out.find(c.message), std::string::npos)
          << c.name << ": expected " << c.message << "\ngot: " << r.out;
    }
  }
}

TEST_F(ConfigCli, ValidateExitCodesStayAsDocumented) {
  std::string good = Write(dir_ / "conf" / "spsync.json", RelativeConfig());
  Write(dir_ / "conf" / "secrets" / "token.txt", "cfg-secret-token\n");
  auto ok = Spsync("validate --connect --config " + good);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("config is valid"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("300 items"), std::string::npos) << "the token file was found: " << ok.out;
  auto missing = Spsync("validate --config " + (dir_ / "nope.json").string());
  EXPECT_EQ(missing.code, 2) << missing.out;
  EXPECT_NE(missing.out.find("cannot open the config file"), std::string::npos) << missing.out;
  auto usage = Spsync("validate");
  EXPECT_EQ(usage.code, 2) << usage.out;
}

TEST_F(ConfigCli, TheSameConfigFromTwoFoldersWritesToOnePlace) {
  fs::path conf = dir_ / "conf";
  std::string cfg = Write(conf / "spsync.json", RelativeConfig());
  Write(conf / "secrets" / "token.txt", "cfg-secret-token\n");
  fs::create_directories(dir_ / "a");
  fs::create_directories(dir_ / "b");

  // From a/, naming the config by a relative path too.
  auto first = Spsync("run --config ../conf/spsync.json", "", (dir_ / "a").string());
  ASSERT_EQ(first.code, 0) << first.out;
  ASSERT_NE(first.out.find("full sync"), std::string::npos) << first.out;
  // The start-up line names the absolute places.
  EXPECT_NE(first.out.find("work directory " + (conf / ".spsync").string()), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("sink db path " + (conf / "data" / "out.db").string()),
            std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("sink csv dir " + (conf / "csv").string()), std::string::npos)
      << first.out;

  int64_t added = emu_->AddItem("Orders", R"({"Title":"added between the runs"})");
  auto second = Spsync("run --config " + cfg, "", (dir_ / "b").string());
  ASSERT_EQ(second.code, 0) << second.out;
  EXPECT_EQ(second.out.find("full sync"), std::string::npos)
      << "the second run found the first one's state: " << second.out;

  std::string db = (conf / "data" / "out.db").string();
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\""), Live());
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\" WHERE id = " + std::to_string(added)), 1);
  EXPECT_TRUE(fs::is_directory(conf / "csv" / "orders"));
  EXPECT_TRUE(fs::is_directory(conf / ".spsync" / "locks"));
  EXPECT_EQ(Tree(dir_ / "a"), std::vector<std::string>{}) << "nothing written where run from";
  EXPECT_EQ(Tree(dir_ / "b"), std::vector<std::string>{}) << "nothing written where run from";
  EXPECT_EQ(second.out.find("To silence this warning"), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find("cfg-secret-token"), std::string::npos) << "no secret in logs";

  // status from a third place reads the same state.
  auto status = Spsync("status --json --config " + cfg, "", dir_.string());
  EXPECT_EQ(status.code, 0) << status.out;
  EXPECT_EQ(Occurrences(status.out, "\"mode\":\"incremental\""), 2u) << status.out;
}

TEST_F(ConfigCli, StateAtTheOldCurrentDirectoryPlaceIsUsedAfterTheUpgrade) {
  // The old behaviour: relative paths meant "relative to where spsync runs".
  // Run from old/ with the config in old/ itself: exactly the files an
  // earlier spsync wrote under old/ when run there with the config anywhere.
  fs::path old = dir_ / "old", conf = dir_ / "etc";
  Write(old / "spsync.json", RelativeConfig());
  Write(old / "secrets" / "token.txt", "cfg-secret-token\n");
  auto before = Spsync("run --config spsync.json", "", old.string());
  ASSERT_EQ(before.code, 0) << before.out;
  ASSERT_NE(before.out.find("full sync"), std::string::npos) << before.out;
  ASSERT_TRUE(fs::exists(old / "data" / "out.db"));
  ASSERT_TRUE(fs::exists(old / ".spsync"));

  // The operator keeps the config in etc/ and the same cron line `cd old &&
  // spsync run --config ../etc/spsync.json`; the token file moves along.
  Write(conf / "spsync.json", RelativeConfig());
  Write(conf / "secrets" / "token.txt", "cfg-secret-token\n");
  fs::remove(old / "secrets" / "token.txt");
  int64_t added = emu_->AddItem("Orders", R"({"Title":"after the upgrade"})");
  auto after = Spsync("run --config ../etc/spsync.json", "", old.string());
  ASSERT_EQ(after.code, 0) << after.out;

  // The existing state is used: an incremental run into the old files, and
  // no second copy next to the config.
  EXPECT_EQ(after.out.find("full sync"), std::string::npos) << after.out;
  std::string db = (old / "data" / "out.db").string();
  EXPECT_EQ(Count(db, "SELECT count(*) FROM \"orders\" WHERE id = " + std::to_string(added)), 1);
  EXPECT_FALSE(fs::exists(conf / "data")) << after.out;
  EXPECT_FALSE(fs::exists(conf / "csv")) << after.out;
  EXPECT_FALSE(fs::exists(conf / ".spsync")) << after.out;
  // One warning per path found at its old place, each saying how to silence it.
  EXPECT_EQ(Occurrences(after.out, "To silence this warning"), 3u) << after.out;
  for (const std::string key : {"`sinks.db.path`", "`sinks.csv.dir`", "`run.workDir`"})
    EXPECT_EQ(Occurrences(after.out, key + ": \""), 1u) << key << "\n" << after.out;
  EXPECT_NE(after.out.find("move it to " + (conf / "data" / "out.db").string()), std::string::npos)
      << after.out;
  // The token file was found next to the config (it is only there now).
  EXPECT_EQ(after.out.find("`site.auth.tokenFile`"), std::string::npos) << after.out;

  // Once moved next to the config, the warnings stop and the state is still found.
  fs::rename(old / "data", conf / "data");
  fs::rename(old / "csv", conf / "csv");
  fs::rename(old / ".spsync", conf / ".spsync");
  auto moved = Spsync("run --config ../etc/spsync.json", "", old.string());
  ASSERT_EQ(moved.code, 0) << moved.out;
  EXPECT_EQ(moved.out.find("To silence this warning"), std::string::npos) << moved.out;
  EXPECT_EQ(moved.out.find("full sync"), std::string::npos) << moved.out;
}

TEST(ConfigCliHelp, RunAndValidateSayHowRelativePathsResolve) {
  for (const char* c : {"run", "validate"}) {
    auto r = Spsync(std::string(c) + " --help");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("relative to the config file's folder"), std::string::npos)
        << c << ": " << r.out;
  }
}

}  // namespace
