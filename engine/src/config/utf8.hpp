// UTF-8 helpers for the config reader: validation (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF), encoding, and the names used
// in messages ("U+0009", "0xC3").
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace spsync::engine::config {

// The length (1-4) of the valid UTF-8 sequence starting at `s[at]`, or 0 if
// the bytes there are not valid UTF-8 (or `at` is past the end).
size_t Utf8SequenceLength(std::string_view s, size_t at);

// The code point of one valid sequence (as measured by Utf8SequenceLength).
uint32_t DecodeUtf8(std::string_view sequence);

// Appends code point `cp` (not a surrogate, at most U+10FFFF) as UTF-8.
void AppendUtf8(std::string& out, uint32_t cp);

// "U+0009", "U+00E9", "U+1F600".
std::string CodePointName(uint32_t cp);

// "0xC3".
std::string HexByte(unsigned char b);

}  // namespace spsync::engine::config
