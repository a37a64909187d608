// The HTTP envelope as a raw client sees it: every status line carries the
// reason phrase of its status (HTTP/1.1 404 Not Found, never "404 OK").
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

// Sends one request over a plain socket and returns the response's status line.
std::string StatusLine(const Emulator& e, const std::string& method, const std::string& target,
                       const std::string& headers = "", const std::string& body = "") {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", e.port()));
  socket.setReceiveTimeout(Poco::Timespan(10, 0));
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                        "Content-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n" + body;
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string response;
  char buf[4096];
  for (int n; (n = socket.receiveBytes(buf, sizeof(buf))) > 0;) {
    response.append(buf, static_cast<size_t>(n));
    if (response.find("\r\n") != std::string::npos) break;
  }
  return response.substr(0, response.find("\r\n"));
}

TEST(EmulatorHttp, StatusLinesCarryTheirReasonPhrase) {
  Options o;
  o.lists = {{"Big", 6000}, {"Orders", 20}};
  o.token = "secret";
  Emulator e(o);
  e.Start();
  const std::string auth = "Authorization: Bearer secret\r\nAccept: application/json\r\n";
  const std::string list = "/sites/demo/_api/web/lists/getbytitle('Orders')";
  EXPECT_EQ(StatusLine(e, "GET", list, auth), "HTTP/1.1 200 OK");
  EXPECT_EQ(StatusLine(e, "GET", list), "HTTP/1.1 401 Unauthorized");
  EXPECT_EQ(StatusLine(e, "GET", "/sites/demo/_api/web/lists/getbytitle('Nope')", auth),
            "HTTP/1.1 404 Not Found");
  EXPECT_EQ(
      StatusLine(e, "GET", "/sites/demo/_api/web/lists/getbytitle('Big')/items?$top=6000", auth),
      "HTTP/1.1 500 Internal Server Error");
  EXPECT_EQ(StatusLine(e, "GET", list + "/items?$filter=Nope%20eq", auth),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(StatusLine(e, "DELETE", list + "/fields", auth), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(
      StatusLine(e, "GET", list,
                 "Authorization: Bearer secret\r\nAccept: application/json;odata=nometadata\r\n"
                 "OData-Version: 4.0\r\n"),
      "HTTP/1.1 406 Not Acceptable");
  EXPECT_EQ(StatusLine(e, "POST", list + "/items", auth + "Content-Type: application/json\r\n",
                       "{\"Title\":\"x\"}"),
            "HTTP/1.1 201 Created");
  EXPECT_EQ(StatusLine(e, "POST", list + "/items(1)",
                       auth + "X-HTTP-Method: MERGE\r\nIf-Match: \"99\"\r\n", "{\"Title\":\"y\"}"),
            "HTTP/1.1 412 Precondition Failed");
  EXPECT_EQ(StatusLine(e, "POST", list + "/items(1)", auth + "X-HTTP-Method: MERGE\r\n",
                       "{\"Title\":\"y\"}"),
            "HTTP/1.1 204 No Content");
  e.FailNext(RequestKind::kListMetadata, 1, FaultKind::kThrottle429);
  EXPECT_EQ(StatusLine(e, "GET", list, auth), "HTTP/1.1 429 Too Many Requests");
  e.FailNext(RequestKind::kListMetadata, 1, FaultKind::kBusy503);
  EXPECT_EQ(StatusLine(e, "GET", list, auth), "HTTP/1.1 503 Service Unavailable");
}

}  // namespace
}  // namespace spsync::emulator::testing
