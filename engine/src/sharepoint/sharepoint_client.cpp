#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include "spsync/engine/sharepoint/sharepoint_error.hpp"
#include "spsync/engine/sharepoint/throttle_headers.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <thread>

namespace spsync::engine {

namespace {

using Clock = std::chrono::steady_clock;

const char* kAcceptNoMetadata = "application/json;odata=nometadata";

// Sleeps for `d` unless the deadline is cancelled first (Ctrl-C stops a wait).
void SleepFor(std::chrono::milliseconds d, const Deadline& deadline) {
  auto until = Clock::now() + d;
  while (Clock::now() < until) {
    if (deadline.cancelled()) return;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(100)));
  }
}

// The wait a throttled answer asks for: Retry-After (seconds or an
// HTTP-date) or RateLimit-Reset, the larger; -1 when neither is usable.
std::chrono::milliseconds ThrottleWait(const HttpResponse& r) {
  std::chrono::seconds wait(-1);
  if (auto s = ParseRetryAfter(r.Header("Retry-After"), std::chrono::system_clock::now()))
    wait = *s;
  if (auto s = ParseBoundedInt(r.Header("RateLimit-Reset"), kMaxBelievedWait.count()))
    wait = std::max(wait, std::chrono::seconds(*s));
  return wait;
}

// 8-4-4-4-12 hex digits, optionally in braces.
bool IsGuid(const std::string& s) {
  std::string_view v(s);
  if (v.size() == 38 && v.front() == '{' && v.back() == '}') v = v.substr(1, 36);
  if (v.size() != 36) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? v[i] != '-' : !std::isxdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  return true;
}

Poco::JSON::Object::Ptr ParseObject(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (o.isNull()) throw MalformedBody("expected a JSON object");
    return o;
  } catch (const MalformedBody&) {
    throw;
  } catch (const std::exception& e) {
    throw MalformedBody(std::string("response is not JSON: ") + e.what());
  }
}

}  // namespace

std::string QuoteOData(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string BareGuid(std::string guid) {
  Poco::toLowerInPlace(guid);
  guid.erase(std::remove(guid.begin(), guid.end(), '{'), guid.end());
  guid.erase(std::remove(guid.begin(), guid.end(), '}'), guid.end());
  return guid;
}

std::string EncodeQueryValue(std::string_view value) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '(' || c == ')' ||
        c == '\'') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void ThrottleGate::Wait(const std::string& host, const Deadline& deadline) {
  Clock::time_point until;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = paused_.find(host);
    if (it == paused_.end() || it->second <= Clock::now()) return;
    until = it->second;
  }
  if (deadline.WouldExpireAfter(until - Clock::now()))
    throw SharePointError(ErrorKind::kBudget, 0, "",
                          "time budget ends before the throttle wait on " + host);
  SleepFor(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()), deadline);
}

void ThrottleGate::PauseUntil(const std::string& host, Clock::time_point until) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = paused_[host];
  slot = std::max(slot, until);
}

SharePointClient::SharePointClient(ClientOptions options, std::shared_ptr<HttpClient> http,
                                   std::shared_ptr<Credentials> credentials,
                                   std::shared_ptr<ThrottleGate> gate)
    : options_(std::move(options)),
      http_(std::move(http)),
      credentials_(std::move(credentials)),
      gate_(std::move(gate)) {
  while (!options_.site_url.empty() && options_.site_url.back() == '/')
    options_.site_url.pop_back();
  Poco::URI u(options_.site_url);
  host_key_ = u.getHost() + ":" + std::to_string(u.getPort());
}

std::string SharePointClient::ListApi(const std::string& list_id) const {
  return options_.site_url + "/_api/web/lists(guid'" + list_id + "')";
}

bool SharePointClient::SameOrigin(const std::string& url) const {
  try {
    Poco::URI a(options_.site_url), b(url);
    return Poco::toLower(a.getScheme()) == Poco::toLower(b.getScheme()) &&
           Poco::toLower(a.getHost()) == Poco::toLower(b.getHost()) && a.getPort() == b.getPort();
  } catch (...) {
    return false;
  }
}

std::chrono::milliseconds SharePointClient::Backoff(int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto cap = std::min<int64_t>(
      options_.retry.max_backoff.count(),
      options_.retry.base_backoff.count() * (int64_t{1} << std::min(attempt, 16)));
  // Full jitter: spreads retries of parallel sessions apart.
  std::uniform_int_distribution<int64_t> dist(cap / 2, cap);
  return std::chrono::milliseconds(dist(rng));
}

void SharePointClient::Execute(HttpRequest request, const std::string& what,
                               const Deadline& deadline,
                               const std::function<void(HttpResponse&)>& consume,
                               std::string* reuse, bool change_log, const Stream* stream,
                               bool once) {
  int failures = 0, throttles = 0;
  bool reauthorised = false;
  std::string last_problem;
  while (true) {
    gate_->Wait(host_key_, deadline);
    if (deadline.expired())
      throw SharePointError(ErrorKind::kBudget, 0, "", "time budget spent before " + what);
    if (options_.budget) options_.budget->Spend(host_key_, deadline);
    HttpRequest attempt = request;
    // A request in flight ends with the budget too: a slow answer must not
    // hold a 3-second budget for half a minute.
    attempt.not_after = Clock::now() + deadline.remaining();
    std::string auth = credentials_->AuthorizationHeader(deadline);
    if (!auth.empty()) attempt.headers.emplace_back("Authorization", std::move(auth));
    stats_.requests++;
    HttpResponse resp;
    bool transient = false;
    try {
      const auto sent = Clock::now();
      resp = stream
                 ? http_->SendStreaming(attempt, stream->start, stream->chunk, stream->chunk_size)
                 : http_->Send(attempt, reuse);
      stats_.answer_micros += static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count());
      stats_.answered++;
      stats_.bytes += resp.body.size();
      if (options_.budget) options_.budget->Observe(host_key_, resp);
      if (options_.on_response) options_.on_response(host_key_, resp.status);
      if (resp.status >= 200 && resp.status < 300) {
        if (!consume) return;
        try {
          consume(resp);
          return;
        } catch (const MalformedBody& e) {
          transient = true;
          last_problem = std::string("malformed response body: ") + e.what();
        }
      }
    } catch (const TransportError& e) {
      transient = true;
      last_problem = e.what();
    } catch (const TlsError& e) {
      throw SharePointError(ErrorKind::kOther, 0, "", what + ": " + e.what());
    }

    if (transient && once)
      throw SharePointError(ErrorKind::kTransient, resp.status, "",
                            what + ": " + last_problem +
                                " (not sent again: SharePoint may have done it; see the restore "
                                "map)");
    if (!transient) {
      if (resp.status == 429 || resp.status == 503) {
        stats_.throttled++;
        if (++throttles > options_.retry.max_throttled_attempts)
          throw SharePointError(
              ErrorKind::kTransient, resp.status, "",
              what + ": still throttled after " + std::to_string(throttles - 1) + " waits");
        // No usable wait, or none at all (`Retry-After: 0` again and again
        // would spin): back off on our own growing schedule instead.
        auto wait = ThrottleWait(resp);
        if (wait <= std::chrono::milliseconds(0)) wait = Backoff(throttles);
        if (deadline.WouldExpireAfter(wait))
          throw SharePointError(ErrorKind::kBudget, resp.status, "",
                                what + ": throttled (HTTP " + std::to_string(resp.status) +
                                    ", wait " + std::to_string(wait.count() / 1000) +
                                    " s) and the time budget ends first");
        if (options_.on_throttled) options_.on_throttled(wait, resp.status);
        gate_->PauseUntil(host_key_, Clock::now() + wait);
        continue;
      }
      if (resp.status == 401 && !reauthorised) {
        // A cached token may have been revoked or expired early: one fresh try.
        reauthorised = true;
        credentials_->Invalidate();
        continue;
      }
      SharePointError err = ErrorFromResponse(resp.status, resp.body, what, change_log);
      if (err.kind() != ErrorKind::kTransient || once) throw err;
      transient = true;
      last_problem = err.what();
    }

    if (++failures >= options_.retry.max_attempts)
      throw SharePointError(
          ErrorKind::kTransient, resp.status, "",
          what + ": gave up after " + std::to_string(failures) + " attempts: " + last_problem);
    stats_.retries++;
    auto wait = Backoff(failures);
    if (deadline.WouldExpireAfter(wait))
      throw SharePointError(ErrorKind::kBudget, resp.status, "",
                            what + ": " + last_problem + " (no time left to retry)");
    SleepFor(wait, deadline);
  }
}

void SharePointClient::Get(const std::string& url, const std::string& what,
                           const Deadline& deadline,
                           const std::function<void(HttpResponse&)>& consume, std::string* reuse) {
  HttpRequest req;
  req.url = url;
  req.headers = {{"Accept", kAcceptNoMetadata}};
  Execute(std::move(req), what, deadline, consume, reuse);
}

void SharePointClient::GetStream(const std::string& url, const std::string& what,
                                 const Deadline& deadline,
                                 const std::function<void(const HttpResponse&)>& start,
                                 const HttpClient::ChunkFn& chunk, size_t chunk_size) {
  HttpRequest req;
  req.url = url;
  // A file, not JSON: any type, and no compression (the bytes are the file's).
  req.headers = {{"Accept", "*/*"}, {"Accept-Encoding", "identity"}};
  Stream stream{start, chunk, chunk_size};
  Execute(std::move(req), what, deadline, nullptr, nullptr, false, &stream);
}

void SharePointClient::Post(const std::string& url, const std::string& body,
                            const std::string& what, const Deadline& deadline,
                            const std::function<void(HttpResponse&)>& consume, std::string* reuse) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.headers = {{"Accept", kAcceptNoMetadata},
                 {"Content-Type", "application/json;odata=nometadata"}};
  Execute(std::move(req), what, deadline, consume, reuse);
}

void SharePointClient::Send(const std::string& method, const std::string& url,
                            const std::string& body, const std::string& what,
                            const Deadline& deadline,
                            const std::function<void(HttpResponse&)>& consume) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.headers = {{"Accept", kAcceptNoMetadata}};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json;odata=nometadata");
  Execute(std::move(req), what, deadline, consume, nullptr);
}

void SharePointClient::SendRaw(const std::string& method, const std::string& url,
                               const std::string& content_type, const std::string& body,
                               const std::string& what, const Deadline& deadline,
                               const std::function<void(HttpResponse&)>& consume, bool once) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.headers = {{"Accept", kAcceptNoMetadata}, {"Content-Type", content_type}};
  Execute(std::move(req), what, deadline, consume, nullptr, false, nullptr, once);
}

void SharePointClient::PostChangeLog(const std::string& url, const std::string& body,
                                     const std::string& what, const Deadline& deadline,
                                     const std::function<void(HttpResponse&)>& consume) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.headers = {{"Accept", kAcceptNoMetadata},
                 {"Content-Type", "application/json;odata=nometadata"}};
  Execute(std::move(req), what, deadline, consume, nullptr, true);
}

ListInfo SharePointClient::GetList(const std::string& ref, const Deadline& deadline) {
  const std::string by_title = "lists/getbytitle(" + EncodeQueryValue(QuoteOData(ref)) + ")";
  if (IsGuid(ref)) return ReadList("lists(guid'" + BareGuid(ref) + "')", ref, deadline);
  if (ref.find('/') == std::string::npos) return ReadList(by_title, ref, deadline);
  // `Lists/Orders` or `/sites/x/Lists/Orders` is a URL; but a title may hold
  // a slash too ("A/B tests"), so a URL that names no list is tried as a title.
  std::string server_relative = ref;
  if (server_relative[0] != '/')
    server_relative = Poco::URI(options_.site_url).getPath() + "/" + ref;
  try {
    return ReadList("GetList(" + EncodeQueryValue(QuoteOData(server_relative)) + ")", ref,
                    deadline);
  } catch (const SharePointError& e) {
    if (e.kind() != ErrorKind::kNotFound || ref[0] == '/') throw;
  }
  return ReadList(by_title, ref, deadline);
}

ListInfo SharePointClient::ReadList(const std::string& path, const std::string& ref,
                                    const Deadline& deadline) {
  std::string url = options_.site_url + "/_api/web/" + path +
                    "?%24select=Id,Title,ItemCount,CurrentChangeToken,BaseTemplate,Description";
  ListInfo info;
  Get(url, "reading list '" + ref + "'", deadline, [&](HttpResponse& r) {
    auto o = ParseObject(r.body);
    if (!o->has("Id")) throw MalformedBody("list response without Id");
    info.id = BareGuid(o->getValue<std::string>("Id"));
    info.title = o->has("Title") ? o->getValue<std::string>("Title") : "";
    info.item_count = o->has("ItemCount") ? o->getValue<int64_t>("ItemCount") : 0;
    info.base_template = o->optValue<int>("BaseTemplate", 100);
    info.description = o->optValue<std::string>("Description", "");
    if (o->has("CurrentChangeToken") && !o->isNull("CurrentChangeToken"))
      info.current_change_token =
          o->getObject("CurrentChangeToken")->getValue<std::string>("StringValue");
  });
  return info;
}

namespace {

// What a restore needs to recreate a field, as a JSON object: the properties
// of the field entity that say its type and constraints (those present).
std::string FieldDefinition(const Poco::JSON::Object& f) {
  Poco::JSON::Object out;
  for (const char* key : {"InternalName",
                          "StaticName",
                          "Title",
                          "TypeAsString",
                          "FieldTypeKind",
                          "Required",
                          "EnforceUniqueValues",
                          "Indexed",
                          "Description",
                          "DefaultValue",
                          "MaxLength",
                          "NumberOfLines",
                          "RichText",
                          "DisplayFormat",
                          "MinimumValue",
                          "MaximumValue",
                          "CurrencyLocaleId",
                          "Choices",
                          "FillInChoice",
                          "EditFormat",
                          "LookupList",
                          "LookupField",
                          "LookupWebId",
                          "AllowMultipleValues",
                          "SelectionMode",
                          "SelectionGroup",
                          "ReadOnlyField",
                          "Formula",
                          "OutputType",
                          "SchemaXml"}) {
    if (f.has(key) && !f.isNull(key)) out.set(key, f.get(key));
  }
  std::ostringstream o;
  out.stringify(o);
  return o.str();
}

}  // namespace

std::vector<ListField> SharePointClient::GetFields(const std::string& list_id,
                                                   const Deadline& deadline) {
  // Read whole (no $select): LookupList / LookupField / AllowMultipleValues
  // and Choices belong to derived types (SP.FieldLookup, SP.FieldChoice), and
  // selecting them on the fields collection is an error. The definition a
  // restore recreates a field from needs them (ListField::definition).
  std::string url =
      ListApi(list_id) + "/fields?" + "%24filter=" + EncodeQueryValue("Hidden eq false");
  std::vector<ListField> fields;
  Get(url, "reading the fields of list " + list_id, deadline, [&](HttpResponse& r) {
    fields.clear();
    auto o = ParseObject(r.body);
    auto arr = o->getArray("value");
    if (arr.isNull()) throw MalformedBody("fields response without value");
    for (size_t i = 0; i < arr->size(); ++i) {
      auto f = arr->getObject(static_cast<unsigned>(i));
      ListField lf;
      lf.internal_name = f->optValue<std::string>("InternalName", "");
      lf.entity_name = f->optValue<std::string>("EntityPropertyName", lf.internal_name);
      lf.title = f->optValue<std::string>("Title", lf.internal_name);
      lf.type = f->optValue<std::string>("TypeAsString", "Text");
      lf.hidden = f->optValue<bool>("Hidden", false);
      // Multi-valued lookups and users say so in TypeAsString (LookupMulti,
      // UserMulti); AllowMultipleValues exists only on SP.FieldLookup, and
      // selecting it on the fields collection is an error.
      lf.multi = lf.type == "LookupMulti" || lf.type == "UserMulti";
      lf.definition = FieldDefinition(*f);
      // A braced GUID, kept like list IDs.
      lf.lookup_list = BareGuid(f->optValue<std::string>("LookupList", ""));
      lf.lookup_field = f->optValue<std::string>("LookupField", "");
      // AllowMultipleValues is on every SP.FieldLookup read whole.
      lf.multi = lf.multi || f->optValue<bool>("AllowMultipleValues", false);
      if (!lf.internal_name.empty()) fields.push_back(std::move(lf));
    }
  });
  return fields;
}

std::string CamlIdIn(const std::vector<int64_t>& ids) {
  std::string xml = "<View Scope='RecursiveAll'><Query><Where><In><FieldRef Name='ID'/><Values>";
  for (int64_t id : ids) xml += "<Value Type='Counter'>" + std::to_string(id) + "</Value>";
  xml += "</Values></In></Where></Query><RowLimit>" + std::to_string(ids.size()) +
         "</RowLimit></View>";
  return xml;
}

}  // namespace spsync::engine
