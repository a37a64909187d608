// The S3-compatible sink: NDJSON parts (gzip by default) under
// prefix/<entity>/data/yyyy/mm/dd/, committed by prefix/<entity>/_state.json.
// Versions, attachments and the schema ride the same commit (s3_layout.hpp).
//
// Commit protocol: every object is named by a per-entity sequence number.
// persist() uploads the buffered records as the next part(s) (data,
// versions, attachment log) and the schema if it changed, and only then
// rewrites _state.json with the highest sequence number it covers. A reader
// that follows _state.json (objects with seq <= committedSeq) never sees
// uncommitted data, and load_state() deletes objects above committedSeq,
// left by a session that died between writing them and its state. Together:
// transactional persist.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <spsync/sink.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "s3_attachments.hpp"
#include "s3_client.hpp"
#include "s3_layout.hpp"
#include "s3_read.hpp"

namespace {

using spsync::s3::Gunzip;
using spsync::s3::Gzip;
using spsync::s3::Iso8601Now;
using spsync::s3::Pad8;
using spsync::s3::PartSeq;
using spsync::s3::RecordHead;
using spsync::s3::SeqAfter;
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

// Appends one value as JSON (for the "resolved" object of a record).
void AppendJsonValue(std::string& out, const spsync_value& v) {
  switch (v.type) {
    case SPSYNC_VALUE_TEXT:
    case SPSYNC_VALUE_DATETIME:
      AppendJsonString(out, View(v.s));
      break;
    case SPSYNC_VALUE_JSON:
      out += v.s.len == 0 ? std::string_view("null") : View(v.s);
      break;
    case SPSYNC_VALUE_INTEGER:
      out += std::to_string(v.i);
      break;
    case SPSYNC_VALUE_BOOLEAN:
      out += v.i != 0 ? "true" : "false";
      break;
    case SPSYNC_VALUE_REAL: {
      char num[32];
      std::snprintf(num, sizeof(num), "%.17g", v.r);
      out += num;
      break;
    }
    default:
      out += "null";
  }
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
    if (attachments_) attachments_->Abort();
    attachments_.reset();
    entity_ = std::string(entity);
    committed_schema_json_.clear();
    buffer_.clear();
    versions_.clear();
    reader_.reset();
    committed_seq_ = 0;
    committed_schema_key_.clear();
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
      committed_schema_key_ = chosen->schema_key;
      state = chosen->state;
    }
    // Objects above the committed sequence were written by a session that
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
    // The newer folders begin with the number: one listing each, starting
    // after the committed number, finds exactly the uncommitted objects.
    const std::string after = Pad8(committed_seq_) + "~";
    for (const std::string folder :
         {"versions/part-", "attachments/log/part-", "attachments/files/", "schema/"}) {
      for (const auto& key : client_->List(Base() + folder, Base() + folder + after)) {
        if (SeqAfter(key, Base() + folder) <= committed_seq_) continue;
        client_->Delete(key);
        ++removed;
      }
    }
    if (removed > 0)
      spsync::sdk::Log(SPSYNC_LOG_INFO, "s3: removed " + std::to_string(removed) +
                                            " uncommitted object(s) of '" + entity_ + "'");
    next_seq_ = committed_seq_ + 1;
    attachments_.reset();
    return state;
  }

  void Begin(const Schema& schema) override {
    if (entity_.empty()) entity_ = std::string(schema.entity());
    list_id_ = std::string(schema.list_id());
    schema_json_ = spsync::s3::SchemaJson(schema);
    resolved_.clear();
    names_.clear();
    for (size_t i = 0; i < schema.size(); ++i) {
      names_.emplace_back(View(schema.field(i).name));
      if (spsync::sdk::FieldRole(schema.field(i)) != SPSYNC_FIELD_PLAIN) resolved_.push_back(i);
    }
    reader_.reset();
  }

  void Upsert(Items items, Call& /*call*/) override {
    reader_.reset();
    const size_t mark = buffer_.size();
    for (const spsync_item* item : items) {
      buffer_ += "{\"op\":\"upsert\",\"id\":";
      buffer_ += std::to_string(item->id);
      buffer_ += ",\"modified\":";
      AppendJsonString(buffer_, View(item->modified));
      buffer_ += ",\"version\":";
      AppendJsonString(buffer_, View(item->version));
      AppendResolved(buffer_, item->values, item->value_count);
      buffer_ += ",\"item\":";
      std::string_view raw = View(item->raw_json);
      buffer_ += raw.empty() ? std::string_view("null") : raw;
      buffer_ += "}\n";
    }
    FlushIfFull(mark);
  }

  void Delete(Ids ids, Call& /*call*/) override {
    RequireEntity();
    reader_.reset();
    const size_t mark = buffer_.size();
    for (int64_t id : ids) {
      buffer_ += "{\"op\":\"delete\",\"id\":";
      buffer_ += std::to_string(id);
      buffer_ += ",\"modified\":null,\"version\":null,\"item\":null}\n";
    }
    FlushIfFull(mark);
    // A deleted item has no attachments.
    for (int64_t id : ids) Attachments().Delete(id, std::string_view(), committed_seq_);
  }

  void Persist(std::string_view state) override {
    RequireEntity();
    reader_.reset();
    if (!buffer_.empty()) WritePart(buffer_, DatedPartKey());
    if (!versions_.empty())
      WritePart(versions_, Base() + "versions/part-" + Pad8(next_seq_) + Ext());
    std::string& log = Attachments().log();
    if (!log.empty()) WritePart(log, Base() + "attachments/log/part-" + Pad8(next_seq_) + Ext());
    // The schema goes up when it changed; it is named by the number this
    // persist commits (at least committed + 1, also without a part).
    std::string schema_key = committed_schema_key_;
    if (!schema_key.empty() && committed_schema_json_.empty() && !schema_json_.empty()) {
      // Once per binding: what the committed schema is, to write it only
      // when it changed.
      committed_schema_json_ = client_->Get(schema_key).value_or(std::string());
    }
    if (!schema_json_.empty() && schema_json_ != committed_schema_json_) {
      const long long seq = std::max(next_seq_ - 1, committed_seq_ + 1);
      schema_key = Base() + "schema/" + Pad8(seq) + ".json";
      client_->Put(schema_key, schema_json_, "application/json");
      next_seq_ = std::max(next_seq_, seq + 1);
    }
    // Attachment files of this transaction carry committed + 1.
    if (attached_) next_seq_ = std::max(next_seq_, committed_seq_ + 2);
    std::string json = "{\"format\":1,\"entity\":";
    AppendJsonString(json, entity_);
    json += ",\"listId\":";
    AppendJsonString(json, list_id_);
    json += ",\"committedSeq\":" + std::to_string(next_seq_ - 1);
    json += ",\"committedAt\":\"" + Iso8601Now() + "\"";
    json += ",\"schemaKey\":";
    AppendJsonString(json, schema_key);
    json += ",\"state\":\"" + Base64Encode(state) + "\"}\n";
    // Two copies, in this order: see LoadState.
    client_->Put(NextStateKey(), json, "application/json");
    client_->Put(StateKey(), json, "application/json");
    committed_seq_ = next_seq_ - 1;
    committed_schema_key_ = schema_key;
    committed_schema_json_ = schema_json_;
    attached_ = false;
    Attachments().Committed();
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
    const std::string key = Base() + "snapshot.ndjson" + (gzip_ ? ".gz" : "");
    Upload(key, gzip_ ? Gzip(out) : out);
    call.Message(client_->Url(key) + " (" + std::to_string(live.size()) + " items, parts 1-" +
                 std::to_string(committed_seq_) + ")");
  }

  void Check(Call& /*call*/) override { client_->HeadBucket(); }

  // ---- Attachments (s3_attachments.hpp) ----

  void AttachmentBegin(const spsync::sdk::Attachment& a) override {
    RequireEntity();
    Attachments().Begin(a, committed_seq_ + 1);
  }
  void AttachmentWrite(std::string_view bytes) override { Attachments().Write(bytes); }
  void AttachmentCommit(const spsync::sdk::Attachment& a) override {
    Attachments().Commit(a);
    attached_ = true;
  }
  void AttachmentAbort() override {
    if (attachments_) attachments_->Abort();
  }
  void AttachmentDelete(int64_t item_id, std::string_view file_name) override {
    RequireEntity();
    Attachments().Delete(item_id, file_name, committed_seq_);
  }
  void ListAttachments(Ids item_ids, std::vector<spsync::sdk::AttachmentInfo>& out) override {
    RequireEntity();
    Attachments().List(item_ids, committed_seq_, out);
  }

  // ---- Versions (versions/part-<seq>) ----

  void WriteVersions(spsync::sdk::Versions versions, Call& call) override {
    RequireEntity();
    reader_.reset();
    for (size_t i = 0; i < versions.size(); ++i) {
      const spsync_version* v = versions[i];
      if (v == nullptr || v->struct_size < sizeof(spsync_version)) {
        call.Reject(i, "malformed version (NULL or struct too small)");
        continue;
      }
      versions_ += "{\"id\":" + std::to_string(v->item_id) +
                   ",\"versionId\":" + std::to_string(v->version_id) + ",\"label\":";
      AppendJsonString(versions_, View(v->label));
      versions_ += ",\"modified\":";
      AppendJsonString(versions_, View(v->modified));
      versions_ += ",\"editor\":{\"id\":" + std::to_string(v->editor_id) + ",\"name\":";
      AppendJsonString(versions_, View(v->editor_name));
      versions_ += ",\"email\":";
      AppendJsonString(versions_, View(v->editor_email));
      versions_ += "}";
      AppendResolved(versions_, v->values, v->value_count);
      versions_ += ",\"item\":";
      std::string_view raw = View(v->raw_json);
      versions_ += raw.empty() ? std::string_view("null") : raw;
      versions_ += "}\n";
    }
  }

  // ---- Reading back (s3_read.hpp) ----

  bool ReadSchema(spsync::sdk::StoredSchema& out) override { return Reader().Schema(out); }
  void ReadItems(int64_t after_id, size_t max_count,
                 std::vector<spsync::sdk::StoredItem>& out) override {
    Reader().Items(after_id, max_count, out);
  }
  void ReadVersions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                    std::vector<spsync::sdk::StoredVersion>& out) override {
    Reader().Versions(after_item_id, after_version_id, max_count, out);
  }
  size_t ReadAttachment(int64_t item_id, std::string_view file_name, uint64_t offset, void* buffer,
                        size_t capacity) override {
    RequireEntity();
    return Attachments().Read(item_id, file_name, offset, buffer, capacity, committed_seq_);
  }

 private:
  std::string Base() const { return prefix_ + entity_ + "/"; }
  std::string StateKey() const { return Base() + "_state.json"; }
  std::string NextStateKey() const { return Base() + "_state.next.json"; }
  std::string DataPrefix() const { return Base() + "data/"; }
  std::string Ext() const { return gzip_ ? ".ndjson.gz" : ".ndjson"; }

  // What a reader that follows the state sees (the committed objects).
  spsync::s3::Reader& Reader() {
    RequireEntity();
    if (!reader_)
      reader_ = std::make_unique<spsync::s3::Reader>(*client_, Base(), committed_seq_,
                                                     committed_schema_key_);
    return *reader_;
  }

  // The resolved people and lookups of a record, by field name: they are
  // not in SharePoint's item JSON.
  void AppendResolved(std::string& out, const spsync_value* values, size_t count) const {
    if (resolved_.empty() || count != names_.size()) return;
    out += ",\"resolved\":{";
    for (size_t k = 0; k < resolved_.size(); ++k) {
      if (k > 0) out += ',';
      AppendJsonString(out, names_[resolved_[k]]);
      out += ':';
      AppendJsonValue(out, values[resolved_[k]]);
    }
    out += '}';
  }

  struct StateCopy {
    long long seq = 0;
    std::string schema_key;
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
      copy.schema_key = obj->optValue<std::string>("schemaKey", "");
      copy.state = Base64Decode(obj->optValue<std::string>("state", ""), key + ": state");
      return copy;
    } catch (const Poco::Exception& e) {
      *problem = client_->Url(key) + " is not a complete state file: " + e.displayText();
      return std::nullopt;
    }
  }

  void RequireEntity() const {
    if (entity_.empty()) throw Fatal("s3: load_state() or begin() must come first");
  }

  spsync::s3::AttachmentStore& Attachments() {
    RequireEntity();
    if (!attachments_)
      attachments_ = std::make_unique<spsync::s3::AttachmentStore>(
          *client_, Base(), static_cast<size_t>(multipart_bytes_), gzip_);
    return *attachments_;
  }

  // Writes a part once the buffer passes partBytes. If that fails, this
  // batch's records are taken back out of the buffer, so the host's retry of
  // the same call does not buffer them twice.
  void FlushIfFull(size_t mark) {
    if (static_cast<long long>(buffer_.size()) < part_bytes_) return;
    try {
      RequireEntity();
      WritePart(buffer_, DatedPartKey());
    } catch (...) {
      buffer_.resize(mark);
      throw;
    }
  }

  std::string DatedPartKey() const {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char name[96];
    std::snprintf(name, sizeof(name), "%04d/%02d/%02d/part-%08lld", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, next_seq_);
    return DataPrefix() + name + Ext();
  }

  // Uploads `records` as the part `key` (named with next_seq_). Only a
  // successful upload takes the sequence number: a failed one is retried
  // under the same number, overwriting whatever half-arrived.
  void WritePart(std::string& records, const std::string& key) {
    Upload(key, gzip_ ? Gzip(records) : records);
    ++next_seq_;
    records.clear();
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
  std::string buffer_;    // item records not yet in a part
  std::string versions_;  // version records not yet in a part
  std::string schema_json_;
  std::vector<std::string> names_;  // field names, in value order
  std::vector<size_t> resolved_;    // positions of resolved fields
  long long committed_seq_ = 0;
  long long next_seq_ = 1;
  std::string committed_schema_key_;
  std::string committed_schema_json_;
  bool attached_ = false;  // an attachment file was written in this transaction
  std::unique_ptr<spsync::s3::AttachmentStore> attachments_;
  std::unique_ptr<spsync::s3::Reader> reader_;
};

}  // namespace

SPSYNC_SINK_PLUGIN(S3Sink, "s3", "1.2.0", "S3-compatible object storage (NDJSON parts + state)",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_SNAPSHOT)
