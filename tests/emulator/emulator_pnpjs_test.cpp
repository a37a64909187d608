// Runs the PnPjs fidelity scripts (tests/emulator/pnpjs_fidelity.mjs, and
// pnpjs_sites.mjs for several sites and webs) with Node against the emulator
// binary, started the way the demo starts it.
#include <sys/wait.h>

#include <array>
#include <csignal>
#include <cstdio>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

TEST(EmulatorPnPjs, ReadsPagesWritesChangesUsersLookupsSitesAndLists) {
  if (std::string(SPSYNC_NODE).empty()) GTEST_FAIL() << "node was not found at configure time";
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(SPSYNC_EMULATOR_BIN, SPSYNC_EMULATOR_BIN, "--list", "Big=12000", "--list", "Tasks=20",
          "--seed", "5", "--indexed", "Big:Status", "--web", "/sites/demo/team", "--list",
          "Notes=7", "--web", "/sites/other", "--list", "Remote=3", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  std::array<char, 256> line{};
  ASSERT_NE(fgets(line.data(), line.size(), f), nullptr);
  std::string first(line.data());
  const std::string prefix = "listening on http://127.0.0.1:";
  ASSERT_EQ(first.rfind(prefix, 0), 0u) << first;
  ASSERT_NE(first.find("/sites/demo\n"), std::string::npos) << first;
  std::string site = first.substr(13, first.size() - 14);
  std::string cmd = std::string(SPSYNC_NODE) + " " + SPSYNC_TESTS_DIR +
                    "/emulator/pnpjs_fidelity.mjs " + site + " Big 12000 2>&1";
  FILE* node = popen(cmd.c_str(), "r");
  ASSERT_NE(node, nullptr);
  std::string output;
  while (fgets(line.data(), line.size(), node)) output += line.data();
  int rc = pclose(node);
  // Several sites and webs, and lists created through PnPjs.
  const std::string base = site.substr(0, site.size() - std::string("/sites/demo").size());
  std::string sites_cmd = std::string(SPSYNC_NODE) + " " + SPSYNC_TESTS_DIR +
                          "/emulator/pnpjs_sites.mjs " + site + " " + site + "/team " + base +
                          "/sites/other 2>&1";
  FILE* sites_node = popen(sites_cmd.c_str(), "r");
  ASSERT_NE(sites_node, nullptr);
  std::string sites_output;
  while (fgets(line.data(), line.size(), sites_node)) sites_output += line.data();
  int sites_rc = pclose(sites_node);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  fclose(f);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("ok: 12000 items in 3 pages"), std::string::npos) << output;
  EXPECT_NE(output.find("ok: projections, site users, lookup, indexed field"), std::string::npos)
      << output;
  EXPECT_NE(output.find("ok: attachments and versions"), std::string::npos) << output;
  EXPECT_EQ(sites_rc, 0) << sites_output;
  EXPECT_NE(sites_output.find("ok: lists, webs, subweb, second site"), std::string::npos)
      << sites_output;
  EXPECT_NE(sites_output.find("ok: add, update, recycle, restore, delete"), std::string::npos)
      << sites_output;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "emulator did not stop cleanly on SIGTERM";
}

}  // namespace
}  // namespace spsync::emulator::testing
