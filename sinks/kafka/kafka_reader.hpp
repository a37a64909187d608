// Reading a Kafka topic to its end with a read_committed consumer: how the
// Kafka sink finds its last committed state record and, for attachments,
// what its attachment records say. Every partition is read from the
// beginning to the high watermark taken at start, so records produced in an
// unfinished or aborted transaction are never seen.
//
// Thread safety: one call at a time per thread; nothing is shared.
#ifndef SPSYNC_SINKS_KAFKA_KAFKA_READER_HPP_
#define SPSYNC_SINKS_KAFKA_KAFKA_READER_HPP_

#include <librdkafka/rdkafka.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace spsync::kafka {

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

// librdkafka's log lines, through the host's log service.
void LogCallback(const rd_kafka_t* rk, int level, const char* fac, const char* buf);

// Sets `key` or throws Fatal naming `option`.
void SetOrThrow(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                const std::string& option);

// Calls `fn` for every committed record of `topic`, in offset order within
// each partition. A topic that does not exist has no records. Throws
// Retryable on timeouts and broker errors. `passthrough` are the sink's
// kafka.* properties (security and client settings apply to the reader too).
void ScanTopic(const std::string& brokers, const std::map<std::string, std::string>& passthrough,
               const std::string& topic, int timeout_ms,
               const std::function<void(const rd_kafka_message_t&)>& fn);

}  // namespace spsync::kafka

#endif  // SPSYNC_SINKS_KAFKA_KAFKA_READER_HPP_
