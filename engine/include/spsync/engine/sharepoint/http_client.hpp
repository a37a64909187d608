// One HTTP exchange at a time per pooled connection: keep-alive sessions per
// host, gzip, connect/read timeouts, a proxy from HTTPS_PROXY / HTTP_PROXY
// (NO_PROXY and loopback bypass it), TLS verified against the system CA store
// unless the operator names a host to trust blindly.
//
// No retries here: callers (SharePointClient) decide what is retryable.
//
// Thread safety: HttpClient is safe to share; each Send() borrows a pooled
// session for its duration.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace Poco::Net {
class HTTPClientSession;
}

namespace spsync::engine {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The exchange must be over by then (a session's time budget); the default
  // (epoch) means only the client's connect/read timeouts apply.
  std::chrono::steady_clock::time_point not_after{};
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  // The body, decompressed. Capacity leaves simdjson's padding after size().
  std::string body;

  // The first header named `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

// The request never produced a complete response: refused or reset
// connection, timeout, truncated or undecodable body. Worth retrying.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server's TLS certificate is not trusted (or the TLS setup is broken):
// retrying cannot help, so this is not a TransportError. The message says
// how to trust the host.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpOptions {
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds read_timeout{120};
  std::string user_agent;
  bool gzip = true;
  // Hosts whose certificate is not verified (the operator's explicit choice).
  std::set<std::string> insecure_hosts;
  // Extra CA bundle (PEM) trusted besides the system store.
  std::string ca_file;
  // "http://host:port"; empty = from the environment.
  std::string proxy;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole response. Throws TransportError,
  // or TlsError when the server's certificate is not trusted.
  // `reuse`, if given, lends its capacity to the response body (it is left
  // empty): reading every page into the same few buffers keeps the heap from
  // growing with the number of pages.
  HttpResponse Send(const HttpRequest& request, std::string* reuse = nullptr);

  // Like Send, but a 2xx body is never held: it is handed to `chunk` in
  // pieces of at most `chunk_size` bytes as it arrives (a file of hundreds
  // of MB costs one buffer). `start` is called first, with the status and
  // headers (the returned response's body stays empty). Any other status is
  // read whole into the returned body, as Send does, and no callback runs.
  // An exception thrown by a callback ends the exchange (the connection is
  // dropped) and reaches the caller unchanged; a body shorter than its
  // Content-Length is a TransportError after the chunks that did arrive.
  using ChunkFn = std::function<void(const char* data, size_t len)>;
  HttpResponse SendStreaming(const HttpRequest& request,
                             const std::function<void(const HttpResponse&)>& start,
                             const ChunkFn& chunk, size_t chunk_size = size_t{1} << 20);

  const HttpOptions& options() const { return options_; }

 private:
  struct Endpoint;
  struct Streaming;
  HttpResponse Exchange(const HttpRequest& request, std::string* reuse, const Streaming* stream);
  std::unique_ptr<Poco::Net::HTTPClientSession> Acquire(const Endpoint& ep);
  void Release(const std::string& key, std::unique_ptr<Poco::Net::HTTPClientSession> s);

  HttpOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>>> idle_;
};

// Decides whether `host` should be reached through a proxy given NO_PROXY.
bool BypassProxy(const std::string& host, const std::string& no_proxy);

}  // namespace spsync::engine
