// Reading the waits SharePoint asks for: `Retry-After` (delta-seconds or an
// HTTP-date, RFC 9110 10.2.3) and `RateLimit-Reset` (seconds). Header values
// come from the network, so nothing here throws: a value that does not parse,
// is negative or is absurdly long counts as absent, and the caller backs off
// on its own schedule instead.
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace spsync::engine {

// Longer waits than this are not believed (a mangled header, or a block that
// backing off handles better than sleeping for hours).
inline constexpr std::chrono::seconds kMaxBelievedWait{3600};

// The wait a `Retry-After` value asks for, measured from `now` for the
// HTTP-date form; nullopt if absent, unparsable or absurd. A date in the past
// is a wait of zero.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now);

// A non-negative decimal integer of at most `max`; nullopt otherwise (never
// throws, whatever the length of the digits).
std::optional<int64_t> ParseBoundedInt(std::string_view value, int64_t max);

}  // namespace spsync::engine
