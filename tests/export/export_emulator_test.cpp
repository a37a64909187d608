// The emulator's Migration Export API against Azurite, read with the engine's
// own Azure and migration clients (two independent implementations of each
// wire: SAS, AES-256-CBC, base64 envelopes, the manifest).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "../engine/test_support.hpp"
#include "azurite_peer.hpp"
#include "spsync/engine/export/aes_cbc.hpp"
#include "spsync/engine/export/azure_storage.hpp"
#include "spsync/engine/export/manifest_parser.hpp"
#include "spsync/engine/export/migration_api.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

namespace ex = spsync::engine::exporter;
using spsync::test::Env;

namespace {

struct Package {
  std::vector<std::string> events;     // in order, decoded
  std::vector<std::string> manifests;  // FinishManifestFileUpload names of Manifest*.xml
  std::set<std::string> files;         // every uploaded XML
  std::string end_event;
};

// Polls GetMigrationJobProgress until the job ends (or 60 s).
Package Follow(ex::MigrationApi& api, const std::string& job, const std::string& key) {
  Package p;
  std::string token = "0";
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (p.end_event.empty() && std::chrono::steady_clock::now() < until) {
    auto progress = api.GetProgress(job, token, spsync::engine::Deadline());
    token = progress.next_token;
    for (const auto& log : progress.logs) {
      auto e = ex::ParseJobEvent(ex::DecodeQueueMessage(log, key));
      if (!e) continue;
      p.events.push_back(e->event);
      if (e->event == "FinishManifestFileUpload") {
        p.files.insert(e->manifest_file);
        if (e->manifest_file.find("/Manifest") != std::string::npos)
          p.manifests.push_back(e->manifest_file);
      }
      if (e->event == "JobEnd" || e->event == "JobFatalError")
        p.end_event = e->event + " " + e->message;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return p;
}

std::vector<int64_t> ReadIds(ex::AzureStorageClient& azure, const std::string& container,
                             const std::vector<std::string>& manifests, const std::string& key,
                             std::map<int64_t, ex::ManifestItem>* items = nullptr) {
  std::vector<int64_t> ids;
  for (const auto& m : manifests) {
    auto blob = azure.GetBlobRange(container, m, 0, int64_t{1} << 40, spsync::engine::Deadline());
    std::string xml = blob.body;
    if (!key.empty()) {
      EXPECT_FALSE(blob.iv_b64.empty()) << m << " has no x-ms-meta-IV";
      std::string iv;
      EXPECT_TRUE(ex::Base64Decode(blob.iv_b64, &iv));
      xml = ex::AesCbcDecrypt(key, iv, blob.body);
    } else {
      EXPECT_TRUE(blob.iv_b64.empty());
    }
    ex::ManifestParser parser([&](const ex::ManifestItem& it) {
      ids.push_back(it.IntId());
      if (items) (*items)[it.IntId()] = it;
    });
    parser.Feed(xml);
    parser.Finish();
  }
  return ids;
}

spsync::emulator::Options Options(const spsync_export_test::Azurite& azurite) {
  auto o = spsync::test::EmuOptions();
  o.lists = {{"Orders", 700}, {"Small", 40}};
  o.migration = azurite.Spec();
  o.migration.manifest_split_bytes = 64 << 10;  // several manifests for 700 items
  return o;
}

std::string ListUrl(Env& env, const std::string& title) {
  std::string base = env.emu.BaseUrl();
  return base + "/sites/demo/Lists/" + title;
}

}  // namespace

// Provisioned containers and queue, an encrypted job: every live item once,
// in manifests split past the size limit, each named by its event; queue
// messages are base64 envelopes the job's key opens.
TEST(ExportEmulator, EncryptedJobThroughProvisionedContainersAndQueue) {
  spsync_export_test::Azurite azurite;
  Env env(Options(azurite));
  ex::MigrationApi api(*env.client);
  auto deadline = spsync::engine::Deadline();
  auto containers = api.ProvisionContainers(deadline);
  ASSERT_NE(containers.metadata_uri.find("sp=rw"), std::string::npos);
  ASSERT_EQ(containers.metadata_uri.find("sp=rwl"), std::string::npos) << "no List right";
  const std::string queue = api.ProvisionQueue(deadline);
  const std::string key = ex::RandomBytes(32);
  const std::string token_before = env.emu.CurrentChangeToken("Orders");
  auto job = api.CreateJob(ListUrl(env, "Orders"), key, containers.metadata_uri, queue, deadline);
  EXPECT_EQ(job.job_id.size(), 36u);
  EXPECT_EQ(job.current_change_token.substr(0, 4), "1;3;");
  (void)token_before;

  Package p = Follow(api, job.job_id, key);
  ASSERT_EQ(p.end_event.substr(0, 6), "JobEnd") << p.end_event;
  EXPECT_EQ(p.events.front(), "JobQueued");
  EXPECT_EQ(p.events[1], "JobStart");
  EXPECT_GE(p.manifests.size(), 3u) << "64 KiB manifests for 700 items";
  EXPECT_TRUE(p.files.count(job.job_id + "/SystemData.xml"));

  auto http = std::make_shared<spsync::engine::HttpClient>(spsync::engine::HttpOptions{});
  ex::AzureStorageClient azure(http);
  auto ids = ReadIds(azure, containers.metadata_uri, p.manifests, key);
  // Every live item once, in no promised order (the emulator writes each
  // chunk of IDs backwards).
  EXPECT_FALSE(std::is_sorted(ids.begin(), ids.end()));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, env.Ids("Orders"));

  // The queue holds the same events, each an encrypted envelope in base64.
  std::vector<std::string> queued;
  for (int round = 0; round < 10; ++round) {
    auto messages = azure.GetMessages(queue, 32, 30, deadline);
    if (messages.empty()) break;
    for (const auto& m : messages) {
      std::string outer;
      ASSERT_TRUE(ex::Base64Decode(m.text, &outer));
      EXPECT_NE(outer.find("\"Label\":\"Encrypted\""), std::string::npos);
      auto e = ex::ParseJobEvent(ex::DecodeQueueMessage(m.text, key));
      ASSERT_TRUE(e);
      queued.push_back(e->event);
      azure.DeleteMessage(queue, m, deadline);
    }
  }
  EXPECT_EQ(queued.size(), p.events.size());

  // A wrong key opens neither the blobs nor the events.
  EXPECT_THROW(ReadIds(azure, containers.metadata_uri, {p.manifests[0]}, ex::RandomBytes(32)),
               std::exception);
}

// The operator's own container (a service SAS with read+write), no queue, no
// encryption: plaintext blobs, progress through GetMigrationJobProgress only;
// values survive the trip (controls as _xHHHH_, quotes, newlines).
TEST(ExportEmulator, PlainJobIntoTheOperatorsContainer) {
  spsync_export_test::Azurite azurite;
  Env env(Options(azurite));
  ex::MigrationApi api(*env.client);
  auto deadline = spsync::engine::Deadline();
  auto containers = api.ProvisionContainers(deadline);  // any rw container will do
  const auto live = env.Ids("Small");
  env.emu.UpdateItem("Small", live[0], R"({"Title":"bell\u0007 _x0041_ \"q\" <&>\nline"})");
  auto job = api.CreateJob(ListUrl(env, "Small"), "", containers.data_uri, "", deadline);
  Package p = Follow(api, job.job_id, "");
  ASSERT_EQ(p.end_event.substr(0, 6), "JobEnd") << p.end_event;
  ASSERT_EQ(p.manifests.size(), 1u);
  auto http = std::make_shared<spsync::engine::HttpClient>(spsync::engine::HttpOptions{});
  ex::AzureStorageClient azure(http);
  std::map<int64_t, ex::ManifestItem> items;
  auto ids = ReadIds(azure, containers.data_uri, p.manifests, "", &items);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, live);
  ASSERT_TRUE(items[live[0]].Field("Title"));
  // The parser has decoded the Value the element lists in EncodedAttributes.
  EXPECT_EQ(items[live[0]].Field("Title")->value, "bell\x07 _x0041_ \"q\" <&>\nline");
}

TEST(ExportEmulator, RefusalsAndFailures) {
  spsync_export_test::Azurite azurite;
  auto o = Options(azurite);
  o.migration.fatal_after_items = 10;
  Env env(o);
  ex::MigrationApi api(*env.client);
  auto deadline = spsync::engine::Deadline();
  auto containers = api.ProvisionContainers(deadline);
  // Not a list.
  EXPECT_THROW(api.CreateJob(env.emu.BaseUrl() + "/sites/demo/Lists/Nope", "", containers.data_uri,
                             "", deadline),
               spsync::engine::SharePointError);
  // Unknown job.
  try {
    api.GetProgress("00000000-0000-0000-0000-000000000001", "0", deadline);
    FAIL() << "no error for an unknown job";
  } catch (const spsync::engine::SharePointError& e) {
    EXPECT_NE(std::string(e.what()).find("Job not found"), std::string::npos) << e.what();
  }
  // A job that fails ends with JobFatalError.
  auto job = api.CreateJob(ListUrl(env, "Orders"), "", containers.data_uri, "", deadline);
  Package p = Follow(api, job.job_id, "");
  EXPECT_EQ(p.end_event.substr(0, 13), "JobFatalError") << p.end_event;
  // A container SAS that only reads: the job cannot write and says so.
  std::string read_only = containers.data_uri;
  read_only.replace(read_only.find("sp=rw"), 5, "sp=r");
  auto job2 = api.CreateJob(ListUrl(env, "Small"), "", read_only, "", deadline);
  Package p2 = Follow(api, job2.job_id, "");
  EXPECT_EQ(p2.end_event.substr(0, 13), "JobFatalError") << p2.end_event;
}

// An incremental job (readOptions.StartChangeToken) with a token older than
// the change log: the job ends with JobFatalError -2146232832 (D1).
TEST(ExportEmulator, ExpiredStartChangeTokenFailsTheJob) {
  spsync_export_test::Azurite azurite;
  Env env(Options(azurite));
  ex::MigrationApi api(*env.client);
  auto deadline = spsync::engine::Deadline();
  auto containers = api.ProvisionContainers(deadline);
  const std::string old_token = env.emu.CurrentChangeToken("Small");
  env.emu.AdvanceClock(std::chrono::hours(24 * 61));
  std::string job_id;
  const std::string body = "{\"url\":\"" + ListUrl(env, "Small") +
                           "\",\"readOptions\":{\"StartChangeToken\":\"" + old_token +
                           "\"},\"azureContainerManifestUri\":\"" + containers.data_uri + "\"}";
  env.client->Post(env.SiteUrl() + "/_api/site/CreateSPAsyncReadJob", body, "creating a job",
                   deadline, [&](spsync::engine::HttpResponse& r) {
                     size_t at = r.body.find("\"JobId\":\"");
                     ASSERT_NE(at, std::string::npos) << r.body;
                     job_id = r.body.substr(at + 9, 36);
                   });
  Package p = Follow(api, job_id, "");
  EXPECT_EQ(p.end_event.substr(0, 13), "JobFatalError") << p.end_event;
  EXPECT_NE(p.end_event.find("change log"), std::string::npos) << p.end_event;
}
