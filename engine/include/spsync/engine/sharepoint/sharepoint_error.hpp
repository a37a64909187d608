// Errors from SharePoint, classified the way the sync engine acts on them.
#pragma once

#include <stdexcept>
#include <string>

namespace spsync::engine {

enum class ErrorKind {
  kTransient,       // 5xx, throttling that outlived its retries, transport trouble
  kAuth,            // 401 / 403
  kNotFound,        // list or item does not exist
  kTokenInvalid,    // change token expired, of another object, or malformed
  kThrottledQuery,  // list view threshold: the query itself is refused
  kBadResponse,     // a body that does not parse or break the protocol
  kBudget,          // the time budget ran out before the request could be made
  kOther
};

class SharePointError : public std::runtime_error {
 public:
  SharePointError(ErrorKind kind, int status, std::string code, const std::string& message)
      : std::runtime_error(message), kind_(kind), status_(status), code_(std::move(code)) {}
  ErrorKind kind() const { return kind_; }
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  ErrorKind kind_;
  int status_;
  std::string code_;
};

// Builds the error for a non-2xx response from its status and OData error
// body (either `odata.error` or verbose `error`), naming `what` was asked.
// `change_log`: the request was GetChanges, the only one whose errors can
// mean "this change token is no longer usable" (kTokenInvalid); elsewhere the
// same generic SPException codes are ordinary server errors.
SharePointError ErrorFromResponse(int status, const std::string& body, const std::string& what,
                                  bool change_log = false);

}  // namespace spsync::engine
