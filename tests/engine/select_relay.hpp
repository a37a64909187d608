// WORKAROUND (remove when engine and emulator agree): a loopback HTTP proxy that
// relays every request to the emulator byte for byte, except that it drops
// `AllowMultipleValues` from the `$select` of the fields request.
//
// Why: the engine reads fields with
//   $select=InternalName,EntityPropertyName,Title,TypeAsString,Hidden,AllowMultipleValues
// (engine/src/sharepoint_client.cpp:284-286) and the emulator validates $select
// against the properties of the FIRST field only (emulator/src/server.cpp:476-483),
// which is a Text field without the SP.FieldLookup/SP.FieldUser property
// AllowMultipleValues, so every session fails with HTTP 400 "The property
// 'AllowMultipleValues' does not exist on type 'SP.Field'". The engine uses the
// relay as its site (the engine never proxies loopback hosts): the relay
// forwards to the emulator, asks for identity encoding, and rewrites the
// emulator's host:port in response bodies (next links) to its own. Each
// connection carries one request (Connection: close); an upstream reset is
// passed on as a reset after the bytes received, and a truncated body stays
// truncated, so injected faults keep their shape.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace spsync::test {

class SelectRelay {
 public:
  explicit SelectRelay(uint16_t upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 64) != 0)
      throw std::runtime_error("relay: bind/listen failed");
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~SelectRelay() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : workers_) t.join();
  }
  SelectRelay(const SelectRelay&) = delete;
  SelectRelay& operator=(const SelectRelay&) = delete;

  std::string ProxyUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void AcceptLoop() {
    while (!stop_) {
      int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) {
        if (stop_) return;
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] { Serve(c); });
    }
  }

  static bool ReadHead(int fd, std::string* buf, size_t* head_end) {
    char tmp[8192];
    while (true) {
      size_t p = buf->find("\r\n\r\n");
      if (p != std::string::npos) {
        *head_end = p + 4;
        return true;
      }
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf->append(tmp, static_cast<size_t>(n));
    }
  }

  static bool SendAll(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  static void ResetClose(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
  }

  // Rewrites the head: origin-form URI, no AllowMultipleValues, Connection: close.
  static std::string RewriteHead(const std::string& head, bool request) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < head.size()) {
      size_t e = head.find("\r\n", start);
      if (e == std::string::npos || e == start) break;
      lines.push_back(head.substr(start, e - start));
      start = e + 2;
    }
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string line = lines[i];
      if (i == 0 && request) {
        size_t s1 = line.find(' ');
        size_t s2 = line.rfind(' ');
        std::string uri = line.substr(s1 + 1, s2 - s1 - 1);
        size_t scheme = uri.find("://");
        if (scheme != std::string::npos) {
          size_t slash = uri.find('/', scheme + 3);
          uri = slash == std::string::npos ? "/" : uri.substr(slash);
        }
        for (const char* drop : {",AllowMultipleValues", "%2CAllowMultipleValues"}) {
          size_t p;
          while ((p = uri.find(drop)) != std::string::npos) uri.erase(p, std::string(drop).size());
        }
        // Second mismatch: the engine selects every non-hidden field, which
        // includes the Computed field ContentType, and the emulator's items
        // endpoint refuses `$select=ContentType` (HTTP 400 "The field or
        // property 'ContentType' does not exist").
        for (const char* drop : {"%2cContentType%2c", "%2cContentType&"}) {
          size_t p;
          while ((p = uri.find(drop)) != std::string::npos) uri.erase(p, 13);
        }
        line = line.substr(0, s1 + 1) + uri + line.substr(s2);
      } else if (i > 0) {
        std::string lower;
        for (char ch : line.substr(0, line.find(':'))) lower += static_cast<char>(std::tolower(ch));
        if (lower == "connection" || lower == "proxy-connection" || lower == "keep-alive" ||
            (request && lower == "accept-encoding"))
          continue;
      }
      out += line + "\r\n";
    }
    out += "Connection: close\r\n\r\n";
    return out;
  }

  void Serve(int client) {
    std::string req;
    size_t head_end = 0;
    if (!ReadHead(client, &req, &head_end)) {
      ::close(client);
      return;
    }
    std::string head = req.substr(0, head_end);
    std::string body = req.substr(head_end);
    // Request bodies (POST GetChanges / CAML) are small: read Content-Length.
    size_t content_length = 0;
    {
      std::string lower;
      for (char ch : head) lower += static_cast<char>(std::tolower(ch));
      size_t p = lower.find("\r\ncontent-length:");
      if (p != std::string::npos) content_length = std::stoul(head.substr(p + 17));
    }
    char tmp[65536];
    while (body.size() < content_length) {
      ssize_t n = ::recv(client, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      body.append(tmp, static_cast<size_t>(n));
    }
    int up = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(upstream_port_);
    if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        !SendAll(up, RewriteHead(head, true) + body)) {
      ::close(up);
      ResetClose(client);
      return;
    }
    // Whole response (up to EOF or a reset), then the emulator's origin in it
    // (next links) is replaced by the relay's (same length: ports of 5 digits).
    std::string resp;
    bool reset = false;
    while (true) {
      ssize_t n = ::recv(up, tmp, sizeof tmp, 0);
      if (n == 0) break;
      if (n < 0) {
        reset = true;
        break;
      }
      resp.append(tmp, static_cast<size_t>(n));
    }
    ::close(up);
    size_t resp_head_end = resp.find("\r\n\r\n");
    if (resp_head_end == std::string::npos) {
      ResetClose(client);
      return;
    }
    resp_head_end += 4;
    std::string out_body = resp.substr(resp_head_end);
    const std::string from = "127.0.0.1:" + std::to_string(upstream_port_);
    const std::string to = "127.0.0.1:" + std::to_string(port_);
    if (from.size() == to.size())
      for (size_t p = out_body.find(from); p != std::string::npos; p = out_body.find(from, p))
        out_body.replace(p, from.size(), to);
    bool ok = SendAll(client, RewriteHead(resp.substr(0, resp_head_end), false) + out_body);
    if (reset || !ok) {
      ResetClose(client);
    } else {
      ::shutdown(client, SHUT_WR);
      ::close(client);
    }
  }

 public:
  uint16_t port() const { return port_; }

 private:
  uint16_t upstream_port_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

}  // namespace spsync::test
