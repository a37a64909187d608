// Full mode through the Migration Export API (README "Migration Export";
// shared/docs/amr-export.md): another producer of item batches for the
// session. The list's change token is taken first (StartBlankFull), then
//
//   sample item (REST, $top=1) -> job (CreateSPAsyncReadJob, fresh AES key)
//   -> events (queue or GetMigrationJobProgress) name each manifest blob
//   -> ranged GETs -> AES-256-CBC -> expat -> the REST item JSON
//   -> ItemPageParser -> the same pages RunFull hands the sink
//   -> after JobEnd: every ID the sink may hold that no manifest listed
//      (an ID bitmap) is deleted; FinishFull replays the change log from the
//      token taken before the job.
//
// After every batch the state records the manifest and the item position,
// committed with the batch: a resume re-reads (from Azure) but never
// re-sends. A job that fails falls back to REST paging.
#include "../sync/session_impl.hpp"
#include "spsync/engine/export/aes_cbc.hpp"
#include "spsync/engine/export/azure_sas.hpp"
#include "spsync/engine/export/azure_storage.hpp"
#include "spsync/engine/export/id_bitmap.hpp"
#include "spsync/engine/export/item_render.hpp"
#include "spsync/engine/export/manifest_parser.hpp"
#include "spsync/engine/export/migration_api.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"
#include "xml_text.hpp"

#include <Poco/String.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <thread>

namespace spsync::engine {

using namespace exporter;

namespace {

// The job cannot deliver the list: REST paging takes over.
class ExportFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The job's status or output is gone (expired, not found): a new job.
class ExportLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr int64_t kChunkBytes = 4 << 20;            // one ranged GET of a manifest
constexpr int64_t kJobLifetimeSeconds = 4 * 86400;  // status kept < 5 days (amr-export.md §5)

bool IsManifestName(const std::string& path) {
  const std::string name = Poco::toLower(path.substr(path.rfind('/') + 1));
  return name.rfind("manifest", 0) == 0 && name.size() > 4 &&
         name.compare(name.size() - 4, 4, ".xml") == 0;
}

std::string Origin(const std::string& url) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? url : url.substr(0, slash);
}

std::string EncodePath(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
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

// One export session's working parts, around the session's own state.
struct exporter::ExportRun {
  std::shared_ptr<HttpClient> http;
  std::unique_ptr<AzureStorageClient> azure;
  std::unique_ptr<ItemRenderer> renderer;
  std::string key;  // raw bytes
  IdBitmap seen;
  bool need_ids = false;  // deletions will be computed: every listed ID counts
};

bool SyncSession::Impl::RunExport() {
  ExportJobState& job = state_.export_job;
  const std::string who = "[" + entity_.name + "/" + options_.sink_name + "]";
  if (!job.rest_reason.empty()) return false;  // this full sync gave the export up
  if (!job.active()) {
    if (entity_.full_sync == "rest") return false;
    // Export manifests carry no attachment names: REST pages do, with no
    // request per item, so an entity with attachments pages through REST.
    if (attachments_) {
      spdlog::info("{} full sync by REST paging: `attachments` is on", who);
      return false;
    }
    // A REST crawl already under way finishes as it started.
    if (state_.page_last_id > 0 || !state_.ranges.empty()) return false;
    if (entity_.full_sync == "auto" && list_.item_count < entity_.export_above) {
      spdlog::info("{} full sync by REST paging: {} items, below exportAbove ({})", who,
                   list_.item_count, entity_.export_above);
      return false;
    }
  }
  auto give_up = [&](const std::string& why) {
    spdlog::warn("{} Migration Export of '{}' abandoned: {}; falling back to REST paging", who,
                 list_.title, why);
    job = {};
    job.rest_reason = why;
    // Items the export committed are candidates for the REST crawl's deletions.
    state_.prior_high_water_id = std::max(state_.prior_high_water_id, state_.high_water_id);
    state_.page_last_id = 0;
    state_.ranges.clear();
    Persist();
    return false;
  };

  ExportRun run;
  HttpOptions ho;
  ho.gzip = false;
  run.http = std::make_shared<HttpClient>(ho);
  run.azure = std::make_unique<AzureStorageClient>(run.http);
  MigrationApi api(client_);

  // 1. The sample: one REST item of this $select fixes keys, order and forms.
  {
    ItemPage page;
    std::string url = ItemsUrl(0, false);
    url.replace(url.find("%24top="), std::string::npos, "%24top=1");
    FetchPage(url, &page, SPSYNC_CHANGE_FULL_SYNC);
    if (page.items.empty()) {
      if (job.active()) {
        // Emptied while the job ran: its items are all gone now; paging is one request.
        return give_up("the list is empty now");
      }
      spdlog::info("{} the list is empty: one REST page reads it", who);
      return false;
    }
    try {
      run.renderer = std::make_unique<ItemRenderer>(
          std::string_view(page.items[0].raw_json.data, page.items[0].raw_json.len), *schema_,
          list_fields_);
    } catch (const RenderError& e) {
      return give_up(e.what());
    }
  }
  run.need_ids = state_.prior_high_water_id > 0;

  bool restarted = false;
  while (true) {
    try {
      // 2. The job: a new one, or the one this full sync started.
      if (job.active() && Now() - job.created_unix > kJobLifetimeSeconds)
        throw ExportLost("the job is older than its status lives (about 5 days)");
      if (!job.active()) {
        std::string container = entity_.export_container_url, queue = entity_.export_queue_url;
        ExportJobState fresh;
        if (container.empty()) {
          container = api.ProvisionContainers(deadline_).metadata_uri;
          fresh.container_url = container;
        }
        if (queue.empty() && entity_.export_progress == "queue") {
          queue = api.ProvisionQueue(deadline_);
          fresh.queue_url = queue;
        }
        if (entity_.export_progress == "api") queue.clear();
        std::string list_url =
            Origin(client_.site_url()) + EncodePath(api.ListRootUrl(list_.id, deadline_));
        std::string key = entity_.export_encrypt ? RandomBytes(32) : "";
        CreatedJob created = api.CreateJob(list_url, key, container, queue, deadline_);
        fresh.job_id = created.job_id;
        fresh.key_b64 = key.empty() ? "" : Base64Encode(key);
        fresh.created_unix = Now();
        job = fresh;
        Persist();
        spdlog::info("{} Migration Export job {} started for '{}' ({} items{}), manifests to {}",
                     who, job.job_id, list_.title, list_.item_count,
                     key.empty() ? ", unencrypted" : ", AES-256 encrypted", RedactUrl(container));
      } else {
        spdlog::info(
            "{} resuming Migration Export job {}: {} of {} manifest(s) applied, {} items "
            "into the next",
            who, job.job_id, job.done, job.manifests.size(), job.item_pos);
      }
      run.key.clear();
      if (!job.key_b64.empty() && !Base64Decode(job.key_b64, &run.key))
        throw ExportLost("the stored job key is unreadable");
      const std::string container =
          job.container_url.empty() ? entity_.export_container_url : job.container_url;
      const std::string queue =
          entity_.export_progress == "api"
              ? ""
              : (job.queue_url.empty() ? entity_.export_queue_url : job.queue_url);

      // A resume with deletions ahead: the IDs of manifests applied before.
      if (run.need_ids)
        for (int64_t i = 0; i < job.done; ++i)
          ReadManifest(run, container, job.manifests[static_cast<size_t>(i)], INT64_MAX);

      // 3. Events and manifests until JobEnd and the last manifest.
      bool read_system_data = false;
      auto last_poll = std::chrono::steady_clock::time_point{};
      while (true) {
        CheckBudget("while the Migration Export job runs");
        if (job.done < static_cast<int64_t>(job.manifests.size())) {
          const std::string name = job.manifests[static_cast<size_t>(job.done)];
          ReadManifest(run, container, name, job.item_pos);
          job.done++;
          job.item_pos = 0;
          Persist();
          continue;
        }
        if (job.ended) {
          // SystemData.xml lists every manifest: a safety net for events missed.
          if (!read_system_data) {
            read_system_data = true;
            if (AddListedManifests(run, container)) continue;
          }
          break;
        }
        // Poll: the queue (Azure, free for SharePoint) or the progress API.
        auto interval = std::chrono::seconds(queue.empty() ? entity_.export_poll_seconds : 1);
        auto since = std::chrono::steady_clock::now() - last_poll;
        if (since < interval) {
          auto wait = interval - since;
          if (deadline_.WouldExpireAfter(wait))
            throw BudgetReached("time budget reached while the Migration Export job runs (job " +
                                job.job_id + ", resumed next run)");
          std::this_thread::sleep_for(
              std::min<std::chrono::steady_clock::duration>(wait, std::chrono::milliseconds(200)));
          continue;
        }
        last_poll = std::chrono::steady_clock::now();
        PollJob(run, api, queue);
      }
      if (job.errors > 0)
        throw ExportFailed("the job reported " + std::to_string(job.errors) +
                           " object error(s), so its item set may be incomplete");
      break;
    } catch (const ExportLost& e) {
      if (restarted) return give_up(e.what());
      spdlog::warn("{} Migration Export job {} is lost ({}); starting a new job", who, job.job_id,
                   e.what());
      restarted = true;
      job = {};
      run.seen = IdBitmap();
      Persist();
    } catch (const ExportFailed& e) {
      return give_up(e.what());
    } catch (const RenderError& e) {
      return give_up(e.what());
    } catch (const CryptoError& e) {
      // A wrong key or IV must not become data: nothing of the blob was sent.
      throw SharePointError(ErrorKind::kBadResponse, 0, "",
                            "Migration Export job " + job.job_id + ": " + e.what());
    } catch (const AzureError& e) {
      if (e.status() == 404) {
        if (restarted) return give_up(e.what());
        spdlog::warn("{} Migration Export job {}: {}; starting a new job", who, job.job_id,
                     e.what());
        restarted = true;
        job = {};
        run.seen = IdBitmap();
        Persist();
        continue;
      }
      throw SharePointError(ErrorKind::kTransient, e.status(), e.code(), e.what());
    }
  }

  // 4. Deletions: what the sink may hold from before and no manifest listed.
  if (state_.prior_high_water_id > 0) {
    DeletionWriter deletions(caller_, sink_.info().delete_ranges(), state_.prior_high_water_id);
    run.seen.ForEachGap(state_.prior_high_water_id,
                        [&](int64_t a, int64_t b) { deletions.AddRange(a, b); });
    deletions.Flush();
    state_.items_deleted += deletions.count();
    result_.deleted += deletions.count();
    if (deletions.count() > 0 && events_.deletions_found)
      events_.deletions_found(deletions.count());
    spdlog::info("{} export listed {} items; {} IDs up to {} deleted", who, run.seen.count(),
                 deletions.count(), state_.prior_high_water_id);
  }
  spdlog::info("{} Migration Export job {} applied ({} manifest(s))", who, job.job_id,
               job.manifests.size());
  return true;
}

bool SyncSession::Impl::AddListedManifests(ExportRun& run, const std::string& container) {
  ExportJobState& job = state_.export_job;
  BlobRange sys;
  try {
    sys = run.azure->GetBlobRange(container, job.job_id + "/SystemData.xml", 0, kChunkBytes,
                                  deadline_);
  } catch (const AzureError& e) {
    if (e.status() == 404) return false;  // not written: the events are all there is
    throw;
  }
  std::string xml = sys.body;
  if (!sys.iv_b64.empty() && !run.key.empty()) {
    std::string iv;
    if (!Base64Decode(sys.iv_b64, &iv))
      throw CryptoError("SystemData.xml has an IV that is not base64");
    xml = AesCbcDecrypt(run.key, iv, sys.body);
  }
  bool added = false;
  for (const auto& rec : XmlRecords(xml, "ManifestFile")) {
    for (const auto& [k, v] : rec) {
      if (k != "@Name") continue;
      std::string path = v.find('/') == std::string::npos ? job.job_id + "/" + v : v;
      if (std::find(job.manifests.begin(), job.manifests.end(), path) == job.manifests.end()) {
        spdlog::warn("[{}/{}] manifest {} is listed in SystemData.xml but was never announced",
                     entity_.name, options_.sink_name, path);
        job.manifests.push_back(path);
        added = true;
      }
    }
  }
  if (added) Persist();
  return added;
}

void SyncSession::Impl::PollJob(ExportRun& run, exporter::MigrationApi& api,
                                const std::string& queue) {
  ExportJobState& job = state_.export_job;
  auto handle = [&](const JobEvent& e) {
    if (e.job_id != job.job_id) return false;
    const std::string who = "[" + entity_.name + "/" + options_.sink_name + "]";
    if (e.event == "FinishManifestFileUpload") {
      std::string path = e.manifest_file.find('/') == std::string::npos
                             ? job.job_id + "/" + e.manifest_file
                             : e.manifest_file;
      if (IsManifestName(path) &&
          std::find(job.manifests.begin(), job.manifests.end(), path) == job.manifests.end())
        job.manifests.push_back(path);
    } else if (e.event == "JobEnd") {
      job.ended = true;
      job.expected = e.total_expected;
    } else if (e.event == "JobProgress") {
      job.expected = std::max(job.expected, e.total_expected);
      spdlog::debug("{} job {}: {} of {} objects", who, job.job_id, e.objects_processed,
                    e.total_expected);
    } else if (e.event == "JobError") {
      job.errors++;
      spdlog::warn("{} job {} reports an error on {}: {} ({})", who, job.job_id, e.object_url,
                   e.message, e.error_code);
    } else if (e.event == "JobFatalError" || e.event == "JobCancelled" || e.event == "JobDeleted") {
      std::string why = "the job ended with " + e.event;
      if (!e.error_code.empty()) why += " " + e.error_code;
      if (e.error_code == "-2146232832") why += " (the change token is older than the change log)";
      if (e.error_code == "-2147213196") why += " (operation cancelled)";
      if (!e.message.empty()) why += ": " + e.message.substr(0, 300);
      throw ExportFailed(why);
    } else {
      spdlog::debug("{} job {}: {}", who, job.job_id, e.event);
    }
    return true;
  };
  if (!queue.empty()) {
    auto messages = run.azure->GetMessages(queue, 32, 30, deadline_);
    std::vector<QueueMessage> ours;
    std::exception_ptr failure;
    for (const auto& m : messages) {
      std::optional<JobEvent> e;
      try {
        e = ParseJobEvent(DecodeQueueMessage(m.text, run.key));
      } catch (const std::exception&) {
        // Another job's encrypted event (another key): not ours to read.
        continue;
      }
      if (!e) continue;
      try {
        if (handle(*e)) ours.push_back(m);
      } catch (const ExportFailed&) {
        failure = std::current_exception();
        ours.push_back(m);
      }
    }
    // Recorded first, then taken off the queue: a kill in between only
    // shows the same events again, which are idempotent.
    if (!ours.empty()) Persist();
    for (const auto& m : ours) run.azure->DeleteMessage(queue, m, deadline_);
    if (failure) std::rethrow_exception(failure);
    return;
  }
  JobProgress p;
  try {
    p = api.GetProgress(job.job_id, job.progress_token, deadline_);
  } catch (const SharePointError& e) {
    if (e.code().find("-2147213145") != std::string::npos ||
        e.code().find("-2147213146") != std::string::npos)
      throw ExportLost(e.what());
    throw;
  }
  for (const auto& log : p.logs)
    if (auto e = ParseJobEvent(DecodeQueueMessage(log, run.key))) handle(*e);
  job.progress_token = p.next_token;
  Persist();
}

void SyncSession::Impl::ReadManifest(ExportRun& run, const std::string& container,
                                     const std::string& blob, int64_t skip) {
  ExportJobState& job = state_.export_job;
  const bool apply = skip != INT64_MAX;  // INT64_MAX: only the IDs, for deletions
  if (apply && skip > 0)
    spdlog::info("[{}/{}] {}: skipping {} items the sink has", entity_.name, options_.sink_name,
                 blob, skip);
  // Rendered items waiting for a batch: their JSON, comma-joined, and where
  // each ends with its position in the manifest.
  std::string pending;
  std::vector<std::pair<size_t, int64_t>> ends;
  int64_t position = 0;
  std::string rendered;
  ManifestParser parser([&](const ManifestItem& item) {
    ++position;
    const int64_t id = item.IntId();
    if (id <= 0) throw ManifestError(blob + ": a list item without IntId");
    if (!item.deleted && run.need_ids) run.seen.Set(id);
    if (!apply || position <= skip || item.deleted) return;
    rendered.clear();
    run.renderer->Render(item, &rendered);
    run.renderer->Check(id, rendered);
    if (!pending.empty()) pending.push_back(',');
    pending += rendered;
    ends.emplace_back(pending.size(), position);
  });
  ItemPage page;
  const size_t batch = static_cast<size_t>(std::max(entity_.page_size, 1));
  auto flush = [&](size_t n) {
    if (n == 0) return;
    size_t cut = ends[n - 1].first;
    page.body.clear();
    page.body.reserve(cut + 16);
    page.body += "{\"value\":[";
    page.body.append(pending, 0, cut);
    page.body += "]}";
    try {
      parser_->Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
    } catch (const MalformedBody& e) {
      throw RenderError(blob + ": the items rendered from it are not valid JSON (" + e.what() +
                        ")");
    }
    if (page.items.size() != n)
      throw std::logic_error("an export batch parsed into a different number of items");
    if (resolver_) resolver_->Resolve(&page);
    result_.rejected += caller_.Upsert(page);
    if (versions_) versions_->Write(page);
    for (const auto& it : page.items) state_.high_water_id = std::max(state_.high_water_id, it.id);
    job.item_pos = ends[n - 1].second;
    state_.items_upserted += static_cast<int64_t>(n);
    result_.upserted += static_cast<int64_t>(n);
    result_.pages++;
    Persist();
    if (events_.page_applied) events_.page_applied(static_cast<int64_t>(n), 0);
    if (events_.progress) events_.progress(state_.items_upserted, list_.item_count);
    // Drop what was sent.
    size_t drop = cut < pending.size() ? cut + 1 : cut;
    pending.erase(0, drop);
    ends.erase(ends.begin(), ends.begin() + static_cast<long>(n));
    for (auto& e : ends) e.first -= drop;
    CheckBudget("between export batches");
  };

  std::unique_ptr<AesCbcDecryptor> decrypt;
  std::string plain;
  int64_t offset = 0, total = -1;
  while (total < 0 || offset < total) {
    CheckBudget("while reading a manifest");
    BlobRange r = run.azure->GetBlobRange(container, blob, offset, kChunkBytes, deadline_);
    if (offset == 0) {
      if (!r.iv_b64.empty()) {
        std::string iv;
        if (!Base64Decode(r.iv_b64, &iv)) throw CryptoError(blob + ": its IV is not base64");
        if (run.key.empty()) throw CryptoError(blob + " is encrypted, but this job has no key");
        decrypt = std::make_unique<AesCbcDecryptor>(run.key, iv);
      } else if (!run.key.empty()) {
        throw CryptoError(blob + " has no IV although the job was asked to encrypt: refused");
      }
    }
    total = r.total_size;
    if (r.body.empty() && offset < total)
      throw TransportError(blob + ": an empty range at byte " + std::to_string(offset));
    offset += static_cast<int64_t>(r.body.size());
    plain.clear();
    if (decrypt) {
      try {
        decrypt->Update(r.body, &plain);
        if (offset >= total) decrypt->Final(&plain);
      } catch (const CryptoError& e) {
        throw CryptoError(blob + ": " + e.what());
      }
    } else {
      plain.swap(r.body);
    }
    try {
      parser.Feed(plain);
      if (offset >= total) parser.Finish();
    } catch (const ManifestError& e) {
      // Decrypted with the wrong key or IV, the start is noise: say so.
      if (decrypt && parser.bytes() < 4096)
        throw CryptoError(blob + " does not decrypt to XML (" + e.what() +
                          "): the key or its x-ms-meta-IV is not the one it was encrypted with");
      throw SharePointError(ErrorKind::kBadResponse, 0, "", blob + ": " + e.what());
    }
    while (ends.size() >= batch) flush(batch);
  }
  flush(ends.size());
}

}  // namespace spsync::engine
