// Checks a sink's configuration against the options the plugin declared
// (describe_options()), before open(), so `spsync validate` reports every
// mistake at once and in the operator's terms:
//
//   auto errors = ValidateOptions(*plugin, config);
//   for (const auto& e : errors) std::cerr << e << "\n";
//
// Reported: an unknown key (naming the key, the closest valid key if one is
// near, and every valid key; SPSYNC_OPTION_PREFIX options accept any key that
// starts with their prefix), a key given twice, a required option missing or
// empty, a non-integer value for an INTEGER option, a value other than
// true/false (also yes/no, 1/0, as sink.hpp accepts) for a BOOLEAN option.
// Only INTEGER and BOOLEAN values are ever quoted in a message, so a SECRET
// value never is.
//
// Thread safety: pure functions.
#pragma once

#include <spsync/plugins/loaded_plugin.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace spsync::plugins {

// One readable sentence per problem, in config order then declaration order;
// empty if the config is valid. `sink_name` starts each message.
std::vector<std::string> ValidateOptions(std::string_view sink_name,
                                         const std::vector<OptionInfo>& options,
                                         const SinkConfig& config);

// The same, for a loaded plugin.
std::vector<std::string> ValidateOptions(const LoadedPlugin& plugin, const SinkConfig& config);

}  // namespace spsync::plugins
