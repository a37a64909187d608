#include "utf8.hpp"

namespace spsync::engine::config {

namespace {
bool Continuation(std::string_view s, size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
  if (i >= s.size()) return false;
  auto b = static_cast<unsigned char>(s[i]);
  return b >= lo && b <= hi;
}
}  // namespace

size_t Utf8SequenceLength(std::string_view s, size_t at) {
  if (at >= s.size()) return 0;
  auto b = static_cast<unsigned char>(s[at]);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return Continuation(s, at + 1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    // E0: no overlong forms; ED: no UTF-16 surrogates (U+D800-DFFF).
    unsigned char lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    return Continuation(s, at + 1, lo, hi) && Continuation(s, at + 2) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    // F0: no overlong forms; F4: nothing past U+10FFFF.
    unsigned char lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    return Continuation(s, at + 1, lo, hi) && Continuation(s, at + 2) && Continuation(s, at + 3)
               ? 4
               : 0;
  }
  return 0;
}

uint32_t DecodeUtf8(std::string_view q) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(q[i])); };
  switch (q.size()) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    case 4:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    default:
      return 0xFFFD;
  }
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string CodePointName(uint32_t cp) {
  static const char* digits = "0123456789ABCDEF";
  std::string hex;
  for (uint32_t v = cp; v != 0; v >>= 4) hex.insert(hex.begin(), digits[v & 15]);
  while (hex.size() < 4) hex.insert(hex.begin(), '0');
  return "U+" + hex;
}

std::string HexByte(unsigned char b) {
  static const char* digits = "0123456789ABCDEF";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

}  // namespace spsync::engine::config
