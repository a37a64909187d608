#include "env_expansion.hpp"

#include "spsync/engine/config.hpp"

#include <cstdlib>

namespace spsync::engine {

namespace config {

bool ExpandEnvInto(const std::string& value, std::string& out, std::string& why) {
  out.clear();
  size_t i = 0;
  while (i < value.size()) {
    if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '{') {
      size_t end = value.find('}', i + 2);
      if (end == std::string::npos) {
        why = "unterminated ${ in \"" + value + "\"";
        return false;
      }
      std::string inner = value.substr(i + 2, end - i - 2);
      std::string name = inner, fallback;
      bool has_default = false;
      if (auto p = inner.find(":-"); p != std::string::npos) {
        name = inner.substr(0, p);
        fallback = inner.substr(p + 2);
        has_default = true;
      }
      if (name.empty() || name.find_first_not_of(
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                              std::string::npos) {
        why = "\"${" + inner + "}\" is not a valid variable reference";
        return false;
      }
      const char* env = std::getenv(name.c_str());
      if (env != nullptr && *env != '\0') {
        out += env;
      } else if (has_default) {
        out += fallback;
      } else {
        why = "environment variable " + name + " is not set (write ${" + name +
              ":-default} to give a default)";
        return false;
      }
      i = end + 1;
    } else {
      out += value[i++];
    }
  }
  return true;
}

}  // namespace config

std::string ExpandEnv(const std::string& value, const std::string& where) {
  std::string out, why;
  if (!config::ExpandEnvInto(value, out, why)) throw ConfigError(where + ": " + why);
  return out;
}

}  // namespace spsync::engine
