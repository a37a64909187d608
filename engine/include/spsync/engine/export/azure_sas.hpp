// Azure Storage service SAS: minting (HMAC-SHA256 over the documented
// string-to-sign, for the emulator's ProvisionMigrationContainers, the demo
// and tests) and the URL handling the engine needs for SAS URLs it is given:
// splitting resource and token, and a form safe to log (no query: the
// signature is a secret).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace spsync::engine::exporter {

// The service version minted SAS tokens carry (`sv`): accepted by Azure and
// by Azurite 3.36; its string-to-sign has the `ses` line (>= 2020-12-06).
inline constexpr const char* kSasVersion = "2021-08-06";

struct SasSpec {
  std::string account;          // e.g. devstoreaccount1
  std::string account_key_b64;  // the account key as the portal shows it (base64)
  bool queue = false;           // false: a blob container (sr=c); true: a queue
  std::string resource;         // container or queue name
  std::string permissions;      // e.g. "rw" (container), "raup" (queue)
  std::string start;            // "" or ISO 8601 UTC, e.g. 2025-01-01T00:00:00Z
  std::string expiry;           // ISO 8601 UTC
  std::string protocol;         // "" (any), "https" or "https,http"
  std::string version = kSasVersion;
};

// The SAS query string (no leading '?'). Throws std::invalid_argument for a
// key that is not base64.
std::string MintServiceSas(const SasSpec& spec);

// The string-to-sign of `spec`, exposed for tests.
std::string SasStringToSign(const SasSpec& spec);

// "https://acct.blob.core.windows.net/c?sv=..&sig=.." -> resource URL and query.
struct SasUrl {
  std::string resource;  // scheme://host[:port]/path, no trailing slash
  std::string query;     // without '?', "" if none
};
SasUrl SplitSasUrl(std::string_view url);

// The URL without its query string: what logs and errors may show.
std::string RedactUrl(std::string_view url);

// Unix seconds -> "YYYY-MM-DDTHH:MM:SSZ".
std::string IsoUtc(int64_t unix_seconds);

}  // namespace spsync::engine::exporter
