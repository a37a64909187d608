// Building the emulator's site collections from Options (estate.cpp).
// Called once, before the server starts.
#pragma once

#include "impl.hpp"

namespace spsync::emulator::detail {

// Fills impl.sites, webs_by_url and primary from impl.opt; throws
// std::invalid_argument naming the site, web or list that is wrong.
void BuildSites(Emulator::Impl& impl);

// Adds a list a user declared (or a client created) to `web`; throws
// std::invalid_argument for a bad spec or a title the web already has.
void AddListToWeb(Emulator::Impl& impl, WebState& web, const ListSpec& spec, int generation,
                  int64_t created);

}  // namespace spsync::emulator::detail
