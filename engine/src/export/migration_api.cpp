#include "spsync/engine/export/migration_api.hpp"

#include "spsync/engine/export/aes_cbc.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>

#include <sstream>

namespace spsync::engine::exporter {

namespace {

Poco::JSON::Object::Ptr ParseObject(const std::string& body, const char* what) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (o.isNull()) throw MalformedBody(std::string(what) + ": not a JSON object");
    // Verbose answers wrap the value: {"d":{"<Function>":{...}}} or {"d":{...}}.
    if (o->has("d")) {
      auto d = o->getObject("d");
      if (!d.isNull()) {
        if (d->size() == 1) {
          auto inner = d->getObject(d->begin()->first);
          if (!inner.isNull()) return inner;
        }
        return d;
      }
    }
    return o;
  } catch (const MalformedBody&) {
    throw;
  } catch (const std::exception& e) {
    throw MalformedBody(std::string(what) + ": not JSON (" + e.what() + ")");
  }
}

std::string Str(const Poco::JSON::Object::Ptr& o, const char* key) {
  if (!o->has(key) || o->isNull(key)) return "";
  return o->get(key).convert<std::string>();
}

int64_t Num(const Poco::JSON::Object::Ptr& o, const char* key) {
  std::string s = Str(o, key);
  return s.empty() ? 0 : std::strtoll(s.c_str(), nullptr, 10);
}

std::string Json(const std::string& s) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(Poco::Dynamic::Var(s), out);
  return out.str();
}

}  // namespace

ProvisionedContainers MigrationApi::ProvisionContainers(const Deadline& deadline) {
  ProvisionedContainers out;
  client_.Post(client_.site_url() + "/_api/site/ProvisionMigrationContainers", "{}",
               "provisioning migration containers", deadline, [&](HttpResponse& r) {
                 auto o = ParseObject(r.body, "ProvisionMigrationContainers");
                 out.data_uri = Str(o, "DataContainerUri");
                 out.metadata_uri = Str(o, "MetadataContainerUri");
                 if (out.metadata_uri.empty())
                   throw MalformedBody("ProvisionMigrationContainers gave no MetadataContainerUri");
               });
  return out;
}

std::string MigrationApi::ProvisionQueue(const Deadline& deadline) {
  std::string uri;
  client_.Post(client_.site_url() + "/_api/site/ProvisionMigrationQueue", "{}",
               "provisioning a migration queue", deadline, [&](HttpResponse& r) {
                 uri = Str(ParseObject(r.body, "ProvisionMigrationQueue"), "JobQueueUri");
                 if (uri.empty())
                   throw MalformedBody("ProvisionMigrationQueue gave no JobQueueUri");
               });
  return uri;
}

CreatedJob MigrationApi::CreateJob(const std::string& list_url, const std::string& key,
                                   const std::string& container_url, const std::string& queue_url,
                                   const Deadline& deadline) {
  // JSON light (amr-export.md §1.1). IncludeExtendedMetadata: without it the
  // manifest holds only names, URLs, authors and dates, not the fields.
  std::string body = "{\"url\":" + Json(list_url) +
                     ",\"readOptions\":{\"IncludeVersions\":false,\"IncludeSecurity\":false,"
                     "\"IncludeDirectDescendantsOnly\":false,\"IncludeExtendedMetadata\":true,"
                     "\"IncludePermission\":false,\"StartChangeToken\":null}";
  if (!key.empty())
    body += ",\"encryptionOption\":{\"AES256CBCKey\":\"" + Base64Encode(key) + "\"}";
  body += ",\"azureContainerManifestUri\":" + Json(container_url);
  body += ",\"azureQueueReportUri\":" + (queue_url.empty() ? std::string("null") : Json(queue_url));
  body += "}";
  CreatedJob job;
  client_.Post(client_.site_url() + "/_api/site/CreateSPAsyncReadJob", body,
               "creating a Migration Export job", deadline, [&](HttpResponse& r) {
                 auto o = ParseObject(r.body, "CreateSPAsyncReadJob");
                 job.job_id = Str(o, "JobId");
                 job.current_change_token = Str(o, "CurrentChangeToken");
                 Poco::toLowerInPlace(job.job_id);
                 if (job.job_id.size() != 36)
                   throw MalformedBody("CreateSPAsyncReadJob gave no JobId");
               });
  return job;
}

JobProgress MigrationApi::GetProgress(const std::string& job_id, const std::string& next_token,
                                      const Deadline& deadline) {
  JobProgress out;
  std::string url = client_.site_url() + "/_api/site/GetMigrationJobProgress(jobId=guid'" + job_id +
                    "',nextToken='" + EncodeQueryValue(next_token) + "')";
  client_.Get(url, "reading the Migration Export job's progress", deadline, [&](HttpResponse& r) {
    auto o = ParseObject(r.body, "GetMigrationJobProgress");
    out.logs.clear();
    Poco::JSON::Array::Ptr logs = o->getArray("Logs");
    if (logs.isNull()) {
      if (auto lo = o->getObject("Logs"); !lo.isNull()) logs = lo->getArray("results");
    }
    if (logs.isNull()) logs = o->getArray("value");
    if (!logs.isNull())
      for (size_t i = 0; i < logs->size(); ++i)
        out.logs.push_back(logs->get(static_cast<unsigned>(i)).convert<std::string>());
    out.next_token = Str(o, "NextToken");
    if (out.next_token.empty()) out.next_token = Str(o, "nextToken");
    if (out.next_token.empty()) out.next_token = next_token;
  });
  return out;
}

std::string MigrationApi::ListRootUrl(const std::string& list_id, const Deadline& deadline) {
  std::string path;
  // $expand rather than the /RootFolder navigation: one list read both
  // SharePoint and the emulator answer.
  client_.Get(
      client_.ListApi(list_id) + "?%24select=RootFolder%2FServerRelativeUrl&%24expand=RootFolder",
      "reading the list's root folder", deadline, [&](HttpResponse& r) {
        auto o = ParseObject(r.body, "list");
        auto folder = o->getObject("RootFolder");
        if (!folder.isNull()) path = Str(folder, "ServerRelativeUrl");
        if (path.empty()) throw MalformedBody("the list's RootFolder has no ServerRelativeUrl");
      });
  return path;
}

std::string DecodeQueueMessage(const std::string& text, const std::string& key) {
  std::string json;
  if (!Base64Decode(text, &json) || json.empty() || json.front() != '{') json = text;
  if (json.find("\"Label\"") == std::string::npos) return json;
  auto o = ParseObject(json, "queue message");
  if (Str(o, "Label") != "Encrypted") return json;
  if (key.empty())
    throw std::runtime_error("an encrypted job event arrived, but this job has no key");
  std::string iv, content;
  if (!Base64Decode(Str(o, "IV"), &iv) || !Base64Decode(Str(o, "Content"), &content))
    throw std::runtime_error("an encrypted job event's IV or Content is not base64");
  return AesCbcDecrypt(key, iv, content);
}

std::optional<JobEvent> ParseJobEvent(const std::string& json) {
  Poco::JSON::Object::Ptr o;
  try {
    Poco::JSON::Parser parser;
    o = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (o.isNull() || !o->has("Event")) return std::nullopt;
  JobEvent e;
  e.event = Str(o, "Event");
  e.job_id = Str(o, "JobId");
  Poco::toLowerInPlace(e.job_id);
  e.time = Str(o, "Time");
  e.manifest_file = Str(o, "ManifestFileName");
  e.error_code = Str(o, "ErrorCode");
  e.message = ScrubSecrets(Str(o, "Message"));
  e.object_url = ScrubSecrets(Str(o, "Url"));
  e.objects_processed = Num(o, "ObjectsProcessed");
  e.total_expected = Num(o, "TotalExpectedSPObjects");
  e.total_errors = Num(o, "TotalErrors");
  return e;
}

std::string ScrubSecrets(std::string text) {
  size_t at = 0;
  while ((at = text.find("sig=", at)) != std::string::npos) {
    size_t end = text.find_first_of("&\" \n\t'<>", at + 4);
    if (end == std::string::npos) end = text.size();
    text.replace(at + 4, end - at - 4, "<hidden>");
    at += 12;
  }
  return text;
}

}  // namespace spsync::engine::exporter
