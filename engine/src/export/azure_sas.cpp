#include "spsync/engine/export/azure_sas.hpp"

#include "spsync/engine/export/aes_cbc.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <stdexcept>
#include <vector>

namespace spsync::engine::exporter {

namespace {

std::string EncodeQueryComponent(std::string_view v) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::string SasStringToSign(const SasSpec& s) {
  // Azure's "Create a service SAS" layouts, one field a line; the canonical
  // resource is /<service>/<account>/<container or queue>.
  std::vector<std::string> f = {
      s.permissions, s.start,
      s.expiry,      std::string(s.queue ? "/queue/" : "/blob/") + s.account + "/" + s.resource,
      /*si*/ "",     /*sip*/ "",
      s.protocol,    s.version};
  if (!s.queue) {
    f.insert(f.end(), {/*sr*/ "c", /*snapshot*/ ""});
    // `ses` (encryption scope) joined the layout in 2020-12-06.
    if (s.version >= "2020-12-06") f.push_back("");
    f.insert(f.end(), {/*rscc*/ "", /*rscd*/ "", /*rsce*/ "", /*rscl*/ "", /*rsct*/ ""});
  }
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) out += (i ? "\n" : "") + f[i];
  return out;
}

std::string MintServiceSas(const SasSpec& s) {
  std::string key;
  if (!Base64Decode(s.account_key_b64, &key))
    throw std::invalid_argument("the storage account key is not base64");
  std::string to_sign = SasStringToSign(s);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(to_sign.data()), to_sign.size(), mac, &len);
  std::string sig = Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), len));
  std::string q = "sv=" + s.version;
  if (!s.start.empty()) q += "&st=" + EncodeQueryComponent(s.start);
  q += "&se=" + EncodeQueryComponent(s.expiry);
  if (!s.queue) q += "&sr=c";
  q += "&sp=" + s.permissions;
  if (!s.protocol.empty()) q += "&spr=" + EncodeQueryComponent(s.protocol);
  q += "&sig=" + EncodeQueryComponent(sig);
  return q;
}

SasUrl SplitSasUrl(std::string_view url) {
  SasUrl out;
  size_t q = url.find('?');
  out.resource = std::string(url.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(url.substr(q + 1));
  while (!out.resource.empty() && out.resource.back() == '/') out.resource.pop_back();
  return out;
}

std::string RedactUrl(std::string_view url) {
  size_t q = url.find('?');
  std::string out(url.substr(0, q));
  if (q != std::string_view::npos) out += "?<SAS hidden>";
  return out;
}

std::string IsoUtc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace spsync::engine::exporter
