// The HTTP front end of the emulator (see front_end.cpp).
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "impl.hpp"

namespace spsync::emulator {

// A handler for one request; Poco owns and deletes it. It only borrows impl,
// which outlives the server.
Poco::Net::HTTPRequestHandler* NewFrontEnd(Emulator::Impl& impl);

}  // namespace spsync::emulator
