#include "spsync/engine/sharepoint/http_client.hpp"

#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <functional>
#include <istream>
#include <mutex>
#include <vector>

namespace spsync::engine {

namespace {

// simdjson reads up to 64 bytes past the end of the input; leave room.
constexpr size_t kBodyPadding = 64;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Env(const char* a, const char* b) {
  if (const char* v = std::getenv(a); v && *v) return v;
  if (const char* v = std::getenv(b); v && *v) return v;
  return "";
}

void InitializeSslOnce() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

Poco::Net::Context::Ptr MakeContext(bool verify, const std::string& ca_file) {
  InitializeSslOnce();
  // loadDefaultCAs = true: the system store; an operator CA file is added.
  auto mode = verify ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file, mode, 9, true,
                                "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
}

using Clock = std::chrono::steady_clock;

// Reads a stream to its end into `out`, keeping padding capacity. Gives up
// (TransportError) once `not_after` has passed, if it is set.
void ReadAll(std::istream& in, std::string& out, size_t expected, Clock::time_point not_after) {
  out.clear();
  out.reserve(expected + kBodyPadding);
  char buf[64 * 1024];
  while (in) {
    in.read(buf, sizeof(buf));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    if (out.capacity() < out.size() + static_cast<size_t>(n) + kBodyPadding)
      out.reserve(std::max(out.capacity() * 2, out.size() + static_cast<size_t>(n) + kBodyPadding));
    out.append(buf, static_cast<size_t>(n));
    if (not_after != Clock::time_point{} && Clock::now() > not_after)
      throw TransportError("the time budget ended while the response body was arriving");
  }
  if (in.bad()) throw TransportError("error while reading the response body");
  if (out.capacity() < out.size() + kBodyPadding) out.reserve(out.size() + kBodyPadding);
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (IEquals(k, name)) return v;
  return "";
}

bool BypassProxy(const std::string& host, const std::string& no_proxy) {
  if (host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1") return true;
  size_t start = 0;
  while (start <= no_proxy.size()) {
    size_t end = no_proxy.find(',', start);
    if (end == std::string::npos) end = no_proxy.size();
    std::string entry = no_proxy.substr(start, end - start);
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (entry == "*") return true;
    if (!entry.empty()) {
      if (entry[0] == '.') entry.erase(0, 1);
      if (host == entry || (host.size() > entry.size() &&
                            host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
                            host[host.size() - entry.size() - 1] == '.'))
        return true;
    }
    start = end + 1;
  }
  return false;
}

struct HttpClient::Endpoint {
  std::string scheme, host;
  uint16_t port = 0;
  std::string key() const { return scheme + "://" + host + ":" + std::to_string(port); }
};

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {}
HttpClient::~HttpClient() = default;

std::unique_ptr<Poco::Net::HTTPClientSession> HttpClient::Acquire(const Endpoint& ep) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& pool = idle_[ep.key()];
    if (!pool.empty()) {
      auto s = std::move(pool.back());
      pool.pop_back();
      return s;
    }
  }
  std::unique_ptr<Poco::Net::HTTPClientSession> s;
  if (ep.scheme == "https") {
    bool verify = options_.insecure_hosts.count(ep.host) == 0;
    s = std::make_unique<Poco::Net::HTTPSClientSession>(ep.host, ep.port,
                                                        MakeContext(verify, options_.ca_file));
  } else {
    s = std::make_unique<Poco::Net::HTTPClientSession>(ep.host, ep.port);
  }
  std::string proxy = options_.proxy;
  if (proxy.empty())
    proxy =
        ep.scheme == "https" ? Env("HTTPS_PROXY", "https_proxy") : Env("HTTP_PROXY", "http_proxy");
  if (!proxy.empty() && !BypassProxy(ep.host, Env("NO_PROXY", "no_proxy"))) {
    Poco::URI p(proxy.find("://") == std::string::npos ? "http://" + proxy : proxy);
    s->setProxy(p.getHost(), p.getPort());
    // Credentials in the proxy URL are used, never logged.
    if (!p.getUserInfo().empty()) {
      auto colon = p.getUserInfo().find(':');
      s->setProxyCredentials(p.getUserInfo().substr(0, colon),
                             colon == std::string::npos ? "" : p.getUserInfo().substr(colon + 1));
    }
  }
  s->setKeepAlive(true);
  s->setTimeout(Poco::Timespan(options_.connect_timeout.count(), 0),
                Poco::Timespan(options_.read_timeout.count(), 0),
                Poco::Timespan(options_.read_timeout.count(), 0));
  return s;
}

void HttpClient::Release(const std::string& key, std::unique_ptr<Poco::Net::HTTPClientSession> s) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& pool = idle_[key];
  if (pool.size() < 8) pool.push_back(std::move(s));
}

struct HttpClient::Streaming {
  const std::function<void(const HttpResponse&)>& start;
  const ChunkFn& chunk;
  size_t chunk_size;
};

HttpResponse HttpClient::Send(const HttpRequest& request, std::string* reuse) {
  return Exchange(request, reuse, nullptr);
}

HttpResponse HttpClient::SendStreaming(const HttpRequest& request,
                                       const std::function<void(const HttpResponse&)>& start,
                                       const ChunkFn& chunk, size_t chunk_size) {
  Streaming stream{start, chunk, std::max<size_t>(chunk_size, 1)};
  return Exchange(request, nullptr, &stream);
}

HttpResponse HttpClient::Exchange(const HttpRequest& request, std::string* reuse,
                                  const Streaming* stream) {
  Poco::URI uri;
  try {
    uri = Poco::URI(request.url);
  } catch (const Poco::Exception& e) {
    throw TransportError("invalid URL: " + e.displayText());
  }
  Endpoint ep{uri.getScheme(), uri.getHost(), uri.getPort()};
  if (ep.scheme != "http" && ep.scheme != "https")
    throw TransportError("unsupported URL scheme '" + ep.scheme + "'");
  auto session = Acquire(ep);
  // Timeouts apply per connect and per read; a time budget caps both, and
  // ReadAll caps the whole transfer.
  Poco::Timespan connect(options_.connect_timeout.count(), 0);
  Poco::Timespan read(options_.read_timeout.count(), 0);
  if (request.not_after != Clock::time_point{}) {
    auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(request.not_after - Clock::now());
    if (left.count() <= 0) throw TransportError("no time left in the budget for the request");
    Poco::Timespan cap(left.count());
    connect = std::min(connect, cap);
    read = std::min(read, cap);
  }
  session->setTimeout(connect, read, read);
  // setTimeout only reaches the socket at the next connect: a pooled,
  // connected session needs its socket told directly.
  if (session->connected()) {
    session->socket().setReceiveTimeout(read);
    session->socket().setSendTimeout(read);
  }
  HttpResponse out;
  if (reuse != nullptr) out.body.swap(*reuse);
  // A streaming callback's exception is the caller's, not a transport
  // failure: kept apart from the catch blocks below and rethrown as it is.
  std::exception_ptr theirs;
  try {
    Poco::Net::HTTPRequest req(request.method, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost(ep.host, ep.port);
    req.setKeepAlive(true);
    if (!options_.user_agent.empty()) req.set("User-Agent", options_.user_agent);
    if (options_.gzip) req.set("Accept-Encoding", "gzip");
    for (const auto& [k, v] : request.headers) req.set(k, v);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH")
      req.setContentLength(static_cast<std::streamsize>(request.body.size()));
    std::ostream& os = session->sendRequest(req);
    if (!request.body.empty())
      os.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));

    Poco::Net::HTTPResponse resp;
    std::istream& rs = session->receiveResponse(resp);
    out.status = static_cast<int>(resp.getStatus());
    for (const auto& [k, v] : resp) out.headers.emplace_back(k, v);
    const bool gz = IEquals(resp.get("Content-Encoding", ""), "gzip");
    const auto length = resp.getContentLength64();
    const bool streamed = stream != nullptr && out.status >= 200 && out.status < 300;
    if (streamed) {
      auto call = [&](const std::function<void()>& fn) {
        try {
          fn();
        } catch (...) {
          theirs = std::current_exception();
        }
        return theirs == nullptr;
      };
      std::unique_ptr<Poco::InflatingInputStream> inflater;
      if (gz)
        inflater =
            std::make_unique<Poco::InflatingInputStream>(rs, Poco::InflatingStreamBuf::STREAM_GZIP);
      std::istream& in = gz ? static_cast<std::istream&>(*inflater) : rs;
      if (call([&] { stream->start(out); })) {
        std::vector<char> buf(stream->chunk_size);
        uint64_t received = 0;
        while (in) {
          in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
          std::streamsize n = in.gcount();
          if (n <= 0) break;
          received += static_cast<uint64_t>(n);
          if (!call([&] { stream->chunk(buf.data(), static_cast<size_t>(n)); })) break;
          if (request.not_after != Clock::time_point{} && Clock::now() > request.not_after)
            throw TransportError("the time budget ended while the response body was arriving");
        }
        if (theirs == nullptr) {
          if (in.bad()) throw TransportError("error while reading the response body");
          if (!gz && length >= 0 && received != static_cast<uint64_t>(length))
            throw TransportError("truncated response body: got " + std::to_string(received) +
                                 " of " + std::to_string(length) + " bytes");
        }
      }
    } else if (gz) {
      Poco::InflatingInputStream inflater(rs, Poco::InflatingStreamBuf::STREAM_GZIP);
      ReadAll(inflater, out.body, length > 0 ? static_cast<size_t>(length) * 4 : 0,
              request.not_after);
    } else {
      ReadAll(rs, out.body, length > 0 ? static_cast<size_t>(length) : 0, request.not_after);
      if (length >= 0 && out.body.size() != static_cast<size_t>(length))
        throw TransportError("truncated response body: got " + std::to_string(out.body.size()) +
                             " of " + std::to_string(length) + " bytes");
    }
  } catch (const TransportError&) {
    // The session is in an unknown state: drop it.
    throw;
  } catch (const Poco::Net::SSLConnectionUnexpectedlyClosedException& e) {
    throw TransportError("TLS connection to " + ep.host + " closed: " + e.displayText());
  } catch (const Poco::Net::SSLException& e) {
    // Certificate and context failures are permanent until the operator acts.
    throw TlsError("TLS with " + ep.host + " failed: " + e.displayText() +
                   " (trust its CA with run.caFile, or list the host in run.insecureHosts)");
  } catch (const Poco::TimeoutException& e) {
    throw TransportError("timed out talking to " + ep.host + ": " + e.displayText());
  } catch (const Poco::Exception& e) {
    throw TransportError("HTTP exchange with " + ep.host + " failed: " + e.displayText());
  } catch (const std::exception& e) {
    throw TransportError(std::string("HTTP exchange with ") + ep.host + " failed: " + e.what());
  }
  // Mid-body, the connection cannot be reused: it is dropped with `session`.
  if (theirs) std::rethrow_exception(theirs);
  if (session->connected() && !IEquals(out.Header("Connection"), "close"))
    Release(ep.key(), std::move(session));
  return out;
}

}  // namespace spsync::engine
