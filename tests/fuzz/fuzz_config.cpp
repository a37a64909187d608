// libFuzzer: config files (JSON, ${VAR} expansion, every key's checks).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "spsync/engine/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool env = [] {
    setenv("SPSYNC_FUZZ_A", "${SPSYNC_FUZZ_B}", 1);
    setenv("SPSYNC_FUZZ_B", "${SPSYNC_FUZZ_A}", 1);
    return true;
  }();
  (void)env;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto c = spsync::engine::ParseConfig(text, "/fuzz/spsync.json");
    return c.entities.size() == 0x7fffffff ? 1 : 0;
  } catch (const spsync::engine::ConfigError&) {
    return 0;
  }
}
