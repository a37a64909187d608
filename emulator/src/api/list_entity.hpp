// The SP.List entity as SharePoint serves it (the list itself, the lists
// collection, a created list): properties, metadata, the expanded RootFolder.
// Functions over a list read under Impl::mu.
#pragma once

#include <string>

#include "api/entity_query.hpp"
#include "api/router.hpp"

namespace spsync::emulator::detail {

// The list as one entity row for `query` (its $select and $expand=RootFolder).
EntityRow ListRow(const Call& c, const ListState& l, const EntityQuery& query);

// The navigation properties of SP.List that $expand accepts here.
std::vector<std::string> ListExpandable();

// The Atom types of SP.List properties (RootFolder is a navigation property).
AtomTypeHint ListAtomTypes();

}  // namespace spsync::emulator::detail
