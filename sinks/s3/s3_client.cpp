#include "s3_client.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <spsync/sink.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace spsync::s3 {
namespace {

using spsync::sdk::Fatal;
using spsync::sdk::Retryable;

std::string AmzDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string XmlUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    static const std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool matched = false;
    for (const auto& [entity, c] : kEntities) {
      if (s.substr(i, entity.size()) == entity) {
        out.push_back(c);
        i += entity.size() - 1;
        matched = true;
        break;
      }
    }
    if (!matched && s.substr(i, 2) == "&#") {
      size_t end = s.find(';', i);
      if (end != std::string_view::npos) {
        std::string num(s.substr(i + 2, end - i - 2));
        long cp = num.size() > 1 && (num[0] == 'x' || num[0] == 'X')
                      ? std::stol(num.substr(1), nullptr, 16)
                      : std::stol(num);
        // Keys we write are ASCII; wider code points are kept as UTF-8.
        if (cp < 0x80) {
          out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
        i = end;
        matched = true;
      }
    }
    if (!matched) out.push_back('&');
  }
  return out;
}

// Every text of <tag>...</tag> in document order. S3's responses are flat
// enough that this is exact for the elements read here.
std::vector<std::string> XmlAll(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  // Built with append(): GCC 12 warns falsely (-Wrestrict) on "<" + string.
  std::string open("<");
  open.append(tag).append(">");
  std::string close("</");
  close.append(tag).append(">");
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t start = pos + open.size();
    size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.push_back(XmlUnescape(xml.substr(start, end - start)));
    pos = end + close.size();
  }
  return out;
}

std::string XmlFirst(std::string_view xml, std::string_view tag) {
  auto all = XmlAll(xml, tag);
  return all.empty() ? std::string() : all.front();
}

}  // namespace

std::string Response::Header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

Client::Client(ClientConfig config) : config_(std::move(config)) {
  std::string endpoint = config_.endpoint;
  if (endpoint.empty()) endpoint = "https://s3." + config_.region + ".amazonaws.com";
  Poco::URI uri(endpoint);
  scheme_ = uri.getScheme();
  if (scheme_ != "http" && scheme_ != "https")
    throw Fatal("option 'endpoint' must start with http:// or https://, got '" + endpoint + "'");
  host_ = uri.getHost();
  if (host_.empty()) throw Fatal("option 'endpoint' has no host: '" + endpoint + "'");
  port_ = uri.getPort();
  const std::string host = config_.path_style ? host_ : config_.bucket + "." + host_;
  host_header_ = host;
  if ((scheme_ == "http" && port_ != 80) || (scheme_ == "https" && port_ != 443))
    host_header_ += ":" + std::to_string(port_);
}

Client::~Client() = default;

Poco::Net::HTTPClientSession& Client::Session() {
  if (!session_) {
    const std::string host = config_.path_style ? host_ : config_.bucket + "." + host_;
    if (scheme_ == "https") {
      Poco::Net::Context::Ptr context =
          new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                 Poco::Net::Context::VERIFY_RELAXED, 9, true);
      session_ = std::make_unique<Poco::Net::HTTPSClientSession>(host, port_, context);
    } else {
      session_ = std::make_unique<Poco::Net::HTTPClientSession>(host, port_);
    }
    session_->setKeepAlive(true);
    session_->setTimeout(Poco::Timespan(config_.timeout_seconds, 0));
  }
  return *session_;
}

Response Client::Send(const std::string& method, const std::string& key,
                      const std::vector<std::pair<std::string, std::string>>& query,
                      std::string_view body, const std::string& content_type,
                      std::initializer_list<int> accept,
                      const std::vector<std::pair<std::string, std::string>>& extra) {
  // Bucket-level calls (listing, HEAD) address "/bucket", not "/bucket/".
  std::string path = config_.path_style ? "/" + config_.bucket : "";
  if (!key.empty() || !config_.path_style) path += "/" + key;
  // S3 signs the path exactly as sent, encoded once (no normalisation).
  const std::string canonical_uri = UriEncode(path, false);

  SigV4Request sig;
  sig.method = method;
  sig.canonical_uri = canonical_uri;
  sig.query = query;
  sig.payload_hash = Sha256Hex(body);
  sig.amz_date = AmzDate();
  sig.region = config_.region;
  sig.service = "s3";
  sig.headers = {{"host", host_header_},
                 {"x-amz-content-sha256", sig.payload_hash},
                 {"x-amz-date", sig.amz_date}};
  if (!content_type.empty()) sig.headers.emplace_back("content-type", content_type);
  if (!config_.credentials.session_token.empty())
    sig.headers.emplace_back("x-amz-security-token", config_.credentials.session_token);
  const SigV4Result signature = SignV4(sig, config_.credentials);

  std::string target = canonical_uri;
  for (size_t i = 0; i < query.size(); ++i) {
    target += i == 0 ? "?" : "&";
    target += UriEncode(query[i].first, true) + "=" + UriEncode(query[i].second, true);
  }
  const std::string what = "S3 " + method + " " + Url(key);

  Response out;
  // One retry on a fresh connection: a keep-alive socket the server already
  // closed fails on first use, which is not worth surfacing to the host.
  for (int attempt = 0;; ++attempt) {
    try {
      Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
      for (const auto& [k, v] : sig.headers) request.set(k, v);
      for (const auto& [k, v] : extra) request.set(k, v);
      request.set("Authorization", signature.authorization);
      if (method == "PUT" || method == "POST" || !body.empty())
        request.setContentLength(static_cast<std::streamsize>(body.size()));
      auto& session = Session();
      std::ostream& os = session.sendRequest(request);
      if (!body.empty()) os.write(body.data(), static_cast<std::streamsize>(body.size()));
      Poco::Net::HTTPResponse response;
      std::istream& is = session.receiveResponse(response);
      out.status = response.getStatus();
      out.body.clear();
      if (method != "HEAD") Poco::StreamCopier::copyToString(is, out.body);
      out.headers.clear();
      for (const auto& [k, v] : response) {
        std::string lower = k;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        out.headers.emplace_back(lower, v);
      }
      break;
    } catch (const Poco::Exception& e) {
      session_.reset();
      if (attempt == 0) continue;
      throw Retryable(what + " failed: " + e.displayText());
    } catch (const std::ios_base::failure& e) {
      session_.reset();
      if (attempt == 0) continue;
      throw Retryable(what + " failed: " + e.what());
    }
  }

  if (out.status >= 200 && out.status < 300) return out;
  if (std::find(accept.begin(), accept.end(), out.status) != accept.end()) return out;

  const std::string code = XmlFirst(out.body, "Code");
  const std::string message = XmlFirst(out.body, "Message");
  std::string text = what + " failed: HTTP " + std::to_string(out.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message;
  // Throttling, server errors and request timeouts are transient; every
  // other 4xx (access denied, no such bucket, bad request) will not heal
  // by retrying.
  if (out.status >= 500 || out.status == 429 || code == "SlowDown" || code == "RequestTimeout" ||
      code == "InternalError")
    throw Retryable(text);
  throw Fatal(text);
}

void Client::Put(const std::string& key, std::string_view body, const std::string& content_type) {
  Send("PUT", key, {}, body, content_type);
}

std::string Client::CreateMultipart(const std::string& key, const std::string& content_type) {
  Response init = Send("POST", key, {{"uploads", ""}}, "", content_type);
  const std::string upload_id = XmlFirst(init.body, "UploadId");
  if (upload_id.empty()) throw Retryable("S3 POST " + Url(key) + "?uploads returned no UploadId");
  return upload_id;
}

std::string Client::UploadPart(const std::string& key, const std::string& upload_id, int number,
                               std::string_view data) {
  Response r =
      Send("PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, data, "");
  return r.Header("etag");
}

void Client::CompleteMultipart(const std::string& key, const std::string& upload_id,
                               const std::vector<std::string>& etags) {
  std::string complete = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    complete += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] +
                "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  Response done = Send("POST", key, {{"uploadId", upload_id}}, complete, "application/xml");
  // CompleteMultipartUpload can fail after a 200 status line: the error is
  // in the body.
  if (done.body.find("<Error>") != std::string::npos) {
    throw Retryable("S3 POST " + Url(key) + " (complete multipart) failed: " +
                    XmlFirst(done.body, "Code") + ": " + XmlFirst(done.body, "Message"));
  }
}

void Client::AbortMultipart(const std::string& key, const std::string& upload_id) {
  Send("DELETE", key, {{"uploadId", upload_id}}, "", "", {404});
}

void Client::PutMultipart(const std::string& key, std::string_view body,
                          const std::string& content_type, size_t chunk_bytes) {
  const std::string upload_id = CreateMultipart(key, content_type);
  try {
    std::vector<std::string> etags;
    for (size_t off = 0; off < body.size(); off += chunk_bytes)
      etags.push_back(UploadPart(key, upload_id, static_cast<int>(etags.size() + 1),
                                 body.substr(off, chunk_bytes)));
    CompleteMultipart(key, upload_id, etags);
  } catch (...) {
    try {
      AbortMultipart(key, upload_id);
    } catch (...) {
      // The original error matters more; an unaborted upload only costs
      // storage until a lifecycle rule removes it.
    }
    throw;
  }
}

std::optional<std::string> Client::GetRange(const std::string& key, uint64_t offset,
                                            size_t length) {
  if (length == 0) return std::string();
  Response r = Send(
      "GET", key, {}, "", "", {404, 416},
      {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)}});
  if (r.status == 404) return std::nullopt;
  if (r.status == 416) return std::string();
  // A server that ignores Range answers 200 with the whole object, which
  // starts at byte 0 whatever the offset: cut the range out of it.
  if (r.status == 200) {
    if (offset >= r.body.size()) return std::string();
    return r.body.substr(static_cast<size_t>(offset), length);
  }
  return std::move(r.body);
}

std::optional<std::string> Client::Get(const std::string& key) {
  Response r = Send("GET", key, {}, "", "", {404});
  if (r.status == 404) return std::nullopt;
  return std::move(r.body);
}

void Client::Delete(const std::string& key) {
  Send("DELETE", key, {}, "", "", {404});
}

std::vector<std::string> Client::List(const std::string& prefix, const std::string& start_after) {
  std::vector<std::string> keys;
  std::string token;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> query = {{"list-type", "2"},
                                                              {"prefix", prefix}};
    if (!start_after.empty()) query.emplace_back("start-after", start_after);
    if (!token.empty()) query.emplace_back("continuation-token", token);
    Response r = Send("GET", "", query, "", "");
    // Keys sit inside <Contents>; <Key> appears nowhere else in a listing.
    for (auto& k : XmlAll(r.body, "Key")) keys.push_back(std::move(k));
    if (XmlFirst(r.body, "IsTruncated") != "true") break;
    token = XmlFirst(r.body, "NextContinuationToken");
    if (token.empty()) break;
  }
  return keys;
}

void Client::HeadBucket() {
  Send("HEAD", "", {}, "", "");
}

}  // namespace spsync::s3
