// An in-memory, transactional test sink for the engine: items keyed by ID
// (raw JSON + values), the persisted state bytes, call counts, injectable
// failures, and Crash(), which throws away everything since the last persist
// (the committed copy is what a process restart would find).
#pragma once

#include "spsync/engine/sink.hpp"
#include "spsync/engine/sync/state.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::test {

struct StoredItem {
  std::string raw_json;
  std::vector<std::string> values;  // rendered per schema field
  int32_t kind = 0;
};

inline const std::string& RawOf(const StoredItem& s) {
  return s.raw_json;
}

class MemorySink : public engine::Sink {
 public:
  struct Data {
    std::map<int64_t, StoredItem> items;
    std::string state;
  };

  explicit MemorySink(bool delete_ranges = false) {
    info_.name = "memory";
    info_.version = "1";
    info_.description = "in-memory test sink";
    info_.capabilities = SPSYNC_CAP_TRANSACTIONAL_PERSIST;
    if (delete_ranges) info_.capabilities |= SPSYNC_CAP_DELETE_RANGES;
  }

  // --- failure injection -------------------------------------------------
  int retryable_upserts = 0;     // the next n Upsert calls answer RETRYABLE
  int fatal_on_upsert_call = 0;  // the n-th Upsert call (1-based, counting all) answers FATAL
  bool fatal_always = false;     // every Upsert answers FATAL
  std::set<int64_t> reject_ids;  // Upsert answers REJECTED for these IDs, applies the rest
  // Persist answers FATAL (committing nothing) when this returns true for
  // the state it was given: a process killed before that commit.
  std::function<bool(std::string_view state)> fatal_persist_if;

  // --- counters -----------------------------------------------------------
  int load_calls = 0, begin_calls = 0, upsert_calls = 0, delete_calls = 0, range_calls = 0,
      persist_calls = 0;
  int64_t upserted_items = 0, deleted_ids = 0;
  std::string last_schema_fingerprint;
  size_t last_field_count = 0;

  // --- test controls ------------------------------------------------------
  // Simulates a process death: the uncommitted working copy is lost.
  void Crash() { working_ = committed_; }
  const Data& committed() const { return committed_; }
  const Data& working() const { return working_; }
  // Puts a record straight into the sink (both copies): a sink that drifted.
  void InjectStale(int64_t id, std::string raw) {
    committed_.items[id] = StoredItem{raw, {}, 0};
    working_.items[id] = StoredItem{std::move(raw), {}, 0};
  }
  void Erase(int64_t id) {
    committed_.items.erase(id);
    working_.items.erase(id);
  }

  // --- Sink ---------------------------------------------------------------
  const engine::SinkInfo& info() const override { return info_; }

  engine::SinkResult LoadState(std::string_view entity, std::string* state) override {
    ++load_calls;
    entity_ = std::string(entity);
    *state = committed_.state;
    return {};
  }

  engine::SinkResult Begin(const spsync_schema& schema) override {
    ++begin_calls;
    last_schema_fingerprint.assign(schema.fingerprint.data, schema.fingerprint.len);
    last_field_count = schema.field_count;
    return {};
  }

  engine::SinkResult Upsert(const spsync_item* const* items, size_t count) override {
    ++upsert_calls;
    if (fatal_always || (fatal_on_upsert_call > 0 && upsert_calls == fatal_on_upsert_call))
      return engine::SinkResult::Fatal("injected fatal on upsert call " +
                                       std::to_string(upsert_calls));
    if (retryable_upserts > 0) {
      --retryable_upserts;
      return {SPSYNC_RETRYABLE, "injected retryable", {}};
    }
    engine::SinkResult r;
    for (size_t i = 0; i < count; ++i) {
      const spsync_item* it = items[i];
      if (reject_ids.count(it->id)) {
        r.status = SPSYNC_REJECTED;
        r.rejected.emplace_back(i, "injected rejection of ID " + std::to_string(it->id));
        continue;
      }
      StoredItem s;
      s.raw_json.assign(it->raw_json.data, it->raw_json.len);
      s.kind = it->kind;
      for (size_t v = 0; v < it->value_count; ++v) {
        const spsync_value& val = it->values[v];
        switch (val.type) {
          case SPSYNC_VALUE_NULL:
            s.values.emplace_back("null");
            break;
          case SPSYNC_VALUE_INTEGER:
          case SPSYNC_VALUE_BOOLEAN:
            s.values.push_back(std::to_string(val.i));
            break;
          case SPSYNC_VALUE_REAL:
            s.values.push_back(std::to_string(val.r));
            break;
          default:
            s.values.emplace_back(val.s.data ? std::string(val.s.data, val.s.len) : "");
        }
      }
      working_.items[it->id] = std::move(s);
      ++upserted_items;
    }
    return r;
  }

  engine::SinkResult Delete(const int64_t* ids, size_t count) override {
    ++delete_calls;
    for (size_t i = 0; i < count; ++i) {
      working_.items.erase(ids[i]);
      ++deleted_ids;
    }
    return {};
  }

  engine::SinkResult DeleteRanges(const spsync_id_range* ranges, size_t count) override {
    ++range_calls;
    if (!info_.delete_ranges()) return engine::SinkResult::Fatal("ranges not supported");
    for (size_t i = 0; i < count; ++i) {
      auto lo = working_.items.lower_bound(ranges[i].first);
      auto hi = ranges[i].last == INT64_MAX ? working_.items.end()
                                            : working_.items.upper_bound(ranges[i].last);
      working_.items.erase(lo, hi);
    }
    return {};
  }

  engine::SinkResult Persist(std::string_view state) override {
    ++persist_calls;
    if (fatal_persist_if && fatal_persist_if(state))
      return engine::SinkResult::Fatal("injected fatal on persist call " +
                                       std::to_string(persist_calls));
    working_.state = std::string(state);
    committed_ = working_;  // the commit: data and state together
    return {};
  }

  engine::SinkResult Snapshot() override { return engine::SinkResult::Fatal("no snapshots"); }
  engine::SinkResult Check() override { return {}; }

 private:
  engine::SinkInfo info_;
  std::string entity_;
  Data committed_, working_;
};

// The state `sink` holds as committed.
inline engine::SyncState Committed(const MemorySink& sink) {
  return engine::DecodeState(sink.committed().state);
}

}  // namespace spsync::test
