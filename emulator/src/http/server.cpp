// The Poco HTTP server of one emulator, on a thread pool it owns.
#include "http/server.hpp"

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include <algorithm>

#include "http/front_end.hpp"

namespace spsync::emulator {
namespace {

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Emulator::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return NewFrontEnd(impl_);
  }

 private:
  Emulator::Impl& impl_;
};

// The server owns its thread pool so several emulators can run in one process.
class OwnedPoolServer : public Poco::Net::HTTPServer {
 public:
  OwnedPoolServer(std::unique_ptr<Poco::ThreadPool> pool, Emulator::Impl& impl,
                  Poco::Net::ServerSocket socket, Poco::Net::HTTPServerParams::Ptr params)
      : Poco::Net::HTTPServer(new Factory(impl), *pool, socket, params), pool_(std::move(pool)) {}
  ~OwnedPoolServer() override {
    stopAll(true);
    pool_->joinAll();
  }

 private:
  std::unique_ptr<Poco::ThreadPool> pool_;
};

}  // namespace

std::unique_ptr<Poco::Net::HTTPServer> StartServer(Emulator::Impl& impl) {
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress(impl.opt.host, impl.opt.port), true);
  socket.listen(64);
  impl.bound_port = socket.address().port();
  auto params = Poco::Net::HTTPServerParams::Ptr(new Poco::Net::HTTPServerParams);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  params->setMaxThreads(impl.opt.threads);
  params->setMaxQueued(256);
  auto pool = std::make_unique<Poco::ThreadPool>(2, std::max(impl.opt.threads, 2) + 2);
  auto server = std::make_unique<OwnedPoolServer>(std::move(pool), impl, socket, params);
  server->start();
  return server;
}

}  // namespace spsync::emulator
