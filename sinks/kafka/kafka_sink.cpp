// The Kafka sink: one record per item change, keyed "<list GUID>:<item ID>",
// plus one state record per entity in a compacted state topic.
//
// With transactionalId, the records of everything accepted since the last
// persist and the state record are one Kafka transaction: a read_committed
// consumer sees a page and the state that covers it together or not at all
// (transactional persist). Without it the producer is still idempotent (no
// duplicates from its own retries) but a crash between pages re-sends the
// page: at-least-once.
#include <librdkafka/rdkafka.h>
#include <spsync/sink.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
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

void LogCallback(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) {
  // syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug.
  spsync_log_level l = level <= 3   ? SPSYNC_LOG_ERROR
                       : level == 4 ? SPSYNC_LOG_WARN
                       : level <= 6 ? SPSYNC_LOG_INFO
                                    : SPSYNC_LOG_DEBUG;
  spsync::sdk::Log(l, std::string("kafka: ") + fac + ": " + buf);
}

// Deleters so every librdkafka object has one owner.
struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
template <typename T>
using KafkaPtr = std::unique_ptr<T, KafkaDeleter>;

// One record accepted since the last persist. Kept until the persist commits
// so a failed transaction can be re-sent whole.
struct Record {
  std::string topic;
  std::string key;
  std::optional<std::string> value;  // nullopt: tombstone
  const char* op;
};

void SetOrThrow(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                const std::string& option) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    throw Fatal("option '" + option + "': " + errstr);
  }
}

class KafkaSink : public spsync::sdk::Sink {
 public:
  explicit KafkaSink(const Config& config) {
    brokers_ = config.Require("brokers");
    topic_pattern_ = config.Get("topic", "spsync.{entity}");
    state_topic_ = config.Get("stateTopic", "spsync.state");
    transactional_id_ = config.Get("transactionalId");
    timeout_ms_ = static_cast<int>(config.GetInt("timeoutMs", 30000));
    if (topic_pattern_.empty()) throw Fatal("option 'topic' must not be empty");
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
        Option("transactionalId", SPSYNC_OPTION_STRING, false, nullptr,
               "enables transactions: each page and its state commit together"),
        Option("timeoutMs", SPSYNC_OPTION_INTEGER, false, "30000",
               "flush, transaction and state-read timeout"),
        Option("kafka.", SPSYNC_OPTION_PREFIX, false, nullptr,
               "any librdkafka property, passed as is (e.g. kafka.compression.type)"),
    };
    return options;
  }

  std::string LoadState(std::string_view entity) override {
    entity_ = std::string(entity);
    return ReadState();
  }

  void Begin(const Schema& schema) override {
    if (entity_.empty()) entity_ = std::string(schema.entity());
    list_id_ = std::string(schema.list_id());
    topic_ = ReplaceAll(ReplaceAll(topic_pattern_, "{entity}", entity_), "{list}", list_id_);
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
    KafkaPtr<rd_kafka_conf_t> conf(rd_kafka_conf_new());
    SetOrThrow(conf.get(), "bootstrap.servers", brokers_, "brokers");
    // Security and client settings apply to the reader too; producer-only
    // properties are refused or ignored by a consumer and do not matter here.
    for (const auto& [k, v] : passthrough_) {
      char errstr[512];
      rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), errstr, sizeof(errstr));
    }
    SetOrThrow(conf.get(), "group.id", "spsync-state-reader", "group.id");
    SetOrThrow(conf.get(), "isolation.level", "read_committed", "isolation.level");
    SetOrThrow(conf.get(), "enable.partition.eof", "true", "enable.partition.eof");
    SetOrThrow(conf.get(), "enable.auto.commit", "false", "enable.auto.commit");
    SetOrThrow(conf.get(), "auto.offset.reset", "earliest", "auto.offset.reset");
    // Producer-only keys among kafka.* would only produce warnings here.
    SetOrThrow(conf.get(), "log_level", "3", "log_level");
    rd_kafka_conf_set_log_cb(conf.get(), &LogCallback);
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr));
    if (rk == nullptr) throw Fatal(std::string("kafka: cannot create state reader: ") + errstr);
    conf.release();
    KafkaPtr<rd_kafka_t> consumer(rk);

    KafkaPtr<rd_kafka_topic_t> topic(rd_kafka_topic_new(rk, state_topic_.c_str(), nullptr));
    const rd_kafka_metadata_t* raw_md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, topic.get(), &raw_md, timeout_ms_);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw Retryable("kafka: reading metadata of '" + state_topic_ +
                      "' failed: " + rd_kafka_err2str(err));
    KafkaPtr<const rd_kafka_metadata_t> md(raw_md);
    if (md->topic_cnt < 1 || md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
      return {};  // no state topic yet: no state
    if (md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw Retryable("kafka: state topic '" + state_topic_ +
                      "': " + rd_kafka_err2str(md->topics[0].err));

    KafkaPtr<rd_kafka_topic_partition_list_t> assignment(
        rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt));
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
      const int32_t p = md->topics[0].partitions[i].id;
      int64_t low = 0, high = 0;
      err = rd_kafka_query_watermark_offsets(rk, state_topic_.c_str(), p, &low, &high, timeout_ms_);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw Retryable("kafka: watermarks of '" + state_topic_ + "' [" + std::to_string(p) +
                        "]: " + rd_kafka_err2str(err));
      if (high > low)
        rd_kafka_topic_partition_list_add(assignment.get(), state_topic_.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    if (assignment->cnt == 0) return {};
    err = rd_kafka_assign(rk, assignment.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw Retryable(std::string("kafka: assign state topic: ") + rd_kafka_err2str(err));

    int remaining = assignment->cnt;
    std::optional<std::string> value;
    bool found = false;
    int64_t best_ts = INT64_MIN;
    int32_t best_partition = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    while (remaining > 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        rd_kafka_consumer_close(rk);
        throw Retryable("kafka: reading state topic '" + state_topic_ + "' timed out");
      }
      KafkaPtr<rd_kafka_message_t> msg(rd_kafka_consumer_poll(rk, 100));
      if (!msg) continue;
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        --remaining;
        continue;
      }
      if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string text = rd_kafka_message_errstr(msg.get());
        rd_kafka_consumer_close(rk);
        throw Retryable("kafka: reading state topic '" + state_topic_ + "': " + text);
      }
      if (msg->key_len != entity_.size() ||
          std::string_view(static_cast<const char*>(msg->key), msg->key_len) != entity_)
        continue;
      // Within a partition, later offsets win; across partitions (only after
      // the topic was repartitioned) the later timestamp wins.
      const int64_t ts = rd_kafka_message_timestamp(msg.get(), nullptr);
      if (found && ts < best_ts && msg->partition != best_partition) continue;
      found = true;
      best_ts = ts;
      best_partition = msg->partition;
      if (msg->payload == nullptr)
        value.reset();
      else
        value = std::string(static_cast<const char*>(msg->payload), msg->len);
    }
    rd_kafka_consumer_close(rk);
    return value.value_or(std::string());
  }

  std::string brokers_;
  std::string topic_pattern_;
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

}  // namespace

SPSYNC_SINK_PLUGIN(KafkaSink, "kafka", "1.0.0",
                   "Apache Kafka (librdkafka), optionally transactional",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST)
