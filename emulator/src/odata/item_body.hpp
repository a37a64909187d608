// Item create/update bodies (verbose or JSON light) as SharePoint validates
// them. Pure function of the body and the list's columns.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/synthetic_list.hpp"

namespace spsync::emulator::detail {

// A create/update body as (column, raw nometadata JSON) pairs; throws
// RestError with SharePoint's answer for bad bodies.
std::vector<std::pair<int, std::string>> ParseItemBody(const ListState& list, std::string_view body,
                                                       bool verbose_content_type);

}  // namespace spsync::emulator::detail
