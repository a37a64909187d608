#include "api/migration_jobs.hpp"

#include <chrono>
#include <ctime>
#include <shared_mutex>

#include "api/migration_azure.hpp"
#include "api/migration_manifest.hpp"
#include "model/change_log.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {

struct MigrationJobs::Job {
  std::string id, correlation;
  MigrationJobRequest req;
  std::vector<std::string> logs;  // guarded by MigrationJobs::mu_
  int state = 2;                  // queued
  int64_t created_unix = 0;       // emulator clock
};

namespace {

std::string GuidFromBytes(const std::string& b) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    unsigned char c = static_cast<unsigned char>(b[i]);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// "MM/dd/yyyy HH:mm:ss.fff" in UTC, as real AMR events carry it [code: I1].
std::string EventTime() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%m/%d/%Y %H:%M:%S", &tm);
  char frac[8];
  snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(ms % 1000));
  return std::string(buf) + frac;
}

// One event object; every value a JSON string, numbers too (amr-export.md §2).
std::string EventJson(const std::string& event, const std::string& job_id,
                      const std::string& correlation,
                      const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out = "{\"Event\":" + JsonString(event) + ",\"JobId\":" + JsonString(job_id) +
                    ",\"Time\":" + JsonString(EventTime());
  for (const auto& [k, v] : fields) out += "," + JsonString(k) + ":" + JsonString(v);
  out += ",\"CorrelationId\":" + JsonString(correlation) + "}";
  return out;
}

// The job's failure as SharePoint reports it: the package stops, the error is the last event.
struct JobFailed {
  std::string code, message;
};

}  // namespace

MigrationJobs::MigrationJobs(Emulator::Impl& impl) : impl_(impl) {}

MigrationJobs::~MigrationJobs() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

MigrationJobs& Migration(Emulator::Impl& impl) {
  std::lock_guard lock(impl.migration_mu);
  if (!impl.migration) impl.migration = std::make_shared<MigrationJobs>(impl);
  return *impl.migration;
}

bool MigrationJobs::Wait(double seconds) {
  std::unique_lock lock(mu_);
  if (seconds > 0)
    stop_cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return stopping_; });
  return !stopping_;
}

std::string MigrationJobs::Create(MigrationJobRequest request) {
  auto job = std::make_unique<Job>();
  job->id = GuidFromBytes(RandomBytesOrThrow(16));
  job->correlation = GuidFromBytes(RandomBytesOrThrow(16));
  job->req = std::move(request);
  job->created_unix = impl_.NowUnix();
  Job& ref = *job;
  std::lock_guard lock(mu_);
  jobs_[ref.id] = std::move(job);
  workers_.emplace_back([this, &ref] { Run(ref); });
  return ref.id;
}

std::optional<MigrationJobView> MigrationJobs::Progress(const std::string& job_id,
                                                        size_t from) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(Lower(job_id));
  if (it == jobs_.end()) return std::nullopt;
  MigrationJobView v;
  const auto& logs = it->second->logs;
  for (size_t i = std::min(from, logs.size()); i < logs.size(); ++i) v.logs.push_back(logs[i]);
  v.next = logs.size();
  v.state = it->second->state;
  // "Job status expired (valid for less than 5 days)" [doc: D4].
  v.expired = impl_.NowUnix() - it->second->created_unix >= 5 * 86400;
  return v;
}

void MigrationJobs::Emit(Job& job, const std::string& json) {
  {
    std::lock_guard lock(mu_);
    job.logs.push_back(json);
  }
  if (job.req.queue_uri.empty()) return;
  // MessageText = base64(JSON), or base64 of the encrypted envelope
  // (amr-export.md §2); the progress logs keep the plain JSON [guess: open question 7].
  std::string text = json;
  if (!job.req.key.empty()) {
    std::string iv = RandomBytesOrThrow(16);
    text = "{\"Label\":\"Encrypted\",\"JobId\":" + JsonString(job.id) +
           ",\"IV\":" + JsonString(Base64(iv)) +
           ",\"Content\":" + JsonString(Base64(Aes256CbcEncrypt(job.req.key, iv, json))) + "}";
  }
  std::string body = "<QueueMessage><MessageText>" + Base64(text) + "</MessageText></QueueMessage>";
  try {
    AzureAnswer a = AzureSend("POST", AzureMessagesUrl(job.req.queue_uri),
                              {{"Content-Type", "application/xml"}}, body);
    // A queue that refuses the event loses it (SharePoint does not retry
    // reports); the progress logs still have it.
    (void)a;
  } catch (const std::exception&) {
  }
}

void MigrationJobs::Run(Job& job) {
  const auto& spec = impl_.opt.migration;
  auto ev = [&](const std::string& event,
                const std::vector<std::pair<std::string, std::string>>& fields) {
    Emit(job, EventJson(event, job.id, job.correlation, fields));
  };
  const std::vector<std::pair<std::string, std::string>> kind = {
      {"TotalRetryCount", "0"}, {"MigrationType", "AsyncRead"}, {"MigrationDirection", "Export"}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> f) {
    f.insert(f.end(), kind.begin(), kind.end());
    return f;
  };
  ev("JobQueued", with({{"SiteId", job.req.web->site->id}, {"DbId", job.req.web->site->id}}));
  if (!Wait(0.05)) return;
  {
    std::lock_guard lock(mu_);
    job.state = 4;
  }
  ev("JobStart", with({{"SiteId", job.req.web->site->id},
                       {"WebId", "00000000-0000-0000-0000-000000000000"},
                       {"DBId", job.req.web->site->id}}));

  std::vector<std::string> written;  // "<jobId>/<file>" of every XML uploaded
  std::vector<std::string> manifests;
  int64_t exported = 0, expected = 0;
  std::string manifest, list_object;
  auto upload = [&](const std::string& file, const std::string& xml) {
    const std::string name = job.id + "/" + file;
    std::string body = xml;
    std::vector<std::pair<std::string, std::string>> headers = {
        {"x-ms-blob-type", "BlockBlob"}, {"Content-Type", "application/xml"}};
    if (!job.req.key.empty()) {
      std::string iv = RandomBytesOrThrow(16);
      body = Aes256CbcEncrypt(job.req.key, iv, xml);
      headers.emplace_back("x-ms-meta-IV", Base64(iv));
    }
    AzureAnswer a;
    try {
      a = AzureSend("PUT", AzureBlobUrl(job.req.container_uri, name), headers, body);
    } catch (const std::exception& e) {
      throw JobFailed{"-2146233088", e.what()};
    }
    if (a.status != 201)
      throw JobFailed{"-2147024891", "Azure Storage refused writing " + name + ": HTTP " +
                                         std::to_string(a.status) + " " + a.error_code};
    written.push_back(name);
    ev("FinishManifestFileUpload", {{"ManifestFileName", name}});
  };
  auto close_manifest = [&] {
    std::string file = manifests.empty()
                           ? "Manifest.xml"
                           : "Manifest" + std::to_string(manifests.size() + 1) + ".xml";
    // Split manifests as Manifest.xml, Manifest2.xml, ... [guess: open question 4].
    upload(file, kManifestHead + list_object + manifest + kManifestTail);
    manifests.push_back(job.id + "/" + file);
    manifest.clear();
    ev("JobProgress", with({{"ObjectsProcessed", std::to_string(exported)},
                            {"TotalExpectedSPObjects", std::to_string(expected)},
                            {"FilesCreated", "0"},
                            {"BytesProcessed", "0"},
                            {"TotalErrors", "0"},
                            {"TotalWarnings", "0"}}));
  };
  try {
    // A change token from before the change log's start is refused (D1).
    if (!job.req.start_change_token.empty()) {
      auto t = ParseChangeToken(job.req.start_change_token);
      if (!t) throw JobFailed{"-2147024809", "The change token is not valid."};
      std::shared_lock lock(impl_.mu);
      if (t->ticks < impl_.RetentionStartTicks())
        throw JobFailed{"-2146232832",
                        "The changeToken refers to a time before the start of the current change "
                        "log."};
      // Incremental reads export every live item [simplification: README].
    }
    int64_t cursor = 0;
    std::string export_settings, root_map;
    while (true) {
      int64_t n = 0;
      bool exhausted = false;
      {
        std::shared_lock lock(impl_.mu);
        const ListState* list = job.req.web->FindById(job.req.list_id);
        if (list == nullptr) throw JobFailed{"-2147024894", "The list does not exist any more."};
        if (list_object.empty()) {
          list_object = ManifestListObject(*job.req.web, *list);
          export_settings = ExportSettingsXml(*job.req.web, *list);
          root_map = RootObjectMapXml(*job.req.web, *list);
          expected = list->item_count();
        }
        // Each chunk of 200 IDs is written highest first: an export lists
        // items in no documented order, and clients must not rely on one.
        std::vector<int64_t> chunk;
        while (static_cast<int64_t>(chunk.size()) < 200) {
          int64_t id = list->NextLive(cursor + 1, 1, list->max_id(), true);
          if (id == 0) break;
          cursor = id;
          chunk.push_back(id);
        }
        exhausted = chunk.size() < 200;
        for (auto it = chunk.rbegin(); it != chunk.rend(); ++it)
          if (AppendManifestItem(*job.req.web, *list, *it, &manifest)) ++n;
      }
      exported += n;
      if (spec.fatal_after_items >= 0 && exported >= spec.fatal_after_items)
        throw JobFailed{"-2146233088", "Simulated failure after " + std::to_string(exported) +
                                           " items (MigrationSpec::fatal_after_items)."};
      if (n > 0 && spec.items_per_second > 0 &&
          !Wait(static_cast<double>(n) / spec.items_per_second))
        return;
      if (static_cast<int64_t>(manifest.size()) >= spec.manifest_split_bytes) close_manifest();
      if (exhausted) break;
    }
    if (!manifest.empty() || manifests.empty()) close_manifest();
    upload("ExportSettings.xml", export_settings);
    upload("RootObjectMap.xml", root_map);
    upload("UserGroup.xml", UserGroupXml());
    upload("SystemData.xml", SystemDataXml(manifests, exported));
    ev("JobEnd", with({{"FilesCreated", "0"},
                       {"BytesProcessed", "0"},
                       {"ObjectsProcessed", std::to_string(exported)},
                       {"TotalExpectedSPObjects", std::to_string(expected)},
                       {"TotalErrors", "0"},
                       {"TotalWarnings", "0"}}));
  } catch (const JobFailed& f) {
    ev("JobFatalError", with({{"ObjectType", ""},
                              {"Url", ""},
                              {"Id", ""},
                              {"ErrorCode", f.code},
                              {"ErrorType", "Microsoft.SharePoint.SPException"},
                              {"Message", f.message}}));
  } catch (const std::exception& e) {
    ev("JobFatalError", with({{"ErrorCode", "-2146233088"}, {"Message", e.what()}}));
  }
  std::lock_guard lock(mu_);
  job.state = 0;
}

std::pair<std::string, std::string> MigrationJobs::ProvisionContainers() {
  const auto& spec = impl_.opt.migration;
  if (spec.blob_endpoint.empty())
    throw RestError(500, "-2146233088, System.InvalidOperationException",
                    "This emulator has no Azure Storage account configured (MigrationSpec).");
  const int64_t expiry = impl_.NowUnix() + 30 * 86400;
  const std::string account_sas = MintAccountSas(spec.account, spec.account_key, expiry);
  std::pair<std::string, std::string> out;
  uint64_t n;
  {
    std::lock_guard lock(mu_);
    n = ++counter_;
  }
  const std::string stem = "spsync-" + Lower(GuidFromBytes(RandomBytesOrThrow(16))).substr(0, 8) +
                           "-" + std::to_string(n);
  for (const char* suffix : {"-data", "-meta"}) {
    const std::string name = stem + suffix;
    AzureAnswer a = AzureSend(
        "PUT", AzureWithQuery(spec.blob_endpoint + "/" + name, "restype=container&" + account_sas),
        {}, "");
    if (a.status != 201)
      throw RestError(500, "-2146233088, System.InvalidOperationException",
                      "Creating container " + name + " failed: HTTP " + std::to_string(a.status) +
                          " " + a.error_code);
    // Read+Write, no List (amr-export.md §1.3); HTTP allowed for Azurite.
    std::string uri = spec.blob_endpoint + "/" + name + "?" +
                      MintServiceSas(spec.account, spec.account_key, false, name, "rw", expiry);
    (suffix[1] == 'd' ? out.first : out.second) = uri;
  }
  return out;
}

std::string MigrationJobs::ProvisionQueue() {
  const auto& spec = impl_.opt.migration;
  if (spec.queue_endpoint.empty())
    throw RestError(500, "-2146233088, System.InvalidOperationException",
                    "This emulator has no Azure Storage account configured (MigrationSpec).");
  const int64_t expiry = impl_.NowUnix() + 30 * 86400;
  std::string name = "spsync-" + Lower(GuidFromBytes(RandomBytesOrThrow(16))).substr(0, 13);
  AzureAnswer a = AzureSend("PUT",
                            AzureWithQuery(spec.queue_endpoint + "/" + name,
                                           MintAccountSas(spec.account, spec.account_key, expiry)),
                            {}, "");
  if (a.status != 201 && a.status != 204)
    throw RestError(500, "-2146233088, System.InvalidOperationException",
                    "Creating queue " + name + " failed: HTTP " + std::to_string(a.status) + " " +
                        a.error_code);
  // Add, read, update, process: the client dequeues and deletes [code-inferred: C1].
  return spec.queue_endpoint + "/" + name + "?" +
         MintServiceSas(spec.account, spec.account_key, true, name, "raup", expiry);
}

}  // namespace spsync::emulator::detail
