// libFuzzer: the emulator's CAML parser (GetItems bodies: the engine builds
// CAML, the emulator parses it), both JSON-light and verbose bodies.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "odata/caml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    auto q = spsync::emulator::detail::ParseCamlBody(body, (data[0] & 1) != 0);
    return q.row_limit == 0x7fffffff ? 1 : 0;
  } catch (const std::exception&) {
    return 0;
  }
}
