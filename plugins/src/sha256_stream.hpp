// Sha256Stream: SHA-256 of bytes that arrive in chunks (an attachment as it
// streams through PluginSink), with OpenSSL's EVP interface.
//
// Ownership: owns its digest context. Thread safety: one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace spsync::plugins::detail {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Update(const void* data, size_t len);
  // 64 lowercase hex digits of everything given to Update(); the stream
  // starts over afterwards.
  std::string FinishHex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace spsync::plugins::detail
