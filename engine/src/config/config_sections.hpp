// Internal: readers of the config's sections, shared by config.cpp (sinks,
// entities, run) and config_sites.cpp (sites, auth, discovery rules).
#pragma once

#include "config_reader.hpp"
#include "spsync/engine/config.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::engine::config {

// `site` (one site, named "default") or `sites` (name -> site).
void ReadSites(ConfigReader& r, const ConfigNode& root, Config& c);
// Every site's `discover` rules; after the sinks, which rules name.
void ReadDiscoverRules(ConfigReader& r, const ConfigNode& root, Config& c);

// `serve` (config_serve.cpp).
void ReadServe(ConfigReader& r, const ConfigNode& serve, ServeConfig& out);

// The keys an entity and a discovery rule share (select, pageSize,
// fetchLimit, tokenMaxAgeDays, streams, the export keys, and the complete
// backup switches attachments, versions, resolve) into `e`.
inline constexpr std::array<std::string_view, 15> kEntityOptionKeys = {
    "select",         "pageSize",          "fetchLimit",         "tokenMaxAgeDays", "streams",
    "fullSync",       "exportAbove",       "exportContainerUrl", "exportQueueUrl",  "exportEncrypt",
    "exportProgress", "exportPollSeconds", "attachments",        "versions",        "resolve"};
void ReadEntityOptions(ConfigReader& r, const ConfigNode& o, EntityConfig& e);
// `o.sinks`: at least one, each defined under `sinks`.
std::vector<std::string> ReadSinkNames(ConfigReader& r, const ConfigNode& o, const Config& c);

}  // namespace spsync::engine::config
