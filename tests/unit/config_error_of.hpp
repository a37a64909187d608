// The config tests' one helper: the error ParseConfig reports for a text.
#pragma once

#include "spsync/engine/config.hpp"

#include <string>

namespace spsync_config_test {

// What ParseConfig throws for `text` read as file `file`, or "(no error)".
inline std::string ErrorOf(const std::string& text, const std::string& file = "test.json") {
  try {
    spsync::engine::ParseConfig(text, file);
  } catch (const spsync::engine::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace spsync_config_test
