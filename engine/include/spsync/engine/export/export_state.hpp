// What a Migration Export full sync keeps in the pair's state between
// sessions, so a kill or a time-out resumes the same job: the job, its key,
// the manifests announced so far, how many are applied and how far into the
// next one (in list items, which the sink has committed).
//
// Secrets: the key and provisioned SAS URLs live here, in the sink's state,
// next to the data they decrypt (README: "Migration Export"); they are
// never logged.
//
// Thread safety: plain data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace Poco::JSON {
class Object;
}

namespace spsync::engine {

struct ExportJobState {
  std::string job_id;                    // "" = no job
  std::string key_b64;                   // AES-256 key, "" = unencrypted job
  std::string container_url, queue_url;  // provisioned SAS URLs; "" = the config's
  int64_t created_unix = 0;
  std::vector<std::string> manifests;  // blob paths announced, in order
  int64_t done = 0;                    // manifests applied to their end
  int64_t item_pos = 0;                // list items of manifests[done] applied
  bool ended = false;                  // JobEnd seen
  int64_t errors = 0;                  // JobError events
  int64_t expected = 0;                // TotalExpectedSPObjects, for progress
  std::string progress_token = "0";    // GetMigrationJobProgress NextToken
  // Set when this full sync gave the export up: REST paging finishes it.
  std::string rest_reason;

  bool active() const { return !job_id.empty(); }
  bool operator==(const ExportJobState&) const = default;
};

void EncodeExportJob(const ExportJobState& s, Poco::JSON::Object& out);
ExportJobState DecodeExportJob(const Poco::JSON::Object& in);

}  // namespace spsync::engine
