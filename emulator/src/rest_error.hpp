// The error every layer throws to give SharePoint's answer: the front end
// turns it into an error body in the negotiated format. A plain value type.
#pragma once

#include <stdexcept>
#include <string>

namespace spsync::emulator::detail {

// A SharePoint error answer: status, "<int>, <ExceptionType>" code and message.
struct RestError : std::runtime_error {
  RestError(int s, std::string c, const std::string& m)
      : std::runtime_error(m), status(s), code(std::move(c)) {}
  int status;
  std::string code;
};

}  // namespace spsync::emulator::detail
