// Small, allocation-light helpers shared by every part of the emulator:
// deterministic hashing, ASCII case folding, JSON string output, ISO dates,
// .NET-style URL encoding, base64url and gzip. All functions are pure and
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spsync::emulator::detail {

uint64_t Mix(uint64_t x);
uint64_t Hash(uint64_t seed, std::string_view s);
uint64_t Hash3(uint64_t a, uint64_t b, uint64_t c);
std::string MakeGuid(uint64_t a, uint64_t b);  // lowercase, no braces
std::string Lower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);
bool IStartsWith(std::string_view s, std::string_view prefix);
void AppendJsonString(std::string& out, std::string_view s);
std::string JsonString(std::string_view s);
void AppendInt(std::string& out, int64_t v);
std::string FormatIso(int64_t unix_seconds);        // 2024-01-02T03:04:05Z
std::string HttpDate(int64_t unix_seconds);         // Tue, 02 Jan 2024 03:04:05 GMT
std::optional<int64_t> ParseIso(std::string_view);  // accepts Z, offsets and fractions
constexpr int64_t kTicksAtUnixEpoch = 621355968000000000LL;
inline int64_t UnixToTicks(int64_t s) {
  return s * 10000000LL + kTicksAtUnixEpoch;
}
inline int64_t TicksToUnix(int64_t t) {
  return (t - kTicksAtUnixEpoch) / 10000000LL;
}
// .NET HttpUtility.UrlEncode: lowercase hex, '+' for space, -_.!*() kept.
std::string UrlEncodeDotNet(std::string_view s);
std::string UrlDecode(std::string_view s, bool plus_as_space);
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::string GzipCompress(std::string_view data);
// Parses a JSON string literal at the start of raw (which must start with '"').
std::optional<std::string> UnescapeJsonString(std::string_view raw);

}  // namespace spsync::emulator::detail
