#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <Poco/JSON/Parser.h>

namespace spsync::engine {

namespace {

// Returns (code, message) from an OData error body, or empty strings.
std::pair<std::string, std::string> ParseODataError(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    Poco::JSON::Object::Ptr err;
    if (root->has("odata.error"))
      err = root->getObject("odata.error");
    else if (root->has("error"))
      err = root->getObject("error");
    if (err.isNull()) {
      if (root->has("error_description"))
        return {"", root->getValue<std::string>("error_description")};
      return {"", ""};
    }
    std::string code = err->has("code") ? err->getValue<std::string>("code") : "";
    std::string message;
    if (err->has("message")) {
      auto m = err->get("message");
      if (m.type() == typeid(Poco::JSON::Object::Ptr)) {
        auto mo = m.extract<Poco::JSON::Object::Ptr>();
        if (mo->has("value")) message = mo->getValue<std::string>("value");
      } else {
        message = m.toString();
      }
    }
    return {code, message};
  } catch (...) {
    return {"", ""};
  }
}

bool Contains(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

SharePointError ErrorFromResponse(int status, const std::string& body, const std::string& what,
                                  bool change_log) {
  auto [code, message] = ParseODataError(body);
  ErrorKind kind = ErrorKind::kOther;
  // Match on codes, not texts where possible: SharePoint localises messages.
  // -2130575172 (token older than the log) and -2130575173 (token of another
  // object) are specific; -2146232832 is the generic SPException code, a
  // token error only when its message names the change token; a malformed
  // token is a FormatException / ArgumentOutOfRangeException.
  const bool token_words = Contains(message, "changeToken") || Contains(message, "change token") ||
                           Contains(message, "ChangeToken");
  if (change_log &&
      (Contains(code, "-2130575172") || Contains(code, "-2130575173") ||
       (Contains(code, "-2146232832") && token_words) || Contains(code, "FormatException") ||
       Contains(code, "ArgumentOutOfRange") || Contains(code, "-2146233086"))) {
    kind = ErrorKind::kTokenInvalid;
  } else if (Contains(code, "SPQueryThrottledException")) {
    kind = ErrorKind::kThrottledQuery;
  } else if (status == 401 || status == 403) {
    kind = ErrorKind::kAuth;
  } else if (status == 404) {
    kind = ErrorKind::kNotFound;
  } else if (status == 429 || status >= 500) {
    kind = ErrorKind::kTransient;
  }
  std::string text = what + ": HTTP " + std::to_string(status);
  if (!code.empty()) text += " (" + code + ")";
  if (!message.empty()) {
    text += ": " + message;
  } else if (!body.empty() && body.size() < 300 && body.find('<') == std::string::npos) {
    text += ": " + body;
  }
  return SharePointError(kind, status, code, text);
}

}  // namespace spsync::engine
