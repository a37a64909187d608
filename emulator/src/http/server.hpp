// Starting the HTTP server of one emulator.
#pragma once

#include <memory>

#include "impl.hpp"

namespace spsync::emulator {

// Binds impl.opt.host:port (setting impl.bound_port) and starts serving on
// the server's own thread pool; the caller owns the server and stops it.
std::unique_ptr<Poco::Net::HTTPServer> StartServer(Emulator::Impl& impl);

}  // namespace spsync::emulator
