// Helpers of the CLI tests: run the real `spsync` binary and read back SQLite.
#pragma once

#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace spsync_cli_test {

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

// Runs spsync with `args` (a shell-quoted string) and `env` assignments, in
// folder `cwd` if one is given (else the test's own).
inline Result Spsync(const std::string& args, const std::string& env = "",
                     const std::string& cwd = "") {
  std::string cmd = (cwd.empty() ? "" : "cd '" + cwd + "' && ") + env + " " + SPSYNC_CLI +
                    std::string(" ") + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  Result r;
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// The first column of the first row of `sql`, or -1.
inline int64_t Count(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

}  // namespace spsync_cli_test
