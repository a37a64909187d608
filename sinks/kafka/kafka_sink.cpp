// The Kafka sink: one record per item change, keyed "<list GUID>:<item ID>",
// plus one state record per entity in a compacted state topic. Versions go
// to a versions topic, and attachments are described (not carried) by
// records on an attachments topic: name, size, SHA-256, etag and where the
// bytes live (SharePoint's URL); the bytes themselves are only counted.
//
// With transactionalId, the records of everything accepted since the last
// persist and the state record are one Kafka transaction: a read_committed
// consumer sees a page and the state that covers it together or not at all
// (transactional persist). Without it the producer is still idempotent (no
// duplicates from its own retries) but a crash between pages re-sends the
// page: at-least-once, and the instance does not claim
// SPSYNC_CAP_TRANSACTIONAL_PERSIST (its Capabilities()).
#include <librdkafka/rdkafka.h>
#include <spsync/sink.hpp>

#include "kafka_reader.hpp"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using spsync::sdk::AppendJsonString;
using spsync::sdk::Call;
using spsync::sdk::Config;
using spsync::sdk::Fatal;
using spsync::sdk::Ids;
using spsync::sdk::Items;
using spsync::sdk::Retryable;
using spsync::sdk::Schema;
using spsync::sdk::View;

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

using spsync::kafka::KafkaPtr;
using spsync::kafka::LogCallback;
using spsync::kafka::SetOrThrow;

// One record accepted since the last persist. Kept until the persist commits
// so a failed transaction can be re-sent whole.
struct Record {
  std::string topic;
  std::string key;
  std::optional<std::string> value;  // nullopt: tombstone
  const char* op;
};

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

class KafkaSink : public spsync::sdk::Sink {
 public:
  explicit KafkaSink(const Config& config) {
    brokers_ = config.Require("brokers");
    topic_pattern_ = config.Get("topic", "spsync.{entity}");
    attachments_pattern_ = config.Get("attachmentsTopic", "spsync.{entity}.attachments");
    versions_pattern_ = config.Get("versionsTopic", "spsync.{entity}.versions");
    state_topic_ = config.Get("stateTopic", "spsync.state");
    transactional_id_ = config.Get("transactionalId");
    timeout_ms_ = static_cast<int>(config.GetInt("timeoutMs", 30000));
    if (topic_pattern_.empty()) throw Fatal("option 'topic' must not be empty");
    if (attachments_pattern_.empty()) throw Fatal("option 'attachmentsTopic' must not be empty");
    if (versions_pattern_.empty()) throw Fatal("option 'versionsTopic' must not be empty");
    if (state_topic_.empty()) throw Fatal("option 'stateTopic' must not be empty");
    passthrough_ = config.WithPrefix("kafka.");

    KafkaPtr<rd_kafka_conf_t> conf(rd_kafka_conf_new());
    SetOrThrow(conf.get(), "bootstrap.servers", brokers_, "brokers");
    for (const auto& [k, v] : passthrough_) SetOrThrow(conf.get(), k, v, "kafka." + k);
    // The sink's guarantees rest on idempotence: it is not a knob.
    auto it = passthrough_.find("enable.idempotence");
    if (it != passthrough_.end() && it->second != "true")
      throw Fatal("option 'kafka.enable.idempotence' cannot be disabled: the sink relies on it");
    SetOrThrow(conf.get(), "enable.idempotence", "true", "kafka.enable.idempotence");
    if (!transactional_id_.empty())
      SetOrThrow(conf.get(), "transactional.id", transactional_id_, "transactionalId");
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaSink::DeliveryReport);
    rd_kafka_conf_set_log_cb(conf.get(), &LogCallback);

    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
    if (rk == nullptr) throw Fatal(std::string("kafka: cannot create producer: ") + errstr);
    conf.release();  // owned by rk from here on
    producer_.reset(rk);

    if (transactional()) {
      // Also fences any earlier producer with the same transactional.id and
      // aborts its open transaction: the crashed session's half page.
      Check(rd_kafka_init_transactions(producer_.get(), timeout_ms_), "init_transactions");
    }
  }

  ~KafkaSink() override {
    if (!producer_) return;
    if (transactional()) {
      // Anything not persisted may be discarded (sink.h): abort rather than
      // leave the transaction to time out on the broker.
      if (in_transaction_)
        if (rd_kafka_error_t* e = rd_kafka_abort_transaction(producer_.get(), timeout_ms_))
          rd_kafka_error_destroy(e);
    } else {
      rd_kafka_flush(producer_.get(), timeout_ms_);
    }
  }

  static const std::vector<spsync_option>& Options() {
    using spsync::sdk::Option;
    static const std::vector<spsync_option> options = {
        Option("brokers", SPSYNC_OPTION_STRING, true, nullptr,
               "bootstrap brokers, host:port[,host:port...]"),
        Option("topic", SPSYNC_OPTION_STRING, false, "spsync.{entity}",
               "data topic; {entity} and {list} (the list GUID) are replaced"),
        Option("stateTopic", SPSYNC_OPTION_STRING, false, "spsync.state",
               "compacted topic holding one state record per entity"),
        Option("attachmentsTopic", SPSYNC_OPTION_STRING, false, "spsync.{entity}.attachments",
               "topic of the records describing attachments ({entity}, {list} replaced)"),
        Option("versionsTopic", SPSYNC_OPTION_STRING, false, "spsync.{entity}.versions",
               "topic of the item version records ({entity}, {list} replaced)"),
        Option("transactionalId", SPSYNC_OPTION_STRING, false, nullptr,
               "enables transactions: each page and its state commit together"),
        Option("timeoutMs", SPSYNC_OPTION_INTEGER, false, "30000",
               "flush, transaction and state-read timeout"),
        Option("kafka.", SPSYNC_OPTION_PREFIX, false, nullptr,
               "any librdkafka property, passed as is (e.g. kafka.compression.type)"),
    };
    return options;
  }

  // Transactional only with a transactional id (sink ABI 1.2).
  uint64_t Capabilities(uint64_t plugin) const override {
    return transactional() ? plugin : plugin & ~SPSYNC_CAP_TRANSACTIONAL_PERSIST;
  }

  std::string LoadState(std::string_view entity) override {
    entity_ = std::string(entity);
    index_loaded_ = false;
    index_.clear();
    return ReadState();
  }

  void Begin(const Schema& schema) override {
    if (entity_.empty()) entity_ = std::string(schema.entity());
    list_id_ = std::string(schema.list_id());
    auto name = [&](const std::string& pattern) {
      return ReplaceAll(ReplaceAll(pattern, "{entity}", entity_), "{list}", list_id_);
    };
    topic_ = name(topic_pattern_);
    attachments_topic_ = name(attachments_pattern_);
    versions_topic_ = name(versions_pattern_);
    names_.clear();
    resolved_.clear();
    for (size_t i = 0; i < schema.size(); ++i) {
      names_.emplace_back(View(schema.field(i).name));
      if (spsync::sdk::FieldRole(schema.field(i)) != SPSYNC_FIELD_PLAIN) resolved_.push_back(i);
    }
  }

  void Upsert(Items items, Call& /*call*/) override {
    RequireBegin();
    const size_t mark = pending_.size();
    try {
      for (const spsync_item* item : items) {
        Record r{topic_, Key(item->id), std::string(), "upsert"};
        std::string& v = *r.value;
        v.reserve(item->raw_json.len + 160);
        v += "{\"op\":\"upsert\",\"entity\":";
        AppendJsonString(v, entity_);
        v += ",\"list\":";
        AppendJsonString(v, list_id_);
        v += ",\"id\":" + std::to_string(item->id) + ",\"modified\":";
        AppendJsonString(v, View(item->modified));
        v += ",\"version\":";
        AppendJsonString(v, View(item->version));
        AppendResolved(v, item->values, item->value_count);
        v += ",\"item\":";
        std::string_view raw = View(item->raw_json);
        v += raw.empty() ? std::string_view("null") : raw;
        v += "}";
        pending_.push_back(std::move(r));
        Produce(pending_.back());
      }
    } catch (...) {
      Unwind(mark);
      throw;
    }
    rd_kafka_poll(producer_.get(), 0);
  }

  void Delete(Ids ids, Call& /*call*/) override {
    RequireBegin();
    const size_t mark = pending_.size();
    try {
      for (int64_t id : ids) {
        pending_.push_back(Record{topic_, Key(id), std::nullopt, "delete"});
        Produce(pending_.back());
        // A deleted item has no attachments: their records are tombstoned.
        DeleteAttachments(id, std::string_view());
      }
    } catch (...) {
      Unwind(mark);
      throw;
    }
    rd_kafka_poll(producer_.get(), 0);
  }

  // ---- Attachments: described, not carried ----

  void AttachmentBegin(const spsync::sdk::Attachment& a) override {
    RequireBegin();
    if (open_) throw Fatal("kafka: an attachment is already open");
    LoadIndex();
    open_ = true;
    open_bytes_ = 0;
    (void)a;
  }
  // The bytes stay in SharePoint: only their count is checked at commit.
  void AttachmentWrite(std::string_view bytes) override { open_bytes_ += bytes.size(); }
  void AttachmentCommit(const spsync::sdk::Attachment& a) override {
    if (!open_) throw Fatal("kafka: attachment_commit without attachment_begin");
    if (a.size() < 0 || static_cast<uint64_t>(a.size()) != open_bytes_)
      throw Fatal("kafka: attachment '" + std::string(a.file_name()) + "' committed with size " +
                  std::to_string(a.size()) + " after " + std::to_string(open_bytes_) + " bytes");
    Record r{attachments_topic_, AttachmentKey(a.item_id(), a.file_name()), std::string(),
             "attachment"};
    std::string& v = *r.value;
    v += "{\"op\":\"attachment\",\"entity\":";
    AppendJsonString(v, entity_);
    v += ",\"list\":";
    AppendJsonString(v, list_id_);
    v += ",\"id\":" + std::to_string(a.item_id()) + ",\"name\":";
    AppendJsonString(v, a.file_name());
    v += ",\"size\":" + std::to_string(a.size()) + ",\"sha256\":";
    AppendJsonString(v, a.sha256());
    v += ",\"etag\":";
    AppendJsonString(v, a.etag());
    v += ",\"modified\":";
    AppendJsonString(v, a.modified());
    v += ",\"modifiedUnix\":" + std::to_string(a.modified_unix()) + ",\"location\":";
    // Where the bytes live: SharePoint, at this URL (or unknown).
    if (a.url().empty())
      v += "null";
    else
      AppendJsonString(v, a.url());
    v += "}";
    const size_t mark = pending_.size();
    try {
      pending_.push_back(std::move(r));
      Produce(pending_.back());
    } catch (...) {
      Unwind(mark);
      throw;
    }
    index_[{a.item_id(), std::string(a.file_name())}] = spsync::sdk::AttachmentInfo::From(a);
    open_ = false;
  }
  void AttachmentAbort() override { open_ = false; }
  void AttachmentDelete(int64_t item_id, std::string_view file_name) override {
    RequireBegin();
    const size_t mark = pending_.size();
    try {
      DeleteAttachments(item_id, file_name);
    } catch (...) {
      Unwind(mark);
      throw;
    }
  }
  void ListAttachments(Ids item_ids, std::vector<spsync::sdk::AttachmentInfo>& out) override {
    RequireBegin();
    LoadIndex();
    for (int64_t id : item_ids)
      for (auto it = index_.lower_bound({id, std::string()});
           it != index_.end() && it->first.first == id; ++it)
        out.push_back(it->second);
  }

  // ---- Versions ----

  void WriteVersions(spsync::sdk::Versions versions, Call& call) override {
    RequireBegin();
    const size_t mark = pending_.size();
    try {
      for (size_t i = 0; i < versions.size(); ++i) {
        const spsync_version* ver = versions[i];
        if (ver == nullptr || ver->struct_size < sizeof(spsync_version)) {
          call.Reject(i, "malformed version (NULL or struct too small)");
          continue;
        }
        Record r{versions_topic_, Key(ver->item_id) + ":" + std::to_string(ver->version_id),
                 std::string(), "version"};
        std::string& v = *r.value;
        v += "{\"op\":\"version\",\"entity\":";
        AppendJsonString(v, entity_);
        v += ",\"list\":";
        AppendJsonString(v, list_id_);
        v += ",\"id\":" + std::to_string(ver->item_id) +
             ",\"versionId\":" + std::to_string(ver->version_id) + ",\"label\":";
        AppendJsonString(v, View(ver->label));
        v += ",\"modified\":";
        AppendJsonString(v, View(ver->modified));
        v += ",\"editor\":{\"id\":" + std::to_string(ver->editor_id) + ",\"name\":";
        AppendJsonString(v, View(ver->editor_name));
        v += ",\"email\":";
        AppendJsonString(v, View(ver->editor_email));
        v += "}";
        AppendResolved(v, ver->values, ver->value_count);
        v += ",\"item\":";
        std::string_view raw = View(ver->raw_json);
        v += raw.empty() ? std::string_view("null") : raw;
        v += "}";
        pending_.push_back(std::move(r));
        Produce(pending_.back());
      }
    } catch (...) {
      Unwind(mark);
      throw;
    }
    rd_kafka_poll(producer_.get(), 0);
  }

  void Persist(std::string_view state) override {
    if (entity_.empty()) throw Fatal("kafka: load_state() or begin() must come first");
    Record state_record{state_topic_, entity_, std::nullopt, "state"};
    // An empty state forgets it: a tombstone, which compaction then drops.
    if (!state.empty()) state_record.value = std::string(state);

    if (transactional()) {
      if (!commit_retry_) {
        if (resend_) {
          for (const auto& r : pending_) Produce(r);
          resend_ = false;
        }
        Produce(state_record);
      }
      // commit_transaction flushes every message of the transaction first.
      rd_kafka_error_t* error = rd_kafka_commit_transaction(producer_.get(), timeout_ms_);
      if (error != nullptr) {
        commit_retry_ = rd_kafka_error_is_retriable(error) != 0;
        Check(error, "commit_transaction");
      }
      commit_retry_ = false;
      in_transaction_ = false;
    } else {
      if (resend_) {
        for (const auto& r : pending_) Produce(r);
        resend_ = false;
      }
      // Data first, state after: a state record never gets ahead of the
      // records it covers.
      FlushAndCheck();
      Produce(state_record);
      FlushAndCheck();
    }
    pending_.clear();
  }

  void Check(Call& /*call*/) override {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(producer_.get(), 0, nullptr, &md, timeout_ms_);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw Retryable(std::string("kafka: brokers unreachable: ") + rd_kafka_err2str(err));
    rd_kafka_metadata_destroy(md);
  }

 private:
  bool transactional() const { return !transactional_id_.empty(); }

  std::string Key(int64_t id) const { return list_id_ + ":" + std::to_string(id); }
  std::string AttachmentKey(int64_t id, std::string_view name) const {
    return Key(id) + ":" + std::string(name);
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

  // What the attachments topic says this entity holds (read once per
  // binding, then kept up to date by this instance's own records).
  void LoadIndex() {
    if (index_loaded_) return;
    index_.clear();
    const std::string prefix = list_id_ + ":";
    spsync::kafka::ScanTopic(
        brokers_, passthrough_, attachments_topic_, timeout_ms_, [&](const rd_kafka_message_t& m) {
          std::string_view key(static_cast<const char*>(m.key), m.key_len);
          if (key.substr(0, prefix.size()) != prefix) return;
          size_t colon = key.find(':', prefix.size());
          if (colon == std::string_view::npos) return;
          int64_t id = std::stoll(std::string(key.substr(prefix.size(), colon - prefix.size())));
          std::pair<int64_t, std::string> k{id, std::string(key.substr(colon + 1))};
          if (m.payload == nullptr) {
            index_.erase(k);
            return;
          }
          index_[k] = ParseAttachmentRecord(
              std::string_view(static_cast<const char*>(m.payload), m.len), id, k.second);
        });
    index_loaded_ = true;
  }

  // Tombstones for one attachment, or all of an item's.
  void DeleteAttachments(int64_t item_id, std::string_view file_name) {
    LoadIndex();
    auto it = index_.lower_bound({item_id, std::string(file_name)});
    while (it != index_.end() && it->first.first == item_id &&
           (file_name.empty() || it->first.second == file_name)) {
      pending_.push_back(Record{attachments_topic_, AttachmentKey(item_id, it->first.second),
                                std::nullopt, "attachment-delete"});
      Produce(pending_.back());
      it = index_.erase(it);
    }
  }

  static spsync::sdk::AttachmentInfo ParseAttachmentRecord(std::string_view json, int64_t id,
                                                           const std::string& name);

  void RequireBegin() const {
    if (topic_.empty()) throw Fatal("kafka: begin() must come before upsert/delete");
  }

  // A batch that failed half way: within a transaction the records already
  // handed to librdkafka cannot be taken back, so the whole transaction is
  // re-sent at persist; without one, re-sending only duplicates records
  // (at-least-once). Either way the host's retry of this call re-adds the
  // batch, so its records leave `pending_`.
  void Unwind(size_t mark) {
    pending_.resize(mark);
    if (transactional() && in_transaction_) {
      if (rd_kafka_error_t* e = rd_kafka_abort_transaction(producer_.get(), timeout_ms_))
        rd_kafka_error_destroy(e);
      in_transaction_ = false;
      resend_ = true;
    }
  }

  void Produce(const Record& r) {
    if (transactional() && !in_transaction_) {
      Check(rd_kafka_begin_transaction(producer_.get()), "begin_transaction");
      in_transaction_ = true;
    }
    // The macros below cast their arguments textually: pass plain names.
    void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
    const size_t value_len = r.value ? r.value->size() : 0;
    for (;;) {
      rd_kafka_headers_t* headers = rd_kafka_headers_new(1);
      rd_kafka_header_add(headers, "spsync-op", -1, r.op, -1);
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_.get(), RD_KAFKA_V_TOPIC(r.topic.c_str()),
          RD_KAFKA_V_KEY(r.key.data(), r.key.size()), RD_KAFKA_V_VALUE(value, value_len),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;  // headers now owned by the message
      rd_kafka_headers_destroy(headers);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        // Back-pressure: serve delivery reports until the queue drains.
        rd_kafka_poll(producer_.get(), 100);
        continue;
      }
      std::string text = "kafka: produce to '" + r.topic + "' failed: " + rd_kafka_err2str(err);
      if (err == RD_KAFKA_RESP_ERR__FATAL) throw Fatal(text + ": " + FatalText());
      if (err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
          err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__STATE)
        throw Retryable(text);
      throw Fatal(text);
    }
  }

  std::string FatalText() {
    char buf[512];
    rd_kafka_resp_err_t err = rd_kafka_fatal_error(producer_.get(), buf, sizeof(buf));
    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? std::string("fatal error") : std::string(buf);
  }

  // Turns a librdkafka error object into the SDK's statuses; a transaction
  // that must be aborted is aborted here, and its records re-sent at the
  // next persist.
  void Check(rd_kafka_error_t* raw, const char* what) {
    if (raw == nullptr) return;
    KafkaPtr<rd_kafka_error_t> error(raw);
    std::string text = std::string("kafka: ") + what + ": " + rd_kafka_error_string(raw);
    if (rd_kafka_error_is_fatal(raw)) throw Fatal(text);
    if (rd_kafka_error_txn_requires_abort(raw)) {
      if (rd_kafka_error_t* e = rd_kafka_abort_transaction(producer_.get(), timeout_ms_)) {
        std::string abort_text = rd_kafka_error_string(e);
        bool fatal = rd_kafka_error_is_fatal(e);
        rd_kafka_error_destroy(e);
        if (fatal) throw Fatal(text + "; abort_transaction: " + abort_text);
      }
      in_transaction_ = false;
      commit_retry_ = false;
      resend_ = true;
      throw Retryable(text + " (transaction aborted; it is re-sent on retry)");
    }
    if (rd_kafka_error_is_retriable(raw)) throw Retryable(text);
    throw Fatal(text);
  }

  void FlushAndCheck() {
    rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), timeout_ms_);
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
      resend_ = true;
      throw Retryable("kafka: flush timed out after " + std::to_string(timeout_ms_) + " ms with " +
                      std::to_string(rd_kafka_outq_len(producer_.get())) +
                      " message(s) undelivered");
    }
    if (delivery_failed_) {
      delivery_failed_ = false;
      std::string text = "kafka: delivery failed: " + delivery_error_;
      if (delivery_fatal_ || rd_kafka_fatal_error(producer_.get(), nullptr, 0))
        throw Fatal(text + ": " + FatalText());
      resend_ = true;
      throw Retryable(text);
    }
  }

  static void DeliveryReport(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* opaque) {
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    auto* self = static_cast<KafkaSink*>(opaque);
    // Called from rd_kafka_poll/flush on the calling thread: no locking.
    if (!self->delivery_failed_) {
      self->delivery_failed_ = true;
      self->delivery_error_ =
          std::string(rd_kafka_topic_name(msg->rkt)) + ": " + rd_kafka_err2str(msg->err);
    }
    if (msg->err == RD_KAFKA_RESP_ERR__FATAL) self->delivery_fatal_ = true;
  }

  // The last committed state record for entity_: every partition of the
  // state topic read to its end with a read_committed consumer, so a state
  // produced in an unfinished or aborted transaction is never returned.
  std::string ReadState() {
    std::optional<std::string> value;
    bool found = false;
    int64_t best_ts = INT64_MIN;
    int32_t best_partition = -1;
    spsync::kafka::ScanTopic(
        brokers_, passthrough_, state_topic_, timeout_ms_, [&](const rd_kafka_message_t& m) {
          if (m.key_len != entity_.size() ||
              std::string_view(static_cast<const char*>(m.key), m.key_len) != entity_)
            return;
          // Within a partition, later offsets win; across partitions (only
          // after the topic was repartitioned) the later timestamp wins.
          const int64_t ts = rd_kafka_message_timestamp(&m, nullptr);
          if (found && ts < best_ts && m.partition != best_partition) return;
          found = true;
          best_ts = ts;
          best_partition = m.partition;
          if (m.payload == nullptr)
            value.reset();
          else
            value = std::string(static_cast<const char*>(m.payload), m.len);
        });
    return value.value_or(std::string());
  }

  std::string brokers_;
  std::string topic_pattern_;
  std::string attachments_pattern_;
  std::string versions_pattern_;
  std::string attachments_topic_;
  std::string versions_topic_;
  std::vector<std::string> names_;  // field names, in value order
  std::vector<size_t> resolved_;    // positions of resolved fields
  bool index_loaded_ = false;
  std::map<std::pair<int64_t, std::string>, spsync::sdk::AttachmentInfo> index_;
  bool open_ = false;
  uint64_t open_bytes_ = 0;
  std::string state_topic_;
  std::string transactional_id_;
  int timeout_ms_ = 30000;
  std::map<std::string, std::string> passthrough_;
  KafkaPtr<rd_kafka_t> producer_;

  std::string entity_;
  std::string list_id_;
  std::string topic_;
  std::vector<Record> pending_;
  bool in_transaction_ = false;
  bool resend_ = false;
  bool commit_retry_ = false;
  bool delivery_failed_ = false;
  bool delivery_fatal_ = false;
  std::string delivery_error_;
};

// An attachment record (see AttachmentCommit), read back with a small
// scan: the fields are flat strings and integers written by this sink.
spsync::sdk::AttachmentInfo KafkaSink::ParseAttachmentRecord(std::string_view json, int64_t id,
                                                             const std::string& name) {
  spsync::sdk::AttachmentInfo info;
  info.item_id = id;
  info.file_name = name;
  auto field = [&](std::string_view key) -> std::string_view {
    std::string pattern = "\"";
    pattern.append(key).append("\":");
    size_t at = json.find(pattern);
    if (at == std::string_view::npos) return {};
    return json.substr(at + pattern.size());
  };
  auto text = [&](std::string_view key) {
    std::string_view rest = field(key);
    std::string out;
    if (rest.empty() || rest[0] != '"') return out;
    for (size_t i = 1; i < rest.size() && rest[i] != '"'; ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size()) {
        char e = rest[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        continue;
      }
      out += rest[i];
    }
    return out;
  };
  auto number = [&](std::string_view key) {
    std::string_view rest = field(key);
    int64_t v = 0;
    std::from_chars(rest.data(), rest.data() + rest.size(), v);
    return v;
  };
  info.size = number("size");
  info.sha256 = text("sha256");
  info.etag = text("etag");
  info.modified = text("modified");
  info.modified_unix = number("modifiedUnix");
  info.url = text("location");
  return info;
}

}  // namespace

SPSYNC_SINK_PLUGIN(KafkaSink, "kafka", "1.2.0",
                   "Apache Kafka (librdkafka), optionally transactional",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST)
