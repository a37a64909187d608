// Suite 14 (issue 18): `spsync restore` of N items (2% with attachments)
// from SQLite into a new list of the emulator: write requests against
// ceil(N/100) + 20 + one per file, and a full sync of the restored list that
// matches the backup row for row (IDs aside, through the map).
#include "bench_common.hpp"
#include "suites.hpp"

#include <spsync/engine/restore/restore.hpp>

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace spsync::bench {
namespace {

// Every row of `table` as text, by ID, all columns but the engine's own
// (id, _-prefixed) and those SharePoint sets itself on creation.
std::map<int64_t, std::string> Rows(const std::string& db, const std::string& table) {
  sqlite3* h = nullptr;
  std::map<int64_t, std::string> out;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + db);
  sqlite3_stmt* st = nullptr;
  const std::string sql =
      "SELECT id, Title, Description, Amount, Quantity, Score, DueDate, Done, Status, Tags, "
      "CustomerId, OwnerId, Link FROM \"" +
      table + "\"";
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw std::runtime_error(sql + ": " + sqlite3_errmsg(h));
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row;
    for (int c = 1; c < sqlite3_column_count(st); ++c) {
      const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
      row += t != nullptr ? t : "\x01";
      row += '\x1f';
    }
    out[sqlite3_column_int64(st, 0)] = std::move(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

std::map<int64_t, int64_t> ReadMap(const std::string& path) {
  std::map<int64_t, int64_t> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream w(line);
    std::string kind;
    int64_t a = 0, b = 0;
    if (w >> kind >> a >> b && kind == "map") out[a] = b;
  }
  return out;
}

void BM_Restore(benchmark::State& state) {
  const int64_t n = state.range(0);
  try {
    emulator::Options o;
    emulator::ListSpec list{kList, n};
    list.attachment_percent = 2;
    list.attachment_avg_bytes = 8 * 1024;
    o.lists = {list};
    o.seed = 42;
    emulator::Emulator emu(o);
    emu.Start();
    const std::string dir = MakeTempDir("restore");
    const std::string backup = dir + "/backup.db", after = dir + "/after.db";
    auto client = MakeClient(emu.SiteUrl());
    engine::EntityConfig entity = Entity();
    entity.select.clear();  // every field: what a backup keeps
    entity.attachments = true;
    {
      auto sink = OpenSink("sqlite", {{"path", backup}});
      RunSession(*client, *sink, {}, {}, &entity);
    }
    auto& s = Summary::Get();
    const std::string l = SizeLabel(n);
    for (auto _ : state) {
      auto sink = OpenSink("sqlite", {{"path", backup}});
      engine::RestoreOptions ro;
      ro.to_list = "Restored";
      ro.map_path = dir + "/restore.map";
      emu.ResetStats();
      const auto t0 = std::chrono::steady_clock::now();
      const engine::RestoreResult r =
          engine::Restore(*client, *sink, entity.name, ro, engine::Deadline());
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      state.SetIterationTime(seconds);
      sink.reset();
      const auto allowed = (r.created + 99) / 100 + 20 + r.attachments;
      state.counters["items"] = static_cast<double>(r.created);
      state.counters["files"] = static_cast<double>(r.attachments);
      state.counters["write_requests"] = static_cast<double>(r.write_requests);
      state.counters["items_per_s"] = static_cast<double>(r.created) / seconds;
      s.Row("14a." + l,
            "restore " + l + " into a new list: write requests <= ceil(N/100) + 20 + files (" +
                std::to_string(allowed) + ")",
            std::to_string(r.write_requests) + " (" + std::to_string(r.created) + " items, " +
                std::to_string(r.attachments) + " files, " + std::to_string(r.failed) +
                " refused); " + Fmt(seconds, 1) + " s",
            r.write_requests <= allowed && r.failed == 0);

      engine::EntityConfig restored = entity;
      restored.name = "restored";
      restored.list = "Restored";
      {
        auto out = OpenSink("sqlite", {{"path", after}});
        RunSession(*client, *out, {}, {}, &restored);
      }
      const auto before = Rows(backup, entity.name), now = Rows(after, "restored");
      const auto ids = ReadMap(ro.map_path);
      int64_t same = 0;
      for (const auto& [old_id, row] : before) {
        auto it = ids.find(old_id);
        if (it != ids.end() && now.count(it->second) && now.at(it->second) == row) ++same;
      }
      s.Row("14b." + l, "restore " + l + ": a sync of the restored list matches the backup",
            std::to_string(same) + " of " + std::to_string(before.size()) +
                " rows equal through the map (" + std::to_string(now.size()) + " rows)",
            same == static_cast<int64_t>(before.size()) && now.size() == before.size());
    }
    RemoveTree(dir);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace

void RegisterRestoreSuite() {
  auto* b = benchmark::RegisterBenchmark("Restore/NewList", &BM_Restore);
  b->ArgNames({"items"});
  b->Arg(SmokeMode() ? 1000 : 100000);
  b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace spsync::bench
