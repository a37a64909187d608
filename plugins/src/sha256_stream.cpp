#include "sha256_stream.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace spsync::plugins::detail {

struct Sha256Stream::Context {
  EVP_MD_CTX* ctx = nullptr;
  ~Context() { EVP_MD_CTX_free(ctx); }
  void Start() {
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("SHA-256: EVP_DigestInit_ex failed");
  }
};

Sha256Stream::Sha256Stream() : context_(std::make_unique<Context>()) {
  context_->ctx = EVP_MD_CTX_new();
  if (context_->ctx == nullptr) throw std::runtime_error("SHA-256: EVP_MD_CTX_new failed");
  context_->Start();
}

Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::Update(const void* data, size_t len) {
  if (len > 0 && EVP_DigestUpdate(context_->ctx, data, len) != 1)
    throw std::runtime_error("SHA-256: EVP_DigestUpdate failed");
}

std::string Sha256Stream::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(context_->ctx, digest, &n) != 1)
    throw std::runtime_error("SHA-256: EVP_DigestFinal_ex failed");
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  context_->Start();
  return hex;
}

}  // namespace spsync::plugins::detail
