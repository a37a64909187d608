// Suites 2 and 3: a full sync end to end (emulator in-process on loopback ->
// engine -> sink plugin), against the raw floor measured in the same run:
//   (a) the same pages downloaded with a bare Poco HTTPClientSession
//       (keep-alive, no parsing);
//   (b) the same rows (same columns, raw JSON included) inserted with raw
//       sqlite3 prepared statements, one transaction per page;
//   (c) the SQLite sink alone (plugin ABI) given the same parsed pages, for
//       the sink-vs-raw-insert ratio.
#include "bench_common.hpp"
#include "suites.hpp"

#include <spsync/engine/sharepoint/item_page.hpp>
#include <spsync/engine/sync/state.hpp>

#include <Poco/InflatingStream.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>
#include <benchmark/benchmark.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>

namespace spsync::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A bare keep-alive HTTP client: GET, read the body, nothing else.
class RawFetcher {
 public:
  explicit RawFetcher(const std::string& any_url) {
    Poco::URI u(any_url);
    session_ = std::make_unique<Poco::Net::HTTPClientSession>(u.getHost(), u.getPort());
    session_->setKeepAlive(true);
  }
  // Downloads `url` into *body (reused buffer); returns the bytes read.
  size_t Get(const std::string& url, std::string* body) {
    Poco::URI u(url);
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, u.getPathAndQuery(),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    req.set("Accept", "application/json;odata=nometadata");
    if (GzipMode()) req.set("Accept-Encoding", "gzip");
    session_->sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& rs = session_->receiveResponse(resp);
    if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
      throw std::runtime_error("raw fetch: HTTP " + std::to_string(resp.getStatus()));
    body->clear();
    if (resp.getContentLength64() > 0)
      body->reserve(static_cast<size_t>(resp.getContentLength64()) + 64);
    auto drain = [&](std::istream& in) {
      char buf[1 << 16];
      while (in.read(buf, sizeof buf) || in.gcount() > 0)
        body->append(buf, static_cast<size_t>(in.gcount()));
    };
    if (resp.get("Content-Encoding", "") == "gzip") {
      Poco::InflatingInputStream inflater(rs, Poco::InflatingStreamBuf::STREAM_GZIP);
      drain(inflater);
    } else {
      drain(rs);
    }
    return body->size();
  }

 private:
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db));
}

// Raw sqlite3: the same table layout as the SQLite sink (id, one column per
// field, _raw, _modified, _version, _synced_at), WAL + synchronous=NORMAL.
class RawInserter {
 public:
  RawInserter(const std::string& path, const engine::EntitySchema& schema) {
    Check(sqlite3_open(path.c_str(), &db_), db_, "open");
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=NORMAL");
    std::string cols = "\"id\" INTEGER PRIMARY KEY", names = "\"id\"", params = "?1";
    int n = 1;
    auto add = [&](const std::string& name, const char* type) {
      cols += ", \"" + name + "\" " + type;
      names += ", \"" + name + "\"";
      params += ", ?" + std::to_string(++n);
    };
    for (const auto& f : schema.fields()) {
      const char* type =
          (f.value_type == SPSYNC_VALUE_INTEGER || f.value_type == SPSYNC_VALUE_BOOLEAN) ? "INTEGER"
          : f.value_type == SPSYNC_VALUE_REAL                                            ? "REAL"
                                                                                         : "TEXT";
      add(f.key, type);
    }
    for (const char* c : {"_raw", "_modified", "_version", "_synced_at"}) add(c, "TEXT");
    Exec("CREATE TABLE items(" + cols + ")");
    Check(
        sqlite3_prepare_v2(db_, ("INSERT INTO items(" + names + ") VALUES(" + params + ")").c_str(),
                           -1, &insert_, nullptr),
        db_, "prepare");
    fields_ = static_cast<int>(schema.fields().size());
  }
  ~RawInserter() {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  void InsertPage(const engine::ItemPage& page, const std::string& now) {
    Exec("BEGIN");
    auto text = [&](int p, spsync_str s) {
      sqlite3_bind_text(insert_, p, s.data, static_cast<int>(s.len), SQLITE_STATIC);
    };
    for (const spsync_item& item : page.items) {
      sqlite3_reset(insert_);
      sqlite3_bind_int64(insert_, 1, item.id);
      for (int f = 0; f < fields_; ++f) {
        const spsync_value& v = item.values[f];
        const int p = f + 2;
        switch (v.type) {
          case SPSYNC_VALUE_INTEGER:
          case SPSYNC_VALUE_BOOLEAN:
            sqlite3_bind_int64(insert_, p, v.i);
            break;
          case SPSYNC_VALUE_REAL:
            sqlite3_bind_double(insert_, p, v.r);
            break;
          case SPSYNC_VALUE_NULL:
            sqlite3_bind_null(insert_, p);
            break;
          default:
            text(p, v.s);
        }
      }
      text(fields_ + 2, item.raw_json);
      text(fields_ + 3, item.modified);
      text(fields_ + 4, item.version);
      sqlite3_bind_text(insert_, fields_ + 5, now.data(), static_cast<int>(now.size()),
                        SQLITE_STATIC);
      Check(sqlite3_step(insert_), db_, "insert");
    }
    Exec("COMMIT");
  }

 private:
  void Exec(const std::string& sql) {
    Check(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), db_, sql.c_str());
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  int fields_ = 0;
};

// A librdkafka mock cluster on loopback (one broker).
class KafkaMock {
 public:
  KafkaMock() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // The handle only hosts the mock cluster: silence its "no bootstrap.servers" notice.
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk_ == nullptr) throw std::runtime_error(std::string("rd_kafka_new: ") + err);
    mc_ = rd_kafka_mock_cluster_new(rk_, 1);
    if (mc_ == nullptr) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  }
  ~KafkaMock() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

struct EngineRun {
  double seconds = 0;
  double startup_s = 0;     // Run() to session_started: load_state, list, fields, begin
  double first_page_s = 0;  // Run() to the first page applied (upserted and persisted)
  uint64_t requests = 0, bytes = 0;
  int64_t upserted = 0;
  int streams = 0;                       // ID ranges read at once (automatic)
  std::map<std::string, double> server;  // the emulator's request counters for the engine run
};

EngineRun RunEngine(emulator::Emulator& emu, engine::Sink& sink) {
  auto client = MakeClient(emu.SiteUrl());
  EngineRun run;
  emu.ResetStats();
  engine::SessionEvents events;
  StreamCounter streams;
  streams.Install(&events);
  auto t0 = Clock::now();
  events.session_started = [&](const std::string&, engine::SyncMode) { run.startup_s = Since(t0); };
  events.page_applied = [&](int64_t, int64_t) {
    if (run.first_page_s == 0) run.first_page_s = Since(t0);
  };
  auto r = RunSession(*client, sink, {}, std::move(events));
  run.seconds = Since(t0);
  run.requests = client->stats().requests.load();
  run.bytes = client->stats().bytes.load();
  run.upserted = r.upserted;
  run.streams = streams.streams();
  ServerCounters(emu, &run.server);
  return run;
}

// (a): downloads every page, no parsing.
double RawFetchAll(const std::vector<std::string>& urls, uint64_t* bytes) {
  RawFetcher fetcher(urls.front());
  std::string body;
  *bytes = 0;
  auto t0 = Clock::now();
  for (const auto& u : urls) *bytes += fetcher.Get(u, &body);
  return Since(t0);
}

// Issue 9's limit was ceil(N/5000)+4 for one reader; with ID ranges read in
// parallel each range may end in a partial page (issue 15: +streams).
void RequestsRow(const std::string& key, const std::string& what, int64_t n, uint64_t requests,
                 int streams) {
  const int64_t limit = (n + 4999) / 5000 + streams + 4;
  Summary::Get().Row(key, what + ": requests <= ceil(N/5000)+streams+4 = " + std::to_string(limit),
                     std::to_string(requests) + " (" + std::to_string(streams) + " streams)",
                     static_cast<int64_t>(requests) <= limit);
}

std::string Label(int64_t n) {
  return n >= 1000000 ? std::to_string(n / 1000000) + "M" : std::to_string(n / 1000) + "k";
}

void BM_FullSync_SQLite(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::string dir = MakeTempDir("sqlite");
  try {
    auto emu = StartEmulator(n);
    for (auto _ : state) {
      EngineRun run;
      {
        auto sink = OpenSink("sqlite", {{"path", dir + "/engine.db"}});
        run = RunEngine(*emu, *sink);
      }
      RemoveTree(dir + "/engine.db");
      RemoveTree(dir + "/engine.db-wal");
      RemoveTree(dir + "/engine.db-shm");
      // (a) raw download of the pages one reader reads.
      auto client = MakeClient(emu->SiteUrl());
      auto schema = BuildSchema(*client, emu->ListId(kList));
      const auto urls = SingleStreamUrls(*client, emu->ListId(kList), *schema);
      uint64_t raw_bytes = 0;
      const double fetch_s = RawFetchAll(urls, &raw_bytes);

      // (b) raw insert and (c) the sink alone, on the same parsed pages.
      engine::ItemPageParser parser(*schema);
      RawInserter raw(dir + "/raw.db", *schema);
      auto sink = OpenSink("sqlite", {{"path", dir + "/sink.db"}});
      std::string ignored;
      if (!sink->LoadState("big", &ignored).ok() || !sink->Begin(schema->view()).ok())
        throw std::runtime_error("sqlite sink: load_state/begin failed");
      engine::SyncState st;
      st.entity = "big";
      st.list_id = emu->ListId(kList);
      st.mode = engine::SyncMode::kFull;
      st.full_in_progress = true;
      st.full_start_token = emu->CurrentChangeToken(kList);
      RawFetcher fetcher(urls.front());
      engine::ItemPage page;
      double insert_s = 0, sink_s = 0;
      int64_t rows = 0;
      const std::string now = "2024-06-01T00:00:00Z";
      for (const auto& u : urls) {
        fetcher.Get(u, &page.body);
        parser.Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
        rows += static_cast<int64_t>(page.size());
        auto t0 = Clock::now();
        raw.InsertPage(page, now);
        insert_s += Since(t0);
        st.page_last_id = page.last_id();
        st.high_water_id = page.last_id();
        const std::string encoded = engine::EncodeState(st);
        t0 = Clock::now();
        if (!sink->Upsert(page.pointers.data(), page.pointers.size()).ok() ||
            !sink->Persist(encoded).ok())
          throw std::runtime_error("sqlite sink: upsert/persist failed");
        sink_s += Since(t0);
      }
      sink.reset();

      const double floor_s = fetch_s + insert_s;
      const double ratio = run.seconds / floor_s;
      const double sink_vs_raw = insert_s / sink_s;  // rate ratio: sink rate / raw rate
      state.SetIterationTime(run.seconds);
      state.counters["items_per_second"] = static_cast<double>(run.upserted) / run.seconds;
      state.counters["requests"] = static_cast<double>(run.requests);
      state.counters["streams"] = run.streams;
      state.counters["bytes"] = static_cast<double>(run.bytes);
      // This process's high-water mark (emulator and earlier runs included);
      // the sync's own peak RSS is measured in a child by suites 4 and 6.
      state.counters["process_hwm_mb"] = PeakRssMb();
      state.counters["startup_s"] = run.startup_s;
      state.counters["first_page_s"] = run.first_page_s;
      for (const auto& [k, v] : run.server) state.counters[k] = v;
      state.counters["raw_fetch_s"] = fetch_s;
      state.counters["raw_insert_s"] = insert_s;
      state.counters["sink_only_s"] = sink_s;
      state.counters["engine_over_floor"] = ratio;
      state.counters["sink_vs_raw_insert"] = sink_vs_raw;
      state.counters["floor_items_per_second"] = static_cast<double>(rows) / floor_s;

      const std::string l = Label(n);
      auto& s = Summary::Get();
      s.Row("2a." + l, "full sync " + l + " -> SQLite: engine <= 1.67x (a+b)",
            Fmt(ratio) + "x (" + Fmt(run.seconds, 1) + " s vs " + Fmt(fetch_s, 1) + "+" +
                Fmt(insert_s, 1) + " s; " +
                Fmt(static_cast<double>(run.upserted) / run.seconds / 1e3, 0) + "k items/s)",
            ratio <= 1.67);
      s.Row("2b." + l, "SQLite sink >= 0.7x raw insert rate (" + l + ")",
            Fmt(sink_vs_raw) + "x (" + Fmt(static_cast<double>(rows) / sink_s / 1e3, 0) + "k vs " +
                Fmt(static_cast<double>(rows) / insert_s / 1e3, 0) + "k rows/s)",
            sink_vs_raw >= 0.7);
      RequestsRow("2c." + l, "full sync " + l, emu->ItemCount(kList), run.requests, run.streams);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

// Suite 3: the same full sync into CSV or Kafka, with the raw download floor.
void FullSyncOther(benchmark::State& state, const std::string& sink_name) {
  const int64_t n = state.range(0);
  const std::string dir = MakeTempDir(sink_name);
  try {
    auto emu = StartEmulator(n);
    std::unique_ptr<KafkaMock> kafka;
    std::vector<std::pair<std::string, std::string>> cfg;
    if (sink_name == "kafka") {
      kafka = std::make_unique<KafkaMock>();
      cfg = {{"brokers", kafka->bootstraps()}, {"topic", "bench.items"}};
    } else {
      cfg = {{"dir", dir + "/out"}};
    }
    for (auto _ : state) {
      EngineRun run;
      {
        auto sink = OpenSink(sink_name, cfg);
        run = RunEngine(*emu, *sink);
      }
      auto client = MakeClient(emu->SiteUrl());
      auto schema = BuildSchema(*client, emu->ListId(kList));
      uint64_t raw_bytes = 0;
      const double fetch_s =
          RawFetchAll(SingleStreamUrls(*client, emu->ListId(kList), *schema), &raw_bytes);
      const double ratio = run.seconds / fetch_s;
      state.SetIterationTime(run.seconds);
      state.counters["items_per_second"] = static_cast<double>(run.upserted) / run.seconds;
      state.counters["requests"] = static_cast<double>(run.requests);
      state.counters["streams"] = run.streams;
      state.counters["bytes"] = static_cast<double>(run.bytes);
      // This process's high-water mark (emulator and earlier runs included);
      // the sync's own peak RSS is measured in a child by suites 4 and 6.
      state.counters["process_hwm_mb"] = PeakRssMb();
      state.counters["startup_s"] = run.startup_s;
      state.counters["first_page_s"] = run.first_page_s;
      for (const auto& [k, v] : run.server) state.counters[k] = v;
      state.counters["raw_fetch_s"] = fetch_s;
      state.counters["engine_over_fetch"] = ratio;
      const std::string l = Label(n);
      Summary::Get().Row(
          "3." + sink_name + "." + l,
          "full sync " + l + " -> " + sink_name + " (info: engine / raw fetch)",
          Fmt(ratio) + "x (" + Fmt(run.seconds, 1) + " s vs " + Fmt(fetch_s, 1) + " s; " +
              Fmt(static_cast<double>(run.upserted) / run.seconds / 1e3, 0) + "k items/s)",
          true);
      RequestsRow("3." + sink_name + ".r." + l, "full sync " + l + " -> " + sink_name,
                  emu->ItemCount(kList), run.requests, run.streams);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  RemoveTree(dir);
}

void BM_FullSync_CSV(benchmark::State& state) {
  FullSyncOther(state, "csv");
}
void BM_FullSync_Kafka(benchmark::State& state) {
  FullSyncOther(state, "kafka");
}

}  // namespace

void RegisterFullSyncSuite() {
  for (auto [name, fn] : {std::pair{"FullSync/SQLite", &BM_FullSync_SQLite},
                          std::pair{"FullSync/CSV", &BM_FullSync_CSV},
                          std::pair{"FullSync/Kafka", &BM_FullSync_Kafka}}) {
    auto* b = benchmark::RegisterBenchmark(name, fn);
    for (int64_t n : FullSizes()) b->Arg(n);
    b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
}

}  // namespace spsync::bench
