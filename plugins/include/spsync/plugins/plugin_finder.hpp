// PluginFinder: where sink libraries are looked for, and discovery.
//
//   PluginFinder finder({"/opt/vendor/sinks"});        // --plugin-dir values
//   auto plugin = finder.Load("sqlite");                // or a path: "./libspsync-sink-x.so"
//   std::cout << FormatPluginTable(finder.Discover());  // `spsync sinks`
//
// Search order: the explicit directories (in the order given), then each
// directory of SPSYNC_PLUGIN_PATH (colon-separated, read when the finder is
// constructed), then `<directory of the running executable>/../lib/spsync/sinks`
// (the install prefix and the build tree both have that layout), then the
// install directory this spsync was configured with. A config names a plugin
// either by name (`sqlite` -> the first libspsync-sink-sqlite.so on the
// search path) or by path (anything containing a `/`).
//
// Ownership: a finder owns its search path; loaded plugins are shared_ptrs
// independent of the finder.
//
// Thread safety: const methods may be called concurrently.
#pragma once

#include <spsync/engine/sink.hpp>
#include <spsync/plugins/loaded_plugin.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::plugins {

// The file name of a sink called `name`: libspsync-sink-<name>.so.
std::string PluginFileName(std::string_view name);

// One library found by Discover(): either loaded (info set) or not (error
// set). A library whose name an earlier directory already provides is
// `shadowed`: Load(name) would not pick it.
struct DiscoveredPlugin {
  std::filesystem::path file;
  std::optional<engine::SinkInfo> info;
  std::string error;
  bool shadowed = false;
};

class PluginFinder {
 public:
  // `extra_dirs` come first (the CLI's --plugin-dir values); then the
  // environment, the executable-relative and the installed directories.
  explicit PluginFinder(std::vector<std::filesystem::path> extra_dirs = {});

  // The search path with explicit parts, for tests and embedders:
  // `env_path` is a SPSYNC_PLUGIN_PATH value, `executable` the running
  // program (its ../lib/spsync/sinks is searched; empty: skipped).
  PluginFinder(std::vector<std::filesystem::path> extra_dirs, std::string_view env_path,
               const std::filesystem::path& executable);

  // Every directory searched, in order, duplicates removed.
  const std::vector<std::filesystem::path>& search_path() const { return search_path_; }

  // Resolves a config's `plugin` value to a file. Throws PluginError listing
  // the directories searched if no such library exists.
  std::filesystem::path Find(std::string_view name_or_path) const;

  // Find() then LoadedPlugin::Load(). Throws PluginError.
  std::shared_ptr<LoadedPlugin> Load(std::string_view name_or_path) const;

  // Every libspsync-sink-*.so on the search path, in search order, each
  // loaded to read its description; failures are listed, not thrown.
  std::vector<DiscoveredPlugin> Discover() const;

 private:
  std::vector<std::filesystem::path> search_path_;
};

// The table `spsync sinks` prints: one row per library with name, version,
// ABI, capabilities and file; failed libraries show their error instead.
std::string FormatPluginTable(const std::vector<DiscoveredPlugin>& plugins);

}  // namespace spsync::plugins
