// Reading the SP.ChangeQuery body of POST .../GetChanges. Pure functions.
#pragma once

#include <string_view>

#include "model/change_log.hpp"

namespace spsync::emulator::detail {

// Parses a GetChanges body (verbose or JSON light); throws RestError with
// SharePoint's answer for a malformed one.
ChangeQuery ParseChangeQuery(std::string_view body, bool verbose_content_type);

}  // namespace spsync::emulator::detail
