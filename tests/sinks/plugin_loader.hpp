// Loads a built sink plugin through the real C ABI (dlopen + spsync_sink_entry)
// and wraps its vtable for tests. Nothing here knows how the sinks are
// written: the tests see exactly what the engine's host would see.
#pragma once

#include <spsync/sink.h>

#include <dlfcn.h>

#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::test {

// Log lines the plugins wrote through the host's log service.
class LogCollector {
 public:
  static LogCollector& Get() {
    static LogCollector c;
    return c;
  }
  static void Log(void* host_data, int32_t level, const char* msg, size_t len) {
    auto* self = static_cast<LogCollector*>(host_data);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->lines_.emplace_back(level, std::string(msg, len));
  }
  std::vector<std::pair<int32_t, std::string>> Lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.clear();
  }
  bool Contains(int32_t level, const std::string& needle) {
    for (const auto& [l, text] : Lines())
      if (l == level && text.find(needle) != std::string::npos) return true;
    return false;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<int32_t, std::string>> lines_;
};

// What one call returned.
struct Result {
  spsync_status status = SPSYNC_OK;
  std::string message;
  std::vector<std::pair<size_t, std::string>> rejects;
  bool ok() const { return status == SPSYNC_OK; }
};

// The per-call context handed to the plugin; collects message and rejects.
class CallContext {
 public:
  CallContext() {
    std::memset(&call_, 0, sizeof(call_));
    call_.struct_size = sizeof(call_);
    call_.host_data = this;
    call_.set_message = &SetMessage;
    call_.reject = &Reject;
  }
  spsync_call* get() { return &call_; }
  Result Finish(spsync_status status) {
    result_.status = status;
    return std::move(result_);
  }

 private:
  static void SetMessage(spsync_call* call, const char* msg, size_t len) {
    static_cast<CallContext*>(call->host_data)->result_.message.assign(msg, len);
  }
  static void Reject(spsync_call* call, size_t index, const char* msg, size_t len) {
    static_cast<CallContext*>(call->host_data)
        ->result_.rejects.emplace_back(index, std::string(msg, len));
  }
  spsync_call call_;
  Result result_;
};

inline spsync_str S(const std::string& s) {
  return spsync_str{s.data(), s.size()};
}

inline std::string Str(spsync_str s) {
  return s.len == 0 ? std::string() : std::string(s.data, s.len);
}

// An attachment as a test builds or reads it (owning its text).
struct AttachmentRecord {
  int64_t item_id = 0;
  std::string file_name;
  int64_t size = -1;
  std::string sha256, etag, modified, url;
  int64_t modified_unix = 0;

  // The ABI view; valid while this record lives.
  spsync_attachment Raw() const {
    spsync_attachment a;
    std::memset(&a, 0, sizeof(a));
    a.struct_size = sizeof(a);
    a.item_id = item_id;
    a.file_name = S(file_name);
    a.size = size;
    a.sha256 = S(sha256);
    a.etag = S(etag);
    a.modified = S(modified);
    a.modified_unix = modified_unix;
    a.url = S(url);
    return a;
  }
  static AttachmentRecord From(const spsync_attachment& a) {
    AttachmentRecord r;
    r.item_id = a.item_id;
    r.file_name = Str(a.file_name);
    r.size = a.size;
    r.sha256 = Str(a.sha256);
    r.etag = Str(a.etag);
    r.modified = Str(a.modified);
    r.modified_unix = a.modified_unix;
    r.url = Str(a.url);
    return r;
  }
};

// What read_items / read_versions returned, copied out.
struct ReadValue {
  int32_t type = SPSYNC_VALUE_NULL;
  int64_t i = 0;
  double r = 0;
  std::string s;
};
struct ReadItem {
  int64_t id = 0;
  std::string raw_json, modified, version;
  std::vector<ReadValue> values;
};
struct ReadVersion {
  int64_t item_id = 0, version_id = 0, editor_id = 0, modified_unix = 0;
  std::string label, modified, editor_name, editor_email, raw_json;
  std::vector<ReadValue> values;
};
struct ReadField {
  std::string name, title, sp_type, resolves, definition;
  int32_t value_type = 0, role = 0;
};
struct ReadSchemaResult {
  bool present = false;
  std::string entity, list_id, list_title, fingerprint, definition;
  std::vector<ReadField> fields;
};

inline std::vector<ReadValue> CopyValues(const spsync_value* values, size_t count) {
  std::vector<ReadValue> out;
  for (size_t i = 0; i < count; ++i)
    out.push_back(ReadValue{values[i].type, values[i].i, values[i].r, Str(values[i].s)});
  return out;
}

// One open sink instance.
class Instance {
 public:
  Instance(const spsync_sink_vtable* vt, spsync_instance* inst) : vt_(vt), inst_(inst) {}
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  Instance(Instance&& o) noexcept : vt_(o.vt_), inst_(std::exchange(o.inst_, nullptr)) {}
  ~Instance() { Close(); }

  void Close() {
    if (inst_ != nullptr) vt_->close(std::exchange(inst_, nullptr));
  }

  Result LoadState(const std::string& entity, std::string* state = nullptr) {
    CallContext ctx;
    const void* data = nullptr;
    size_t len = 0;
    spsync_status st = vt_->load_state(inst_, ctx.get(), S(entity), &data, &len);
    if (state != nullptr)
      *state = st == SPSYNC_OK && len != 0 ? std::string(static_cast<const char*>(data), len)
                                           : std::string();
    return ctx.Finish(st);
  }
  Result Begin(const spsync_schema* schema) {
    CallContext ctx;
    return ctx.Finish(vt_->begin(inst_, ctx.get(), schema));
  }
  Result Upsert(const std::vector<const spsync_item*>& items) {
    CallContext ctx;
    return ctx.Finish(vt_->upsert(inst_, ctx.get(), items.data(), items.size()));
  }
  Result Delete(const std::vector<int64_t>& ids) {
    CallContext ctx;
    return ctx.Finish(vt_->delete_items(inst_, ctx.get(), ids.data(), ids.size()));
  }
  Result DeleteRanges(const std::vector<spsync_id_range>& ranges) {
    if (vt_->delete_ranges == nullptr) throw std::logic_error("plugin has no delete_ranges");
    CallContext ctx;
    return ctx.Finish(vt_->delete_ranges(inst_, ctx.get(), ranges.data(), ranges.size()));
  }
  Result Persist(const std::string& state) {
    CallContext ctx;
    return ctx.Finish(vt_->persist(inst_, ctx.get(), state.data(), state.size()));
  }
  Result Snapshot() {
    if (vt_->snapshot == nullptr) throw std::logic_error("plugin has no snapshot");
    CallContext ctx;
    return ctx.Finish(vt_->snapshot(inst_, ctx.get()));
  }
  Result Check() {
    if (vt_->check == nullptr) throw std::logic_error("plugin has no check");
    CallContext ctx;
    return ctx.Finish(vt_->check(inst_, ctx.get()));
  }

  // ---- ABI 1.2 ----
  uint64_t Capabilities() const {
    return vt_->instance_capabilities != nullptr ? vt_->instance_capabilities(inst_)
                                                 : vt_->capabilities;
  }
  Result AttachmentBegin(const AttachmentRecord& a) {
    CallContext ctx;
    spsync_attachment raw = a.Raw();
    return ctx.Finish(vt_->attachment_begin(inst_, ctx.get(), &raw));
  }
  Result AttachmentWrite(std::string_view bytes) {
    CallContext ctx;
    return ctx.Finish(vt_->attachment_write(inst_, ctx.get(), bytes.data(), bytes.size()));
  }
  Result AttachmentCommit(const AttachmentRecord& a) {
    CallContext ctx;
    spsync_attachment raw = a.Raw();
    return ctx.Finish(vt_->attachment_commit(inst_, ctx.get(), &raw));
  }
  void AttachmentAbort() { vt_->attachment_abort(inst_); }
  Result AttachmentDelete(int64_t item_id, const std::string& file_name) {
    CallContext ctx;
    return ctx.Finish(vt_->attachment_delete(inst_, ctx.get(), item_id, S(file_name)));
  }
  Result ListAttachments(const std::vector<int64_t>& ids, std::vector<AttachmentRecord>* out) {
    CallContext ctx;
    const spsync_attachment* const* list = nullptr;
    size_t n = 0;
    spsync_status st = vt_->attachment_list(inst_, ctx.get(), ids.data(), ids.size(), &list, &n);
    out->clear();
    if (st == SPSYNC_OK)
      for (size_t i = 0; i < n; ++i) out->push_back(AttachmentRecord::From(*list[i]));
    return ctx.Finish(st);
  }
  Result WriteVersions(const std::vector<const spsync_version*>& versions) {
    CallContext ctx;
    return ctx.Finish(vt_->write_versions(inst_, ctx.get(), versions.data(), versions.size()));
  }
  Result ReadSchema(ReadSchemaResult* out) {
    CallContext ctx;
    const spsync_schema* schema = nullptr;
    spsync_status st = vt_->read_schema(inst_, ctx.get(), &schema);
    *out = ReadSchemaResult();
    if (st == SPSYNC_OK && schema != nullptr) {
      out->present = true;
      out->entity = Str(schema->entity);
      out->list_id = Str(schema->list_id);
      out->list_title = Str(schema->list_title);
      out->fingerprint = Str(schema->fingerprint);
      out->definition = Str(schema->definition);
      for (size_t i = 0; i < schema->field_count; ++i) {
        const spsync_field& f = *schema->fields[i];
        out->fields.push_back(ReadField{Str(f.name), Str(f.title), Str(f.sp_type), Str(f.resolves),
                                        Str(f.definition), f.value_type, f.role});
      }
    }
    return ctx.Finish(st);
  }
  Result ReadItems(int64_t after_id, size_t max_count, std::vector<ReadItem>* out) {
    CallContext ctx;
    const spsync_item* const* items = nullptr;
    size_t n = 0;
    spsync_status st = vt_->read_items(inst_, ctx.get(), after_id, max_count, &items, &n);
    out->clear();
    if (st == SPSYNC_OK)
      for (size_t i = 0; i < n; ++i)
        out->push_back(ReadItem{items[i]->id, Str(items[i]->raw_json), Str(items[i]->modified),
                                Str(items[i]->version),
                                CopyValues(items[i]->values, items[i]->value_count)});
    return ctx.Finish(st);
  }
  // Every live item, read in batches of `batch`.
  std::vector<ReadItem> ReadAllItems(size_t batch) {
    std::vector<ReadItem> all, page;
    for (int64_t after = 0;;) {
      Result r = ReadItems(after, batch, &page);
      if (!r.ok()) throw std::runtime_error("read_items: " + r.message);
      if (page.empty()) return all;
      if (page.size() > batch) throw std::runtime_error("read_items returned too many");
      after = page.back().id;
      all.insert(all.end(), page.begin(), page.end());
    }
  }
  Result ReadVersions(int64_t after_item, int64_t after_version, size_t max_count,
                      std::vector<ReadVersion>* out) {
    CallContext ctx;
    const spsync_version* const* versions = nullptr;
    size_t n = 0;
    spsync_status st =
        vt_->read_versions(inst_, ctx.get(), after_item, after_version, max_count, &versions, &n);
    out->clear();
    if (st == SPSYNC_OK) {
      for (size_t i = 0; i < n; ++i) {
        const spsync_version& v = *versions[i];
        out->push_back(ReadVersion{v.item_id, v.version_id, v.editor_id, v.modified_unix,
                                   Str(v.label), Str(v.modified), Str(v.editor_name),
                                   Str(v.editor_email), Str(v.raw_json),
                                   CopyValues(v.values, v.value_count)});
      }
    }
    return ctx.Finish(st);
  }
  std::vector<ReadVersion> ReadAllVersions(size_t batch) {
    std::vector<ReadVersion> all, page;
    for (std::pair<int64_t, int64_t> after{0, 0};;) {
      Result r = ReadVersions(after.first, after.second, batch, &page);
      if (!r.ok()) throw std::runtime_error("read_versions: " + r.message);
      if (page.empty()) return all;
      after = {page.back().item_id, page.back().version_id};
      all.insert(all.end(), page.begin(), page.end());
    }
  }
  // One attachment_read call.
  Result ReadAttachmentAt(int64_t item_id, const std::string& name, uint64_t offset, char* buffer,
                          size_t capacity, size_t* len) {
    CallContext ctx;
    *len = 0;
    return ctx.Finish(
        vt_->attachment_read(inst_, ctx.get(), item_id, S(name), offset, buffer, capacity, len));
  }
  // The whole content of one attachment, read in pieces of `piece` bytes.
  Result ReadAttachment(int64_t item_id, const std::string& name, std::string* content,
                        size_t piece = 65536) {
    content->clear();
    std::vector<char> buf(piece);
    for (;;) {
      CallContext ctx;
      size_t n = 0;
      spsync_status st = vt_->attachment_read(inst_, ctx.get(), item_id, S(name), content->size(),
                                              buf.data(), buf.size(), &n);
      if (st != SPSYNC_OK) return ctx.Finish(st);
      if (n == 0) return ctx.Finish(st);
      content->append(buf.data(), n);
    }
  }

 private:
  const spsync_sink_vtable* vt_;
  spsync_instance* inst_;
};

// A loaded plugin library. Libraries stay loaded for the life of the test
// process (as in the engine), so one Plugin per name is cached.
class Plugin {
 public:
  static Plugin& Load(const std::string& name) {
    static std::map<std::string, Plugin*> loaded;
    auto it = loaded.find(name);
    if (it != loaded.end()) return *it->second;
    auto* p = new Plugin(std::string(SPSYNC_PLUGIN_BUILD_DIR) + "/libspsync-sink-" + name + ".so");
    loaded[name] = p;
    return *p;
  }

  const spsync_sink_vtable& vtable() const { return *vt_; }

  std::vector<const spsync_option*> Options() const {
    const spsync_option* const* options = nullptr;
    size_t count = 0;
    vt_->describe_options(&options, &count);
    return std::vector<const spsync_option*>(options, options + count);
  }

  // Opens an instance; on failure returns the status and message instead.
  std::pair<Result, Instance> Open(const std::map<std::string, std::string>& config) {
    std::vector<spsync_kv> kvs;
    for (const auto& [k, v] : config) kvs.push_back(spsync_kv{S(k), S(v)});
    CallContext ctx;
    spsync_instance* inst = nullptr;
    spsync_status st = vt_->open(ctx.get(), kvs.data(), kvs.size(), &inst);
    return {ctx.Finish(st), Instance(vt_, st == SPSYNC_OK ? inst : nullptr)};
  }

  // Opens or throws: for tests where opening is not the subject.
  Instance MustOpen(const std::map<std::string, std::string>& config) {
    auto [r, inst] = Open(config);
    if (!r.ok()) throw std::runtime_error("open failed: " + r.message);
    return std::move(inst);
  }

 private:
  explicit Plugin(const std::string& path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto entry = reinterpret_cast<spsync_sink_entry_fn>(dlsym(handle_, SPSYNC_SINK_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error(path + " does not export spsync_sink_entry");
    std::memset(&host_, 0, sizeof(host_));
    host_.struct_size = sizeof(host_);
    host_.abi_min = SPSYNC_SINK_ABI_MAKE(1, 0);
    host_.abi_max = SPSYNC_SINK_ABI_VERSION;
    host_.host_version = "test";
    host_.host_data = &LogCollector::Get();
    host_.log = &LogCollector::Log;
    spsync_negotiation out;
    std::memset(&out, 0, sizeof(out));
    out.struct_size = sizeof(out);
    if (entry(&host_, &out) != SPSYNC_OK || out.vtable == nullptr)
      throw std::runtime_error(path + " refused negotiation: " + out.message);
    vt_ = out.vtable;
  }

  void* handle_ = nullptr;
  spsync_host host_;
  const spsync_sink_vtable* vt_ = nullptr;
};

}  // namespace spsync::test
