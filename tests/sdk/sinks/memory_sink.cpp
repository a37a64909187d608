// A well-behaved C++ sink (sink.hpp) keeping everything in process memory,
// shared between instances, so host tests can check round trips, rejects,
// delete ranges, snapshots, option validation and logging. It does not
// declare SPSYNC_CAP_THREAD_SAFE and measures how many calls were ever inside
// it at once: Check() reports that number, which must stay 1 because the host
// serialises calls into non-thread-safe plugins.
#include <spsync/sink.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

namespace {

std::mutex g_mutex;
std::map<std::string, std::string> g_states;
std::map<std::string, std::map<int64_t, std::string>> g_items;
std::atomic<int> g_inside{0};
std::atomic<int> g_max_inside{0};

// Counts concurrent callers for as long as it lives; sleeps a little so
// overlapping calls, if the host allowed them, would be seen.
class Probe {
 public:
  Probe() {
    int now = ++g_inside;
    int seen = g_max_inside.load();
    while (now > seen && !g_max_inside.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ~Probe() { --g_inside; }
};

class MemorySink : public spsync::sdk::Sink {
 public:
  explicit MemorySink(const spsync::sdk::Config& config) : path_(config.Require("path")) {
    spsync::sdk::Log(SPSYNC_LOG_INFO, "opened memory sink at " + path_);
  }
  std::string LoadState(std::string_view entity) override {
    Probe probe;
    entity_ = std::string(entity);
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_states[entity_];
  }
  void Begin(const spsync::sdk::Schema& schema) override {
    Probe probe;
    if (schema.entity() != entity_) throw spsync::sdk::Fatal("begin for another entity");
  }
  void Upsert(spsync::sdk::Items items, spsync::sdk::Call& call) override {
    Probe probe;
    std::lock_guard<std::mutex> lock(g_mutex);
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i]->id <= 0) {
        call.Reject(i, "item ID must be positive");
        continue;
      }
      g_items[entity_][items[i]->id] = std::string(spsync::sdk::View(items[i]->raw_json));
    }
  }
  void Delete(spsync::sdk::Ids ids, spsync::sdk::Call&) override {
    Probe probe;
    std::lock_guard<std::mutex> lock(g_mutex);
    for (int64_t id : ids) g_items[entity_].erase(id);
  }
  void DeleteRanges(spsync::sdk::Ranges ranges, spsync::sdk::Call&) override {
    Probe probe;
    std::lock_guard<std::mutex> lock(g_mutex);
    auto& items = g_items[entity_];
    for (const auto& r : ranges) {
      items.erase(items.lower_bound(r.first),
                  r.last == INT64_MAX ? items.end() : items.upper_bound(r.last));
    }
  }
  void Persist(std::string_view state) override {
    Probe probe;
    std::lock_guard<std::mutex> lock(g_mutex);
    g_states[entity_] = std::string(state);
  }
  void Snapshot(spsync::sdk::Call& call) override {
    std::lock_guard<std::mutex> lock(g_mutex);
    std::string ids;
    for (const auto& kv : g_items[entity_])
      ids += (ids.empty() ? "" : ",") + std::to_string(kv.first);
    call.Message("items of " + entity_ + ": " + ids);
  }
  void Check(spsync::sdk::Call& call) override {
    call.Message("max_inside=" + std::to_string(g_max_inside.load()));
  }

  static const std::vector<spsync_option>& Options() {
    using spsync::sdk::Option;
    static const std::vector<spsync_option> options = {
        Option("path", SPSYNC_OPTION_PATH, true, nullptr, "where the data would go"),
        Option("batch", SPSYNC_OPTION_INTEGER, false, "100", "items per write"),
        Option("fsync", SPSYNC_OPTION_BOOLEAN, false, "true", "flush on persist"),
        Option("header.", SPSYNC_OPTION_PREFIX, false, nullptr, "extra headers"),
        Option("token", SPSYNC_OPTION_SECRET, false, nullptr, "access token"),
    };
    return options;
  }

 private:
  std::string path_;
  std::string entity_;
};

}  // namespace

SPSYNC_SINK_PLUGIN(MemorySink, "memory", "2.3.4", "keeps items in memory, for host tests",
                   SPSYNC_CAP_DELETE_RANGES | SPSYNC_CAP_SNAPSHOT)
