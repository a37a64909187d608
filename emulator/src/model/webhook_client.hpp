// The webhook machinery's outgoing HTTP: one POST to a notification URL
// (plain HTTP, or HTTPS verified against the system's CAs) with a deadline,
// and the validation handshake SharePoint performs when a subscription is
// created. Free functions; thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace Poco::Net {
class HTTPClientSession;
}

namespace spsync::emulator::detail {

struct PostOutcome {
  int status = 0;  // 0: no answer (refused, reset, timed out)
  std::string content_type, body;
  std::string error;  // why there was no answer
  std::chrono::milliseconds took{0};
};

// POSTs `body` to `url` and reads the answer, all within `timeout` (each
// socket operation times out at `timeout`, and an answer that took longer in
// total counts as none). `track` (optional) is called with the session once
// it exists and with nullptr before it is destroyed, so another thread can
// shut its socket down to abandon the POST.
PostOutcome PostTo(const std::string& url, const std::string& content_type, const std::string& body,
                   std::chrono::milliseconds timeout,
                   const std::function<void(Poco::Net::HTTPClientSession*)>& track = {});

// SharePoint's handshake: POST {url}?validationtoken={random} with an empty
// body; true when answered 200, text/plain, with the token as the body,
// within `timeout`.
bool ValidateNotificationUrl(const std::string& url, std::chrono::milliseconds timeout);

// Whether SharePoint would accept the URL: https, and (emulator only) http
// to 127.0.0.1, ::1 or localhost, where tests run their receivers.
bool AcceptableNotificationUrl(const std::string& url);

}  // namespace spsync::emulator::detail
