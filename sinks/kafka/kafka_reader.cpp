#include "kafka_reader.hpp"

#include <spsync/sink.hpp>

#include <chrono>

namespace spsync::kafka {

using spsync::sdk::Fatal;
using spsync::sdk::Retryable;

void LogCallback(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) {
  // syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug.
  spsync_log_level l = level <= 3   ? SPSYNC_LOG_ERROR
                       : level == 4 ? SPSYNC_LOG_WARN
                       : level <= 6 ? SPSYNC_LOG_INFO
                                    : SPSYNC_LOG_DEBUG;
  spsync::sdk::Log(l, std::string("kafka: ") + fac + ": " + buf);
}

void SetOrThrow(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                const std::string& option) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    throw Fatal("option '" + option + "': " + errstr);
  }
}

void ScanTopic(const std::string& brokers, const std::map<std::string, std::string>& passthrough,
               const std::string& topic_name, int timeout_ms,
               const std::function<void(const rd_kafka_message_t&)>& fn) {
  KafkaPtr<rd_kafka_conf_t> conf(rd_kafka_conf_new());
  SetOrThrow(conf.get(), "bootstrap.servers", brokers, "brokers");
  // Security and client settings apply to the reader too; producer-only
  // properties are refused or ignored by a consumer and do not matter here.
  for (const auto& [k, v] : passthrough) {
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
  if (rk == nullptr) throw Fatal(std::string("kafka: cannot create a reader: ") + errstr);
  conf.release();
  KafkaPtr<rd_kafka_t> consumer(rk);

  KafkaPtr<rd_kafka_topic_t> topic(rd_kafka_topic_new(rk, topic_name.c_str(), nullptr));
  const rd_kafka_metadata_t* raw_md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, topic.get(), &raw_md, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw Retryable("kafka: reading metadata of '" + topic_name +
                    "' failed: " + rd_kafka_err2str(err));
  KafkaPtr<const rd_kafka_metadata_t> md(raw_md);
  if (md->topic_cnt < 1 || md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    return;  // no such topic yet: no records
  if (md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw Retryable("kafka: topic '" + topic_name + "': " + rd_kafka_err2str(md->topics[0].err));

  KafkaPtr<rd_kafka_topic_partition_list_t> assignment(
      rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt));
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    const int32_t p = md->topics[0].partitions[i].id;
    int64_t low = 0, high = 0;
    err = rd_kafka_query_watermark_offsets(rk, topic_name.c_str(), p, &low, &high, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw Retryable("kafka: watermarks of '" + topic_name + "' [" + std::to_string(p) +
                      "]: " + rd_kafka_err2str(err));
    if (high > low)
      rd_kafka_topic_partition_list_add(assignment.get(), topic_name.c_str(), p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
  }
  if (assignment->cnt == 0) return;
  err = rd_kafka_assign(rk, assignment.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw Retryable("kafka: assign '" + topic_name + "': " + rd_kafka_err2str(err));

  int remaining = assignment->cnt;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (remaining > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      rd_kafka_consumer_close(rk);
      throw Retryable("kafka: reading topic '" + topic_name + "' timed out");
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
      throw Retryable("kafka: reading topic '" + topic_name + "': " + text);
    }
    fn(*msg);
  }
  rd_kafka_consumer_close(rk);
}

}  // namespace spsync::kafka
