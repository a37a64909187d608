#include "serve_http.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <istream>
#include <stdexcept>

namespace spsync::cli {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr size_t kMaxBody = 1 << 20;  // a notification batch is a few KB

void Reply(HTTPServerResponse& resp, int status, const std::string& type, const std::string& body) {
  resp.setStatus(static_cast<HTTPResponse::HTTPStatus>(status));
  resp.setContentType(type);
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.send() << body;
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(std::shared_ptr<ServeHandlers> h, std::string path)
      : h_(std::move(h)), path_(std::move(path)) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    Poco::URI uri(req.getURI());
    const std::string path = uri.getPath();
    const std::string& method = req.getMethod();
    try {
      if (path == path_ && method == "POST") return Webhook(req, resp, uri);
      if (path == "/healthz" && method == "GET") return Reply(resp, 200, "text/plain", "ok\n");
      if (path == "/readyz" && method == "GET") {
        std::string why;
        if (h_->ready(&why)) return Reply(resp, 200, "text/plain", "ready\n");
        return Reply(resp, 503, "text/plain", "not ready: " + why + "\n");
      }
      if (path == "/metrics" && method == "GET")
        return Reply(resp, 200, "text/plain; version=0.0.4; charset=utf-8", h_->metrics());
      Reply(resp, 404, "text/plain", "not found\n");
    } catch (const std::exception& e) {
      spdlog::error("serve: {} {}: {}", method, path, e.what());
      if (!resp.sent()) Reply(resp, 500, "text/plain", "internal error\n");
    }
  }

 private:
  void Webhook(HTTPServerRequest& req, HTTPServerResponse& resp, const Poco::URI& uri) {
    for (const auto& [key, value] : uri.getQueryParameters()) {
      if (key != "validationtoken") continue;
      // The handshake: echo the token, as text/plain, at once.
      h_->validated();
      return Reply(resp, 200, "text/plain", value);
    }
    if (req.getContentLength() != HTTPServerRequest::UNKNOWN_CONTENT_LENGTH &&
        req.getContentLength() > static_cast<std::streamsize>(kMaxBody))
      return Reply(resp, 413, "text/plain", "too large\n");
    std::string body;
    std::istream& in = req.stream();
    char buf[8192];
    while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
      body.append(buf, static_cast<size_t>(in.gcount()));
      if (body.size() > kMaxBody) return Reply(resp, 413, "text/plain", "too large\n");
    }
    std::string reason;
    int status = h_->notification(body, &reason);
    Reply(resp, status, "text/plain", reason + "\n");
  }

  std::shared_ptr<ServeHandlers> h_;
  std::string path_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(std::shared_ptr<ServeHandlers> h, std::string path)
      : h_(std::move(h)), path_(std::move(path)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(h_, path_);
  }

 private:
  std::shared_ptr<ServeHandlers> h_;
  std::string path_;
};

}  // namespace

ServeHttp::ServeHttp(const engine::ServeConfig& cfg, ServeHandlers handlers)
    : cfg_(cfg), handlers_(std::make_shared<ServeHandlers>(std::move(handlers))) {}

ServeHttp::~ServeHttp() {
  Stop();
}

void ServeHttp::Start() {
  const std::string where = cfg_.address + ":" + std::to_string(cfg_.port);
  try {
    Poco::Net::SocketAddress addr(cfg_.address, static_cast<Poco::UInt16>(cfg_.port));
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (!cfg_.tls_certificate.empty()) {
      Poco::Net::Context::Ptr ctx =
          new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, cfg_.tls_key,
                                 cfg_.tls_certificate, "", Poco::Net::Context::VERIFY_NONE);
      socket = std::make_unique<Poco::Net::SecureServerSocket>(ctx);
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>();
    }
    // Poco's (address, backlog) constructors also set SO_REUSEPORT, which
    // lets a second daemon bind the same port and take half the
    // connections; a port in use must be an error.
    socket->bind(addr, true, false);
    socket->listen(64);
    port_ = socket->address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setKeepAlive(true);
    server_ =
        std::make_unique<Poco::Net::HTTPServer>(new Factory(handlers_, cfg_.path), *socket, params);
    server_->start();
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("serve: cannot listen on " + where + ": " + e.displayText());
  }
}

void ServeHttp::Stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
}

}  // namespace spsync::cli
