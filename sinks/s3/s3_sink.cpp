// The S3-compatible sink: NDJSON parts (gzip by default) under
// prefix/<entity>/data/yyyy/mm/dd/, committed by prefix/<entity>/_state.json.
//
// Commit protocol: a part is named by a per-entity sequence number. persist()
// uploads the buffered records as the next part(s) and only then rewrites
// _state.json with the highest part sequence it covers. A reader that follows
// _state.json (parts with seq <= committedSeq) never sees uncommitted data,
// and load_state() deletes parts above committedSeq, left by a session that
// died between a part and its state. Together: transactional persist.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <zlib.h>
#include <spsync/sink.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "s3_client.hpp"

namespace {

using spsync::sdk::AppendJsonString;
using spsync::sdk::Base64Decode;
using spsync::sdk::Base64Encode;
using spsync::sdk::Call;
using spsync::sdk::Config;
using spsync::sdk::Fatal;
using spsync::sdk::Ids;
using spsync::sdk::Items;
using spsync::sdk::Retryable;
using spsync::sdk::Schema;
using spsync::sdk::View;

constexpr long long kDefaultPartBytes = 8LL << 20;
constexpr long long kDefaultMultipartBytes = 16LL << 20;
constexpr long long kMinMultipartChunk = 5LL << 20;  // S3's minimum part size

std::string Gzip(std::string_view in) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip wrapper, so `gunzip` and every S3 reader cope.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Fatal("zlib: deflateInit2 failed");
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw Fatal("zlib: deflate failed");
  return out;
}

std::string Gunzip(std::string_view in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw Fatal("zlib: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw Fatal("zlib: corrupt gzip data");
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;
  }
  inflateEnd(&zs);
  return out;
}

std::string Iso8601Now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The sequence number in ".../part-00000042.ndjson[.gz]", or -1.
long long PartSeq(const std::string& key) {
  size_t slash = key.rfind('/');
  std::string_view name = std::string_view(key).substr(slash == std::string::npos ? 0 : slash + 1);
  if (name.substr(0, 5) != "part-") return -1;
  long long seq = 0;
  size_t i = 5;
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) seq = seq * 10 + (name[i] - '0');
  if (i == 5 || name.substr(i, 7) != ".ndjson") return -1;
  return seq;
}

// The records are written by this sink with "op" and "id" first, so the
// snapshot replay reads them from the line head instead of parsing the whole
// item (which is most of the line).
bool RecordHead(std::string_view line, bool* is_delete, long long* id) {
  static constexpr std::string_view kUpsert = "{\"op\":\"upsert\",\"id\":";
  static constexpr std::string_view kDelete = "{\"op\":\"delete\",\"id\":";
  std::string_view rest;
  if (line.substr(0, kUpsert.size()) == kUpsert) {
    *is_delete = false;
    rest = line.substr(kUpsert.size());
  } else if (line.substr(0, kDelete.size()) == kDelete) {
    *is_delete = true;
    rest = line.substr(kDelete.size());
  } else {
    return false;
  }
  long long v = 0;
  size_t i = 0;
  bool neg = !rest.empty() && rest[0] == '-';
  if (neg) ++i;
  size_t digits = i;
  for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i) v = v * 10 + (rest[i] - '0');
  if (i == digits) return false;
  *id = neg ? -v : v;
  return true;
}

class S3Sink : public spsync::sdk::Sink {
 public:
  explicit S3Sink(const Config& config) {
    spsync::s3::ClientConfig cc;
    cc.endpoint = config.Get("endpoint");
    cc.region = config.Get("region", "us-east-1");
    cc.bucket = config.Require("bucket");
    cc.path_style = config.GetBool("pathStyle", !cc.endpoint.empty());
    cc.credentials.access_key_id = config.Get("accessKeyId");
    cc.credentials.secret_access_key = config.Get("secretAccessKey");
    cc.credentials.session_token = config.Get("sessionToken");
    if (cc.credentials.access_key_id.empty() || cc.credentials.secret_access_key.empty())
      throw Fatal("options 'accessKeyId' and 'secretAccessKey' are required");
    cc.timeout_seconds = static_cast<int>(config.GetInt("timeoutSeconds", 60));
    prefix_ = config.Get("prefix");
    while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
    if (!prefix_.empty()) prefix_ += "/";
    gzip_ = config.GetBool("gzip", true);
    part_bytes_ = config.GetInt("partBytes", kDefaultPartBytes);
    if (part_bytes_ <= 0) throw Fatal("option 'partBytes' must be positive");
    multipart_bytes_ = config.GetInt("multipartBytes", kDefaultMultipartBytes);
    if (multipart_bytes_ < kMinMultipartChunk)
      throw Fatal("option 'multipartBytes' must be at least 5242880 (S3's minimum part size)");
    client_ = std::make_unique<spsync::s3::Client>(std::move(cc));
  }

  static const std::vector<spsync_option>& Options() {
    using spsync::sdk::Option;
    static const std::vector<spsync_option> options = {
        Option("endpoint", SPSYNC_OPTION_STRING, false, nullptr,
               "S3 endpoint URL, e.g. http://127.0.0.1:4569 (default: AWS for the region)"),
        Option("region", SPSYNC_OPTION_STRING, false, "us-east-1", "signing region"),
        Option("bucket", SPSYNC_OPTION_STRING, true, nullptr, "bucket name"),
        Option("prefix", SPSYNC_OPTION_STRING, false, "", "key prefix for every object"),
        Option("accessKeyId", SPSYNC_OPTION_STRING, true, nullptr, "access key id"),
        Option("secretAccessKey", SPSYNC_OPTION_SECRET, true, nullptr, "secret access key"),
        Option("sessionToken", SPSYNC_OPTION_SECRET, false, nullptr,
               "session token of temporary credentials"),
        Option("pathStyle", SPSYNC_OPTION_BOOLEAN, false, nullptr,
               "path-style addressing (default: true with a custom endpoint, else false)"),
        Option("gzip", SPSYNC_OPTION_BOOLEAN, false, "true", "gzip the NDJSON parts"),
        Option("partBytes", SPSYNC_OPTION_INTEGER, false, "8388608",
               "uncompressed bytes buffered before a part is written"),
        Option("multipartBytes", SPSYNC_OPTION_INTEGER, false, "16777216",
               "objects larger than this use multipart upload, in chunks of this size"),
        Option("timeoutSeconds", SPSYNC_OPTION_INTEGER, false, "60", "HTTP timeout"),
    };
    return options;
  }

  std::string LoadState(std::string_view entity) override {
    entity_ = std::string(entity);
    buffer_.clear();
    committed_seq_ = 0;
    // The state is written twice, _state.next.json then _state.json (see
    // Persist), so at any instant at least one copy is whole, even on a store
    // whose PUT is not atomic (s3rver keeps the truncated body of a PUT whose
    // writer died; S3 never does). The newest whole copy is the commit.
    std::string main_problem, next_problem;
    auto main = ReadStateCopy(StateKey(), &main_problem);
    auto next = ReadStateCopy(NextStateKey(), &next_problem);
    std::string state;
    const StateCopy* chosen = nullptr;
    if (main && next)
      chosen = next->seq > main->seq ? &*next : &*main;
    else if (main)
      chosen = &*main;
    else if (next)
      chosen = &*next;
    else if (!main_problem.empty())
      // Only _state.json exists and it is incomplete: a store still flushing
      // it, or a state from before the two-copy protocol. Worth a retry.
      throw Retryable(main_problem);
    // (No _state.json and an incomplete _state.next.json: the first persist
    // died while writing; nothing was ever committed.)
    if (chosen != nullptr) {
      committed_seq_ = chosen->seq;
      state = chosen->state;
    }
    // Parts above the committed sequence were written by a session that
    // stopped before its persist: remove them so no reader and no snapshot
    // ever counts them, and so their sequence numbers are reused cleanly.
    size_t removed = 0;
    for (const auto& key : client_->List(DataPrefix())) {
      long long seq = PartSeq(key);
      if (seq > committed_seq_) {
        client_->Delete(key);
        ++removed;
      }
    }
    if (removed > 0)
      spsync::sdk::Log(SPSYNC_LOG_INFO, "s3: removed " + std::to_string(removed) +
                                            " uncommitted part(s) of '" + entity_ + "'");
    next_seq_ = committed_seq_ + 1;
    return state;
  }

  void Begin(const Schema& schema) override {
    if (entity_.empty()) entity_ = std::string(schema.entity());
    list_id_ = std::string(schema.list_id());
  }

  void Upsert(Items items, Call& /*call*/) override {
    const size_t mark = buffer_.size();
    for (const spsync_item* item : items) {
      buffer_ += "{\"op\":\"upsert\",\"id\":";
      buffer_ += std::to_string(item->id);
      buffer_ += ",\"modified\":";
      AppendJsonString(buffer_, View(item->modified));
      buffer_ += ",\"version\":";
      AppendJsonString(buffer_, View(item->version));
      buffer_ += ",\"item\":";
      std::string_view raw = View(item->raw_json);
      buffer_ += raw.empty() ? std::string_view("null") : raw;
      buffer_ += "}\n";
    }
    FlushIfFull(mark);
  }

  void Delete(Ids ids, Call& /*call*/) override {
    const size_t mark = buffer_.size();
    for (int64_t id : ids) {
      buffer_ += "{\"op\":\"delete\",\"id\":";
      buffer_ += std::to_string(id);
      buffer_ += ",\"modified\":null,\"version\":null,\"item\":null}\n";
    }
    FlushIfFull(mark);
  }

  void Persist(std::string_view state) override {
    RequireEntity();
    if (!buffer_.empty()) WritePart();
    std::string json = "{\"format\":1,\"entity\":";
    AppendJsonString(json, entity_);
    json += ",\"listId\":";
    AppendJsonString(json, list_id_);
    json += ",\"committedSeq\":" + std::to_string(next_seq_ - 1);
    json += ",\"committedAt\":\"" + Iso8601Now() + "\"";
    json += ",\"state\":\"" + Base64Encode(state) + "\"}\n";
    // Two copies, in this order: see LoadState.
    client_->Put(NextStateKey(), json, "application/json");
    client_->Put(StateKey(), json, "application/json");
    committed_seq_ = next_seq_ - 1;
  }

  void Snapshot(Call& call) override {
    RequireEntity();
    std::vector<std::pair<long long, std::string>> parts;
    for (auto& key : client_->List(DataPrefix())) {
      long long seq = PartSeq(key);
      if (seq > 0 && seq <= committed_seq_) parts.emplace_back(seq, std::move(key));
    }
    std::sort(parts.begin(), parts.end());
    // Later records win, deletes drop: the live items as of the last persist.
    std::map<long long, std::string> live;
    for (const auto& [seq, key] : parts) {
      auto body = client_->Get(key);
      if (!body) throw Retryable(client_->Url(key) + " disappeared while building the snapshot");
      std::string text = key.size() > 3 && key.compare(key.size() - 3, 3, ".gz") == 0
                             ? Gunzip(*body)
                             : std::move(*body);
      size_t pos = 0;
      while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        bool is_delete = false;
        long long id = 0;
        if (!line.empty()) {
          if (!RecordHead(line, &is_delete, &id))
            throw Fatal(client_->Url(key) + " holds a line that is not a sink record");
          if (is_delete)
            live.erase(id);
          else
            live[id] = std::string(line);
        }
        pos = end + 1;
      }
    }
    std::string out;
    for (const auto& [id, line] : live) {
      out += line;
      out.push_back('\n');
    }
    const std::string key = prefix_ + entity_ + "/snapshot.ndjson" + (gzip_ ? ".gz" : "");
    Upload(key, gzip_ ? Gzip(out) : out);
    call.Message(client_->Url(key) + " (" + std::to_string(live.size()) + " items, parts 1-" +
                 std::to_string(committed_seq_) + ")");
  }

  void Check(Call& /*call*/) override { client_->HeadBucket(); }

 private:
  std::string StateKey() const { return prefix_ + entity_ + "/_state.json"; }
  std::string NextStateKey() const { return prefix_ + entity_ + "/_state.next.json"; }

  struct StateCopy {
    long long seq = 0;
    std::string state;
  };
  // One copy of the state; nothing if absent, or if incomplete (then
  // *problem says why).
  std::optional<StateCopy> ReadStateCopy(const std::string& key, std::string* problem) {
    auto body = client_->Get(key);
    if (!body) return std::nullopt;
    try {
      Poco::JSON::Parser parser;
      auto obj = parser.parse(*body).extract<Poco::JSON::Object::Ptr>();
      StateCopy copy;
      copy.seq = obj->getValue<long long>("committedSeq");
      copy.state = Base64Decode(obj->optValue<std::string>("state", ""), key + ": state");
      return copy;
    } catch (const Poco::Exception& e) {
      *problem = client_->Url(key) + " is not a complete state file: " + e.displayText();
      return std::nullopt;
    }
  }
  std::string DataPrefix() const { return prefix_ + entity_ + "/data/"; }

  void RequireEntity() const {
    if (entity_.empty()) throw Fatal("s3: load_state() or begin() must come first");
  }

  // Writes a part once the buffer passes partBytes. If that fails, this
  // batch's records are taken back out of the buffer, so the host's retry of
  // the same call does not buffer them twice.
  void FlushIfFull(size_t mark) {
    if (static_cast<long long>(buffer_.size()) < part_bytes_) return;
    try {
      RequireEntity();
      WritePart();
    } catch (...) {
      buffer_.resize(mark);
      throw;
    }
  }

  void WritePart() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char name[96];
    std::snprintf(name, sizeof(name), "%04d/%02d/%02d/part-%08lld.ndjson%s", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, next_seq_, gzip_ ? ".gz" : "");
    const std::string key = DataPrefix() + name;
    Upload(key, gzip_ ? Gzip(buffer_) : buffer_);
    // Only a successful upload takes the sequence number: a failed one is
    // retried under the same key, overwriting whatever half-arrived.
    ++next_seq_;
    buffer_.clear();
  }

  void Upload(const std::string& key, const std::string& body) {
    const std::string type = gzip_ ? "application/gzip" : "application/x-ndjson";
    if (static_cast<long long>(body.size()) > multipart_bytes_)
      client_->PutMultipart(key, body, type, static_cast<size_t>(multipart_bytes_));
    else
      client_->Put(key, body, type);
  }

  std::unique_ptr<spsync::s3::Client> client_;
  std::string prefix_;
  bool gzip_ = true;
  long long part_bytes_ = kDefaultPartBytes;
  long long multipart_bytes_ = kDefaultMultipartBytes;
  std::string entity_;
  std::string list_id_;
  std::string buffer_;
  long long committed_seq_ = 0;
  long long next_seq_ = 1;
};

}  // namespace

SPSYNC_SINK_PLUGIN(S3Sink, "s3", "1.0.0", "S3-compatible object storage (NDJSON parts + state)",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_SNAPSHOT)
