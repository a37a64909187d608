// A free TCP port for a server a test (or benchmark) starts later, shared
// by the serve tests and bench_serve.
#pragma once

#include <Poco/Net/ServerSocket.h>

#include <cstdint>
#include <fstream>
#include <random>

namespace spsync_serve_test {

// A port nothing listens on right now, taken below the kernel's ephemeral
// range (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default).
// Ports of bind(0) and of outgoing connections (the emulator, every parallel
// test's clients) come from that range: a port found free in it could be
// handed to one of them before `spsync serve` binds it, which failed a test
// with "Address already in use". Below it, only another test's random pick
// can collide (about one chance in 10,000).
inline uint16_t FreePort() {
  int low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
  static std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; low > 12000 && attempt < 100; ++attempt) {
    const auto port = static_cast<uint16_t>(low - 1 - static_cast<int>(rng() % 10000));
    try {
      Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
      s.close();
      return port;
    } catch (const Poco::Exception&) {
      // in use: try another
    }
  }
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  uint16_t port = s.address().port();
  s.close();
  return port;
}

}  // namespace spsync_serve_test
