// libFuzzer: change tokens "1;3;{listId};{ticks};{changeNumber}" as stored in
// state and returned by SharePoint.
#include <cstddef>
#include <cstdint>
#include <string>

#include "spsync/engine/sharepoint/change_page.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string token(reinterpret_cast<const char*>(data), size);
  spsync::engine::ChangeTokenParts parts;
  if (spsync::engine::ParseChangeToken(token, &parts)) {
    volatile int64_t unix_s = spsync::engine::TicksToUnix(parts.ticks);
    (void)unix_s;
  }
  return 0;
}
