// The SharePoint REST calls the sync engine makes, with retries: 429 / 503
// honour Retry-After (and RateLimit-Reset), other 5xx, resets and truncated
// bodies back off exponentially with jitter, a throttle pauses every request
// to that host, and the time budget always wins over a wait.
//
// Thread safety: SharePointClient is safe to share between sessions; so is
// the ThrottleGate, which is the point: one host's throttle pauses everyone.
#pragma once

#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/credentials.hpp"
#include "spsync/engine/sharepoint/http_client.hpp"
#include "spsync/engine/sharepoint/request_budget.hpp"
#include "spsync/engine/sharepoint/schema.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace spsync::engine {

// Pauses requests to a host until a throttle's wait is over.
class ThrottleGate {
 public:
  // Blocks until `host` may be called. Throws SharePointError(kBudget) when
  // the wait would outlast the deadline.
  void Wait(const std::string& host, const Deadline& deadline);
  void PauseUntil(const std::string& host, std::chrono::steady_clock::time_point until);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> paused_;
};

struct RetryPolicy {
  int max_attempts = 8;             // per request, throttling excluded
  int max_throttled_attempts = 30;  // 429/503 answers tolerated per request
  std::chrono::milliseconds base_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
};

// Counters of one client, for tests, benchmarks and `status`.
struct ClientStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> throttled{0};
  std::atomic<uint64_t> bytes{0};
  // Time from sending a request to its answer, summed over the requests that
  // were answered (waits for the budget or a throttle not included): with
  // `answered`, SharePoint's mean latency as this client sees it.
  std::atomic<uint64_t> answer_micros{0};
  std::atomic<uint64_t> answered{0};
};

// A response body that does not parse: treated like a transport error.
class MalformedBody : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ListInfo {
  std::string id;  // lowercase GUID
  std::string title;
  int64_t item_count = 0;
  std::string current_change_token;
  int base_template = 100;  // 100 generic list, 101 document library, ...
  std::string description;
};

struct ClientOptions {
  std::string site_url;  // absolute, no trailing slash
  RetryPolicy retry;
  // Called before a throttle wait: (wait, HTTP status).
  std::function<void(std::chrono::milliseconds, int)> on_throttled;
  // Called after every answer SharePoint gives (host, HTTP status), from the
  // thread that made the request: metrics.
  std::function<void(const std::string&, int)> on_response;
  // The tenant's request budget, shared by every client of the process
  // (none: requests are only paced by 429s).
  std::shared_ptr<RequestBudget> budget;
};

class SharePointClient {
 public:
  SharePointClient(ClientOptions options, std::shared_ptr<HttpClient> http,
                   std::shared_ptr<Credentials> credentials, std::shared_ptr<ThrottleGate> gate);

  // Resolves a list named by title, `Lists/Name`, a server-relative URL or a GUID.
  ListInfo GetList(const std::string& ref, const Deadline& deadline);
  // The list's visible fields, read whole: lookup and person fields with
  // their LookupList and LookupField, and every field's definition.
  std::vector<ListField> GetFields(const std::string& list_id, const Deadline& deadline);

  // GET with Accept: nometadata. `consume` parses the body; if it throws
  // MalformedBody the request is retried like a truncated one.
  // `reuse`: a buffer whose capacity the response body may take (see
  // HttpClient::Send).
  void Get(const std::string& url, const std::string& what, const Deadline& deadline,
           const std::function<void(HttpResponse&)>& consume, std::string* reuse = nullptr);
  // GET a file (`$value`), streamed: `start` at the beginning of every
  // attempt that SharePoint answers 2xx (after a retry the body starts over,
  // so the consumer must drop what the failed attempt gave it), then
  // `chunk` for each piece (at most `chunk_size` bytes) as it arrives. The
  // same retries, throttle waits, budget and deadline as Get; an exception
  // a callback throws is not retried and reaches the caller.
  void GetStream(const std::string& url, const std::string& what, const Deadline& deadline,
                 const std::function<void(const HttpResponse&)>& start,
                 const HttpClient::ChunkFn& chunk, size_t chunk_size = size_t{1} << 20);
  // POST a JSON-light body.
  void Post(const std::string& url, const std::string& body, const std::string& what,
            const Deadline& deadline, const std::function<void(HttpResponse&)>& consume,
            std::string* reuse = nullptr);

  // Any method with a JSON-light body ("" = none): PATCH, DELETE, a POST
  // answered 201. Retried like the others (a write must be idempotent or
  // checked by the caller).
  void Send(const std::string& method, const std::string& url, const std::string& body,
            const std::string& what, const Deadline& deadline,
            const std::function<void(HttpResponse&)>& consume);

  // Any method with a body of any type (a $batch, a file's bytes). With
  // `once`, an exchange that may have reached SharePoint without an answer
  // (a reset, a timeout, a garbled reply) is not sent again but thrown
  // (kTransient), so a write that is not idempotent (creating items) never
  // happens twice; 429 / 503, which SharePoint answers before doing
  // anything, are still waited out and retried.
  void SendRaw(const std::string& method, const std::string& url, const std::string& content_type,
               const std::string& body, const std::string& what, const Deadline& deadline,
               const std::function<void(HttpResponse&)>& consume, bool once);

  // POST to GetChanges: like Post, but an answer that says the change token is
  // unusable is raised as ErrorKind::kTokenInvalid at once, not retried.
  void PostChangeLog(const std::string& url, const std::string& body, const std::string& what,
                     const Deadline& deadline, const std::function<void(HttpResponse&)>& consume);

  // `{site}/_api/web/lists(guid'{id}')`
  std::string ListApi(const std::string& list_id) const;
  const std::string& site_url() const { return options_.site_url; }
  // True if `url` is on the site's scheme, host and port (next links must be).
  bool SameOrigin(const std::string& url) const;
  const ClientStats& stats() const { return stats_; }
  // The requests a second the tenant's budget allows this client's host
  // (0: no budget, or none learned yet).
  double BudgetRequestsPerSecond() const {
    return options_.budget ? options_.budget->RequestsPerSecond(host_key_) : 0;
  }
  Credentials& credentials() { return *credentials_; }

 private:
  struct Stream {
    const std::function<void(const HttpResponse&)>& start;
    const HttpClient::ChunkFn& chunk;
    size_t chunk_size;
  };
  void Execute(HttpRequest request, const std::string& what, const Deadline& deadline,
               const std::function<void(HttpResponse&)>& consume, std::string* reuse,
               bool change_log = false, const Stream* stream = nullptr, bool once = false);
  std::chrono::milliseconds Backoff(int attempt);
  // GETs `{site}/_api/web/{path}` as a list; `ref` names it in errors.
  ListInfo ReadList(const std::string& path, const std::string& ref, const Deadline& deadline);

  ClientOptions options_;
  std::shared_ptr<HttpClient> http_;
  std::shared_ptr<Credentials> credentials_;
  std::shared_ptr<ThrottleGate> gate_;
  std::string host_key_;
  ClientStats stats_;
};

// Percent-encodes a query option value the way SharePoint's own links do.
std::string EncodeQueryValue(std::string_view value);
// `s` as an OData string literal: in single quotes, a quote doubled.
std::string QuoteOData(const std::string& s);
// A GUID as spsync keeps list IDs: lowercase, braces dropped
// ("{6B2E...}" -> "6b2e..."), so IDs from any SharePoint answer compare equal.
std::string BareGuid(std::string guid);

// The CAML view of GetItems that selects exactly `ids` (an In on ID, as many
// rows as IDs, every folder).
std::string CamlIdIn(const std::vector<int64_t>& ids);

}  // namespace spsync::engine
