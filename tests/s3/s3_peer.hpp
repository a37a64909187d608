// s3rver (a real S3 HTTP server on loopback) for one test, and the bucket
// as @aws-sdk/client-s3 reads it back (read_bucket.mjs), sorted into what the
// S3 sink writes: data parts, state copies, snapshot, schema objects,
// versions parts, attachment log parts and attachment files.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../kafka/sink_harness.hpp"

namespace spsync_s3_test {

using Poco::JSON::Array;
using Poco::JSON::Object;
using spsync_test::Child;

inline const char* kBucket = "spsync-test";

// s3rver in a temporary directory, for one test.
class S3rver {
 public:
  S3rver() {
    char tmpl[] = "/tmp/spsync-s3rver-XXXXXX";
    dir_ = mkdtemp(tmpl);
    child_ = std::make_unique<Child>(std::vector<std::string>{
        SPSYNC_NODE, "--openssl-legacy-provider",
        std::string(SPSYNC_TESTS_DIR) + "/s3/start_s3rver.mjs", dir_, kBucket});
    std::string line = child_->ReadLine(20000);
    Poco::JSON::Parser parser;
    port_ = parser.parse(line).extract<Object::Ptr>()->getValue<int>("port");
    endpoint_ = "http://127.0.0.1:" + std::to_string(port_);
  }
  ~S3rver() {
    child_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& endpoint() const { return endpoint_; }
  std::map<std::string, std::string> Config(std::map<std::string, std::string> extra = {}) const {
    std::map<std::string, std::string> c = {{"endpoint", endpoint_},
                                            {"bucket", kBucket},
                                            {"prefix", "exports/sp/"},
                                            {"accessKeyId", "S3RVER"},
                                            {"secretAccessKey", "S3RVER"}};
    for (auto& [k, v] : extra) c[k] = v;
    return c;
  }
  // Every object under the prefix, as @aws-sdk/client-s3 reads it.
  Array::Ptr Objects(const std::string& prefix = "exports/sp/") const {
    // --no-warnings: the AWS SDK's Node-version notice is noise in test logs.
    auto r = spsync_test::Run({SPSYNC_NODE, "--no-warnings", "--openssl-legacy-provider",
                               std::string(SPSYNC_TESTS_DIR) + "/s3/read_bucket.mjs", endpoint_,
                               kBucket, prefix});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    Poco::JSON::Parser parser;
    return parser.parse(r.out).extract<Object::Ptr>()->getArray("objects");
  }

 private:
  std::string dir_;
  std::unique_ptr<Child> child_;
  int port_ = 0;
  std::string endpoint_;
};

struct Bucket {
  std::vector<std::pair<long long, Object::Ptr>> parts;  // by seq
  Object::Ptr state;
  Object::Ptr snapshot;
  std::vector<std::string> other_keys;
  Poco::JSON::Object::Ptr next_state;
  // Sink ABI 1.2 objects, each with the seq in its key.
  std::vector<std::pair<long long, Object::Ptr>> schemas;          // schema/<seq>.json
  std::vector<std::pair<long long, Object::Ptr>> version_parts;    // versions/part-<seq>
  std::vector<std::pair<long long, Object::Ptr>> attachment_logs;  // attachments/log/part-<seq>
  std::map<std::string, Object::Ptr> files;                        // attachments/files/... by key
};

// The number after `head` in `key`, or -1.
inline long long SeqAfter(const std::string& key, const std::string& head) {
  if (key.compare(0, head.size(), head) != 0) return -1;
  size_t i = head.size();
  long long seq = 0;
  for (; i < key.size() && std::isdigit(static_cast<unsigned char>(key[i])); ++i)
    seq = seq * 10 + (key[i] - '0');
  return i == head.size() ? -1 : seq;
}

// "exports/sp/<entity>/data/yyyy/mm/dd/part-<8 digits>.ndjson[.gz]" -> seq,
// or -1 if the key does not have exactly that shape. (Checked by hand:
// std::regex trips GCC 12 warnings under the sanitizer build.)
inline long long PartSeq(const std::string& key, const std::string& entity) {
  const std::string head = "exports/sp/" + entity + "/data/";
  if (key.compare(0, head.size(), head) != 0) return -1;
  const std::string rest = key.substr(head.size());
  const std::string shape = "####/##/##/part-########.ndjson";
  if (rest.size() != shape.size() && rest.size() != shape.size() + 3) return -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == '#' ? !std::isdigit(static_cast<unsigned char>(rest[i])) : rest[i] != shape[i])
      return -1;
  }
  if (rest.size() > shape.size() && rest.substr(shape.size()) != ".gz") return -1;
  return std::stoll(rest.substr(16, 8));
}

inline Bucket Read(const S3rver& server, const std::string& entity) {
  Bucket b;
  auto objects = server.Objects();
  for (size_t i = 0; i < objects->size(); ++i) {
    auto o = objects->getObject(static_cast<unsigned>(i));
    const std::string key = o->getValue<std::string>("key");
    if (long long seq = PartSeq(key, entity); seq >= 0) {
      b.parts.emplace_back(seq, o);
    } else if (key == "exports/sp/" + entity + "/_state.json") {
      b.state = o->getObject("state");
    } else if (key == "exports/sp/" + entity + "/_state.next.json") {
      // The first of the two state copies (see the sink's Persist).
      b.next_state = o->getObject("state");
    } else if (key == "exports/sp/" + entity + "/snapshot.ndjson.gz" ||
               key == "exports/sp/" + entity + "/snapshot.ndjson") {
      b.snapshot = o;
    } else if (long long v = SeqAfter(key, "exports/sp/" + entity + "/schema/"); v >= 0) {
      b.schemas.emplace_back(v, o);
    } else if (long long v = SeqAfter(key, "exports/sp/" + entity + "/versions/part-"); v >= 0) {
      b.version_parts.emplace_back(v, o);
    } else if (long long v = SeqAfter(key, "exports/sp/" + entity + "/attachments/log/part-");
               v >= 0) {
      b.attachment_logs.emplace_back(v, o);
    } else if (key.rfind("exports/sp/" + entity + "/attachments/files/", 0) == 0) {
      b.files[key] = o;
    } else {
      b.other_keys.push_back(key);
    }
  }
  auto by_seq = [](const auto& a, const auto& c) { return a.first < c.first; };
  std::sort(b.parts.begin(), b.parts.end(), by_seq);
  std::sort(b.schemas.begin(), b.schemas.end(), by_seq);
  std::sort(b.version_parts.begin(), b.version_parts.end(), by_seq);
  std::sort(b.attachment_logs.begin(), b.attachment_logs.end(), by_seq);
  return b;
}

// Replays the committed parts as a reader following _state.json would: the
// live items by id (latest record wins, deletes drop), and how many records
// each id received.
struct Replay {
  std::map<long long, Object::Ptr> live;
  std::map<long long, int> upserts;
  size_t records = 0;
};

inline Replay ReplayCommitted(const Bucket& b) {
  Replay r;
  const long long committed = b.state ? b.state->getValue<long long>("committedSeq") : 0;
  for (const auto& [seq, part] : b.parts) {
    if (seq > committed) continue;
    auto records = part->getArray("records");
    for (size_t i = 0; i < records->size(); ++i) {
      auto rec = records->getObject(static_cast<unsigned>(i));
      ++r.records;
      const long long id = rec->getValue<long long>("id");
      if (rec->getValue<std::string>("op") == "delete") {
        r.live.erase(id);
      } else {
        r.live[id] = rec;
        ++r.upserts[id];
      }
    }
  }
  return r;
}

}  // namespace spsync_s3_test
