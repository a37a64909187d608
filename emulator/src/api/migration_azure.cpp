#include "api/migration_azure.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <ctime>
#include <stdexcept>

namespace spsync::emulator::detail {
namespace {

std::string Encode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Iso(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Sign(const std::string& key_b64, const std::string& to_sign) {
  std::string key = DecodeBase64(key_b64);
  if (key.empty()) throw std::invalid_argument("the storage account key is not base64");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(to_sign.data()), to_sign.size(), mac, &len);
  return Base64(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::pair<std::string, std::string> Split(const std::string& uri) {
  size_t q = uri.find('?');
  std::string resource = uri.substr(0, q);
  while (!resource.empty() && resource.back() == '/') resource.pop_back();
  return {resource, q == std::string::npos ? "" : uri.substr(q + 1)};
}

constexpr const char* kVersion = "2021-08-06";

}  // namespace

AzureAnswer AzureSend(const std::string& method, const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body) {
  Poco::URI uri(url);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  try {
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse res;
    std::istream& in = session.receiveResponse(res);
    AzureAnswer a;
    a.status = static_cast<int>(res.getStatus());
    Poco::StreamCopier::copyToString(in, a.body);
    a.error_code = res.get("x-ms-error-code", "");
    return a;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("Azure Storage at " + uri.getHost() + ":" +
                             std::to_string(uri.getPort()) + " did not answer: " + e.displayText());
  }
}

std::string AzureBlobUrl(const std::string& container_uri, const std::string& blob) {
  auto [resource, query] = Split(container_uri);
  return resource + "/" + Encode(blob, true) + (query.empty() ? "" : "?" + query);
}

std::string AzureMessagesUrl(const std::string& queue_uri) {
  auto [resource, query] = Split(queue_uri);
  return resource + "/messages" + (query.empty() ? "" : "?" + query);
}

std::string AzureWithQuery(const std::string& resource_uri, const std::string& extra) {
  auto [resource, query] = Split(resource_uri);
  return resource + "?" + extra + (query.empty() ? "" : "&" + query);
}

std::string MintServiceSas(const std::string& account, const std::string& key_b64, bool queue,
                           const std::string& name, const std::string& permissions,
                           int64_t expiry_unix) {
  // Azure's service SAS layouts (2020-12-06 on): blob
  // sp st se canonical si sip spr sv sr snapshot ses rscc rscd rsce rscl rsct;
  // queue sp st se canonical si sip spr sv.
  const std::string se = Iso(expiry_unix), spr = "https,http";
  std::string canonical = (queue ? "/queue/" : "/blob/") + account + "/" + name;
  std::string to_sign =
      permissions + "\n\n" + se + "\n" + canonical + "\n\n\n" + spr + "\n" + kVersion;
  if (!queue) to_sign += "\nc\n\n\n\n\n\n\n";
  std::string q = "sv=" + std::string(kVersion) + "&se=" + Encode(se, false);
  if (!queue) q += "&sr=c";
  q += "&sp=" + permissions + "&spr=" + Encode(spr, false) +
       "&sig=" + Encode(Sign(key_b64, to_sign), false);
  return q;
}

std::string MintAccountSas(const std::string& account, const std::string& key_b64,
                           int64_t expiry_unix) {
  // account sp ss srt st se sip spr sv ses, each ending with a newline.
  const std::string sp = "rwdlacup", ss = "bq", srt = "sco", se = Iso(expiry_unix);
  std::string to_sign =
      account + "\n" + sp + "\n" + ss + "\n" + srt + "\n\n" + se + "\n\n\n" + kVersion + "\n\n";
  return "sv=" + std::string(kVersion) + "&ss=" + ss + "&srt=" + srt + "&sp=" + sp +
         "&se=" + Encode(se, false) + "&sig=" + Encode(Sign(key_b64, to_sign), false);
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return "";
  std::string out(text.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return "";
  // EVP_DecodeBlock counts the padding's bytes too.
  size_t len = static_cast<size_t>(n);
  if (text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::string RandomBytesOrThrow(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

std::string Aes256CbcEncrypt(std::string_view key, std::string_view iv, std::string_view plain) {
  if (key.size() != 32 || iv.size() != 16)
    throw std::invalid_argument("AES-256-CBC needs a 32-byte key and a 16-byte IV");
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::string out(plain.size() + 16, '\0');
  int n1 = 0, n2 = 0;
  bool ok = c != nullptr &&
            EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), nullptr,
                               reinterpret_cast<const unsigned char*>(key.data()),
                               reinterpret_cast<const unsigned char*>(iv.data())) == 1 &&
            EVP_EncryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &n1,
                              reinterpret_cast<const unsigned char*>(plain.data()),
                              static_cast<int>(plain.size())) == 1 &&
            EVP_EncryptFinal_ex(c, reinterpret_cast<unsigned char*>(out.data()) + n1, &n2) == 1;
  EVP_CIPHER_CTX_free(c);
  if (!ok) throw std::runtime_error("AES-256-CBC encryption failed");
  out.resize(static_cast<size_t>(n1 + n2));
  return out;
}

}  // namespace spsync::emulator::detail
