#include "spsync/engine/export/aes_cbc.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace spsync::engine::exporter {

struct AesCbcDecryptor::Ctx {
  EVP_CIPHER_CTX* c = nullptr;
  ~Ctx() { EVP_CIPHER_CTX_free(c); }
};

AesCbcDecryptor::AesCbcDecryptor(std::string_view key, std::string_view iv)
    : ctx_(std::make_unique<Ctx>()) {
  if (key.size() != 32)
    throw CryptoError("AES-256 key must be 32 bytes, not " + std::to_string(key.size()));
  if (iv.size() != 16)
    throw CryptoError("AES IV must be 16 bytes, not " + std::to_string(iv.size()));
  ctx_->c = EVP_CIPHER_CTX_new();
  if (ctx_->c == nullptr ||
      EVP_DecryptInit_ex(ctx_->c, EVP_aes_256_cbc(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(iv.data())) != 1)
    throw CryptoError("cannot set up AES-256-CBC decryption");
}

AesCbcDecryptor::~AesCbcDecryptor() = default;

void AesCbcDecryptor::Update(std::string_view in, std::string* out) {
  // OpenSSL may write up to one block more than it was given.
  size_t base = out->size();
  out->resize(base + in.size() + 16);
  int n = 0;
  if (EVP_DecryptUpdate(ctx_->c, reinterpret_cast<unsigned char*>(out->data() + base), &n,
                        reinterpret_cast<const unsigned char*>(in.data()),
                        static_cast<int>(in.size())) != 1)
    throw CryptoError("AES-256-CBC decryption failed");
  out->resize(base + static_cast<size_t>(n));
}

void AesCbcDecryptor::Final(std::string* out) {
  size_t base = out->size();
  out->resize(base + 16);
  int n = 0;
  if (EVP_DecryptFinal_ex(ctx_->c, reinterpret_cast<unsigned char*>(out->data() + base), &n) != 1)
    throw CryptoError(
        "AES-256-CBC padding is wrong: the key or the IV is not the one the data was encrypted "
        "with, or the data was altered");
  out->resize(base + static_cast<size_t>(n));
}

std::string AesCbcEncrypt(std::string_view key, std::string_view iv, std::string_view plaintext) {
  if (key.size() != 32 || iv.size() != 16)
    throw CryptoError("AES-256-CBC needs a 32/16-byte key/IV");
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::string out(plaintext.size() + 16, '\0');
  int n1 = 0, n2 = 0;
  bool ok = c != nullptr &&
            EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), nullptr,
                               reinterpret_cast<const unsigned char*>(key.data()),
                               reinterpret_cast<const unsigned char*>(iv.data())) == 1 &&
            EVP_EncryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &n1,
                              reinterpret_cast<const unsigned char*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(c, reinterpret_cast<unsigned char*>(out.data() + n1), &n2) == 1;
  EVP_CIPHER_CTX_free(c);
  if (!ok) throw CryptoError("AES-256-CBC encryption failed");
  out.resize(static_cast<size_t>(n1 + n2));
  return out;
}

std::string AesCbcDecrypt(std::string_view key, std::string_view iv, std::string_view ciphertext) {
  AesCbcDecryptor d(key, iv);
  std::string out;
  d.Update(ciphertext, &out);
  d.Final(&out);
  return out;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw CryptoError("the system's random generator failed (RAND_bytes)");
  return out;
}

std::string Base64Encode(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8 | b(i + 2);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = b(i) << 16;
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8;
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(kAlphabet[v >> 6 & 63]);
    out += "=";
  }
  return out;
}

bool Base64Decode(std::string_view in, std::string* out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  out->clear();
  out->reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) return false;
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

}  // namespace spsync::engine::exporter
