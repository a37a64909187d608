// What a user of each sink sees, read back with independent readers: sqlite3
// for SQLite, a replay of the CSV change log files, @aws-sdk/client-s3 for S3
// (tests/s3/read_bucket.mjs) and kafkajs for Kafka (tests/kafka/consume.mjs),
// next to the emulator's truth. Shared by tests/reliability and tests/security.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"
#include "spsync/emulator/emulator.hpp"

namespace spsync_rel {

namespace fs = std::filesystem;
using Poco::JSON::Array;
using Poco::JSON::Object;

// JSON in a canonical form (keys sorted, Poco's number formatting), so two
// serialisations of the same item compare equal.
inline std::string Canon(const std::string& json) {
  Poco::JSON::Parser p;
  auto v = p.parse(json);
  std::ostringstream os;
  if (v.type() == typeid(Object::Ptr))
    v.extract<Object::Ptr>()->stringify(os);
  else
    v.extract<Array::Ptr>()->stringify(os);
  return os.str();
}

inline std::string Field(const Object::Ptr& o, const std::string& name) {
  if (!o->has(name) || o->isNull(name)) return "";
  return o->get(name).toString();
}

// What a sink holds, per live item ID, in a form comparable with the truth.
struct SinkView {
  std::map<int64_t, std::string> live;
  int64_t upsert_records = 0;  // change-log sinks: upsert records read
  int64_t delete_records = 0;
  // Upsert records repeated for the same (id, version) although nothing in
  // the list changed that item (items mutated during the run are excluded:
  // the change-log replay after a full crawl legitimately re-sends them).
  int64_t duplicates = 0;
  std::string problems;  // anything a reader found wrong (unparsable data, ...)
};

enum class Form { kRawJson, kCsvColumns };

// The comparable form of an item: the canonical raw JSON, or for CSV (which
// holds columns, not the raw JSON) the columns this suite mutates.
inline std::string Comparable(Form f, const std::string& raw_json) {
  if (f == Form::kRawJson) return Canon(raw_json);
  Poco::JSON::Parser p;
  auto o = p.parse(raw_json).extract<Object::Ptr>();
  return Field(o, "Title") + "|" + Field(o, "Quantity") + "|" + Field(o, "Status");
}

inline std::map<int64_t, std::string> Truth(const spsync::emulator::Emulator& emu,
                                            const std::string& list, Form f) {
  std::map<int64_t, std::string> m;
  emu.ForEachLiveItem(
      list, [&](int64_t id, std::string_view json) { m[id] = Comparable(f, std::string(json)); });
  return m;
}

// The truth as the sink should hold it: SharePoint's item JSON restricted to
// the fields the engine selects (the emulator's truth also carries hidden
// fields such as ContentTypeId). The projection is onto the keys the sink's
// copy has plus the ones every copy must have, so a stale value, a missing
// key or a key SharePoint never sent all still differ.
inline std::string Project(const std::string& truth_canon, const std::string& sink_canon) {
  if (truth_canon.empty() || truth_canon[0] != '{' || sink_canon.empty() || sink_canon[0] != '{')
    return truth_canon;
  Poco::JSON::Parser p1, p2;
  auto t = p1.parse(truth_canon).extract<Object::Ptr>();
  auto s = p2.parse(sink_canon).extract<Object::Ptr>();
  Object out;
  for (const auto& k : s->getNames())
    if (t->has(k)) out.set(k, t->get(k));
  for (const char* k : {"ID", "Title", "Modified", "OData__UIVersionString"})
    if (t->has(k)) out.set(k, t->get(k));
  std::ostringstream os;
  out.stringify(os);
  return os.str();
}

// Differences between a sink and the truth, as readable lines (at most `max`).
inline std::string Diff(const std::map<int64_t, std::string>& truth, const SinkView& v,
                        int64_t* missing = nullptr, int64_t* stale = nullptr,
                        int64_t* extra = nullptr, size_t max = 8) {
  std::ostringstream os;
  size_t shown = 0;
  int64_t m = 0, s = 0, x = 0;
  for (const auto& [id, want] : truth) {
    auto it = v.live.find(id);
    if (it == v.live.end()) {
      ++m;
      if (shown++ < max) os << "  missing item " << id << "\n";
    } else if (it->second != want && it->second != Project(want, it->second)) {
      ++s;
      if (shown++ < max)
        os << "  item " << id << " differs:\n    sink:  " << it->second.substr(0, 300)
           << "\n    truth: " << want.substr(0, 300) << "\n";
    }
  }
  for (const auto& [id, got] : v.live)
    if (!truth.count(id)) {
      ++x;
      if (shown++ < max) os << "  deleted item " << id << " still in the sink\n";
    }
  if (missing) *missing = m;
  if (stale) *stale = s;
  if (extra) *extra = x;
  return os.str();
}

// ---- SQLite: the entity's table, `_raw` per row ----------------------------
inline SinkView ReadSqlite(const std::string& db, const std::string& table) {
  SinkView v;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    v.problems = "cannot open " + db;
    sqlite3_close(h);
    return v;
  }
  std::string sql = "SELECT id, _raw FROM \"" + table + "\"";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    v.problems = std::string("sqlite: ") + sqlite3_errmsg(h);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      auto id = sqlite3_column_int64(st, 0);
      auto* raw = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
      try {
        v.live[id] = Canon(raw ? raw : "null");
      } catch (const std::exception& e) {
        v.problems += "row " + std::to_string(id) + ": unparsable _raw\n";
      }
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

// A single-value SQL query, -1 when it fails.
inline int64_t SqliteCount(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

// ---- CSV: replay the change files in order ----------------------------------
// RFC 4180 records of one file.
inline std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cell += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(cell);
      cell.clear();
      any = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      row.push_back(cell);
      rows.push_back(row);
      row.clear();
      cell.clear();
      any = false;
    } else {
      cell += c;
      any = true;
    }
  }
  if (any || !cell.empty()) {
    row.push_back(cell);
    rows.push_back(row);
  }
  return rows;
}

// `touched`: items the test changed (excluded from the duplicate count).
// `epochs`: the committed _seq at the start of each forced full resync; a
// full resync legitimately re-sends every item, so duplicates are counted
// within an epoch.
inline SinkView ReadCsv(const std::string& entity_dir, const std::set<int64_t>& touched,
                        const std::vector<int64_t>& epochs = {}) {
  SinkView v;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(entity_dir)) {
    auto n = e.path().filename().string();
    if (n.rfind("changes-", 0) == 0 && n.size() > 4 && n.substr(n.size() - 4) == ".csv")
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::map<std::pair<int64_t, std::string>, int> seen;
  int64_t last_seq = 0;
  for (const auto& f : files) {
    auto rows = ParseCsv(ReadFile(f));
    if (rows.empty()) continue;
    std::map<std::string, size_t> col;
    for (size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
    for (const char* need : {"_op", "_seq", "id", "Title", "Quantity", "Status"})
      if (!col.count(need)) v.problems += f + ": no column " + need + "\n";
    if (!v.problems.empty()) return v;
    for (size_t r = 1; r < rows.size(); ++r) {
      const auto& row = rows[r];
      if (row.size() != rows[0].size()) {
        v.problems += f + ": row " + std::to_string(r) + " has " + std::to_string(row.size()) +
                      " cells, header has " + std::to_string(rows[0].size()) + "\n";
        continue;
      }
      int64_t seq = std::stoll(row[col["_seq"]]);
      if (seq != last_seq + 1)
        v.problems +=
            f + ": _seq " + std::to_string(seq) + " after " + std::to_string(last_seq) + "\n";
      last_seq = seq;
      if (std::find(epochs.begin(), epochs.end(), seq - 1) != epochs.end()) seen.clear();
      int64_t id = std::stoll(row[col["id"]]);
      if (row[col["_op"]] == "delete") {
        ++v.delete_records;
        v.live.erase(id);
      } else {
        ++v.upsert_records;
        std::string c = row[col["Title"]] + "|" + row[col["Quantity"]] + "|" + row[col["Status"]];
        v.live[id] = c;
        if (++seen[{id, c}] > 1 && !touched.count(id)) ++v.duplicates;
      }
    }
  }
  return v;
}

// ---- S3: committed parts (seq <= committedSeq) read with the AWS SDK -----------
struct S3Server {
  explicit S3Server(const std::string& work) {
    dir = work + "/s3rver";
    fs::create_directories(dir);
    log = work + "/s3rver.log";
    child = std::make_unique<Child>(
        std::vector<std::string>{SPSYNC_NODE, "--openssl-legacy-provider",
                                 std::string(SPSYNC_TESTS_DIR) + "/s3/start_s3rver.mjs", dir,
                                 bucket},
        std::map<std::string, std::string>{}, log);
    for (int i = 0; i < 400 && port == 0; ++i) {
      auto text = ReadFile(log);
      auto p = text.find("{\"port\":");
      if (p != std::string::npos && text.find('}', p) != std::string::npos)
        port = std::stoi(text.substr(p + 8));
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (port == 0) throw std::runtime_error("s3rver did not start: " + ReadFile(log));
    endpoint = "http://127.0.0.1:" + std::to_string(port);
  }
  std::string dir, log, endpoint, bucket = "spsync-rel";
  int port = 0;
  std::unique_ptr<Child> child;
};

// Real S3 stores an object only once its whole body arrived; s3rver streams
// the body straight into the object file, so a writer killed mid-PUT leaves a
// truncated object behind. This front reads each request whole and forwards
// it to s3rver only when complete, which is S3's all-or-nothing PUT.
class AtomicS3Front {
 public:
  explicit AtomicS3Front(int backend_port)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        server_(new Factory(backend_port), socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
    endpoint = "http://127.0.0.1:" + std::to_string(socket_.address().port());
  }
  ~AtomicS3Front() { server_.stopAll(true); }
  std::string endpoint;
  static inline std::atomic<int64_t> dropped{0};

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(int port) : port_(port) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      if (req.hasContentLength() &&
          static_cast<int64_t>(body.size()) != static_cast<int64_t>(req.getContentLength())) {
        ++dropped;  // the writer died mid-body: S3 would store nothing
        return;
      }
      // One request at a time: s3rver rewrites an object in place, so a GET
      // racing a PUT of the same key (a killed writer's PUT still being
      // forwarded while the next run loads its state) would read half a file;
      // S3 replaces objects atomically.
      static std::mutex one_at_a_time;
      std::lock_guard<std::mutex> lock(one_at_a_time);
      Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port_));
      Poco::Net::HTTPRequest out(req.getMethod(), req.getURI(), Poco::Net::HTTPMessage::HTTP_1_1);
      for (const auto& [k, v] : req) out.set(k, v);
      out.setContentLength(static_cast<std::streamsize>(body.size()));
      s.sendRequest(out) << body;
      Poco::Net::HTTPResponse in;
      auto& rs = s.receiveResponse(in);
      std::string rbody;
      Poco::StreamCopier::copyToString(rs, rbody);
      resp.setStatusAndReason(in.getStatus(), in.getReason());
      for (const auto& [k, v] : in)
        if (Poco::icompare(k, "Transfer-Encoding") != 0 && Poco::icompare(k, "Connection") != 0)
          resp.set(k, v);
      resp.setContentLength(static_cast<std::streamsize>(rbody.size()));
      resp.send() << rbody;
    }
    int port_;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(int port) : port_(port) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(port_);
    }
    int port_;
  };
  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

inline SinkView ReadS3(const S3Server& s3, const std::string& prefix, const std::string& entity,
                       const std::set<int64_t>& touched, const std::string& work,
                       int64_t* uncommitted_parts = nullptr,
                       const std::vector<int64_t>& epochs = {}, int64_t* committed_seq = nullptr) {
  SinkView v;
  auto r = RunToEnd({SPSYNC_NODE, "--no-warnings", "--openssl-legacy-provider",
                     std::string(SPSYNC_TESTS_DIR) + "/s3/read_bucket.mjs", s3.endpoint, s3.bucket,
                     prefix + entity + "/"},
                    {}, work + "/read_bucket.out");
  if (r.code != 0) {
    v.problems = "read_bucket.mjs failed: " + r.out.substr(0, 2000);
    return v;
  }
  Poco::JSON::Parser p;
  Array::Ptr objects;
  try {
    objects = p.parse(r.out.substr(r.out.find('{'))).extract<Object::Ptr>()->getArray("objects");
  } catch (const std::exception& e) {
    v.problems = "read_bucket.mjs output: " + r.out.substr(0, 2000);
    return v;
  }
  int64_t committed = -1;
  std::map<int64_t, Array::Ptr> parts;
  for (size_t i = 0; i < objects->size(); ++i) {
    auto o = objects->getObject(static_cast<unsigned>(i));
    auto key = o->getValue<std::string>("key");
    if (o->has("state")) {
      committed = o->getObject("state")->getValue<int64_t>("committedSeq");
    } else if (key.find("/data/") != std::string::npos) {
      auto at = key.rfind("part-");
      parts[std::stoll(key.substr(at + 5, 8))] = o->getArray("records");
    }
  }
  if (committed < 0) {
    v.problems = "no _state.json under " + prefix + entity;
    return v;
  }
  if (committed_seq) *committed_seq = committed;
  int64_t beyond = 0;
  std::map<std::pair<int64_t, std::string>, int> seen;
  for (const auto& [seq, recs] : parts) {
    if (seq > committed) {
      ++beyond;
      continue;
    }
    if (std::find(epochs.begin(), epochs.end(), seq - 1) != epochs.end()) seen.clear();
    for (size_t i = 0; i < recs->size(); ++i) {
      auto rec = recs->getObject(static_cast<unsigned>(i));
      int64_t id = rec->getValue<int64_t>("id");
      if (rec->getValue<std::string>("op") == "delete") {
        ++v.delete_records;
        v.live.erase(id);
      } else {
        ++v.upsert_records;
        std::ostringstream os;
        rec->getObject("item")->stringify(os);
        v.live[id] = Canon(os.str());
        auto sig = Field(rec, "version") + "@" + Field(rec, "modified");
        if (++seen[{id, sig}] > 1 && !touched.count(id)) ++v.duplicates;
      }
    }
  }
  if (uncommitted_parts) *uncommitted_parts = beyond;
  return v;
}

// ---- Kafka: librdkafka's mock cluster in this process, read with kafkajs ------
class MockCluster {
 public:
  MockCluster() {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (rk_ == nullptr) throw std::runtime_error(err);
    mc_ = rd_kafka_mock_cluster_new(rk_, 1);
    if (mc_ == nullptr) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(mc_);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  const std::string& bootstraps() const { return bootstraps_; }
  // The mock keeps only the newest few MB of each partition: spread a data
  // topic over several partitions so nothing a test wrote is dropped.
  void CreateTopic(const std::string& topic, int partitions) {
    rd_kafka_mock_topic_create(mc_, topic.c_str(), partitions, 1);
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
  std::string bootstraps_;
};

// The compacted view of the data topic: the last record per key, a tombstone
// deletes. Duplicates: an upsert of the same (key, version) seen again.
inline SinkView ReadKafka(const std::string& brokers, const std::string& topic,
                          const std::set<int64_t>& touched, const std::string& work) {
  SinkView v;
  auto r = RunToEnd(
      {SPSYNC_NODE, std::string(SPSYNC_TESTS_DIR) + "/kafka/consume.mjs", brokers, topic, "4000"},
      {}, work + "/consume.out");
  if (r.code != 0) {
    v.problems = "consume.mjs failed: " + r.out.substr(0, 2000);
    return v;
  }
  std::istringstream in(r.out);
  std::string line;
  bool done = false;
  std::map<std::pair<int64_t, std::string>, int> seen;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    Poco::JSON::Parser p;
    auto o = p.parse(line).extract<Object::Ptr>();
    if (o->has("done")) {
      done = true;
      if (o->getArray("unfinished")->size() != 0) v.problems += "unfinished partitions\n";
      continue;
    }
    auto key = o->getValue<std::string>("key");
    int64_t id = std::stoll(key.substr(key.rfind(':') + 1));
    if (o->isNull("value")) {
      ++v.delete_records;
      v.live.erase(id);
      continue;
    }
    Poco::JSON::Parser vp;
    auto rec = vp.parse(o->getValue<std::string>("value")).extract<Object::Ptr>();
    ++v.upsert_records;
    std::ostringstream os;
    rec->getObject("item")->stringify(os);
    v.live[id] = Canon(os.str());
    auto sig = Field(rec, "version") + "@" + Field(rec, "modified");
    if (++seen[{id, sig}] > 1 && !touched.count(id)) ++v.duplicates;
  }
  if (!done) v.problems += "consume.mjs did not finish\n";
  return v;
}

}  // namespace spsync_rel
