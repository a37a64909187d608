// A well-behaved C++ sink (sink.hpp) keeping everything in process memory,
// shared between instances, so host tests can check round trips, rejects,
// delete ranges, snapshots, option validation and logging, and the ABI 1.2
// features through the helper: attachments (applied at commit; removed with
// their item), versions, reading back, and per-instance capabilities (option
// `attachments=false` drops the attachment capability of that instance). It
// does not declare SPSYNC_CAP_THREAD_SAFE and measures how many calls were
// ever inside it at once: Check() reports that number, which must stay 1
// because the host serialises calls into non-thread-safe plugins.
#include <spsync/sink.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

namespace {

using spsync::sdk::AttachmentInfo;
using spsync::sdk::StoredItem;
using spsync::sdk::StoredSchema;
using spsync::sdk::StoredValue;
using spsync::sdk::StoredVersion;

struct StoredAttachment {
  AttachmentInfo info;
  std::string content;
};

std::mutex g_mutex;
std::map<std::string, std::string> g_states;
std::map<std::string, std::map<int64_t, std::string>> g_items;
std::map<std::string, StoredSchema> g_schemas;
// entity -> (item, file name) -> attachment
std::map<std::string, std::map<std::pair<int64_t, std::string>, StoredAttachment>> g_attachments;
// entity -> (item, version) -> version
std::map<std::string, std::map<std::pair<int64_t, int64_t>, StoredVersion>> g_versions;
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
  explicit MemorySink(const spsync::sdk::Config& config)
      : path_(config.Require("path")), attachments_(config.GetBool("attachments", true)) {
    spsync::sdk::Log(SPSYNC_LOG_INFO, "opened memory sink at " + path_);
  }
  uint64_t Capabilities(uint64_t plugin) const override {
    return attachments_ ? plugin : plugin & ~SPSYNC_CAP_ATTACHMENTS;
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
    std::lock_guard<std::mutex> lock(g_mutex);
    g_schemas[entity_] = StoredSchema::From(schema);
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
    for (int64_t id : ids) {
      g_items[entity_].erase(id);
      EraseAttachments(id, id);
    }
  }
  void DeleteRanges(spsync::sdk::Ranges ranges, spsync::sdk::Call&) override {
    Probe probe;
    std::lock_guard<std::mutex> lock(g_mutex);
    auto& items = g_items[entity_];
    for (const auto& r : ranges) {
      items.erase(items.lower_bound(r.first),
                  r.last == INT64_MAX ? items.end() : items.upper_bound(r.last));
      EraseAttachments(r.first, r.last);
    }
  }

  // ---- ABI 1.2 ----
  void AttachmentBegin(const spsync::sdk::Attachment& a) override {
    Probe probe;
    if (open_) throw spsync::sdk::Fatal("memory sink: an attachment is already open");
    open_ = true;
    pending_ = StoredAttachment{AttachmentInfo::From(a), {}};
  }
  void AttachmentWrite(std::string_view bytes) override {
    if (bytes.size() > SPSYNC_ATTACHMENT_CHUNK_MAX)
      throw spsync::sdk::Fatal("memory sink: chunk larger than SPSYNC_ATTACHMENT_CHUNK_MAX");
    pending_.content.append(bytes);
  }
  void AttachmentCommit(const spsync::sdk::Attachment& a) override {
    if (static_cast<int64_t>(pending_.content.size()) != a.size())
      throw spsync::sdk::Fatal("memory sink: size differs from the bytes written");
    pending_.info = AttachmentInfo::From(a);
    std::lock_guard<std::mutex> lock(g_mutex);
    g_attachments[entity_][{a.item_id(), std::string(a.file_name())}] = std::move(pending_);
    open_ = false;
  }
  void AttachmentAbort() override {
    open_ = false;
    pending_ = StoredAttachment();
  }
  void AttachmentDelete(int64_t item_id, std::string_view file_name) override {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (file_name.empty())
      EraseAttachments(item_id, item_id);
    else
      g_attachments[entity_].erase({item_id, std::string(file_name)});
  }
  void ListAttachments(spsync::sdk::Ids item_ids, std::vector<AttachmentInfo>& out) override {
    std::lock_guard<std::mutex> lock(g_mutex);
    // Deliberately unsorted (newest item first): the helper sorts.
    for (size_t i = item_ids.size(); i-- > 0;)
      for (const auto& [key, att] : g_attachments[entity_])
        if (key.first == item_ids[i]) out.push_back(att.info);
  }
  void WriteVersions(spsync::sdk::Versions versions, spsync::sdk::Call& call) override {
    std::lock_guard<std::mutex> lock(g_mutex);
    for (size_t i = 0; i < versions.size(); ++i) {
      const spsync_version& v = *versions[i];
      if (v.version_id <= 0) {
        call.Reject(i, "version ID must be positive");
        continue;
      }
      StoredVersion s;
      s.item_id = v.item_id;
      s.version_id = v.version_id;
      s.label = std::string(spsync::sdk::View(v.label));
      s.editor_name = std::string(spsync::sdk::View(v.editor_name));
      s.raw_json = std::string(spsync::sdk::View(v.raw_json));
      for (size_t f = 0; f < v.value_count; ++f) s.values.push_back(StoredValue::From(v.values[f]));
      g_versions[entity_][{v.item_id, v.version_id}] = std::move(s);
    }
  }
  bool ReadSchema(StoredSchema& out) override {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_schemas.find(entity_);
    if (it == g_schemas.end()) return false;
    out = it->second;
    return true;
  }
  void ReadItems(int64_t after_id, size_t max_count, std::vector<StoredItem>& out) override {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto& items = g_items[entity_];
    for (auto it = items.upper_bound(after_id); it != items.end() && out.size() < max_count; ++it) {
      StoredItem item;
      item.id = it->first;
      item.raw_json = it->second;  // values are not kept: value_count 0
      out.push_back(std::move(item));
    }
  }
  void ReadVersions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                    std::vector<StoredVersion>& out) override {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto& versions = g_versions[entity_];
    for (auto it = versions.upper_bound({after_item_id, after_version_id});
         it != versions.end() && out.size() < max_count; ++it)
      out.push_back(it->second);
  }
  size_t ReadAttachment(int64_t item_id, std::string_view file_name, uint64_t offset, void* buffer,
                        size_t capacity) override {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto& all = g_attachments[entity_];
    auto it = all.find({item_id, std::string(file_name)});
    if (it == all.end())
      throw spsync::sdk::Fatal("memory sink: no attachment '" + std::string(file_name) +
                               "' of item " + std::to_string(item_id));
    const std::string& c = it->second.content;
    if (offset >= c.size()) return 0;
    size_t n = std::min<size_t>(capacity, c.size() - offset);
    std::memcpy(buffer, c.data() + offset, n);
    return n;
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
        Option("attachments", SPSYNC_OPTION_BOOLEAN, false, "true",
               "keep attachments (false: this instance lacks the capability)"),
    };
    return options;
  }

 private:
  // Attachments go with their items (sink.h). Caller holds g_mutex.
  void EraseAttachments(int64_t first, int64_t last) {
    auto& all = g_attachments[entity_];
    for (auto it = all.begin(); it != all.end();)
      it = (it->first.first >= first && it->first.first <= last) ? all.erase(it) : std::next(it);
  }

  std::string path_;
  bool attachments_;
  std::string entity_;
  bool open_ = false;
  StoredAttachment pending_;
};

}  // namespace

SPSYNC_SINK_PLUGIN(MemorySink, "memory", "2.3.4", "keeps items in memory, for host tests",
                   SPSYNC_CAP_DELETE_RANGES | SPSYNC_CAP_SNAPSHOT)
