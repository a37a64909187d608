// Relative paths in a config resolve against the config file's folder, so the
// same cron line run from another folder finds the same database and the
// same work directory. Earlier spsync resolved them against the current
// directory; the fallback below keeps an operator's existing state in use
// after the upgrade (rather than silently starting a second, empty copy).
#include "spsync/engine/config.hpp"

#include <filesystem>
#include <system_error>

namespace spsync::engine {

std::string ResolveConfigPath(const std::string& value, const std::string& key_path,
                              const std::string& config_dir, std::vector<std::string>* warnings) {
  namespace fs = std::filesystem;
  if (value.empty()) return value;
  fs::path given(value);
  if (given.is_absolute()) return value;
  fs::path beside = (fs::path(config_dir) / given).lexically_normal();
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return beside.string();
  fs::path old = (cwd / given).lexically_normal();
  if (old == beside || fs::exists(beside, ec) || !fs::exists(old, ec)) return beside.string();
  if (warnings != nullptr)
    warnings->push_back("`" + key_path + "`: \"" + value +
                        "\" is now relative to the config's folder, but " + beside.string() +
                        " does not exist; using " + old.string() +
                        " (relative to the current directory, as before). To silence this "
                        "warning, move it to " +
                        beside.string() + ", or give `" + key_path + "` as an absolute path");
  return old.string();
}

}  // namespace spsync::engine
