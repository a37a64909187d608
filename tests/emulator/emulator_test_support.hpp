// Helpers for the emulator tests: a plain Poco HTTP client and JSON parsing.
#pragma once

#include <Poco/InflatingStream.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "spsync/emulator/emulator.hpp"

namespace spsync::emulator::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // as sent
  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (Poco::icompare(k, name) == 0) return v;
    return "";
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

inline HttpResult Http(const std::string& url, const std::string& method = "GET",
                       const Headers& headers = {{"Accept", "application/json;odata=nometadata"}},
                       const std::string& body = "") {
  Poco::URI uri(url);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setTimeout(Poco::Timespan(20, 0));
  // Send the path and query verbatim (next links must be followed as given);
  // only spaces, which the tests write literally, are escaped.
  std::string target = url.substr(url.find('/', url.find("//") + 2));
  std::string escaped;
  for (char c : target) escaped += c == ' ' ? std::string("%20") : std::string(1, c);
  Poco::Net::HTTPRequest req(method, escaped, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpResult r;
  r.status = resp.getStatus();
  for (const auto& [k, v] : resp) r.headers[k] = v;
  if (resp.get("Content-Encoding", "") == "gzip") {
    Poco::InflatingInputStream inflate(in, Poco::InflatingStreamBuf::STREAM_GZIP);
    Poco::StreamCopier::copyToString(inflate, r.body);
  } else {
    Poco::StreamCopier::copyToString(in, r.body);
  }
  return r;
}

inline Poco::JSON::Object::Ptr Json(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

inline Headers Accept(const std::string& accept) {
  return {{"Accept", accept}};
}
inline const char* kNoMeta = "application/json;odata=nometadata";
inline const char* kVerbose = "application/json;odata=verbose";

inline std::string ApiList(const Emulator& e, const std::string& title) {
  return e.SiteUrl() + "/_api/web/lists/getbytitle('" + title + "')";
}

}  // namespace spsync::emulator::testing
