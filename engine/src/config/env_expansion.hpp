// ${VAR} and ${VAR:-default} expansion (see ExpandEnv in config.hpp), with
// the reason for a failure returned rather than thrown, so the config reader
// can point the error at the value's line.
//
// Thread safety: reads the environment (getenv); do not race setenv.
#pragma once

#include <string>

namespace spsync::engine::config {

// Expands `value` into `out`. On failure returns false and says why in `why`
// (a sentence without any key or file name).
bool ExpandEnvInto(const std::string& value, std::string& out, std::string& why);

}  // namespace spsync::engine::config
