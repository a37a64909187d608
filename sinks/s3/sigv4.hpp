// AWS Signature Version 4, as a pure function: no clock, no I/O, no state.
// Keeping it pure is what lets it be checked against AWS's published test
// vectors and byte for byte against the AWS SDK's signer.
#ifndef SPSYNC_SINKS_S3_SIGV4_HPP_
#define SPSYNC_SINKS_S3_SIGV4_HPP_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty if none
};

struct SigV4Request {
  std::string method;         // "GET", "PUT", ...
  std::string canonical_uri;  // the path exactly as it goes on the wire (already URI-encoded)
  // Query parameters, raw (not encoded); encoded and sorted by the signer.
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, as sent. Names are case-insensitive; a repeated name
  // is joined with ',' in the order given.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;  // lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
  std::string amz_date;      // "YYYYMMDDTHHMMSSZ"; must equal the x-amz-date header sent
  std::string region;
  std::string service;
};

struct SigV4Result {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lowercase hex
  std::string authorization;   // the complete Authorization header value
};

SigV4Result SignV4(const SigV4Request& request, const Credentials& credentials);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept,
// everything else %XX with uppercase hex; '/' kept unless encode_slash.
std::string UriEncode(std::string_view in, bool encode_slash);

// Lowercase hex SHA-256.
std::string Sha256Hex(std::string_view data);

}  // namespace spsync::s3

#endif  // SPSYNC_SINKS_S3_SIGV4_HPP_
