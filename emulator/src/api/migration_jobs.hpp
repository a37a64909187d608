// The Migration Export API's server side (shared/docs/amr-export.md): jobs
// that read a list and write its migration package into an Azure Blob
// container (Azurite in tests) and their events into an Azure queue and into
// the GetMigrationJobProgress logs. Each job runs on its own thread at the
// configured pace (MigrationSpec::items_per_second).
//
// Thread-safety: MigrationJobs is shared by the request threads and the
// workers; its own mutex guards the jobs; workers read lists under
// Impl::mu (shared), a chunk of items at a time. Destruction stops and joins
// every worker.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "impl.hpp"

namespace spsync::emulator::detail {

struct MigrationJobRequest {
  std::string list_id;  // the list the URL names
  const WebState* web = nullptr;
  std::string container_uri;       // azureContainerManifestUri (with its SAS)
  std::string queue_uri;           // azureQueueReportUri ("" = none)
  std::string key;                 // 32 raw bytes, "" = no encryption
  std::string start_change_token;  // readOptions.StartChangeToken ("" = none)
};

struct MigrationJobView {
  std::vector<std::string> logs;  // event JSON texts from `from` on
  size_t next = 0;                // the NextToken to ask with next
  int state = 0;                  // GetMigrationJobStatus: 0 none/finished, 2 queued, 4 processing
  bool expired = false;           // status older than SharePoint keeps it (5 days)
};

class MigrationJobs {
 public:
  explicit MigrationJobs(Emulator::Impl& impl);
  ~MigrationJobs();
  MigrationJobs(const MigrationJobs&) = delete;
  MigrationJobs& operator=(const MigrationJobs&) = delete;

  // Starts a job; returns its id (lowercase GUID).
  std::string Create(MigrationJobRequest request);
  // Events from `from` on; nullopt for an unknown job.
  std::optional<MigrationJobView> Progress(const std::string& job_id, size_t from) const;

  // ProvisionMigrationContainers / ProvisionMigrationQueue: new containers
  // (a queue) in the configured account, with SAS URLs. Throw RestError
  // when no account is configured or Azure refuses.
  std::pair<std::string, std::string> ProvisionContainers();  // data, metadata
  std::string ProvisionQueue();

 private:
  struct Job;
  void Run(Job& job);
  void Emit(Job& job, const std::string& event_json);
  bool Wait(double seconds);  // false once stopping

  Emulator::Impl& impl_;
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::map<std::string, std::unique_ptr<Job>> jobs_;
  std::vector<std::thread> workers_;
  uint64_t counter_ = 0;
};

// The emulator's MigrationJobs, created on first use.
MigrationJobs& Migration(Emulator::Impl& impl);

}  // namespace spsync::emulator::detail
