// libFuzzer: config files (the position-keeping JSON reader, ${VAR}
// expansion, every key's checks, path resolution), and Config::ErrorAt's
// lookup by key path on what parsed. Oracle: every error starts with the
// file name (then line:column), as operators are promised.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "spsync/engine/config.hpp"

namespace {
constexpr std::string_view kFile = "/fuzz/spsync.json";
void ExpectNamesTheFile(std::string_view message) {
  if (message.substr(0, kFile.size()) != kFile) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool env = [] {
    setenv("SPSYNC_FUZZ_A", "${SPSYNC_FUZZ_B}", 1);
    setenv("SPSYNC_FUZZ_B", "${SPSYNC_FUZZ_A}", 1);
    return true;
  }();
  (void)env;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto c = spsync::engine::ParseConfig(text, std::string(kFile));
    for (const char* key : {"", "site.url", "sinks.db.path", "entities[0].sinks[0]",
                            "entities[1].name", "run.workDir", "run.timeout[0]"})
      ExpectNamesTheFile(c.ErrorAt(key, "x").what());
    return c.entities.size() == 0x7fffffff ? 1 : 0;
  } catch (const spsync::engine::ConfigError& e) {
    ExpectNamesTheFile(e.what());
    return 0;
  }
}
