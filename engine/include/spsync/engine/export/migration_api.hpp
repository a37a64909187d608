// The SharePoint side of the Migration Export API (shared/docs/amr-export.md
// §1-2): provisioning, CreateSPAsyncReadJob, GetMigrationJobProgress, and the
// job events as they arrive in the report queue (base64 JSON, or the
// encrypted envelope) or in the progress logs.
//
// Thread safety: MigrationApi borrows a SharePointClient (thread-safe) and
// holds nothing else; events are plain data.
#pragma once

#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spsync::engine::exporter {

struct ProvisionedContainers {
  std::string data_uri, metadata_uri;  // SAS URLs (secrets)
};

struct CreatedJob {
  std::string job_id;  // lowercase GUID
  std::string current_change_token;
};

struct JobProgress {
  std::vector<std::string> logs;  // one event JSON text each
  std::string next_token;
};

// One job event (all values are strings on the wire, numbers too).
struct JobEvent {
  std::string event, job_id, time;
  std::string manifest_file;  // FinishManifestFileUpload: "<jobId>/<file>.xml"
  std::string error_code, message, object_url;
  int64_t objects_processed = 0, total_expected = 0, total_errors = 0;
};

class MigrationApi {
 public:
  explicit MigrationApi(SharePointClient& client) : client_(client) {}

  ProvisionedContainers ProvisionContainers(const Deadline& deadline);
  std::string ProvisionQueue(const Deadline& deadline);
  // `list_url`: the list's absolute URL; `key` 32 raw bytes or "" (no
  // encryption); `queue_url` "" = no queue.
  CreatedJob CreateJob(const std::string& list_url, const std::string& key,
                       const std::string& container_url, const std::string& queue_url,
                       const Deadline& deadline);
  // Throws SharePointError; code() "-2147213145" (not found) or
  // "-2147213146" (expired) means the job is gone.
  JobProgress GetProgress(const std::string& job_id, const std::string& next_token,
                          const Deadline& deadline);
  // The list's server-relative root folder URL (e.g. /sites/s/Lists/Tasks).
  std::string ListRootUrl(const std::string& list_id, const Deadline& deadline);

 private:
  SharePointClient& client_;
};

// A queue MessageText as the job wrote it: base64 of the event JSON, or of
// the encrypted envelope {"Label":"Encrypted","JobId","IV","Content"}; raw
// JSON is accepted too. `key` (raw bytes) decrypts envelopes. Throws
// std::runtime_error for an envelope that will not decrypt.
std::string DecodeQueueMessage(const std::string& text, const std::string& key);

// Parses one event JSON; nullopt if it is not an event object.
std::optional<JobEvent> ParseJobEvent(const std::string& json);

// Hides SAS signatures in text SharePoint or Azure wrote (sig=... ->
// sig=<hidden>), before it reaches a log or an error.
std::string ScrubSecrets(std::string text);

}  // namespace spsync::engine::exporter
