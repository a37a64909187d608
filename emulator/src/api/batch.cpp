// OData v3 $batch as SharePoint Online serves it (sharepoint-rest.md §6.4):
// POST {web}/_api/$batch with a multipart/mixed body of requests (each an
// application/http part) and change sets (multipart/mixed parts of write
// requests). Every request is served through the route table exactly as
// if it had come alone: same handlers, formats (its own Accept), errors,
// change log, webhooks and versions; it counts in the stats as a request of
// its kind, is charged to the resource-unit budget and draws faults on its
// own. Nothing is transactional: each request gets its own status.
//
// The answer is one application/http part per request, in order, in one
// flat multipart/mixed body: SharePoint Online does not nest the answers of
// a change set in changesetresponse parts [obs: the payload quoted in
// pnp/pnpjs #486, change-set DELETEs answered as plain batchresponse parts;
// PnPjs's parser (@pnp/sp batching.js) reads only that shape]. Header names
// inside the parts are upper case, as SharePoint writes them ("CONTENT-TYPE:"
// [obs: pnp/pnpjs #486, #1985], "ETAG:" by analogy [guess]).
//
// The envelope is read as ODataLib v3 (Microsoft.Data.OData, whose
// exceptions SharePoint reports) reads it, with its error texts; unlike
// ODataLib, which runs each request as it reads it, the whole body is read
// first, so a malformed payload changes nothing [guess].
#include "api/batch.hpp"

#include <Poco/Net/HTTPResponse.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>

#include "api/areas.hpp"
#include "http/cost_model.hpp"
#include "http/faults.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

// Requests a batch may hold, change-set requests included; more and the
// whole batch is refused. [unconfirmed: SharePoint's limit is not
// documented; PnP Core SDK sends at most 100. ODataLib's own defaults are
// 100 top-level parts (requests and change sets) and 1000 requests per
// change set, and its message below speaks of parts.]
constexpr size_t kMaxRequests = 100;

const char* const kODataException = "-1, Microsoft.Data.OData.ODataException";

RestError Malformed(const std::string& message) {
  return RestError(400, kODataException, message);
}

using HeaderList = std::vector<std::pair<std::string, std::string>>;

std::string_view TrimSpace(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string Header(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (IEquals(k, name)) return v;
  return "";
}

// The line at `pos` without its ending (LF or CRLF: clients send either);
// `pos` moves past the ending.
std::string_view NextLine(std::string_view text, size_t& pos) {
  size_t end = text.find('\n', pos);
  if (end == std::string_view::npos) end = text.size();
  std::string_view line = text.substr(pos, end - pos);
  pos = end < text.size() ? end + 1 : end;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Header lines up to the first empty (or blank) line, which `pos` moves past.
HeaderList ReadHeaders(std::string_view text, size_t& pos) {
  HeaderList headers;
  while (pos < text.size()) {
    std::string_view line = NextLine(text, pos);
    if (TrimSpace(line).empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      throw Malformed("The message header '" + std::string(line) +
                      "' is invalid. The header value must be of the format '<header name>: "
                      "<header value>'.");
    headers.emplace_back(TrimSpace(line.substr(0, colon)), TrimSpace(line.substr(colon + 1)));
  }
  return headers;
}

// The media type of a Content-Type value, lower case, without parameters.
std::string MediaType(std::string_view content_type) {
  return Lower(TrimSpace(content_type.substr(0, content_type.find(';'))));
}

// The boundary parameter of a multipart Content-Type (quotes removed).
std::string Boundary(std::string_view content_type) {
  for (size_t start = content_type.find(';'); start != std::string_view::npos;) {
    size_t end = content_type.find(';', start + 1);
    std::string_view param =
        content_type.substr(start + 1, end == std::string_view::npos ? end : end - start - 1);
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && IEquals(TrimSpace(param.substr(0, eq)), "boundary")) {
      std::string_view value = TrimSpace(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      if (!value.empty()) return std::string(value);
    }
    start = end;
  }
  throw Malformed("The content type '" + std::string(content_type) +
                  "' specifies a batch payload; however, the payload either does not include a "
                  "batch boundary or includes more than one boundary. In OData, batch payload "
                  "content types must specify exactly one batch boundary in the 'boundary' "
                  "parameter of the content type.");
}

// The parts of a multipart body (RFC 2046 §5.1.1): a delimiter is a line
// "--boundary", the last one "--boundary--", either may be followed by
// white space; the line break before a delimiter belongs to it. The
// preamble and the epilogue are ignored.
std::vector<std::string_view> SplitParts(std::string_view body, std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<std::string_view> parts;
  size_t pos = 0, part_start = std::string_view::npos;
  while (pos < body.size()) {
    const size_t line_start = pos;
    std::string_view line = NextLine(body, pos);
    if (line.substr(0, delimiter.size()) != delimiter) continue;
    std::string_view rest = TrimSpace(line.substr(delimiter.size()));
    const bool last = rest == "--";
    if (!rest.empty() && !last) continue;  // a longer boundary that starts the same way
    if (part_start != std::string_view::npos) {
      size_t end = line_start;
      if (end > part_start && body[end - 1] == '\n') --end;
      if (end > part_start && body[end - 1] == '\r') --end;
      parts.push_back(body.substr(part_start, end - part_start));
    }
    if (last) return parts;
    part_start = pos;
  }
  throw Malformed("Encountered an unexpected end of input while reading the batch payload.");
}

// One request of the batch as it was sent.
struct Operation {
  std::string method;  // from the request line, upper case
  std::string url;
  HeaderList headers;
  std::string body;
};

// An application/http part: request line, headers, blank line, body.
Operation ReadOperation(std::string_view part, bool in_change_set) {
  size_t pos = 0;
  HeaderList part_headers = ReadHeaders(part, pos);
  const std::string type = Header(part_headers, "Content-Type");
  if (type.empty())
    throw Malformed(
        "The 'Content-Type' header is missing. The 'Content-Type' header must be specified for "
        "each MIME part of a batch message.");
  if (MediaType(type) == "multipart/mixed" && in_change_set)
    throw Malformed("Nested change sets in a batch payload are not supported.");
  if (MediaType(type) != "application/http")
    throw Malformed("The 'Content-Type' header value '" + type +
                    "' is invalid. When this is the start of the change set, the value must be "
                    "'multipart/mixed'; otherwise it must be 'application/http'.");
  std::string_view line;
  while (pos < part.size() && TrimSpace(line).empty()) line = NextLine(part, pos);
  const size_t first_space = line.find(' '), last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space)
    throw Malformed("The request line '" + std::string(line) +
                    "' is invalid. The request line at the start of each operation must be of "
                    "the format 'HttpMethod RequestUrl HttpVersion'.");
  Operation op;
  op.method = std::string(line.substr(0, first_space));
  for (auto& ch : op.method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  op.url = std::string(TrimSpace(line.substr(first_space + 1, last_space - first_space - 1)));
  std::string_view version = line.substr(last_space + 1);
  if (version != "HTTP/1.1")
    throw Malformed("The HTTP version '" + std::string(version) +
                    "' used in a batch operation request or response is not valid. The value "
                    "must be 'HTTP/1.1'.");
  static const char* const kMethods[] = {"GET", "DELETE", "PUT", "POST", "PATCH", "MERGE"};
  if (std::find(std::begin(kMethods), std::end(kMethods), op.method) == std::end(kMethods))
    throw Malformed("The string '" + std::string(line.substr(0, first_space)) +
                    "' cannot be converted into a supported HTTP method. The only supported "
                    "HTTP methods are GET, DELETE, PUT, POST, PATCH and MERGE.");
  // [obs: SharePoint Online's answer quoted in vgrem/office365-rest-python-client #871]
  if (in_change_set && op.method == "GET")
    throw Malformed(
        "An invalid HTTP method 'GET' was detected for a request in a change set. Requests in "
        "change sets only support the HTTP methods 'POST', 'PUT', 'DELETE', 'MERGE', and "
        "'PATCH'.");
  // [obs: SharePoint Online's answer to a POST outside a change set, quoted
  // in the tests of a public PowerShell SharePoint client; ODataLib's text]
  if (!in_change_set && op.method != "GET")
    throw Malformed("An invalid HTTP method '" + op.method +
                    "' was detected for a query operation. Query operations only support the "
                    "HTTP 'GET' method.");
  op.headers = ReadHeaders(part, pos);
  // Clients end the body with line breaks before the delimiter (PnPjs: two).
  std::string_view body = part.substr(pos);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  op.body = std::string(body);
  return op;
}

// Every request of the batch, in order: top-level requests and change sets.
std::vector<Operation> ReadBatch(std::string_view content_type, std::string_view body) {
  std::vector<Operation> ops;
  for (std::string_view part : SplitParts(body, Boundary(content_type))) {
    size_t pos = 0;
    HeaderList headers = ReadHeaders(part, pos);
    const std::string type = Header(headers, "Content-Type");
    if (MediaType(type) != "multipart/mixed") {
      ops.push_back(ReadOperation(part, false));
      continue;
    }
    for (std::string_view request : SplitParts(part.substr(pos), Boundary(type)))
      ops.push_back(ReadOperation(request, true));
  }
  return ops;
}

// The server path and query of a request URL: absolute as clients send it,
// server-relative, or relative to the batch's web's /_api/ (as ODataLib
// resolves relative URLs against the service root).
std::string ServerPath(const std::string& url, const Emulator::Impl& impl, const WebState& web) {
  const size_t scheme = url.find("://");
  if (scheme != std::string::npos) {
    size_t path = url.find('/', scheme + 3);
    return path == std::string::npos ? "/" : url.substr(path);
  }
  if (!url.empty() && url[0] == '/') return url;
  return impl.WebUrl(web).substr(impl.BaseUrl().size()) + "/_api/" + url;
}

// What the latency model, the budget and the faults make of one request.
struct Served {
  Reply reply;
  std::chrono::microseconds latency{0};
  FaultKind connection_fault = FaultKind::kNone;
};

Reply RateLimited(int status, int retry_after, const char* text) {
  Reply r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = text;
  r.headers.emplace_back("Retry-After", std::to_string(retry_after));
  return r;
}

void AddRateLimit(Reply& r, int64_t limit, int64_t remaining, int64_t reset) {
  r.headers.emplace_back("RateLimit-Limit", std::to_string(limit));
  r.headers.emplace_back("RateLimit-Remaining", std::to_string(remaining));
  r.headers.emplace_back("RateLimit-Reset", std::to_string(reset));
}

// One request, as the front end serves a request that came alone (counts,
// budget, faults, routing, formats), minus authentication, which the batch
// passed for all of its requests.
Served ServeOperation(Call& c, const Operation& op) {
  Emulator::Impl& impl = c.impl;
  Served s;
  const std::string raw_uri = ServerPath(op.url, impl, c.web);
  const size_t qpos = raw_uri.find('?');
  const std::string raw_path = raw_uri.substr(0, qpos);
  const std::string raw_query = qpos == std::string::npos ? "" : raw_uri.substr(qpos + 1);
  const std::string path = UrlDecode(raw_path, false);
  std::string method = op.method;
  const std::string tunnel = Header(op.headers, "X-HTTP-Method");
  if (method == "POST" && !tunnel.empty()) method = Lower(tunnel) == "merge" ? "MERGE" : tunnel;
  for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const std::string content_type = Header(op.headers, "Content-Type");
  Negotiated fmt = Negotiate(Header(op.headers, "Accept"), Header(op.headers, "OData-Version"));

  ++impl.total;
  const size_t api_at = Lower(path).find("/_api/");
  if (api_at == std::string::npos || impl.FindWeb(path.substr(0, api_at)) != &c.web) {
    // [doc: "The request URL and the URLs inside the body must target the
    // same site."; guess: status, code and text]
    ++impl.counts[static_cast<size_t>(RequestKind::kOther)];
    s.reply = ErrorReply(fmt, 400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                         "The URL '" + op.url + "' of a request in the batch is not in the web '" +
                             impl.WebUrl(c.web) + "' the batch was sent to.");
    return s;
  }
  const std::string api_path = path.substr(api_at + 6);
  RouteTable::Match route = ApiRoutes().Find(api_path, method, QueryAliases(raw_query));
  ++impl.counts[static_cast<size_t>(route.kind)];
  s.latency = impl.latency->Delay(0);

  BudgetDecision budget = impl.budget->Charge(route.kind == RequestKind::kWrites);
  if (!budget.allowed) {
    ++impl.throttled;
    s.reply = RateLimited(429, budget.retry_after, "Too Many Requests");
    if (budget.headers) AddRateLimit(s.reply, budget.limit, budget.remaining, budget.reset);
    return s;
  }
  FaultDecision decision = impl.faults->Decide(route.kind);
  if (budget.headers) decision.rate_limit_headers = false;
  auto finish = [&](Reply r) {
    if (decision.rate_limit_headers)
      AddRateLimit(r, decision.limit, decision.remaining, decision.reset);
    if (budget.headers) AddRateLimit(r, budget.limit, budget.remaining, budget.reset);
    s.latency = impl.latency->Delay(r.items);
    s.reply = std::move(r);
    return std::move(s);
  };
  switch (decision.fault) {
    case FaultKind::kNone:
      break;
    case FaultKind::kThrottle429:
    case FaultKind::kBusy503:
      ++impl.throttled;
      return finish(decision.fault == FaultKind::kThrottle429
                        ? RateLimited(429, decision.retry_after, "Too Many Requests")
                        : RateLimited(503, decision.retry_after, "Server Too Busy"));
    case FaultKind::kError500:
      ++impl.faulted;
      return finish(ErrorReply(fmt, 500, "-2146232832, Microsoft.SharePoint.SPException",
                               "Unexpected server error. Please try again."));
    default:  // a fault of the connection, which the parts share
      ++impl.faulted;
      s.connection_fault = decision.fault;
  }
  if (!route.path_known)
    return finish(ErrorReply(fmt, 404,
                             "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                             "The expression \"" + path + "\" is not valid."));
  if (IsBatch(route))  // [guess: the answer]
    return finish(ErrorReply(fmt, 400, kODataException,
                             "A batch request cannot contain another batch request."));
  if (!fmt.acceptable) {
    Reply r;
    r.status = 406;
    r.content_type = "text/plain";
    return finish(std::move(r));
  }
  // Files are not sent or received in a batch [doc: "uploading multiple
  // files in a single batch is not supported"; guess: the answer, and that
  // downloads are refused alike].
  const Reply no_files = ErrorReply(fmt, 400, "-1, System.NotSupportedException",
                                    "Files cannot be uploaded or downloaded in a batch request.");
  const std::string lower_path = Lower(api_path);
  if (lower_path.find("/attachmentfiles/add(") != std::string::npos ||
      lower_path.find("/$value") != std::string::npos)
    return finish(no_files);
  Request request{method,      api_path,
                  raw_path,    raw_query,
                  op.body,     Lower(content_type).find("odata=verbose") != std::string::npos,
                  fmt,         Header(op.headers, "If-Match"),
                  content_type};
  Reply reply = Serve(impl, c.web, route, request);
  if (reply.stream) return finish(no_files);
  return finish(std::move(reply));
}

// One application/http part of the answer.
void AppendResponse(std::string& out, const std::string& boundary, const Reply& r) {
  out += "--" + boundary + "\r\nContent-Type: application/http\r\n";
  out += "Content-Transfer-Encoding: binary\r\n\r\n";
  out += "HTTP/1.1 " + std::to_string(r.status) + " " +
         Poco::Net::HTTPResponse::getReasonForStatus(
             static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status)) +
         "\r\n";
  auto header = [&out](std::string name, const std::string& value) {
    for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    out += name + ": " + value + "\r\n";
  };
  if (r.status != 204) header("Content-Type", r.content_type);
  for (const auto& [k, v] : r.headers) header(k, v);
  out += "\r\n" + r.body + "\r\n";
}

Reply ServeBatch(Call& c) {
  const std::vector<Operation> ops = ReadBatch(c.req.content_type, c.req.body);
  if (ops.size() > kMaxRequests)
    throw Malformed("The current batch message contains too many parts. A maximum number of '" +
                    std::to_string(kMaxRequests) +
                    "' query operations and change sets are allowed in a batch message.");
  static std::atomic<uint64_t> batches{0};
  const std::string boundary =
      "batchresponse_" +
      MakeGuid(
          Mix(++batches),
          Mix(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())));
  Reply out;
  out.content_type = "multipart/mixed; boundary=" + boundary;
  // SharePoint runs the requests one after the other: the batch takes the
  // sum of their times [guess: no saving for the shared round trip].
  std::chrono::microseconds latency{0};
  for (const Operation& op : ops) {
    Served s = ServeOperation(c, op);
    latency += s.latency;
    if (out.connection_fault == FaultKind::kNone) out.connection_fault = s.connection_fault;
    AppendResponse(out.body, boundary, s.reply);
  }
  out.body += "--" + boundary + "--\r\n";
  out.latency_us = latency.count();
  return out;
}

}  // namespace

bool IsBatch(const RouteTable::Match& match) {
  return match.route && match.route->handler == &ServeBatch;
}

void AddBatchRoutes(RouteTable& t) {
  // Counted once as `other`; each of its requests also counts as itself.
  t.Add("POST", "$batch", RequestKind::kOther, Access::kNone, ServeBatch);
}

}  // namespace spsync::emulator::detail
