// A minimal S3 client over Poco::Net: just the calls the sink makes, every
// request signed with SigV4 (sigv4.hpp), errors mapped to the SDK's
// Retryable / Fatal with the S3 error code and message (never a header).
#ifndef SPSYNC_SINKS_S3_S3_CLIENT_HPP_
#define SPSYNC_SINKS_S3_S3_CLIENT_HPP_

#include <Poco/Net/HTTPClientSession.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sigv4.hpp"

namespace spsync::s3 {

struct ClientConfig {
  std::string endpoint;  // scheme://host[:port]; empty = AWS for `region`
  std::string region;
  std::string bucket;
  bool path_style = true;
  Credentials credentials;
  int timeout_seconds = 60;
};

struct Response {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string Header(const std::string& lower_name) const;
};

class Client {
 public:
  explicit Client(ClientConfig config);
  ~Client();

  void Put(const std::string& key, std::string_view body, const std::string& content_type);
  // Multipart upload in chunks of chunk_bytes (the last one may be smaller).
  void PutMultipart(const std::string& key, std::string_view body, const std::string& content_type,
                    size_t chunk_bytes);
  // The steps of a multipart upload, for bodies that are streamed: create
  // (returns the upload ID), upload part `number` (1-based; returns its
  // ETag), complete with every part's ETag in order, or abort.
  std::string CreateMultipart(const std::string& key, const std::string& content_type);
  std::string UploadPart(const std::string& key, const std::string& upload_id, int number,
                         std::string_view data);
  void CompleteMultipart(const std::string& key, const std::string& upload_id,
                         const std::vector<std::string>& etags);
  void AbortMultipart(const std::string& key, const std::string& upload_id);
  // The object's bytes, or nullopt if it does not exist.
  std::optional<std::string> Get(const std::string& key);
  // Up to `length` bytes from `offset` (a Range GET): "" at or past the end,
  // nullopt if the object does not exist.
  std::optional<std::string> GetRange(const std::string& key, uint64_t offset, size_t length);
  void Delete(const std::string& key);
  // Every key under `prefix` (ListObjectsV2, following continuation tokens);
  // with `start_after`, only keys after it (lexicographically).
  std::vector<std::string> List(const std::string& prefix, const std::string& start_after = "");
  // HEAD on the bucket: reachable and allowed.
  void HeadBucket();

  std::string Url(const std::string& key) const { return "s3://" + config_.bucket + "/" + key; }

 private:
  // Sends one signed request. Throws Retryable / Fatal on transport errors
  // and on statuses other than 2xx and those in `accept`.
  // `extra` headers are sent but not signed (a Range header).
  Response Send(const std::string& method, const std::string& key,
                const std::vector<std::pair<std::string, std::string>>& query,
                std::string_view body, const std::string& content_type,
                std::initializer_list<int> accept = {},
                const std::vector<std::pair<std::string, std::string>>& extra = {});
  Poco::Net::HTTPClientSession& Session();

  ClientConfig config_;
  std::string scheme_;
  std::string host_;  // endpoint host, without the bucket
  unsigned short port_ = 0;
  std::string host_header_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

}  // namespace spsync::s3

#endif  // SPSYNC_SINKS_S3_S3_CLIENT_HPP_
