// The Kafka test peers: librdkafka's mock cluster (the real Kafka wire
// protocol on loopback), kafkajs reading topics (consume.mjs) and a
// read_committed librdkafka consumer.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sink_harness.hpp"

namespace spsync_kafka_test {

// A fresh mock cluster per test, so topics start empty.
class MockCluster {
 public:
  explicit MockCluster(int brokers = 1) {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk_ == nullptr) throw std::runtime_error(errstr);
    mc_ = rd_kafka_mock_cluster_new(rk_, brokers);
    if (mc_ == nullptr) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(mc_);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  const std::string& bootstraps() const { return bootstraps_; }
  rd_kafka_mock_cluster_t* get() { return mc_; }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
  std::string bootstraps_;
};

struct Rec {
  std::string topic;
  int partition = 0;
  int64_t offset = 0;
  std::string key;
  std::optional<std::string> value;
  std::map<std::string, std::string> headers;
};

// Every record of `topics` as kafkajs sees it.
inline std::vector<Rec> ConsumeWithKafkajs(const std::string& brokers, const std::string& topics) {
  auto r = spsync_test::Run(
      {SPSYNC_NODE, std::string(SPSYNC_TESTS_DIR) + "/kafka/consume.mjs", brokers, topics});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  std::vector<Rec> out;
  std::istringstream in(r.out);
  std::string line;
  bool done = false;
  while (std::getline(in, line)) {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
    if (obj->has("done")) {
      done = true;
      EXPECT_EQ(obj->getArray("unfinished")->size(), 0u) << line;
      continue;
    }
    Rec rec;
    rec.topic = obj->getValue<std::string>("topic");
    rec.partition = obj->getValue<int>("partition");
    rec.offset = obj->getValue<int64_t>("offset");
    rec.key = obj->getValue<std::string>("key");
    if (!obj->isNull("value")) rec.value = obj->getValue<std::string>("value");
    auto headers = obj->getObject("headers");
    for (const auto& name : headers->getNames())
      rec.headers[name] = headers->getValue<std::string>(name);
    out.push_back(std::move(rec));
  }
  EXPECT_TRUE(done) << "consume.mjs did not finish: " << r.out;
  return out;
}

// Every record of `topic` a read_committed librdkafka consumer receives,
// read to the end of each partition.
inline std::vector<Rec> ConsumeReadCommitted(const std::string& brokers, const std::string& topic) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "group.id", "spsync-test-rc", errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "isolation.level", "read_committed", errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  EXPECT_NE(rk, nullptr) << errstr;
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  EXPECT_EQ(rd_kafka_metadata(rk, 0, t, &md, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(8);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i)
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), md->topics[0].partitions[i].id)
        ->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  rd_kafka_assign(rk, parts);
  int remaining = parts->cnt;
  rd_kafka_topic_partition_list_destroy(parts);
  std::vector<Rec> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (remaining > 0 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      --remaining;
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Rec rec;
      rec.topic = topic;
      rec.partition = m->partition;
      rec.offset = m->offset;
      rec.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr)
        rec.value = std::string(static_cast<const char*>(m->payload), m->len);
      out.push_back(std::move(rec));
    } else {
      ADD_FAILURE() << rd_kafka_message_errstr(m);
    }
    rd_kafka_message_destroy(m);
  }
  EXPECT_EQ(remaining, 0) << "read_committed consumer did not reach the end of " << topic;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// The last record per key (one key lives in one partition, so offset order
// is the order the producer wrote).
inline std::map<std::string, Rec> LatestByKey(const std::vector<Rec>& records,
                                              const std::string& topic) {
  std::map<std::string, Rec> latest;
  for (const auto& r : records) {
    if (r.topic != topic) continue;
    auto it = latest.find(r.key);
    if (it == latest.end() || it->second.offset < r.offset) latest[r.key] = r;
  }
  return latest;
}

}  // namespace spsync_kafka_test
