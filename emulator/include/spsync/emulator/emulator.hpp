// A local SharePoint Online: the REST surface the sync engine uses, with the
// same URLs, JSON shapes, paging tokens, error bodies and status codes
// (shared/docs/sharepoint-rest.md). Lists are synthetic and deterministic so a
// 10-million-item list costs almost nothing; only mutations are stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::emulator {

struct ListSpec {
  std::string title;
  int64_t item_count = 0;
};

// A field added to a list at start (CLI --field Orders:Region=Lookup). Types
// as TypeAsString: Text, Number, Lookup, LookupMulti, User, UserMulti, ...;
// lookups point at the Customers list, people at the site's users.
struct FieldSpec {
  std::string list, title, type;
};

// A field marked indexed at start (CLI --indexed Orders:Status).
struct IndexSpec {
  std::string list, field;
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

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string site = "/sites/demo";
  // Besides these, every site has a "Customers" list (500 items unless listed
  // here), the target of every list's Customer lookup, and the hidden "User
  // Information List" of its people.
  std::vector<ListSpec> lists;
  std::vector<FieldSpec> fields;
  std::vector<IndexSpec> indexed;
  uint64_t seed = 1;
  std::string token;                                // static bearer required when non-empty
  std::string tenant, client_id, client_cert_path;  // Entra ID app-only (certificate) mode
  int change_retention_days = 60;
  // SPO was reported (sp-dev-docs #10389) to answer expired tokens with an empty
  // collection instead of an error; true reproduces that.
  bool expired_token_silently_empty = false;
  int threads = 8;
  FaultSpec faults;
};

struct Stats {
  uint64_t total = 0, list_metadata = 0, fields = 0, items = 0, item_by_id = 0, get_items = 0,
           get_changes = 0, writes = 0, token = 0, context_info = 0, throttled = 0, faulted = 0;
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
  std::string SiteUrl() const;  // e.g. "http://127.0.0.1:41234/sites/demo"
  std::string BaseUrl() const;  // e.g. "http://127.0.0.1:41234" (token endpoint lives here)
  std::string ListId(std::string_view title) const;  // lowercase GUID, "" if no such list
  int64_t ItemCount(std::string_view list) const;
  std::string CurrentChangeToken(std::string_view list) const;

  int64_t AddItem(std::string_view list, std::string_view fields_json);  // returns new ID
  void UpdateItem(std::string_view list, int64_t id, std::string_view fields_json);
  void RecycleItem(std::string_view list, int64_t id);
  void DeleteItem(std::string_view list, int64_t id);
  void RestoreItem(std::string_view list, int64_t id);
  // A new field from its title (the internal name is encoded as SharePoint does).
  void AddField(std::string_view list, std::string_view title, std::string_view type_as_string);
  void RecreateList(std::string_view title);  // same title, new GUID, new items
  // Live items in ID order, as nometadata JSON objects.
  void ForEachLiveItem(
      std::string_view list,
      const std::function<void(int64_t id, std::string_view nometadata_json)>& fn) const;
  std::string ItemJson(std::string_view list, int64_t id) const;  // "" if not live

  void AdvanceClock(std::chrono::seconds by);  // ages change tokens and issued access tokens
  std::chrono::system_clock::time_point Now() const;

  Stats GetStats() const;
  void ResetStats();
  void SetFaults(FaultSpec spec);
  void FailNext(RequestKind kind, int count, FaultKind fault);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace spsync::emulator
