// The entities of a run: the config's explicit ones and what its discovery
// rules find on each site, with the list each one was matched to (idle runs
// compare the list's dates with the pair's state), and the lists that
// appeared or went away since the last run. Reading a site costs one request
// per web for its lists, plus one per web for its subwebs when a rule wants
// them.
#pragma once

#include "runtime.hpp"
#include "spsync/engine/deadline.hpp"
#include "spsync/engine/discovery/discovery.hpp"

#include <string>
#include <utility>
#include <vector>

namespace spsync::cli {

struct Estate {
  engine::Expansion expansion;
  // Sites whose lists could not be read: (site, error). Their explicit
  // entities still run; their discovered ones wait for the next run, and
  // nothing of theirs is reported gone.
  std::vector<std::pair<std::string, std::string>> failed_sites;
};

// Reads every site and expands the rules; updates the discovery registries
// in the work directory (unless `dry`, for commands that only look).
Estate ReadEstate(Runtime& rt, const engine::Deadline& deadline, bool dry = false);

// The entities the registries know without asking SharePoint (for status
// and reset): explicit ones plus every discovered list, gone ones included.
struct KnownEntity {
  const engine::EntityEntry* entity = nullptr;  // explicit
  engine::KnownList discovered;                 // else this
  std::string site;
  std::string name() const { return entity ? entity->entity.name : discovered.name; }
  const std::vector<std::string>& sinks() const {
    return entity ? entity->sinks : discovered.sinks;
  }
  bool gone() const { return !entity && discovered.gone_since > 0; }
};
std::vector<KnownEntity> KnownEntities(const Runtime& rt);

}  // namespace spsync::cli
