// Helpers of the `spsync serve` tests: a free port, plain HTTP calls, the
// serve child process, and waiting for a condition.
#pragma once

#include "../reliability/process.hpp"
#include "free_port.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace spsync_serve_test {

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body, content_type;
};

inline HttpResult Http(uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = "") {
  HttpResult r;
  try {
    Poco::Net::HTTPClientSession s("127.0.0.1", port);
    s.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!body.empty()) req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    s.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    Poco::StreamCopier::copyToString(in, r.body);
    r.status = resp.getStatus();
    r.content_type = resp.getContentType();
  } catch (const std::exception&) {
    r.status = 0;
  }
  return r;
}

// Rows of `table` in the SQLite file at `db` (read-only, waiting for a
// writer's lock), or -1.
inline int64_t Rows(const std::string& db, const std::string& table = "orders") {
  sqlite3* h = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 2000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, ("SELECT count(*) FROM \"" + table + "\"").c_str(), -1, &st,
                           nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

// Polls `ok` every 50 ms for up to `limit`; true once it holds.
inline bool WaitUntil(const std::function<bool()>& ok,
                      std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ok();
}

// The value of the first sample line starting with `series` in an
// exposition, or -1.
inline double Sample(const std::string& exposition, const std::string& series) {
  size_t at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}

}  // namespace spsync_serve_test
