// The ways a REST path names a list, and finding that list (with the 404
// SharePoint answers when there is none). Plain values and functions; Resolve
// needs Impl::mu held by the caller.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "api/path_cursor.hpp"
#include "impl.hpp"

namespace spsync::emulator::detail {

struct ListAddress {
  enum By { kNone, kTitle, kGuid, kUrl } by = kNone;
  std::string key;  // the title, GUID or server-relative URL as written
};

// Reads one list address at the cursor (moving past it); false if none.
bool ParseListAddress(PathCursor& c,
                      const std::vector<std::pair<std::string, std::string>>& aliases,
                      ListAddress& out);

// The list of `web`, or RestError 404 as SharePoint words it.
ListState& ResolveList(const Emulator::Impl& impl, const WebState& web, const ListAddress& address);

}  // namespace spsync::emulator::detail
