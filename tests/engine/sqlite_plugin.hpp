// The engine tests' way to the real SQLite sink plugin.
#pragma once

#include "spsync/engine/sink.hpp"
#include "spsync/plugins/loaded_plugin.hpp"
#include "spsync/plugins/plugin_finder.hpp"

#include <cstdlib>
#include <memory>
#include <string>

namespace spsync::test {

// The SQLite plugin writing to `path`. SPSYNC_ENGINE_TEST_PLUGIN_DIR runs the
// tests against another build of the plugin.
inline std::unique_ptr<engine::Sink> OpenSqlite(const std::string& path) {
  const char* dir = std::getenv("SPSYNC_ENGINE_TEST_PLUGIN_DIR");
  plugins::PluginFinder finder({dir && *dir ? dir : SPSYNC_PLUGIN_BUILD_DIR});
  return finder.Load("sqlite")->Open({{"path", path}});
}

}  // namespace spsync::test
