// spsync sink SDK: the exceptions a sink throws to return a status (part of
// sink.hpp; include that). Thread safety: immutable after construction.
#ifndef SPSYNC_SDK_ERRORS_HPP_
#define SPSYNC_SDK_ERRORS_HPP_

#include <spsync/sink.h>

#include <stdexcept>
#include <string>

namespace spsync {
namespace sdk {

// ---- Errors -----------------------------------------------------------------

// Thrown by a sink to return a status other than OK. The message is copied to
// the host.
class Error : public std::runtime_error {
 public:
  Error(spsync_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  spsync_status status() const { return status_; }

 private:
  spsync_status status_;
};

// Transient failure: nothing was committed by this call, the host retries.
class Retryable : public Error {
 public:
  explicit Retryable(const std::string& message) : Error(SPSYNC_RETRYABLE, message) {}
};

// Permanent failure: the session fails and the state does not advance.
class Fatal : public Error {
 public:
  explicit Fatal(const std::string& message) : Error(SPSYNC_FATAL, message) {}
};

}  // namespace sdk
}  // namespace spsync

#endif  // SPSYNC_SDK_ERRORS_HPP_
