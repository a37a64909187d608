// A quick standalone measurement (not a test): N realistic rows through the
// sqlite sink, loaded through the C ABI, against a raw sqlite3 prepared
// INSERT loop writing the same rows into the same columns, both in one
// transaction per page of 5000 rows, WAL, synchronous=NORMAL.
//
//   spsync_sink_sqlite_rate [rows] [folder]
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "sink_test_support.hpp"

using namespace spsync::test;

namespace {

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int Raw(const std::string& path, std::vector<std::unique_ptr<Batch>>& pages) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 1;
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE orders(id INTEGER "
               "PRIMARY KEY, Title TEXT, Notes TEXT, Amount REAL, Price REAL, Quantity INTEGER, "
               "ID_2 INTEGER, Due TEXT, Done INTEGER, Status TEXT, Tags TEXT, CustomerId INTEGER, "
               "AssignedToId INTEGER, Link TEXT, _raw TEXT, _modified TEXT, _version TEXT, "
               "_synced_at TEXT)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO orders VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st,
                     nullptr);
  for (auto& page : pages) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const spsync_item* it : page->items()) {
      sqlite3_reset(st);
      sqlite3_bind_int64(st, 1, it->id);
      for (size_t f = 0; f < it->value_count; ++f) {
        const spsync_value& v = it->values[f];
        const int p = static_cast<int>(f) + 2;
        switch (v.type) {
          case SPSYNC_VALUE_NULL:
            sqlite3_bind_null(st, p);
            break;
          case SPSYNC_VALUE_REAL:
            sqlite3_bind_double(st, p, v.r);
            break;
          case SPSYNC_VALUE_INTEGER:
          case SPSYNC_VALUE_BOOLEAN:
            sqlite3_bind_int64(st, p, v.i);
            break;
          default:
            sqlite3_bind_text(st, p, v.s.data, static_cast<int>(v.s.len), SQLITE_STATIC);
        }
      }
      sqlite3_bind_text(st, 15, it->raw_json.data, static_cast<int>(it->raw_json.len),
                        SQLITE_STATIC);
      sqlite3_bind_text(st, 16, it->modified.data, static_cast<int>(it->modified.len),
                        SQLITE_STATIC);
      sqlite3_bind_text(st, 17, it->version.data, static_cast<int>(it->version.len), SQLITE_STATIC);
      sqlite3_bind_text(st, 18, "2024-01-01T00:00:00Z", 20, SQLITE_STATIC);
      if (sqlite3_step(st) != SQLITE_DONE) return 2;
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int rows = argc > 1 ? std::atoi(argv[1]) : 100000;
  TempDir tmp;
  const std::string folder = argc > 2 ? argv[2] : tmp.path().string();
  const int kPage = 5000;
  SchemaHolder schema("orders", SharePointFields());
  // About 450 bytes of raw JSON per item, as SharePoint sends for a list of
  // this width.
  const std::string pad(380, 'x');
  std::vector<std::unique_ptr<Batch>> pages;
  for (int first = 1; first <= rows; first += kPage) {
    auto page = std::make_unique<Batch>();
    for (int64_t id = first; id < first + kPage && id <= rows; ++id)
      page->Add(ItemDef(
          id, SharePointValues(id, "Item " + std::to_string(id)),
          "{\"ID\":" + std::to_string(id) + ",\"Title\":\"Item\",\"pad\":\"" + pad + "\"}"));
    page->items();
    pages.push_back(std::move(page));
  }

  // Alternate the two, three rounds each, and keep each one's best time: the
  // machine is shared, so the minimum is the least disturbed run.
  double sink = 1e9, raw = 1e9;
  for (int round = 0; round < 3; ++round) {
    const std::string dir = folder + "/round" + std::to_string(round);
    fs::create_directories(dir);
    double t0 = Seconds();
    {
      Instance inst = Plugin::Load("sqlite").MustOpen({{"path", dir + "/sink.db"}});
      if (!inst.LoadState("orders").ok() || !inst.Begin(schema.get()).ok()) return 1;
      for (auto& page : pages)
        if (!inst.Upsert(page->items()).ok() || !inst.Persist("state").ok()) return 1;
    }
    sink = std::min(sink, Seconds() - t0);
    t0 = Seconds();
    if (Raw(dir + "/raw.db", pages) != 0) return 1;
    raw = std::min(raw, Seconds() - t0);
  }

  std::printf(
      "rows %d: sink %.0f rows/s (%.3f s), raw sqlite3 %.0f rows/s (%.3f s), sink/raw %.2f\n", rows,
      rows / sink, sink, rows / raw, raw, raw / sink);
  return 0;
}
