// Outgoing POSTs to notification URLs (model/webhook_client.hpp).
#include "model/webhook_client.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <memory>
#include <random>

#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

std::unique_ptr<Poco::Net::HTTPClientSession> SessionFor(const Poco::URI& uri) {
  if (uri.getScheme() == "https") {
    static const Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                               Poco::Net::Context::VERIFY_RELAXED, 9, true);
    return std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
  }
  return std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
}

// A token as random as SharePoint's (a GUID-like string) [guess: format].
std::string RandomToken() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return MakeGuid(rng(), rng());
}

}  // namespace

PostOutcome PostTo(const std::string& url, const std::string& content_type, const std::string& body,
                   std::chrono::milliseconds timeout,
                   const std::function<void(Poco::Net::HTTPClientSession*)>& track) {
  PostOutcome out;
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  try {
    Poco::URI uri(url);
    session = SessionFor(uri);
    const Poco::Timespan span(static_cast<long>(timeout.count() / 1000),
                              static_cast<long>(timeout.count() % 1000) * 1000);
    session->setTimeout(span, span, span);
    if (track) track(session.get());
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    if (!content_type.empty()) req.setContentType(content_type);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    req.set("User-Agent", "Microsoft-SharePoint/16.0");  // [guess] what SPO sends
    session->sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    Poco::StreamCopier::copyToString(in, out.body);
    out.status = static_cast<int>(resp.getStatus());
    out.content_type = resp.getContentType();
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  if (track) track(nullptr);
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (out.status && out.took > timeout) {
    out.status = 0;
    out.error = "answered after " + std::to_string(out.took.count()) + " ms";
  }
  return out;
}

bool ValidateNotificationUrl(const std::string& url, std::chrono::milliseconds timeout) {
  const std::string token = RandomToken();
  const std::string target =
      url + (url.find('?') == std::string::npos ? "?" : "&") + "validationtoken=" + token;
  PostOutcome r = PostTo(target, "", "", timeout);
  // text/plain, possibly with a charset.
  const bool plain = IStartsWith(r.content_type, "text/plain");
  return r.status == 200 && plain && r.body == token;
}

bool AcceptableNotificationUrl(const std::string& url) {
  try {
    Poco::URI uri(url);
    if (uri.getHost().empty()) return false;
    if (uri.getScheme() == "https") return true;
    const std::string host = Lower(uri.getHost());
    return uri.getScheme() == "http" &&
           (host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]");
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace spsync::emulator::detail
