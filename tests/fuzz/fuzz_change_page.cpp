// libFuzzer: a GetChanges response (nometadata, minimal or verbose).
#include <cstddef>
#include <cstdint>
#include <string>

#include "spsync/engine/sharepoint/change_page.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  try {
    auto changes = spsync::engine::ParseChangePage(body);
    size_t n = 0;
    for (const auto& c : changes) {
      spsync::engine::ChangeTokenParts parts;
      n += spsync::engine::ParseChangeToken(c.token, &parts) ? 1 : 0;
    }
    return n == 0x7fffffff ? 1 : 0;
  } catch (const spsync::engine::MalformedBody&) {
    return 0;
  }
}
