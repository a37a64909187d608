// What the emulator's Migration Export jobs need from Azure Storage and
// crypto, written independently of the engine's client (engine/src/export/)
// so that the two sides check each other: Blob and Queue REST over Poco's
// HTTP client, service and account SAS minting (HMAC-SHA256 over Azure's
// string-to-sign layouts), AES-256-CBC with PKCS7 and base64 (OpenSSL).
//
// Thread-safety: pure functions; each call opens its own connection.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::emulator::detail {

struct AzureAnswer {
  int status = 0;
  std::string body;
  std::string error_code;  // x-ms-error-code
};

// One request to `url` (http or https, SAS in the query). Throws
// std::runtime_error when the connection fails.
AzureAnswer AzureSend(const std::string& method, const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body);

// `container_uri` + "/" + blob path (segments percent-encoded) + its SAS query.
std::string AzureBlobUrl(const std::string& container_uri, const std::string& blob);
// `queue_uri` + "/messages" + its SAS query.
std::string AzureMessagesUrl(const std::string& queue_uri);
// `resource_uri` + "?" + extra + "&" + its SAS query.
std::string AzureWithQuery(const std::string& resource_uri, const std::string& extra);

// A service SAS query string for one container (sr=c) or queue, version
// 2021-08-06, HTTP and HTTPS allowed (Azurite serves HTTP).
std::string MintServiceSas(const std::string& account, const std::string& key_b64, bool queue,
                           const std::string& name, const std::string& permissions,
                           int64_t expiry_unix);
// An account SAS (blob and queue services, service/container/object), for
// creating containers and queues.
std::string MintAccountSas(const std::string& account, const std::string& key_b64,
                           int64_t expiry_unix);

std::string Base64(std::string_view bytes);
std::string DecodeBase64(std::string_view text);  // "" if malformed
std::string RandomBytesOrThrow(size_t n);
std::string Aes256CbcEncrypt(std::string_view key, std::string_view iv, std::string_view plain);

}  // namespace spsync::emulator::detail
