#include "sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace spsync::s3 {
namespace {

std::string Hex(const unsigned char* data, size_t len) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &len) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Canonical header values: leading/trailing blanks removed and inner runs of
// blanks collapsed to one (the suite's get-header-value-trim expects this
// even inside quotes).
std::string TrimCollapse(std::string_view v) {
  std::string out;
  bool blank = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      blank = !out.empty();
      continue;
    }
    if (blank) out.push_back(' ');
    blank = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view in, bool encode_slash) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() * 3);
  for (unsigned char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0x0f]);
    }
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof(digest));
}

SigV4Result SignV4(const SigV4Request& request, const Credentials& credentials) {
  SigV4Result result;

  // Query: encode first, then sort by encoded name, then by encoded value
  // (byte order, not locale order).
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [k, v] : request.query)
    query.emplace_back(UriEncode(k, true), UriEncode(v, true));
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query) {
    if (!canonical_query.empty()) canonical_query.push_back('&');
    canonical_query += k;
    canonical_query.push_back('=');
    canonical_query += v;
  }

  // Headers: lowercase names, stable sort so repeated names keep their order
  // when joined.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [k, v] : request.headers) headers.emplace_back(Lower(k), TrimCollapse(v));
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();  // the '\n' of the previous value
      canonical_headers.push_back(',');
    } else {
      if (!result.signed_headers.empty()) result.signed_headers.push_back(';');
      result.signed_headers += headers[i].first;
      canonical_headers += headers[i].first;
      canonical_headers.push_back(':');
    }
    canonical_headers += headers[i].second;
    canonical_headers.push_back('\n');
  }

  result.canonical_request = request.method + "\n" + request.canonical_uri + "\n" +
                             canonical_query + "\n" + canonical_headers + "\n" +
                             result.signed_headers + "\n" + request.payload_hash;

  const std::string date = request.amz_date.substr(0, 8);
  const std::string scope = date + "/" + request.region + "/" + request.service + "/aws4_request";
  result.string_to_sign = "AWS4-HMAC-SHA256\n" + request.amz_date + "\n" + scope + "\n" +
                          Sha256Hex(result.canonical_request);

  std::string key = Hmac("AWS4" + credentials.secret_access_key, date);
  key = Hmac(key, request.region);
  key = Hmac(key, request.service);
  key = Hmac(key, "aws4_request");
  const std::string raw = Hmac(key, result.string_to_sign);
  result.signature = Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());

  result.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                         ", SignedHeaders=" + result.signed_headers +
                         ", Signature=" + result.signature;
  return result;
}

}  // namespace spsync::s3
