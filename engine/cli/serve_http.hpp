// The listener of `spsync serve` (Poco's HTTPServer): SharePoint's webhook
// calls on the configured path (the validation handshake, answered with the
// token as text/plain, and notifications), /healthz, /readyz and /metrics.
// Handlers only parse and hand over, so every answer leaves within
// SharePoint's 5 s whatever the sessions are doing.
//
// Thread safety: the callbacks are called on the server's threads, several
// at once; Start/Stop from one thread.
#pragma once

#include "spsync/engine/config.hpp"

#include <functional>
#include <memory>
#include <string>

namespace Poco::Net {
class HTTPServer;
}

namespace spsync::cli {

struct ServeHandlers {
  // A notification body; returns the HTTP status to answer (200 accepted,
  // 400 malformed, 403 refused) and sets a short reason.
  std::function<int(const std::string& body, std::string* reason)> notification;
  // A validation handshake was answered.
  std::function<void()> validated;
  // Ready? Else the reason (stale pairs).
  std::function<bool(std::string* why)> ready;
  std::function<std::string()> metrics;
};

class ServeHttp {
 public:
  ServeHttp(const engine::ServeConfig& cfg, ServeHandlers handlers);
  ~ServeHttp();
  // Binds and starts serving; throws std::runtime_error naming the address.
  void Start();
  void Stop();
  uint16_t port() const { return port_; }

 private:
  engine::ServeConfig cfg_;
  std::shared_ptr<ServeHandlers> handlers_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
};

}  // namespace spsync::cli
