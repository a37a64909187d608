// AES-256-CBC as the Migration API uses it (PKCS7 padding, 16-byte IV per
// blob or message, a 32-byte key the client chose), base64, and random keys.
// OpenSSL EVP underneath.
//
// Thread safety: a Decryptor is used by one thread; the free functions are
// thread-safe.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace spsync::engine::exporter {

// Decryption that cannot be right: a key or IV of the wrong size, or bad
// padding at the end (a wrong key, or a tampered blob).
class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Streaming decryption: Update() as the ciphertext arrives, Final() once.
class AesCbcDecryptor {
 public:
  // `key` 32 bytes, `iv` 16 bytes; throws CryptoError otherwise.
  AesCbcDecryptor(std::string_view key, std::string_view iv);
  ~AesCbcDecryptor();
  AesCbcDecryptor(const AesCbcDecryptor&) = delete;
  AesCbcDecryptor& operator=(const AesCbcDecryptor&) = delete;
  // Appends the plaintext decrypted so far to *out (all but the last block,
  // which waits for Final because it carries the padding).
  void Update(std::string_view ciphertext, std::string* out);
  // Appends the last block; throws CryptoError when the padding is wrong.
  void Final(std::string* out);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// One-shot encryption (PKCS7): the emulator's server side and tests.
std::string AesCbcEncrypt(std::string_view key, std::string_view iv, std::string_view plaintext);
// One-shot decryption; throws CryptoError.
std::string AesCbcDecrypt(std::string_view key, std::string_view iv, std::string_view ciphertext);

// `n` bytes from OpenSSL's CSPRNG (RAND_bytes); throws CryptoError if it fails.
std::string RandomBytes(size_t n);

std::string Base64Encode(std::string_view bytes);
// Strict standard base64 (padding optional, no whitespace); false if malformed.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace spsync::engine::exporter
