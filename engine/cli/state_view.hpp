// Helpers shared by the commands that show state (status).
#pragma once

#include "spsync/engine/config.hpp"

#include <cstdint>
#include <string>

namespace spsync::cli {

// Unix seconds as ISO-8601 UTC; "never" for 0.
std::string IsoTime(int64_t unix);
// The age of a change token as "5m", "3h" or "12d"; "-" when there is none.
std::string TokenAge(const std::string& token);

}  // namespace spsync::cli
