// Azure Blob and Queue over plain REST with SAS URLs (no Azure SDK): the
// calls the Migration Export path needs. The SAS travels in the query string
// only; errors and logs show URLs without it (RedactUrl).
//
// Retries: refused/reset connections, timeouts and 5xx are retried with
// exponential backoff while the deadline allows; 4xx are not.
//
// Thread safety: safe to share (HttpClient pools its connections); counters
// are atomic.
#pragma once

#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/http_client.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace spsync::engine::exporter {

// An answer from Azure Storage that is not a success: status, Azure's error
// code (x-ms-error-code, e.g. AuthorizationFailure, BlobNotFound) and the
// redacted URL in the message.
class AzureError : public std::runtime_error {
 public:
  AzureError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

struct BlobRange {
  std::string body;
  int64_t total_size = -1;  // from Content-Range (or Content-Length)
  std::string iv_b64;       // x-ms-meta-IV, "" when the blob has none (plaintext)
};

struct QueueMessage {
  std::string id, pop_receipt, text;
  int64_t dequeue_count = 0;
};

struct AzureStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> bytes{0};
};

class AzureStorageClient {
 public:
  explicit AzureStorageClient(std::shared_ptr<HttpClient> http, int max_attempts = 6);

  // GET of bytes [offset, offset+length) of `<container>/<blob>` (blob is
  // a path such as "<jobId>/Manifest.xml"); a range past the end returns
  // what there is. Throws AzureError (404: BlobNotFound) or TransportError.
  BlobRange GetBlobRange(const std::string& container_sas_url, const std::string& blob,
                         int64_t offset, int64_t length, const Deadline& deadline);
  // PUT a block blob with x-ms-meta-* metadata.
  void PutBlob(const std::string& container_sas_url, const std::string& blob,
               const std::string& body,
               const std::vector<std::pair<std::string, std::string>>& metadata,
               const Deadline& deadline);
  // Creates the container / queue (201, or 409 if it exists: both fine).
  // Needs account-level rights: the emulator's provisioning and tests only.
  void CreateContainer(const std::string& container_sas_url, const Deadline& deadline);
  void CreateQueue(const std::string& queue_sas_url, const Deadline& deadline);

  // Get Messages (dequeue): up to `max` (1-32), hidden for `visibility_s`.
  std::vector<QueueMessage> GetMessages(const std::string& queue_sas_url, int max, int visibility_s,
                                        const Deadline& deadline);
  void DeleteMessage(const std::string& queue_sas_url, const QueueMessage& m,
                     const Deadline& deadline);
  void PutMessage(const std::string& queue_sas_url, const std::string& text,
                  const Deadline& deadline);

  const AzureStats& stats() const { return stats_; }
  // Every client of this process together: a session's clients live only
  // while it runs, and what it cost in Azure is read after (bench suite 12).
  static const AzureStats& ProcessStats();

 private:
  HttpResponse Send(HttpRequest req, const std::string& what, const Deadline& deadline,
                    std::initializer_list<int> ok);

  std::shared_ptr<HttpClient> http_;
  int max_attempts_;
  AzureStats stats_;
};

// `<container URL>/<blob path>?<sas>` with each path segment percent-encoded.
std::string BlobUrl(const std::string& container_sas_url, const std::string& blob);

}  // namespace spsync::engine::exporter
