// A local SharePoint Online: the REST surface the sync engine uses, with the
// same URLs, JSON shapes, paging tokens, error bodies and status codes
// (shared/docs/sharepoint-rest.md). Lists are synthetic and deterministic so a
// 10-million-item list costs almost nothing; only mutations are stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::emulator {

struct ListSpec {
  std::string title;
  int64_t item_count = 0;
  // 100 generic list (at <web>/Lists/<title without spaces>), 101 document
  // library (at <web>/<title without spaces>; "Documents" at Shared Documents).
  // Library items have the generic list's columns (emulator/README.md).
  int base_template = 100;
  bool hidden = false;
  std::string description{};
  // This share (percent, 0-100) of the synthetic items has one or two
  // synthetic attachments (chosen by the seed; sizes vary around the
  // average). Their bytes are generated when served, never stored.
  double attachment_percent = 0;
  int64_t attachment_avg_bytes = 100 * 1024;
  // false: only what a new list of the template has (Title and the system
  // fields), as for a list a client creates through REST; columns come from
  // field creation. true: the synthetic columns too (Description .. Link).
  bool synthetic_columns = true;
};

// A web (a site collection's root web or a subweb at any depth) and its lists.
// Every web also gets SharePoint's own lists (Documents, Site Pages, hidden
// catalogs; the root web also the User Information List: README.md); a
// declared list of the same title replaces one of them.
struct WebSpec {
  std::string url;      // server-relative: /sites/sales, /sites/sales/emea
  std::string title{};  // "" = the URL's last segment
  std::vector<ListSpec> lists{};
  // A "Customers" list (500 items unless `lists` declares one), the target of
  // the Customer lookup of the web's lists. Default: yes in a root web, no in
  // a subweb (whose lists' Customer lookup then points at the list itself:
  // a lookup only reaches lists of its own web).
  std::optional<bool> customers{};
};

// A site collection: its root web (the WebSpec whose url is the site's; added
// empty if missing) and subwebs, each under the URL of a declared web.
struct SiteSpec {
  std::string url;  // /sites/sales, or / for the tenant's root site
  std::vector<WebSpec> webs{};
};

// `sites` site collections with `webs` webs between them (one root web each,
// the rest subwebs: the first half one level down, the rest below those) and
// `lists` generic lists of `items_per_list` items dealt round-robin over the
// webs; no Customers lists (lookups point at the list itself). Names:
// /sites/site01, /sites/site01/web01, ..., lists List0001, ... (the shape of
// a department's estate for the discovery benchmarks; CLI --estate).
std::vector<SiteSpec> SyntheticEstate(int sites, int webs, int lists, int64_t items_per_list);

// A list in a web: `web` is its server-relative URL ("" = the first site's
// root web, which is all a single-site emulator has), `title` its title.
// Converts from a bare title, so emulator.AddItem("Orders", ...) keeps working.
struct ListRef {
  std::string web, title;
  ListRef(const char* t) : title(t) {}         // NOLINT: implicit on purpose
  ListRef(const std::string& t) : title(t) {}  // NOLINT
  ListRef(std::string_view t) : title(t) {}    // NOLINT
  ListRef(std::string_view w, std::string_view t) : web(w), title(t) {}
};

// A field added to a list at start (CLI --field [/web:]Orders:Region=Lookup).
// Types as TypeAsString: Text, Number, Lookup, LookupMulti, User, UserMulti,
// ...; lookups point at the web's Customers list, people at the site's users.
struct FieldSpec {
  std::string list, title, type;
  std::string web{};  // "" = the first site's root web
};

// A field marked indexed at start (CLI --indexed [/web:]Orders:Status).
struct IndexSpec {
  std::string list, field;
  std::string web{};  // "" = the first site's root web
};

// The request kinds the emulator counts and that faults can target.
enum class RequestKind {
  kListMetadata,
  kFields,
  kItems,
  kItemById,
  kGetItems,
  kGetChanges,
  kWrites,
  kToken,
  kContextInfo,
  kDiscovery,    // web, site, web/webs, web/lists (what list discovery reads)
  kAttachments,  // reads of AttachmentFiles (collection, one file, its bytes) and of files by URL
  kVersions,     // reads of an item's versions
  kFileInfo,     // reads of an attachment's SP.File (its ETag and length), not of its bytes
  kOther,
};

enum class FaultKind {
  kNone,
  kThrottle429,  // 429 + Retry-After
  kBusy503,      // 503 + Retry-After
  kError500,     // 500 with a JSON error body
  kReset,        // headers and half the body, then a TCP reset
  kTruncate,     // a well-framed response whose JSON body is cut short
  kHtml,         // a 500 HTML error page (what a proxy or a crashed front end returns)
  kSlow,         // the normal response after a delay
};

// "Fail the next `count` requests of `kind` with `fault`"; for precise tests.
struct FaultRule {
  RequestKind kind = RequestKind::kItems;
  int count = 1;
  FaultKind fault = FaultKind::kThrottle429;
};

struct FaultSpec {
  // Probabilities per request, drawn deterministically from (seed, request number).
  double p429 = 0, p503 = 0, p500 = 0, reset = 0, truncate = 0, html = 0, slow = 0;
  int retry_after_seconds = 2;
  int slow_ms = 1500;
  // Token bucket per emulator (SharePoint limits per app); rate 0 = unlimited.
  double throttle_rate = 0;   // requests per second
  double throttle_burst = 0;  // bucket size
  std::vector<FaultRule> rules;
  uint64_t seed = 1;
};

// Parses the CLI forms; throws std::invalid_argument with a readable message.
//   --faults  "429:0.1,503:0.05,500:0.01,reset:0.02,truncate:0.02,html:0.01,slow:0.01,
//              retry-after:3,slow-ms:500,seed:7"
//   --throttle "rate=50,burst=100"
void ParseFaults(std::string_view text, FaultSpec& spec);
void ParseThrottle(std::string_view text, FaultSpec& spec);

// How long SharePoint takes to answer: every API request waits base_ms, plus
// per_item_ms for each list item in the response (a page of items, an item,
// GetItems rows), e.g. 300 ms + 0.2 ms/item: a 5000-item page takes 1.3 s.
// Requests wait concurrently (each on its own server thread).
struct LatencySpec {
  double base_ms = 0, per_item_ms = 0;
};

// The tenant's resource-unit budget (SharePoint's per-app limit: 1,250 to
// 6,250 RU a minute by licence count): a token bucket of ru_per_minute RU,
// refilled continuously. Each API request costs read_cost (GET, and POST
// reads such as GetChanges and GetItems) or write_cost (writes); a request
// the bucket cannot pay is answered 429 with Retry-After, and still charged
// when charge_throttled (SharePoint: throttled calls count against the
// quota). RateLimit-Limit/Remaining/Reset go on every answer once 80% of the
// budget is used. ru_per_minute 0 = no budget.
struct BudgetSpec {
  double ru_per_minute = 0;
  double read_cost = 2, write_cost = 2;
  bool charge_throttled = true;
};

// The CLI forms; throw std::invalid_argument with a readable message.
//   --latency "300ms+0.2ms" (also "1.5s", "250us+0", "0": base[+per item])
//   --budget  "ru=1250,read=2,write=2,charge-throttled=1" (or just "1250")
void ParseLatency(std::string_view text, LatencySpec& spec);
void ParseBudget(std::string_view text, BudgetSpec& spec);

// List webhooks (sharepoint-rest.md section 9; emulator/README.md "Webhooks").
// Changes are queued per subscription and POSTed to the notification URLs
// every delivery_interval; a POST not answered 2xx within answer_timeout
// fails and is retried every retry_interval, at most max_retries times, then
// dropped.
struct WebhookSpec {
  std::chrono::milliseconds delivery_interval{60000};  // SharePoint: about a minute
  std::chrono::milliseconds retry_interval{300000};    // SharePoint: 5 minutes
  int max_retries = 5;                                 // SharePoint: 5
  std::chrono::milliseconds validation_timeout{5000};  // the handshake's deadline during create
  std::chrono::milliseconds answer_timeout{5000};      // a notification POST's deadline
};

// A subscription as SharePoint holds it (expiration on the emulator's clock).
struct SubscriptionInfo {
  std::string id, list_id, notification_url, client_state;
  std::chrono::system_clock::time_point expiration;
};

// What the webhook machinery did since start.
struct WebhookStats {
  uint64_t validations = 0;          // handshakes answered correctly (create, PATCH of the URL)
  uint64_t validation_failures = 0;  // handshakes that failed (wrong answer, timeout, refused)
  uint64_t deliveries = 0;           // notification POSTs answered 2xx
  uint64_t delivery_failures = 0;    // notification POSTs that failed (each attempt)
  uint64_t dropped = 0;              // notifications given up after max_retries retries
  uint64_t notifications = 0;        // entries in the bodies of successful deliveries
};

// The Migration Export API (CreateSPAsyncReadJob, emulator/README.md): where
// it writes manifests and events. Jobs write into the SAS URLs a client
// gives; ProvisionMigrationContainers / ProvisionMigrationQueue create
// containers and a queue in this storage account (Azurite's well-known
// development account by default) and mint SAS URLs for them.
struct MigrationSpec {
  std::string blob_endpoint;  // e.g. http://127.0.0.1:10000/devstoreaccount1 ("" = no provisioning)
  std::string queue_endpoint;  // e.g. http://127.0.0.1:10001/devstoreaccount1
  std::string account = "devstoreaccount1";
  std::string account_key =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  // Server-side pace: list items exported a second (Microsoft quotes 200 to
  // 700); 0 = as fast as the machine goes.
  double items_per_second = 400;
  // A manifest past this many bytes is closed and the next one started
  // (SharePoint: 25 MB).
  int64_t manifest_split_bytes = 25 << 20;
  // Jobs that end with JobFatalError after exporting this many items (-1 =
  // none fail): how tests make a job fail.
  int64_t fatal_after_items = -1;
};

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // The shorthand for one site collection: `site` whose root web has `lists`
  // (used when `sites` is empty). Besides these, the site has a "Customers"
  // list (500 items unless listed here), the target of every list's Customer
  // lookup, the hidden "User Information List" of its people, and
  // SharePoint's own lists (README.md).
  std::string site = "/sites/demo";
  std::vector<ListSpec> lists;
  // Several site collections on one server; the first one's root web is what
  // SiteUrl() and the ListRef shorthand name. Give either these or `lists`.
  std::vector<SiteSpec> sites;
  std::vector<FieldSpec> fields;
  std::vector<IndexSpec> indexed;
  uint64_t seed = 1;
  std::string token;                                // static bearer required when non-empty
  std::string tenant, client_id, client_cert_path;  // Entra ID app-only (certificate) mode
  int change_retention_days = 60;
  // SPO was reported (sp-dev-docs #10389) to answer expired tokens with an empty
  // collection instead of an error; true reproduces that.
  bool expired_token_silently_empty = false;
  // Server threads: each open keep-alive connection holds one while it lasts
  // (as a thread-per-connection server does), so this caps concurrent clients.
  int threads = 64;
  FaultSpec faults;  // injected faults, and the older requests-per-second bucket
  LatencySpec latency;
  BudgetSpec budget;
  WebhookSpec webhooks;
  MigrationSpec migration;
};

struct Stats {
  uint64_t total = 0, list_metadata = 0, fields = 0, items = 0, item_by_id = 0, get_items = 0,
           get_changes = 0, writes = 0, token = 0, context_info = 0, discovery = 0, attachments = 0,
           versions = 0, file_info = 0, throttled = 0, faulted = 0;
  // The resource-unit budget: RU charged (throttled requests included when
  // they are charged) and requests it refused (also counted in `throttled`).
  double ru_spent = 0;
  uint64_t ru_throttled = 0;
  // The most API requests answered at the same time: how many a client
  // really kept in flight.
  uint64_t peak_in_flight = 0;
};

// A list item's attachment as the in-process API reports it.
struct AttachmentInfo {
  std::string file_name;
  int64_t size = 0;
  std::string server_relative_url;  // /sites/demo/Lists/Orders/Attachments/12/file name.pdf
};

class Emulator {  // thread-safe; the server runs on its own threads
 public:
  explicit Emulator(Options options);
  ~Emulator();  // stops
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  void Start();
  void Stop();
  uint16_t port() const;
  // The first site collection's root web, e.g. "http://127.0.0.1:41234/sites/demo".
  std::string SiteUrl() const;
  std::string BaseUrl() const;  // e.g. "http://127.0.0.1:41234" (token endpoint lives here)
  // BaseUrl() + a server-relative web URL; throws std::invalid_argument for an unknown web.
  std::string WebUrl(std::string_view web) const;
  std::string WebId(std::string_view web) const;  // lowercase GUID ("" = the first root web)
  std::string ListId(const ListRef& list) const;  // lowercase GUID, "" if no such list
  int64_t ItemCount(const ListRef& list) const;
  std::string CurrentChangeToken(const ListRef& list) const;

  // Item mutations, recorded in the change log like REST writes. Lists are
  // found by ListRef; an unknown web or list throws std::invalid_argument.
  int64_t AddItem(const ListRef& list, std::string_view fields_json);  // returns new ID
  void UpdateItem(const ListRef& list, int64_t id, std::string_view fields_json);
  void RecycleItem(const ListRef& list, int64_t id);
  void DeleteItem(const ListRef& list, int64_t id);
  void RestoreItem(const ListRef& list, int64_t id);
  // Attachments, changed as SharePoint changes them: each add, replacement
  // or deletion is an update of the item (a new version, Modified and Editor
  // move, an Update in the change log, webhooks fire); `Attachments` is true
  // while the item has any. Names are compared ignoring case. A synthetic
  // attachment's bytes are generated from (list, id, name) when served and
  // never held in memory. Unknown lists, items (or files, for
  // DeleteAttachment) throw std::invalid_argument.
  void AddAttachment(const ListRef& list, int64_t id, std::string_view file_name,
                     std::string_view bytes);
  void AddSyntheticAttachment(const ListRef& list, int64_t id, std::string_view file_name,
                              int64_t size);
  void DeleteAttachment(const ListRef& list, int64_t id, std::string_view file_name);
  std::vector<AttachmentInfo> Attachments(const ListRef& list, int64_t id) const;
  // The whole file (materialised: for tests); throws std::invalid_argument if none.
  std::string AttachmentBytes(const ListRef& list, int64_t id, std::string_view file_name) const;
  // How many versions the item's history holds (the current one included):
  // its major version number, since every change makes one.
  int64_t VersionCount(const ListRef& list, int64_t id) const;

  // A new field from its title (the internal name is encoded as SharePoint does).
  void AddField(const ListRef& list, std::string_view title, std::string_view type_as_string);
  void RecreateList(const ListRef& list);  // same title, new GUID, new items

  // Lists as a client creates, deletes and renames them over REST (same
  // checks, same change log). CreateList returns the new GUID; a list created
  // here may start with synthetic items (spec.item_count). DeleteList moves
  // the list to the site's recycle bin and returns the recycle bin item's id;
  // RestoreList brings it back (same GUID, same items). A rename keeps the
  // GUID and the URL.
  std::string CreateList(std::string_view web, const ListSpec& spec);
  std::string DeleteList(const ListRef& list);
  void RestoreList(std::string_view recycle_bin_id);
  void RenameList(const ListRef& list, std::string_view new_title);

  // Live items in ID order, as nometadata JSON objects.
  void ForEachLiveItem(
      const ListRef& list,
      const std::function<void(int64_t id, std::string_view nometadata_json)>& fn) const;
  std::string ItemJson(const ListRef& list, int64_t id) const;  // "" if not live

  void AdvanceClock(std::chrono::seconds by);  // ages change tokens and issued access tokens
  std::chrono::system_clock::time_point Now() const;

  Stats GetStats() const;
  void ResetStats();
  void SetFaults(FaultSpec spec);
  void FailNext(RequestKind kind, int count, FaultKind fault);
  // Run-time changes of the latency and the budget (also over HTTP:
  // POST /_emulator/latency, POST /_emulator/budget). A new budget starts full.
  void SetLatency(LatencySpec spec);
  void SetBudget(BudgetSpec spec);

  // List webhooks. Subscriptions lists the list's live (unexpired)
  // subscriptions; RemoveSubscription forgets one as SharePoint sometimes
  // does (no-op for an unknown id); SetWebhooks changes the timings at run
  // time (the next delivery is one new interval away); DeliverWebhooksNow
  // POSTs the queued changes now and returns when those POSTs are answered
  // (retries keep their schedule).
  std::vector<SubscriptionInfo> Subscriptions(const ListRef& list) const;
  void RemoveSubscription(std::string_view id);
  void SetWebhooks(WebhookSpec spec);
  WebhookStats GetWebhookStats() const;
  void DeliverWebhooksNow();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace spsync::emulator
