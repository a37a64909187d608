#include "spsync/engine/export/azure_storage.hpp"

#include "spsync/engine/export/azure_sas.hpp"
#include "xml_text.hpp"

#include <algorithm>
#include <random>
#include <thread>

namespace spsync::engine::exporter {

namespace {

std::string EncodeSegment(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string WithQuery(const std::string& sas_url, const std::string& suffix,
                      const std::string& extra_query) {
  // Built by appending: GCC 12's -Wrestrict misfires on `a + b + (c ? "" : "?" + d)`.
  SasUrl u = SplitSasUrl(sas_url);
  std::string out = std::move(u.resource);
  out.append(suffix);
  if (!extra_query.empty() || !u.query.empty()) out.push_back('?');
  out.append(extra_query);
  if (!extra_query.empty() && !u.query.empty()) out.push_back('&');
  out.append(u.query);
  return out;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

AzureStats& Process() {
  static AzureStats stats;
  return stats;
}

}  // namespace

std::string BlobUrl(const std::string& container_sas_url, const std::string& blob) {
  std::string path = "/";
  path += EncodeSegment(blob);
  return WithQuery(container_sas_url, path, "");
}

const AzureStats& AzureStorageClient::ProcessStats() {
  return Process();
}

AzureStorageClient::AzureStorageClient(std::shared_ptr<HttpClient> http, int max_attempts)
    : http_(std::move(http)), max_attempts_(std::max(1, max_attempts)) {}

HttpResponse AzureStorageClient::Send(HttpRequest req, const std::string& what,
                                      const Deadline& deadline, std::initializer_list<int> ok) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const std::string shown = RedactUrl(req.url);
  std::string last;
  for (int attempt = 0; attempt < max_attempts_; ++attempt) {
    if (attempt > 0) {
      // 0.25 s, 0.5 s, 1 s, ... with jitter, never past the budget.
      auto wait = std::chrono::milliseconds(250 << std::min(attempt - 1, 6));
      wait += std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 100)(rng));
      if (deadline.WouldExpireAfter(wait))
        throw TransportError(what + " (" + shown + "): " + last +
                             "; the time budget ends before another try");
      std::this_thread::sleep_for(wait);
    }
    if (deadline.expired()) throw TransportError(what + " (" + shown + "): time budget reached");
    // The budget also bounds the exchange in flight.
    if (deadline.remaining() < std::chrono::hours(24 * 300))
      req.not_after = std::chrono::steady_clock::now() + deadline.remaining();
    stats_.requests++;
    Process().requests++;
    HttpResponse r;
    try {
      r = http_->Send(req);
    } catch (const TransportError& e) {
      last = e.what();
      continue;
    }
    stats_.bytes += r.body.size();
    Process().bytes += r.body.size();
    if (std::find(ok.begin(), ok.end(), r.status) != ok.end()) return r;
    std::string code = r.Header("x-ms-error-code");
    if (code.empty()) code = XmlText(r.body, "Code");
    std::string message = XmlText(r.body, "Message");
    if (size_t nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
    last = "HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code) +
           (message.empty() ? "" : ": " + message);
    if (r.status >= 500) continue;
    throw AzureError(r.status, code, what + " (" + shown + "): " + last);
  }
  throw TransportError(what + " (" + shown + "): " + last + " after " +
                       std::to_string(max_attempts_) + " tries");
}

BlobRange AzureStorageClient::GetBlobRange(const std::string& container, const std::string& blob,
                                           int64_t offset, int64_t length,
                                           const Deadline& deadline) {
  HttpRequest req;
  req.url = BlobUrl(container, blob);
  req.headers = {{"x-ms-range",
                  "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)}};
  BlobRange out;
  HttpResponse r;
  try {
    r = Send(std::move(req), "reading blob " + blob, deadline, {200, 206});
  } catch (const AzureError& e) {
    // A range that starts at the end of the blob: nothing more to read.
    if (e.status() != 416) throw;
    out.total_size = offset;
    return out;
  }
  out.body = std::move(r.body);
  out.iv_b64 = r.Header("x-ms-meta-IV");
  std::string range = r.Header("Content-Range");  // bytes a-b/total
  if (size_t slash = range.rfind('/'); slash != std::string::npos)
    out.total_size = std::strtoll(range.c_str() + slash + 1, nullptr, 10);
  else
    out.total_size = offset + static_cast<int64_t>(out.body.size());
  return out;
}

void AzureStorageClient::PutBlob(const std::string& container, const std::string& blob,
                                 const std::string& body,
                                 const std::vector<std::pair<std::string, std::string>>& metadata,
                                 const Deadline& deadline) {
  HttpRequest req;
  req.method = "PUT";
  req.url = BlobUrl(container, blob);
  req.headers = {{"x-ms-blob-type", "BlockBlob"}, {"Content-Type", "application/xml"}};
  for (const auto& [k, v] : metadata) req.headers.emplace_back("x-ms-meta-" + k, v);
  req.body = body;
  Send(std::move(req), "writing blob " + blob, deadline, {201});
}

void AzureStorageClient::CreateContainer(const std::string& container, const Deadline& deadline) {
  HttpRequest req;
  req.method = "PUT";
  req.url = WithQuery(container, "", "restype=container");
  try {
    Send(std::move(req), "creating a container", deadline, {201});
  } catch (const AzureError& e) {
    if (e.status() != 409) throw;
  }
}

void AzureStorageClient::CreateQueue(const std::string& queue, const Deadline& deadline) {
  HttpRequest req;
  req.method = "PUT";
  req.url = WithQuery(queue, "", "");
  Send(std::move(req), "creating a queue", deadline, {201, 204});
}

std::vector<QueueMessage> AzureStorageClient::GetMessages(const std::string& queue, int max,
                                                          int visibility_s,
                                                          const Deadline& deadline) {
  HttpRequest req;
  req.url = WithQuery(queue, "/messages",
                      "numofmessages=" + std::to_string(std::clamp(max, 1, 32)) +
                          "&visibilitytimeout=" + std::to_string(std::max(1, visibility_s)));
  HttpResponse r = Send(std::move(req), "reading the job's queue", deadline, {200});
  std::vector<QueueMessage> out;
  for (const auto& m : XmlRecords(r.body, "QueueMessage")) {
    QueueMessage q;
    for (const auto& [k, v] : m) {
      if (k == "MessageId") q.id = v;
      if (k == "PopReceipt") q.pop_receipt = v;
      if (k == "MessageText") q.text = v;
      if (k == "DequeueCount") q.dequeue_count = std::strtoll(v.c_str(), nullptr, 10);
    }
    out.push_back(std::move(q));
  }
  return out;
}

void AzureStorageClient::DeleteMessage(const std::string& queue, const QueueMessage& m,
                                       const Deadline& deadline) {
  HttpRequest req;
  req.method = "DELETE";
  std::string pop;
  for (unsigned char c : m.pop_receipt) {
    static const char* kHex = "0123456789ABCDEF";
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      pop.push_back(static_cast<char>(c));
    } else {
      pop.push_back('%');
      pop.push_back(kHex[c >> 4]);
      pop.push_back(kHex[c & 15]);
    }
  }
  req.url = WithQuery(queue, "/messages/" + m.id, "popreceipt=" + pop);
  try {
    Send(std::move(req), "deleting a queue message", deadline, {204});
  } catch (const AzureError& e) {
    // Already gone (its visibility ran out and someone else took it): fine.
    if (e.status() != 404) throw;
  }
}

void AzureStorageClient::PutMessage(const std::string& queue, const std::string& text,
                                    const Deadline& deadline) {
  HttpRequest req;
  req.method = "POST";
  req.url = WithQuery(queue, "/messages", "");
  req.headers = {{"Content-Type", "application/xml"}};
  req.body = "<QueueMessage><MessageText>" + XmlEscape(text) + "</MessageText></QueueMessage>";
  Send(std::move(req), "adding a queue message", deadline, {201});
}

}  // namespace spsync::engine::exporter
