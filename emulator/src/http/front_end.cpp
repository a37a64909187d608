// The HTTP front end: decodes a request (method tunnelling, path, Accept,
// body), serves the emulator's own /_emulator/ endpoints and the token
// endpoint, counts, authenticates, charges (resource units) and
// fault-injects SharePoint requests, hands them to the route table
// (api/router.hpp), waits the modelled latency, and sends the reply (gzip,
// truncation and connection resets included).
#include "http/front_end.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <cstdio>
#include <thread>

#include "api/batch.hpp"
#include "api/router.hpp"
#include "http/auth.hpp"
#include "http/cost_model.hpp"
#include "http/faults.hpp"
#include "model/webhook_hub.hpp"
#include "util.hpp"

namespace spsync::emulator {
namespace {

using namespace detail;

class FrontEnd : public Poco::Net::HTTPRequestHandler {
 public:
  explicit FrontEnd(Emulator::Impl& impl) : impl_(impl) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override;

 private:
  Emulator::Impl& impl_;
};

// A JSON number with up to 3 decimals (RU and milliseconds).
std::string Number(double v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.3f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string StatsJson(const Emulator::Impl& impl) {
  auto c = [&](RequestKind k) {
    return std::to_string(impl.counts[static_cast<size_t>(k)].load());
  };
  return "{\"total\":" + std::to_string(impl.total.load()) +
         ",\"list_metadata\":" + c(RequestKind::kListMetadata) +
         ",\"fields\":" + c(RequestKind::kFields) + ",\"items\":" + c(RequestKind::kItems) +
         ",\"item_by_id\":" + c(RequestKind::kItemById) +
         ",\"get_items\":" + c(RequestKind::kGetItems) +
         ",\"get_changes\":" + c(RequestKind::kGetChanges) +
         ",\"peak_in_flight\":" + std::to_string(impl.peak_in_flight.load()) +
         ",\"writes\":" + c(RequestKind::kWrites) + ",\"token\":" + c(RequestKind::kToken) +
         ",\"context_info\":" + c(RequestKind::kContextInfo) +
         ",\"discovery\":" + c(RequestKind::kDiscovery) +
         ",\"attachments\":" + c(RequestKind::kAttachments) +
         ",\"versions\":" + c(RequestKind::kVersions) +
         ",\"file_info\":" + c(RequestKind::kFileInfo) + ",\"other\":" + c(RequestKind::kOther) +
         ",\"throttled\":" + std::to_string(impl.throttled.load()) +
         ",\"faulted\":" + std::to_string(impl.faulted.load()) +
         ",\"ru_spent\":" + Number(impl.budget->spent()) +
         ",\"ru_throttled\":" + std::to_string(impl.budget->refused()) + "}";
}

// GET shows, POST (or PUT) sets the latency ("300ms+0.2ms") or the budget
// ("ru=1250,read=2,write=2,charge-throttled=1"; unnamed settings keep their value).
Reply CostControl(Emulator::Impl& impl, bool latency, const std::string& method,
                  const std::string& body) {
  Reply r;
  if (method == "POST" || method == "PUT") {
    try {
      if (latency) {
        LatencySpec spec;
        ParseLatency(body, spec);
        impl.latency->Set(spec);
      } else {
        BudgetSpec spec = impl.budget->Get();
        ParseBudget(body, spec);
        impl.budget->Set(spec);
      }
    } catch (const std::invalid_argument& e) {
      r.status = 400;
      r.body = "{\"error\":" + JsonString(e.what()) + "}";
      return r;
    }
  } else if (method != "GET") {
    r.status = 405;
    return r;
  }
  if (latency) {
    LatencySpec l = impl.latency->Get();
    r.body =
        "{\"base_ms\":" + Number(l.base_ms) + ",\"per_item_ms\":" + Number(l.per_item_ms) + "}";
  } else {
    BudgetSpec b = impl.budget->Get();
    r.body = "{\"ru_per_minute\":" + Number(b.ru_per_minute) +
             ",\"read_cost\":" + Number(b.read_cost) + ",\"write_cost\":" + Number(b.write_cost) +
             ",\"charge_throttled\":" + (b.charge_throttled ? "true" : "false") +
             ",\"available\":" + Number(impl.budget->available()) + "}";
  }
  return r;
}

void Send(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, Reply reply,
          FaultKind fault, int slow_ms) {
  if (fault == FaultKind::kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
  if (fault == FaultKind::kHtml) {
    reply.status = 500;
    reply.content_type = "text/html; charset=utf-8";
    reply.body =
        "<!DOCTYPE html><html><head><title>Something went wrong</title></head><body><h1>Sorry, "
        "something went wrong</h1><p>An unexpected error has occurred.</p></body></html>";
  }
  // The standard reason phrase of the status, as IIS writes it (never "404 OK").
  resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
  if (reply.status != 204)
    resp.setContentType(reply.content_type.empty() ? "application/json;charset=utf-8"
                                                   : reply.content_type);
  for (const auto& [k, v] : reply.headers) resp.set(k, v);
  resp.set("X-SharePointHealthScore", "0");
  resp.set("SPRequestGuid",
           MakeGuid(Mix(reinterpret_cast<uintptr_t>(&resp)), Mix(reply.body.size())));
  if (reply.stream) {
    // A file: its bytes go out as they are made, in chunks, never whole in memory.
    int64_t n = reply.stream_length;
    if (fault == FaultKind::kTruncate || fault == FaultKind::kReset) n /= 2;
    resp.setContentLength64(fault == FaultKind::kReset ? reply.stream_length : n);
    std::ostream& os = resp.send();
    reply.stream(os, n);
    os.flush();
    if (fault == FaultKind::kReset) {
      auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket();
      socket.setLinger(true, 0);
      socket.close();
    }
    return;
  }
  if (fault == FaultKind::kTruncate && reply.body.size() > 1)
    reply.body.resize(reply.body.size() / 2);
  std::string accept_encoding = req.get("Accept-Encoding", "");
  if (!reply.body.empty() && accept_encoding.find("gzip") != std::string::npos &&
      fault != FaultKind::kTruncate) {
    reply.body = GzipCompress(reply.body);
    resp.set("Content-Encoding", "gzip");
  }
  if (fault == FaultKind::kReset) {
    // Promise the whole body, send half, then reset the connection.
    resp.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    std::ostream& os = resp.send();
    os.write(reply.body.data(), static_cast<std::streamsize>(reply.body.size() / 2));
    os.flush();
    auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket();
    socket.setLinger(true, 0);
    socket.close();
    return;
  }
  resp.setContentLength(static_cast<std::streamsize>(reply.body.size()));
  if (reply.status == 204 || reply.body.empty()) {
    resp.send();
    return;
  }
  resp.sendBuffer(reply.body.data(), reply.body.size());
}

void FrontEnd::handleRequest(Poco::Net::HTTPServerRequest& req,
                             Poco::Net::HTTPServerResponse& resp) {
  const std::string uri = req.getURI();
  const size_t qpos = uri.find('?');
  const std::string raw_path = uri.substr(0, qpos);
  const std::string raw_query = qpos == std::string::npos ? "" : uri.substr(qpos + 1);
  const std::string path = UrlDecode(raw_path, false);
  std::string method = req.getMethod();
  std::string tunnel = req.get("X-HTTP-Method", "");
  if (method == "POST" && !tunnel.empty()) method = Lower(tunnel) == "merge" ? "MERGE" : tunnel;
  for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::string body;
  Poco::StreamCopier::copyToString(req.stream(), body);
  const std::string content_type = req.getContentType();
  const bool verbose_ct = Lower(content_type).find("odata=verbose") != std::string::npos;
  Negotiated fmt = Negotiate(req.get("Accept", ""), req.get("OData-Version", ""));

  if (IStartsWith(path, "/_emulator/")) {
    Reply r;
    if (IEquals(path, "/_emulator/stats") && method == "GET") {
      r.body = StatsJson(impl_);
    } else if (IEquals(path, "/_emulator/stats/reset") && method == "POST") {
      for (auto& c : impl_.counts) c = 0;
      impl_.total = impl_.throttled = impl_.faulted = 0;
      impl_.peak_in_flight = impl_.in_flight.load();
      impl_.budget->ResetCounters();
      r.status = 204;
    } else if (IEquals(path, "/_emulator/webhooks") && method == "GET") {
      WebhookStats w = impl_.webhooks->stats();
      r.body = "{\"validations\":" + std::to_string(w.validations) +
               ",\"validation_failures\":" + std::to_string(w.validation_failures) +
               ",\"deliveries\":" + std::to_string(w.deliveries) +
               ",\"delivery_failures\":" + std::to_string(w.delivery_failures) +
               ",\"dropped\":" + std::to_string(w.dropped) +
               ",\"notifications\":" + std::to_string(w.notifications) + "}";
    } else if (IEquals(path, "/_emulator/webhooks/deliver") && method == "POST") {
      impl_.webhooks->DeliverNow();  // the queued changes, now (DeliverWebhooksNow)
      r.status = 204;
    } else if (IEquals(path, "/_emulator/latency") || IEquals(path, "/_emulator/budget")) {
      r = CostControl(impl_, IEquals(path, "/_emulator/latency"), method, body);
    } else {
      r.status = 404;
      r.body = "{\"error\":\"not found\"}";
    }
    Send(req, resp, std::move(r), FaultKind::kNone, 0);
    return;
  }
  ++impl_.total;
  struct InFlight {  // counts this request while it is being answered
    explicit InFlight(Emulator::Impl& i) : impl(i) {
      uint64_t now = ++impl.in_flight, peak = impl.peak_in_flight.load();
      while (now > peak && !impl.peak_in_flight.compare_exchange_weak(peak, now)) {
      }
    }
    ~InFlight() { --impl.in_flight; }
    Emulator::Impl& impl;
  } in_flight(impl_);

  const bool token_path = impl_.auth->token_endpoint() &&
                          IEquals(path, "/" + impl_.auth->tenant() + "/oauth2/v2.0/token");
  // Every web answers under its own URL: {web}/_api/... (the web is the path
  // before the first "/_api/"; "" is the tenant's root site).
  RouteTable::Match route;
  const size_t api_at = Lower(path).find("/_api/");
  WebState* web =
      token_path || api_at == std::string::npos ? nullptr : impl_.FindWeb(path.substr(0, api_at));
  const std::string api_path = web ? path.substr(api_at + 6) : std::string();
  // Aliases (@a='...') are needed to route GetList(@a).
  if (web) route = ApiRoutes().Find(api_path, method, QueryAliases(raw_query));
  RequestKind kind = token_path ? RequestKind::kToken : route.kind;
  ++impl_.counts[static_cast<size_t>(kind)];

  if (!token_path && route.path_known) {
    if (auto failure = impl_.auth->Check(req.get("Authorization", ""))) {
      Reply r;
      r.status = 401;
      r.body = failure->body;
      r.headers.emplace_back(
          "WWW-Authenticate",
          "Bearer realm=\"" + impl_.auth->TenantId() +
              "\",client_id=\"00000003-0000-0ff1-ce00-000000000000\","
              "trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\","
              "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"");
      r.headers.emplace_back("x-ms-diagnostics", "3000006;reason=\"" + failure->reason +
                                                     "\";category=\"invalid_client\"");
      Send(req, resp, std::move(r), FaultKind::kNone, 0);
      return;
    }
  }

  // The tenant's resource units: every API call of the (authenticated) app
  // is charged ($batch: each of its requests is, api/batch.cpp); one the
  // budget cannot pay is refused before anything happens.
  BudgetDecision budget;
  if (web && !IsBatch(route)) budget = impl_.budget->Charge(kind == RequestKind::kWrites);
  auto rate_limit_headers = [&budget](Reply& r) {
    if (!budget.headers) return;
    r.headers.emplace_back("RateLimit-Limit", std::to_string(budget.limit));
    r.headers.emplace_back("RateLimit-Remaining", std::to_string(budget.remaining));
    r.headers.emplace_back("RateLimit-Reset", std::to_string(budget.reset));
  };
  // The answer takes as long as SharePoint would take; each request waits on
  // its own server thread, so concurrent requests wait concurrently.
  auto wait = [&](int64_t items) {
    if (web) std::this_thread::sleep_for(impl_.latency->Delay(items));
  };
  if (!budget.allowed) {
    ++impl_.throttled;
    Reply r;
    r.status = 429;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "Too Many Requests";
    r.headers.emplace_back("Retry-After", std::to_string(budget.retry_after));
    rate_limit_headers(r);
    wait(0);
    Send(req, resp, std::move(r), FaultKind::kNone, 0);
    return;
  }

  FaultDecision decision = impl_.faults->Decide(kind);
  // The older requests-per-second bucket writes its own RateLimit-* only
  // when the resource-unit budget has not.
  if (budget.headers) decision.rate_limit_headers = false;
  if (decision.fault == FaultKind::kThrottle429 || decision.fault == FaultKind::kBusy503 ||
      decision.fault == FaultKind::kError500) {
    ++(decision.fault == FaultKind::kError500 ? impl_.faulted : impl_.throttled);
    Reply r;
    if (decision.fault == FaultKind::kError500) {
      r = ErrorReply(fmt, 500, "-2146232832, Microsoft.SharePoint.SPException",
                     "Unexpected server error. Please try again.");
    } else {
      r.status = decision.fault == FaultKind::kThrottle429 ? 429 : 503;
      r.content_type = "text/plain; charset=utf-8";
      r.body = r.status == 429 ? "Too Many Requests" : "Server Too Busy";
      r.headers.emplace_back("Retry-After", std::to_string(decision.retry_after));
    }
    if (decision.rate_limit_headers) {
      r.headers.emplace_back("RateLimit-Limit", std::to_string(decision.limit));
      r.headers.emplace_back("RateLimit-Remaining", std::to_string(decision.remaining));
      r.headers.emplace_back("RateLimit-Reset", std::to_string(decision.reset));
    }
    rate_limit_headers(r);
    wait(0);
    Send(req, resp, std::move(r), FaultKind::kNone, 0);
    return;
  }
  if (decision.fault != FaultKind::kNone) ++impl_.faulted;

  Reply reply;
  if (token_path) {
    if (method != "POST") {
      reply.status = 405;
    } else {
      auto [status, json] = impl_.auth->IssueToken(body, impl_.BaseUrl() + path);
      reply.status = status;
      reply.body = std::move(json);
      reply.content_type = "application/json; charset=utf-8";
    }
  } else if (!route.path_known) {
    reply = ErrorReply(fmt, 404, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                       "The expression \"" + path + "\" is not valid.");
    if (!web) {
      reply.content_type = "text/html; charset=utf-8";
      reply.body = "<html><body><h1>404 NOT FOUND</h1></body></html>";
    }
  } else if (!fmt.acceptable) {
    reply.status = 406;
    reply.content_type = "text/plain";
    reply.body = "";
  } else {
    Request request{method,          api_path,   raw_path, raw_query,
                    std::move(body), verbose_ct, fmt,      req.get("If-Match", ""),
                    content_type};
    reply = Serve(impl_, *web, route, request);
  }
  if (decision.rate_limit_headers) {
    reply.headers.emplace_back("RateLimit-Limit", std::to_string(decision.limit));
    reply.headers.emplace_back("RateLimit-Remaining", std::to_string(decision.remaining));
    reply.headers.emplace_back("RateLimit-Reset", std::to_string(decision.reset));
  }
  rate_limit_headers(reply);
  if (reply.latency_us >= 0)  // a $batch: its requests' latencies
    std::this_thread::sleep_for(std::chrono::microseconds(reply.latency_us));
  else
    wait(reply.items);
  const FaultKind fault =
      decision.fault != FaultKind::kNone ? decision.fault : reply.connection_fault;
  Send(req, resp, std::move(reply), fault, impl_.faults->slow_ms());
}

}  // namespace

Poco::Net::HTTPRequestHandler* NewFrontEnd(Emulator::Impl& impl) {
  return new FrontEnd(impl);
}

}  // namespace spsync::emulator
