// spsync sink SDK: text helpers sinks need (JSON strings, base64 for state
// bytes, safe file names for attachments). Part of sink.hpp; include that.
// Pure functions.
#ifndef SPSYNC_SDK_TEXT_HPP_
#define SPSYNC_SDK_TEXT_HPP_

#include <spsync/sdk/errors.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace spsync {
namespace sdk {

// ---- Text helpers -----------------------------------------------------------

// Appends `s` as a JSON string literal, quotes included (RFC 8259 escapes;
// bytes >= 0x80 pass through, so UTF-8 stays UTF-8).
inline void AppendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Standard base64 (RFC 4648, padded): how a sink keeps the engine's opaque
// state bytes in a text format (a JSON state file, an object's metadata).
inline std::string Base64Encode(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint32_t(uint8_t(bytes[i + 2]));
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// The inverse; throws Fatal naming `what` on a character outside the alphabet.
inline std::string Base64Decode(std::string_view text, const std::string& what) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) throw Fatal(what + ": invalid base64");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// Parses "YYYY-MM-DDTHH:MM:SS" followed by "Z" (or nothing), optionally with
// fractional seconds, as UTC; false if `iso` is not that. Portable (no
// timegm), for sinks that read their own ISO dates back.
inline bool ParseIsoUtc(std::string_view iso, int64_t* unix_seconds) {
  auto num = [&](size_t pos, size_t len, int* out) {
    if (pos + len > iso.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (iso[i] < '0' || iso[i] > '9') return false;
      v = v * 10 + (iso[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (!num(0, 4, &y) || iso.size() < 19 || iso[4] != '-' || !num(5, 2, &mo) || iso[7] != '-' ||
      !num(8, 2, &d) || (iso[10] != 'T' && iso[10] != ' ') || !num(11, 2, &h) || iso[13] != ':' ||
      !num(14, 2, &mi) || iso[16] != ':' || !num(17, 2, &sec))
    return false;
  size_t i = 19;
  if (i < iso.size() && iso[i] == '.') {
    ++i;
    while (i < iso.size() && iso[i] >= '0' && iso[i] <= '9') ++i;
  }
  if (i < iso.size() && iso[i] == 'Z') ++i;
  if (i != iso.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return false;
  // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
  const int yy = y - (mo <= 2 ? 1 : 0);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  *unix_seconds = days * 86400 + h * 3600 + mi * 60 + sec;
  return true;
}

// A file or object name for an attachment's FileName that is safe on every
// file system and in every URL, and injective (two names never share one):
// ASCII letters, digits, '-', '_' and '.' stay, every other byte (space, '#',
// '%', '/', '~', non-ASCII UTF-8, ...) becomes %XX, and a leading '.' too (no
// hidden files, no "." or ".."). A result longer than 200 bytes is cut and
// ends in '~' (which nothing else produces), a hash of the whole name and
// the extension, so it stays under every NAME_MAX. Keep the original name
// next to the file; this is not meant to be decoded.
inline std::string EncodeFileName(std::string_view name) {
  static const char kHex[] = "0123456789ABCDEF";
  auto plain = [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  std::string out;
  out.reserve(name.size() + 8);
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (plain(c) && !(i == 0 && c == '.')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (out.empty()) return "%";  // SharePoint never sends an empty name
  constexpr size_t kMax = 200;
  if (out.size() <= kMax) return out;
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64 of the original name
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  char hash[20];
  std::snprintf(hash, sizeof(hash), "~%016llx", static_cast<unsigned long long>(h));
  // The extension, if short, keeps the file recognisable.
  std::string ext;
  size_t dot = out.rfind('.');
  if (dot != std::string::npos && dot > 0 && out.size() - dot <= 16) ext = out.substr(dot);
  size_t cut = kMax - 17 - ext.size();
  // Never split a %XX escape.
  if (cut >= 1 && out[cut - 1] == '%') cut -= 1;
  if (cut >= 2 && out[cut - 2] == '%') cut -= 2;
  return out.substr(0, cut) + hash + ext;
}

}  // namespace sdk
}  // namespace spsync

#endif  // SPSYNC_SDK_TEXT_HPP_
