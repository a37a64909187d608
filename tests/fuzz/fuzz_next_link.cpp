// libFuzzer: next links and skiptokens. A next link from a response decides
// where the next request (with the credentials) goes: SameOrigin must hold
// only for the site's own scheme, host and port, whatever the text; and query
// values must percent-encode to something that contains no raw separators.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "spsync/engine/sharepoint/sharepoint_client.hpp"

using namespace spsync::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static SharePointClient* client = [] {
    ClientOptions o;
    o.site_url = "https://contoso.sharepoint.com/sites/sales";
    return new SharePointClient(o, nullptr, nullptr, nullptr);
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  bool same = client->SameOrigin(text);
  if (same) {
    // Whatever passes must really be https on contoso.sharepoint.com(:443):
    // the authority, after any userinfo (up to its last '@'), is that host.
    std::string lower;
    for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("https://", 0) != 0) std::abort();
    std::string authority = lower.substr(8, lower.find_first_of("/?#", 8) - 8);
    if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
    if (authority != "contoso.sharepoint.com" && authority != "contoso.sharepoint.com:443" &&
        authority != "contoso.sharepoint.com:")  // an empty port is the default one
      std::abort();
  }
  std::string enc = EncodeQueryValue(text);
  for (char c : enc)
    if (c == '&' || c == '#' || c == ' ' || c == '\n' || static_cast<unsigned char>(c) >= 0x80)
      std::abort();
  return 0;
}
