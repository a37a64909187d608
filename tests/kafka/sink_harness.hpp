// Test harness shared by the Kafka and S3 sink tests: loads a sink plugin
// through the real C ABI (dlopen + spsync_sink_entry, as any host would),
// builds spsync_item / spsync_schema structs by hand, and runs the Node.js
// peers as child processes.
#ifndef SPSYNC_TESTS_KAFKA_SINK_HARNESS_HPP_
#define SPSYNC_TESTS_KAFKA_SINK_HARNESS_HPP_

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spsync/sink.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace spsync_test {

struct Status {
  spsync_status code = SPSYNC_OK;
  std::string message;
  bool ok() const { return code == SPSYNC_OK; }
};

inline const char* StatusName(spsync_status s) {
  switch (s) {
    case SPSYNC_OK:
      return "OK";
    case SPSYNC_RETRYABLE:
      return "RETRYABLE";
    case SPSYNC_FATAL:
      return "FATAL";
    case SPSYNC_REJECTED:
      return "REJECTED";
  }
  return "?";
}

// The host side of one call: collects the message the plugin attaches.
struct CallContext {
  spsync_call call{};
  std::string message;
  CallContext() {
    call.struct_size = sizeof(call);
    call.host_data = this;
    call.set_message = [](spsync_call* c, const char* msg, size_t len) {
      static_cast<CallContext*>(c->host_data)->message.assign(msg, len);
    };
    call.reject = [](spsync_call* c, size_t index, const char* msg, size_t len) {
      static_cast<CallContext*>(c->host_data)->message =
          "rejected #" + std::to_string(index) + ": " + std::string(msg, len);
    };
  }
  Status Done(spsync_status s) const { return Status{s, message}; }
};

// A loaded plugin. The library is never dlclose()d: librdkafka keeps
// background threads alive a little after rd_kafka_destroy, and unmapping
// code they run would crash the test process; a host does the same.
class Plugin {
 public:
  explicit Plugin(const std::string& path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto entry = reinterpret_cast<spsync_sink_entry_fn>(dlsym(handle_, SPSYNC_SINK_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error("no " SPSYNC_SINK_ENTRY_SYMBOL " in " + path);
    host_.struct_size = sizeof(host_);
    host_.abi_min = SPSYNC_SINK_ABI_MAKE(1, 0);
    host_.abi_max = SPSYNC_SINK_ABI_VERSION;
    host_.host_version = "test";
    host_.host_data = this;
    host_.log = [](void* data, int32_t level, const char* msg, size_t len) {
      auto* self = static_cast<Plugin*>(data);
      std::lock_guard<std::mutex> lock(self->log_mutex_);
      self->logs_.push_back(std::to_string(level) + " " + std::string(msg, len));
    };
    spsync_negotiation neg;
    std::memset(&neg, 0, sizeof(neg));
    neg.struct_size = sizeof(neg);
    if (entry(&host_, &neg) != SPSYNC_OK || neg.vtable == nullptr)
      throw std::runtime_error(std::string("negotiation refused: ") + neg.message);
    if (SPSYNC_SINK_ABI_MAJOR_OF(neg.abi_version) != 1)
      throw std::runtime_error("plugin chose an ABI this host does not speak");
    vt_ = neg.vtable;
  }
  const spsync_sink_vtable& vt() const { return *vt_; }
  std::vector<std::string> logs() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    return logs_;
  }
  std::map<std::string, const spsync_option*> Options() const {
    const spsync_option* const* opts = nullptr;
    size_t count = 0;
    vt_->describe_options(&opts, &count);
    std::map<std::string, const spsync_option*> out;
    for (size_t i = 0; i < count; ++i) out[opts[i]->name] = opts[i];
    return out;
  }

 private:
  void* handle_ = nullptr;
  spsync_host host_{};
  const spsync_sink_vtable* vt_ = nullptr;
  std::mutex log_mutex_;
  std::vector<std::string> logs_;
};

inline spsync_str S(const std::string& s) {
  return spsync_str{s.data(), s.size()};
}

// One item, owning the bytes its spsync_item points into.
struct Item {
  int64_t id = 0;
  std::string guid, modified, version, raw_json, title, due_iso, tags_json;
  double amount = 0;
  int64_t quantity = 0;
  bool paid = false;
  int64_t modified_unix = 0;
  std::vector<spsync_value> values;
  spsync_item raw{};

  const spsync_item* Build() {
    values.assign(6, spsync_value{});
    values[0].type = SPSYNC_VALUE_TEXT;
    values[0].s = S(title);
    values[1].type = SPSYNC_VALUE_REAL;
    values[1].r = amount;
    values[2].type = SPSYNC_VALUE_INTEGER;
    values[2].i = quantity;
    values[3].type = SPSYNC_VALUE_BOOLEAN;
    values[3].i = paid ? 1 : 0;
    values[4].type = SPSYNC_VALUE_DATETIME;
    values[4].i = modified_unix + 86400 * 7;
    values[4].s = S(due_iso);
    values[5].type = SPSYNC_VALUE_JSON;
    values[5].s = S(tags_json);
    raw.struct_size = sizeof(raw);
    raw.kind = SPSYNC_CHANGE_FULL_SYNC;
    raw.id = id;
    raw.guid = S(guid);
    raw.modified = S(modified);
    raw.modified_unix = modified_unix;
    raw.version = S(version);
    raw.raw_json = S(raw_json);
    raw.values = values.data();
    raw.value_count = values.size();
    return &raw;
  }
};

inline constexpr const char* kListId = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b";

// A SharePoint-shaped item whose content depends on (id, revision), so a test
// can tell which write a record came from. `pad` grows the item (multipart
// tests).
inline std::unique_ptr<Item> MakeItem(int64_t id, int revision, size_t pad = 0) {
  auto it = std::make_unique<Item>();
  it->id = id;
  char guid[40];
  std::snprintf(guid, sizeof(guid), "a1b2c3d4-0000-4000-8000-%012lld", static_cast<long long>(id));
  it->guid = guid;
  it->modified_unix = 1706688000 + id * 60 + revision;
  char modified[32];
  std::time_t t = static_cast<std::time_t>(it->modified_unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(modified, sizeof(modified), "%Y-%m-%dT%H:%M:%SZ", &tm);
  it->modified = modified;
  t += 86400 * 7;
  gmtime_r(&t, &tm);
  char due[32];
  std::strftime(due, sizeof(due), "%Y-%m-%dT%H:%M:%SZ", &tm);
  it->due_iso = due;
  it->version = std::to_string(revision);
  it->title = "Order " + std::to_string(id) + " \"rev " + std::to_string(revision) + "\"";
  it->amount = static_cast<double>(id) * 1.25 + revision;
  it->quantity = id % 7 + revision;
  it->paid = (id + revision) % 2 == 0;
  it->tags_json = "{\"results\":[\"north\",\"r" + std::to_string(revision) + "\"]}";
  std::string padding(pad, 'x');
  it->raw_json = "{\"odata.type\":\"SP.Data.OrdersListItem\",\"odata.id\":\"Web/Lists(guid'" +
                 std::string(kListId) + "')/Items(" + std::to_string(id) +
                 ")\",\"odata.etag\":\"\\\"" + std::to_string(revision) +
                 "\\\"\",\"Id\":" + std::to_string(id) + ",\"ID\":" + std::to_string(id) +
                 ",\"Title\":\"Order " + std::to_string(id) + " \\\"rev " +
                 std::to_string(revision) + "\\\"\",\"Amount\":" + std::to_string(it->amount) +
                 ",\"Quantity\":" + std::to_string(it->quantity) +
                 ",\"Paid\":" + (it->paid ? "true" : "false") + ",\"Due\":\"" + due +
                 "\",\"Tags\":" + it->tags_json + ",\"Modified\":\"" + modified + "\",\"GUID\":\"" +
                 guid + "\",\"Notes\":\"line1\\nline2 caf\xc3\xa9" + padding + "\"}";
  it->Build();
  return it;
}

// The schema of MakeItem's values, owning its bytes.
struct SchemaDef {
  std::string entity, list_id = kListId, list_title = "Orders", fingerprint = "fp-1";
  std::vector<std::array<std::string, 3>> defs = {
      {"Title", "Title", "Text"},          {"Amount", "Amount", "Currency"},
      {"Quantity", "Quantity", "Integer"}, {"Paid", "Paid", "Boolean"},
      {"Due", "Due date", "DateTime"},     {"Tags", "Tags", "MultiChoice"}};
  std::vector<spsync_field> fields;
  std::vector<const spsync_field*> pointers;
  spsync_schema raw{};

  explicit SchemaDef(std::string e) : entity(std::move(e)) {
    const int32_t types[] = {SPSYNC_VALUE_TEXT,    SPSYNC_VALUE_REAL,     SPSYNC_VALUE_INTEGER,
                             SPSYNC_VALUE_BOOLEAN, SPSYNC_VALUE_DATETIME, SPSYNC_VALUE_JSON};
    fields.resize(defs.size());
    for (size_t i = 0; i < defs.size(); ++i) {
      fields[i].struct_size = sizeof(spsync_field);
      fields[i].value_type = types[i];
      fields[i].name = S(defs[i][0]);
      fields[i].title = S(defs[i][1]);
      fields[i].sp_type = S(defs[i][2]);
    }
    for (auto& f : fields) pointers.push_back(&f);
    raw.struct_size = sizeof(raw);
    raw.entity = S(entity);
    raw.list_id = S(list_id);
    raw.list_title = S(list_title);
    raw.fields = pointers.data();
    raw.field_count = pointers.size();
    raw.fingerprint = S(fingerprint);
  }
};

// One open sink instance: every call goes through the vtable.
class Sink {
 public:
  explicit Sink(Plugin& plugin) : plugin_(plugin) {}
  ~Sink() { Close(); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  Status Open(const std::map<std::string, std::string>& config) {
    std::vector<spsync_kv> kvs;
    for (const auto& [k, v] : config) kvs.push_back(spsync_kv{S(k), S(v)});
    CallContext c;
    return c.Done(plugin_.vt().open(&c.call, kvs.data(), kvs.size(), &inst_));
  }
  Status LoadState(const std::string& entity, std::string* state) {
    CallContext c;
    const void* data = nullptr;
    size_t len = 0;
    Status s = c.Done(plugin_.vt().load_state(inst_, &c.call, S(entity), &data, &len));
    if (s.ok()) state->assign(static_cast<const char*>(data), len);
    return s;
  }
  Status Begin(const SchemaDef& schema) {
    CallContext c;
    return c.Done(plugin_.vt().begin(inst_, &c.call, &schema.raw));
  }
  // Upserts MakeItem(id, revision) for every id in [first, last].
  Status UpsertRange(int64_t first, int64_t last, int revision, size_t pad = 0) {
    std::vector<std::unique_ptr<Item>> items;
    std::vector<const spsync_item*> ptrs;
    for (int64_t id = first; id <= last; ++id) {
      items.push_back(MakeItem(id, revision, pad));
      ptrs.push_back(&items.back()->raw);
    }
    CallContext c;
    return c.Done(plugin_.vt().upsert(inst_, &c.call, ptrs.data(), ptrs.size()));
  }
  Status Upsert(const std::vector<const spsync_item*>& items) {
    CallContext c;
    return c.Done(plugin_.vt().upsert(inst_, &c.call, items.data(), items.size()));
  }
  Status Delete(const std::vector<int64_t>& ids) {
    CallContext c;
    return c.Done(plugin_.vt().delete_items(inst_, &c.call, ids.data(), ids.size()));
  }
  Status Persist(const std::string& state) {
    CallContext c;
    return c.Done(plugin_.vt().persist(inst_, &c.call, state.data(), state.size()));
  }
  Status Snapshot() {
    CallContext c;
    return c.Done(plugin_.vt().snapshot(inst_, &c.call));
  }
  Status Check() {
    CallContext c;
    return c.Done(plugin_.vt().check(inst_, &c.call));
  }
  void Close() {
    if (inst_ != nullptr) plugin_.vt().close(inst_);
    inst_ = nullptr;
  }

 private:
  Plugin& plugin_;
  spsync_instance* inst_ = nullptr;
};

// ---- Child processes --------------------------------------------------------

// A child with its stdout on a pipe; killed (SIGTERM, then SIGKILL) on
// destruction if still running.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
    }
    out_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 50 && !TryWait(); ++i) usleep(20000);
      if (!exited_) {
        kill(pid_, SIGKILL);
        Wait();
      }
    }
    if (out_ >= 0) close(out_);
  }
  // Reads one line of stdout ("" on EOF or timeout).
  std::string ReadLine(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return {};
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[65536];
      ssize_t n = read(out_, buf, sizeof(buf));
      if (n <= 0) return {};
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }
  std::string ReadAll() {
    char buf[65536];
    ssize_t n;
    while ((n = read(out_, buf, sizeof(buf))) > 0) buffer_.append(buf, static_cast<size_t>(n));
    std::string all = std::move(buffer_);
    buffer_.clear();
    return all;
  }
  // Waits for exit; returns the wait status.
  int Wait() {
    if (!exited_) {
      while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      exited_ = true;
    }
    return status_;
  }
  pid_t pid() const { return pid_; }

 private:
  bool TryWait() {
    if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
    return exited_;
  }
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
  bool exited_ = false;
  int status_ = 0;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
};

// Runs argv to completion, capturing stdout (stderr passes through, so a
// failing Node script explains itself in the ctest log).
inline RunResult Run(const std::vector<std::string>& argv) {
  Child child(argv);
  RunResult r;
  r.out = child.ReadAll();
  int status = child.Wait();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace spsync_test

#endif  // SPSYNC_TESTS_KAFKA_SINK_HARNESS_HPP_
