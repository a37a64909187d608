// The Migration Export API's site endpoints (shared/docs/amr-export.md §1):
// _api/site/ProvisionMigrationContainers, ProvisionMigrationQueue,
// CreateSPAsyncReadJob, GetMigrationJobProgress(jobId=…,nextToken=…) and
// GetMigrationJobStatus. The jobs themselves run in api/migration_jobs.cpp.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "api/areas.hpp"
#include "api/migration_azure.hpp"
#include "api/migration_jobs.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

// One complex value in the negotiated dialect: nometadata / minimal as the
// bare object, verbose as {"d":{"<Function>":{"__metadata":{"type":…},…}}}
// [guess for the verbose wrapper: the pattern of D4's GetMigrationJobProgress].
Reply Complex(const Call& c, const std::string& function, const std::string& type,
              const std::vector<std::pair<std::string, std::string>>& raw_props) {
  std::string props;
  for (const auto& [k, v] : raw_props)
    props += (props.empty() ? "" : ",") + JsonString(k) + ":" + v;
  Reply r;
  if (c.req.fmt.format == Format::kVerbose)
    r.body = "{\"d\":{\"" + function + "\":{\"__metadata\":{\"type\":\"" + type + "\"}" +
             (props.empty() ? "" : ",") + props + "}}}";
  else
    r.body = "{" + props + "}";
  return r;
}

Poco::JSON::Object::Ptr Body(const Call& c) {
  try {
    Poco::JSON::Parser parser;
    auto o =
        parser.parse(c.req.body.empty() ? "{}" : c.req.body).extract<Poco::JSON::Object::Ptr>();
    if (!o.isNull()) return o;
  } catch (const std::exception&) {
  }
  throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                  "Invalid JSON. The request body is not a JSON object.");
}

std::string OptString(const Poco::JSON::Object::Ptr& o, const char* key) {
  if (o.isNull() || !o->has(key) || o->isNull(key)) return "";
  return o->get(key).convert<std::string>();
}

// The list a job URL names: an absolute URL of a list's root folder
// (percent-encoded), in any web of this site collection.
const ListState* ListAt(const Call& c, const std::string& url, const WebState** web) {
  std::string path = url;
  if (size_t scheme = path.find("://"); scheme != std::string::npos) {
    size_t slash = path.find('/', scheme + 3);
    path = slash == std::string::npos ? "/" : path.substr(slash);
  }
  path = UrlDecode(path, false);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  for (const auto& w : c.web.site->webs)
    for (const auto& l : w->lists)
      if (IEquals(l->ServerRelativeUrl(w->url), path)) {
        *web = w.get();
        return l.get();
      }
  return nullptr;
}

Reply ProvisionContainers(Call& c) {
  auto [data, meta] = Migration(c.impl).ProvisionContainers();
  return Complex(c, "ProvisionMigrationContainers", "SP.ProvisionedMigrationContainersInfo",
                 {{"DataContainerUri", JsonString(data)},
                  {"EncryptionKey", JsonString(Base64(RandomBytesOrThrow(32)))},
                  {"MetadataContainerUri", JsonString(meta)}});
}

Reply ProvisionQueue(Call& c) {
  return Complex(c, "ProvisionMigrationQueue", "SP.ProvisionedMigrationQueueInfo",
                 {{"JobQueueUri", JsonString(Migration(c.impl).ProvisionQueue())}});
}

Reply CreateJob(Call& c) {
  auto body = Body(c);
  const std::string url = OptString(body, "url");
  MigrationJobRequest req;
  const ListState* list = url.empty() ? nullptr : ListAt(c, url, &req.web);
  if (list == nullptr)
    // The wording SharePoint used for a URL that is not a list [code: I4].
    throw RestError(500, "-2146233088, System.InvalidOperationException",
                    "Failed to verify async read options on url " + url +
                        ". Failed to determine object type of " + url +
                        " Only folder, document library, or list are valid object types to run "
                        "async read.");
  req.list_id = list->id();
  req.container_uri = OptString(body, "azureContainerManifestUri");
  if (req.container_uri.empty())
    throw RestError(400, "-2147467261, System.ArgumentNullException",
                    "Value cannot be null.\r\nParameter name: azureContainerManifestUri");
  req.queue_uri = OptString(body, "azureQueueReportUri");
  if (auto enc = body->getObject("encryptionOption"); !enc.isNull()) {
    const std::string key_b64 = OptString(enc, "AES256CBCKey");
    if (!key_b64.empty()) {
      req.key = DecodeBase64(key_b64);
      if (req.key.size() != 32)
        throw RestError(400, "-2147024809, System.ArgumentException",
                        "AES256CBCKey must be a 256-bit key.");
    }
  }
  if (auto options = body->getObject("readOptions"); !options.isNull())
    req.start_change_token = OptString(options, "StartChangeToken");
  // Taken before the job reads anything: the next StartChangeToken, and where
  // a client's change-log reading picks up.
  const std::string token = c.impl.CurrentToken(*list);
  const std::string job_id = Migration(c.impl).Create(std::move(req));
  return Complex(c, "CreateSPAsyncReadJob", "SP.AsyncReadJobInfo",
                 {{"CurrentChangeToken", JsonString(token)}, {"JobId", JsonString(job_id)}});
}

Reply Progress(Call& c) {
  const std::string job_id = c.captures.strings.at(0);
  size_t from = 0;
  if (c.captures.strings.size() > 1)
    from = static_cast<size_t>(std::strtoull(c.captures.strings[1].c_str(), nullptr, 10));
  else if (!c.captures.ids.empty())
    from = static_cast<size_t>(std::max<int64_t>(0, c.captures.ids[0]));
  auto view = Migration(c.impl).Progress(job_id, from);
  if (!view) throw RestError(404, "-2147213145, Microsoft.SharePoint.SPException", "Job not found");
  // The status code of both errors is not documented: 404 [guess].
  if (view->expired)
    throw RestError(404, "-2147213146, Microsoft.SharePoint.SPException",
                    "Job status expired (valid for less than 5 days)");
  std::string logs;
  for (const auto& l : view->logs) logs += (logs.empty() ? "" : ",") + JsonString(l);
  if (c.req.fmt.format == Format::kVerbose)
    logs = "{\"__metadata\":{\"type\":\"Collection(Edm.String)\"},\"results\":[" + logs + "]}";
  else
    logs = "[" + logs + "]";
  return Complex(c, "GetMigrationJobProgress", "SP.MigrationJobProgress",
                 {{"Logs", logs}, {"NextToken", JsonString(std::to_string(view->next))}});
}

Reply Status(Call& c) {
  auto view = Migration(c.impl).Progress(OptString(Body(c), "id"), SIZE_MAX);
  Reply r;
  const std::string value = std::to_string(view ? view->state : 0);
  r.body = c.req.fmt.format == Format::kVerbose
               ? "{\"d\":{\"GetMigrationJobStatus\":" + value + "}}"
               : "{\"value\":" + value + "}";
  return r;
}

}  // namespace

void AddMigrationRoutes(RouteTable& t) {
  t.Add("POST", "site/ProvisionMigrationContainers", RequestKind::kOther, Access::kNone,
        ProvisionContainers);
  t.Add("POST", "site/ProvisionMigrationQueue", RequestKind::kOther, Access::kNone, ProvisionQueue);
  t.Add("POST", "site/CreateSPAsyncReadJob", RequestKind::kOther, Access::kShared, CreateJob);
  // Documented as GET [D4]; both literal forms of the id (guid'…' and '…')
  // and of the token ('0' and 0) are accepted.
  t.Add("GET POST", "site/GetMigrationJobProgress(jobId={str},nextToken={str})",
        RequestKind::kOther, Access::kNone, Progress);
  t.Add("GET POST", "site/GetMigrationJobProgress(jobId={str},nextToken={id})", RequestKind::kOther,
        Access::kNone, Progress);
  t.Add("POST", "site/GetMigrationJobStatus", RequestKind::kOther, Access::kNone, Status);
}

}  // namespace spsync::emulator::detail
