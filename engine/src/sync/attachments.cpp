#include "spsync/engine/sync/attachments.hpp"

#include "session_impl.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <thread>

namespace spsync::engine {

namespace {

spsync_str Str(const std::string& s) {
  return {s.data(), s.size()};
}

std::string_view SkipSpace(std::string_view s) {
  while (!s.empty() && (s[0] == ' ' || s[0] == '\n' || s[0] == '\r' || s[0] == '\t'))
    s.remove_prefix(1);
  return s;
}

// A sink call inside a download failed: carried out of the stream.
struct SinkStop {
  SinkResult result;
  const char* what;
};

}  // namespace

std::optional<std::vector<AttachmentRef>> AttachmentsOf(std::string_view json) {
  constexpr std::string_view kKey = "\"AttachmentFiles\"";
  size_t at = json.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  // The common case, no file: `[]` or `{"results":[]}`, without parsing.
  std::string_view rest = SkipSpace(json.substr(at + kKey.size()));
  if (!rest.empty() && rest[0] == ':') rest = SkipSpace(rest.substr(1));
  if (rest.substr(0, 2) == "[]") return std::vector<AttachmentRef>{};
  if (rest.substr(0, 1) == "{") {
    std::string_view inner = SkipSpace(rest.substr(1));
    constexpr std::string_view kResults = "\"results\"";
    if (inner.substr(0, kResults.size()) == kResults) {
      inner = SkipSpace(inner.substr(kResults.size()));
      if (!inner.empty() && inner[0] == ':') inner = SkipSpace(inner.substr(1));
      if (inner.substr(0, 2) == "[]") return std::vector<AttachmentRef>{};
    }
  }
  Poco::JSON::Object::Ptr item;
  try {
    Poco::JSON::Parser parser;
    item = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    throw MalformedBody(std::string("an item's AttachmentFiles are not JSON: ") + e.what());
  }
  Poco::JSON::Array::Ptr files = item->getArray("AttachmentFiles");
  if (files.isNull()) {
    Poco::JSON::Object::Ptr verbose = item->getObject("AttachmentFiles");
    if (!verbose.isNull()) files = verbose->getArray("results");
  }
  std::vector<AttachmentRef> out;
  if (files.isNull()) return out;
  for (size_t i = 0; i < files->size(); ++i) {
    Poco::JSON::Object::Ptr f = files->getObject(static_cast<unsigned>(i));
    if (f.isNull()) continue;
    AttachmentRef ref;
    ref.file_name = f->optValue<std::string>("FileName", "");
    ref.url = f->optValue<std::string>("ServerRelativeUrl", "");
    // SharePoint Online's SP.Attachment has no size; a server that adds one
    // lets a file replaced under the same name be told apart.
    for (const char* key : {"Length", "FileSize"}) {
      if (!f->has(key)) continue;
      try {
        ref.size = f->get(key).convert<int64_t>();
      } catch (const std::exception&) {
        ref.size = -1;
      }
    }
    if (!ref.file_name.empty()) out.push_back(std::move(ref));
  }
  return out;
}

AttachmentSync::AttachmentSync(SharePointClient& client, std::string list_id, Sink& sink,
                               const Deadline& deadline,
                               std::function<void(const std::string&)> requested, int attempts,
                               std::string sink_name)
    : client_(client),
      list_id_(std::move(list_id)),
      sink_(sink),
      deadline_(deadline),
      requested_(std::move(requested)),
      attempts_(std::max(1, attempts)),
      sink_name_(std::move(sink_name)) {}

std::string AttachmentSync::FileUrl(int64_t item_id, const std::string& name) const {
  // An OData string literal ('' for '), percent-encoded: names may hold
  // spaces, '#', '%' and any non-ASCII character.
  return client_.ListApi(list_id_) + "/items(" + std::to_string(item_id) + ")/AttachmentFiles(" +
         EncodeQueryValue(QuoteOData(name)) + ")";
}

SinkResult AttachmentSync::Must(const char* what, SinkResult r) {
  if (r.status != SPSYNC_OK) throw SinkStop{std::move(r), what};
  return r;
}

SinkResult AttachmentSync::Retry(const std::string& what, const std::function<SinkResult()>& fn) {
  for (int attempt = 1;; ++attempt) {
    SinkResult r = fn();
    if (r.ok()) return r;
    std::string msg = "sink '" + sink_name_ + "' " + what +
                      " failed: " + (r.message.empty() ? "(no message)" : r.message);
    if (r.status != SPSYNC_RETRYABLE || attempt >= attempts_) throw SinkFailure(msg);
    spdlog::warn("{} (attempt {} of {})", msg, attempt, attempts_);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
  }
}

std::string AttachmentSync::CurrentETag(const AttachmentRef& ref) {
  const std::string url = client_.site_url() + "/_api/web/GetFileByServerRelativePath(decodedurl=" +
                          EncodeQueryValue(QuoteOData(ref.url)) + ")?%24select=ETag";
  if (requested_) requested_(url);
  std::string etag;
  client_.Get(url, "reading the ETag of attachment '" + ref.file_name + "'", deadline_,
              [&](HttpResponse& r) {
                try {
                  Poco::JSON::Parser parser;
                  auto o = parser.parse(r.body).extract<Poco::JSON::Object::Ptr>();
                  if (auto d = o->getObject("d"); !d.isNull()) o = d;  // verbose
                  etag = o->optValue<std::string>("ETag", "");
                } catch (const Poco::Exception& e) {
                  throw MalformedBody("an SP.File is not JSON: " + e.displayText());
                }
              });
  ++counters_.checked;
  return etag;
}

void AttachmentSync::Download(int64_t item_id, const AttachmentRef& ref) {
  const std::string url = FileUrl(item_id, ref.file_name) + "/$value";
  for (int attempt = 1;; ++attempt) {
    bool open = false;
    spsync_attachment a{};
    std::string etag, modified;
    int64_t modified_unix = 0, received = 0;
    try {
      if (requested_) requested_(url);
      client_.GetStream(
          url, "downloading attachment '" + ref.file_name + "' of item " + std::to_string(item_id),
          deadline_,
          [&](const HttpResponse& r) {
            // Every attempt starts the file over.
            if (open) sink_.AttachmentAbort();
            open = false;
            received = 0;
            etag = r.Header("ETag");
            modified.clear();
            modified_unix = 0;
            if (std::string lm = r.Header("Last-Modified"); !lm.empty()) {
              try {  // the file's TimeLastModified, as an HTTP date
                int tzd = 0;
                Poco::DateTime t =
                    Poco::DateTimeParser::parse(Poco::DateTimeFormat::HTTP_FORMAT, lm, tzd);
                t.makeUTC(tzd);
                modified = Poco::DateTimeFormatter::format(t, "%Y-%m-%dT%H:%M:%SZ");
                modified_unix = t.timestamp().epochTime();
              } catch (const Poco::Exception&) {
                // Not a date: the file's time stays unknown.
              }
            }
            std::string length = r.Header("Content-Length");
            a = spsync_attachment{};
            a.struct_size = sizeof(spsync_attachment);
            a.item_id = item_id;
            a.file_name = Str(ref.file_name);
            a.size = length.empty() ? -1 : std::stoll(length);
            a.etag = Str(etag);
            a.modified = Str(modified);
            a.modified_unix = modified_unix;
            a.url = Str(ref.url);
            Must("attachment begin", sink_.AttachmentBegin(a));
            open = true;
          },
          [&](const char* data, size_t len) {
            Must("attachment write", sink_.AttachmentWrite(data, len));
            received += static_cast<int64_t>(len);
          });
      if (!open) {
        // An empty 2xx body still opened the file; anything else is a bug.
        throw std::logic_error("a download ended without starting the file");
      }
      a.size = received;
      Must("attachment commit", sink_.AttachmentCommit(a));
      ++counters_.downloaded;
      counters_.bytes += received;
      return;
    } catch (const SinkStop& stop) {
      if (open) sink_.AttachmentAbort();
      std::string msg = "sink '" + sink_name_ + "' " + stop.what + " of '" + ref.file_name +
                        "' (item " + std::to_string(item_id) + ") failed: " +
                        (stop.result.message.empty() ? "(no message)" : stop.result.message);
      if (stop.result.status != SPSYNC_RETRYABLE || attempt >= attempts_) throw SinkFailure(msg);
      spdlog::warn("{} (attempt {} of {}; the file starts over)", msg, attempt, attempts_);
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    } catch (...) {
      if (open) sink_.AttachmentAbort();
      throw;
    }
  }
}

void AttachmentSync::Apply(const ItemPage& page) {
  std::vector<int64_t> ids;
  std::vector<std::pair<int64_t, std::vector<AttachmentRef>>> sets;
  for (const auto& item : page.items) {
    auto set = AttachmentsOf({item.raw_json.data, item.raw_json.len});
    if (!set) continue;  // no AttachmentFiles in the JSON: nothing known
    ids.push_back(item.id);
    sets.emplace_back(item.id, std::move(*set));
  }
  if (ids.empty()) return;
  // What the sink holds (copied: the records live until its next call).
  std::map<int64_t, std::vector<Held>> held;
  {
    const spsync_attachment* const* records = nullptr;
    size_t count = 0;
    Retry("attachment list",
          [&] { return sink_.ListAttachments(ids.data(), ids.size(), &records, &count); });
    for (size_t k = 0; k < count; ++k) {
      const spsync_attachment& a = *records[k];
      held[a.item_id].push_back({std::string(a.file_name.data, a.file_name.len),
                                 std::string(a.etag.data, a.etag.len),
                                 std::string(a.modified.data, a.modified.len), a.size});
    }
  }
  for (const auto& [id, want] : sets) {
    auto& have = held[id];
    for (const auto& h : have) {
      bool kept = false;
      for (const auto& w : want) kept |= w.file_name == h.file_name;
      if (kept) continue;
      Retry("attachment delete", [&] { return sink_.AttachmentDelete(id, h.file_name); });
      ++counters_.deleted;
    }
    for (const auto& w : want) {
      const Held* h = nullptr;
      for (const auto& x : have)
        if (x.file_name == w.file_name) h = &x;
      // Held under this name, complete (size >= 0: a fan-out reports -1 for
      // a file not every member holds alike), no size on the page that says
      // otherwise, and the same ETag as SharePoint's now: unchanged.
      if (h != nullptr && h->size >= 0 && (w.size < 0 || w.size == h->size) &&
          (h->etag.empty() || w.url.empty() || CurrentETag(w) == h->etag)) {
        ++counters_.unchanged;
        continue;
      }
      Download(id, w);
    }
  }
}

}  // namespace spsync::engine
