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
    host_.abi_max = SPSYNC_SINK_ABI_MAKE(1, 1);
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
