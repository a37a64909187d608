// spsync sink SDK, C++ helper (header-only, C++17).
//
// Write a sink as a class derived from spsync::sdk::Sink, override what it
// supports, and export it with one macro:
//
//   class JsonlSink : public spsync::sdk::Sink {
//    public:
//     explicit JsonlSink(const spsync::sdk::Config& config);
//     std::string LoadState(std::string_view entity) override;
//     void Begin(const spsync::sdk::Schema& schema) override;
//     void Upsert(spsync::sdk::Items items, spsync::sdk::Call& call) override;
//     void Delete(spsync::sdk::Ids ids, spsync::sdk::Call& call) override;
//     void Persist(std::string_view state) override;
//     static const std::vector<spsync_option>& Options();
//   };
//   SPSYNC_SINK_PLUGIN(JsonlSink, "jsonl", "1.0.0", "JSON lines files", 0)
//
// Errors are exceptions inside the plugin and statuses at the boundary:
// throw spsync::sdk::Retryable / spsync::sdk::Fatal (or anything derived
// from std::exception, which becomes FATAL with its what()). Nothing ever
// propagates across the C ABI.
//
// Thread safety: the host serialises calls on one instance, so a Sink needs
// no locking of its own members. A plugin that declares
// SPSYNC_CAP_THREAD_SAFE must make any state shared between instances safe.
#ifndef SPSYNC_SINK_HPP_
#define SPSYNC_SINK_HPP_

#include <spsync/sink.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync {
namespace sdk {

// ---- Errors -----------------------------------------------------------------

// Thrown by a sink to return a status other than OK. The message is copied to
// the host.
class Error : public std::runtime_error {
 public:
  Error(spsync_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  spsync_status status() const { return status_; }

 private:
  spsync_status status_;
};

// Transient failure: nothing was committed by this call, the host retries.
class Retryable : public Error {
 public:
  explicit Retryable(const std::string& message) : Error(SPSYNC_RETRYABLE, message) {}
};

// Permanent failure: the session fails and the state does not advance.
class Fatal : public Error {
 public:
  explicit Fatal(const std::string& message) : Error(SPSYNC_FATAL, message) {}
};

// ---- Views ------------------------------------------------------------------

inline std::string_view View(spsync_str s) {
  return s.len == 0 ? std::string_view() : std::string_view(s.data, s.len);
}
inline spsync_str Str(std::string_view s) {
  return spsync_str{s.data(), s.size()};
}

// A borrowed array, valid for the call it was passed to.
template <typename T>
class Span {
 public:
  Span(const T* data, size_t size) : data_(data), size_(size) {}
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  const T* data_;
  size_t size_;
};

using Items = Span<const spsync_item*>;
using Ids = Span<int64_t>;
using Ranges = Span<spsync_id_range>;

// The schema passed to Begin(). Borrowed: copy what you keep.
struct Schema {
  const spsync_schema* raw;
  std::string_view entity() const { return View(raw->entity); }
  std::string_view list_id() const { return View(raw->list_id); }
  std::string_view list_title() const { return View(raw->list_title); }
  std::string_view fingerprint() const { return View(raw->fingerprint); }
  size_t size() const { return raw->field_count; }
  const spsync_field& field(size_t i) const { return *raw->fields[i]; }
};

// ---- Host services ----------------------------------------------------------

namespace detail {
inline const spsync_host*& HostSlot() {
  static const spsync_host* host = nullptr;
  return host;
}
}  // namespace detail

// Logs through the host. Safe from any thread; a no-op before negotiation.
inline void Log(spsync_log_level level, std::string_view message) {
  const spsync_host* host = detail::HostSlot();
  if (host != nullptr && host->log != nullptr) {
    host->log(host->host_data, level, message.data(), message.size());
  }
}

// The per-call context: attach a message, reject single records.
class Call {
 public:
  explicit Call(spsync_call* call) : call_(call) {}
  // Marks record `index` of the current batch as refused; the call then
  // returns REJECTED and the host dead-letters that record.
  void Reject(size_t index, std::string_view why) {
    rejected_ = true;
    if (call_ != nullptr && call_->reject != nullptr)
      call_->reject(call_, index, why.data(), why.size());
  }
  void Message(std::string_view text) {
    if (call_ != nullptr && call_->set_message != nullptr)
      call_->set_message(call_, text.data(), text.size());
  }
  bool rejected() const { return rejected_; }

 private:
  spsync_call* call_;
  bool rejected_ = false;
};

// ---- Config -----------------------------------------------------------------

// The operator's key/value options for one sink, with typed accessors that
// name the key in their errors.
class Config {
 public:
  Config() = default;
  Config(const spsync_kv* kvs, size_t count) {
    for (size_t i = 0; i < count; ++i)
      values_[std::string(View(kvs[i].key))] = std::string(View(kvs[i].value));
  }
  bool Has(const std::string& key) const { return values_.count(key) != 0; }
  std::string Get(const std::string& key, const std::string& fallback = "") const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }
  std::string Require(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end() || it->second.empty()) throw Fatal("option '" + key + "' is required");
    return it->second;
  }
  long long GetInt(const std::string& key, long long fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    try {
      size_t used = 0;
      long long v = std::stoll(it->second, &used, 10);
      if (used != it->second.size()) throw std::invalid_argument(it->second);
      return v;
    } catch (const std::exception&) {
      throw Fatal("option '" + key + "' must be an integer, got '" + it->second + "'");
    }
  }
  bool GetBool(const std::string& key, bool fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    if (it->second == "true" || it->second == "1" || it->second == "yes") return true;
    if (it->second == "false" || it->second == "0" || it->second == "no") return false;
    throw Fatal("option '" + key + "' must be true or false, got '" + it->second + "'");
  }
  // Every entry whose key starts with `prefix`, prefix removed.
  std::map<std::string, std::string> WithPrefix(const std::string& prefix) const {
    std::map<std::string, std::string> out;
    for (const auto& kv : values_)
      if (kv.first.compare(0, prefix.size(), prefix) == 0)
        out[kv.first.substr(prefix.size())] = kv.second;
    return out;
  }
  const std::map<std::string, std::string>& all() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// ---- Text helpers -----------------------------------------------------------

// Appends `s` as a JSON string literal, quotes included (RFC 8259 escapes;
// bytes >= 0x80 pass through, so UTF-8 stays UTF-8).
inline void AppendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Standard base64 (RFC 4648, padded): how a sink keeps the engine's opaque
// state bytes in a text format (a JSON state file, an object's metadata).
inline std::string Base64Encode(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint32_t(uint8_t(bytes[i + 2]));
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// The inverse; throws Fatal naming `what` on a character outside the alphabet.
inline std::string Base64Decode(std::string_view text, const std::string& what) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) throw Fatal(what + ": invalid base64");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// ---- The base class ---------------------------------------------------------

class Sink {
 public:
  virtual ~Sink() = default;
  // Binds to `entity`; returns the last persisted state, empty if none.
  virtual std::string LoadState(std::string_view entity) = 0;
  virtual void Begin(const Schema& schema) = 0;
  virtual void Upsert(Items items, Call& call) = 0;
  virtual void Delete(Ids ids, Call& call) = 0;
  // Only called if the plugin declares SPSYNC_CAP_DELETE_RANGES.
  virtual void DeleteRanges(Ranges /*ranges*/, Call& /*call*/) {
    throw Fatal("this sink does not support delete ranges");
  }
  virtual void Persist(std::string_view state) = 0;
  // Only called if the plugin declares SPSYNC_CAP_SNAPSHOT.
  virtual void Snapshot(Call& /*call*/) { throw Fatal("this sink does not support snapshots"); }
  // Reachability check for `spsync validate --connect`; default: nothing to check.
  virtual void Check(Call& /*call*/) {}
};

namespace detail {

// What the plugin hands the host as spsync_instance*.
struct Instance {
  std::unique_ptr<Sink> sink;
  std::string state;  // keeps LoadState's bytes alive until the next call
};

inline void SetMessage(spsync_call* call, std::string_view text) {
  if (call != nullptr && call->set_message != nullptr)
    call->set_message(call, text.data(), text.size());
}

// Runs `fn`, turning every exception into a status and a message.
template <typename Fn>
spsync_status Guard(spsync_call* call, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const Error& e) {
    SetMessage(call, e.what());
    return e.status();
  } catch (const std::bad_alloc&) {
    SetMessage(call, "out of memory");
    return SPSYNC_FATAL;
  } catch (const std::exception& e) {
    SetMessage(call, e.what());
    return SPSYNC_FATAL;
  } catch (...) {
    SetMessage(call, "unknown exception");
    return SPSYNC_FATAL;
  }
}

inline Sink& Of(spsync_instance* inst) {
  return *reinterpret_cast<Instance*>(inst)->sink;
}

template <typename T>
struct Trampolines {
  static void DescribeOptions(const spsync_option* const** options, size_t* count) {
    static const std::vector<spsync_option>& table = T::Options();
    static const std::vector<const spsync_option*> pointers = [] {
      std::vector<const spsync_option*> p;
      for (const auto& o : table) p.push_back(&o);
      return p;
    }();
    *options = pointers.data();
    *count = pointers.size();
  }
  static spsync_status Open(spsync_call* call, const spsync_kv* config, size_t count,
                            spsync_instance** out) {
    return Guard(call, [&] {
      auto inst = std::make_unique<Instance>();
      inst->sink = std::make_unique<T>(Config(config, count));
      *out = reinterpret_cast<spsync_instance*>(inst.release());
      return SPSYNC_OK;
    });
  }
  static spsync_status LoadState(spsync_instance* inst, spsync_call* call, spsync_str entity,
                                 const void** state, size_t* len) {
    return Guard(call, [&] {
      auto* self = reinterpret_cast<Instance*>(inst);
      self->state = self->sink->LoadState(View(entity));
      *state = self->state.data();
      *len = self->state.size();
      return SPSYNC_OK;
    });
  }
  static spsync_status Begin(spsync_instance* inst, spsync_call* call,
                             const spsync_schema* schema) {
    return Guard(call, [&] {
      Of(inst).Begin(Schema{schema});
      return SPSYNC_OK;
    });
  }
  static spsync_status Upsert(spsync_instance* inst, spsync_call* call,
                              const spsync_item* const* items, size_t count) {
    return Guard(call, [&] {
      Call c(call);
      Of(inst).Upsert(Items(items, count), c);
      return c.rejected() ? SPSYNC_REJECTED : SPSYNC_OK;
    });
  }
  static spsync_status Delete(spsync_instance* inst, spsync_call* call, const int64_t* ids,
                              size_t count) {
    return Guard(call, [&] {
      Call c(call);
      Of(inst).Delete(Ids(ids, count), c);
      return c.rejected() ? SPSYNC_REJECTED : SPSYNC_OK;
    });
  }
  static spsync_status DeleteRanges(spsync_instance* inst, spsync_call* call,
                                    const spsync_id_range* ranges, size_t count) {
    return Guard(call, [&] {
      Call c(call);
      Of(inst).DeleteRanges(Ranges(ranges, count), c);
      return c.rejected() ? SPSYNC_REJECTED : SPSYNC_OK;
    });
  }
  static spsync_status Persist(spsync_instance* inst, spsync_call* call, const void* state,
                               size_t len) {
    return Guard(call, [&] {
      Of(inst).Persist(
          std::string_view(static_cast<const char*>(state), state == nullptr ? 0 : len));
      return SPSYNC_OK;
    });
  }
  static void Close(spsync_instance* inst) {
    try {
      delete reinterpret_cast<Instance*>(inst);
    } catch (...) {
      // A destructor that throws must not cross the boundary.
    }
  }
  static spsync_status Snapshot(spsync_instance* inst, spsync_call* call) {
    return Guard(call, [&] {
      Call c(call);
      Of(inst).Snapshot(c);
      return SPSYNC_OK;
    });
  }
  static spsync_status Check(spsync_instance* inst, spsync_call* call) {
    return Guard(call, [&] {
      Call c(call);
      Of(inst).Check(c);
      return SPSYNC_OK;
    });
  }
};

// The body of spsync_sink_entry() for a plugin built against this header.
inline spsync_status Negotiate(const spsync_host* host, spsync_negotiation* out,
                               const spsync_sink_vtable* vtable) {
  if (out == nullptr) return SPSYNC_FATAL;
  out->abi_version = SPSYNC_SINK_ABI_VERSION;
  if (host == nullptr) {
    std::snprintf(out->message, sizeof(out->message), "no host services table");
    return SPSYNC_FATAL;
  }
  const uint32_t ours = SPSYNC_SINK_ABI_MAJOR;
  if (SPSYNC_SINK_ABI_MAJOR_OF(host->abi_min) > ours ||
      SPSYNC_SINK_ABI_MAJOR_OF(host->abi_max) < ours) {
    std::snprintf(out->message, sizeof(out->message),
                  "plugin '%s' speaks sink ABI %u.%u; the host speaks %u.%u to %u.%u", vtable->name,
                  (unsigned)SPSYNC_SINK_ABI_MAJOR, (unsigned)SPSYNC_SINK_ABI_MINOR,
                  (unsigned)SPSYNC_SINK_ABI_MAJOR_OF(host->abi_min),
                  (unsigned)SPSYNC_SINK_ABI_MINOR_OF(host->abi_min),
                  (unsigned)SPSYNC_SINK_ABI_MAJOR_OF(host->abi_max),
                  (unsigned)SPSYNC_SINK_ABI_MINOR_OF(host->abi_max));
    return SPSYNC_FATAL;
  }
  HostSlot() = host;
  out->vtable = vtable;
  return SPSYNC_OK;
}

template <typename T>
spsync_sink_vtable MakeVtable(const char* name, const char* version, const char* description,
                              uint64_t capabilities) {
  spsync_sink_vtable v;
  std::memset(&v, 0, sizeof(v));
  v.struct_size = sizeof(v);
  v.abi_version = SPSYNC_SINK_ABI_VERSION;
  v.name = name;
  v.version = version;
  v.description = description;
  v.capabilities = capabilities;
  v.describe_options = &Trampolines<T>::DescribeOptions;
  v.open = &Trampolines<T>::Open;
  v.load_state = &Trampolines<T>::LoadState;
  v.begin = &Trampolines<T>::Begin;
  v.upsert = &Trampolines<T>::Upsert;
  v.delete_items = &Trampolines<T>::Delete;
  v.delete_ranges =
      (capabilities & SPSYNC_CAP_DELETE_RANGES) ? &Trampolines<T>::DeleteRanges : nullptr;
  v.persist = &Trampolines<T>::Persist;
  v.close = &Trampolines<T>::Close;
  v.snapshot = (capabilities & SPSYNC_CAP_SNAPSHOT) ? &Trampolines<T>::Snapshot : nullptr;
  v.check = &Trampolines<T>::Check;
  return v;
}

}  // namespace detail

// Builds one option entry for a sink's Options() table.
inline spsync_option Option(const char* name, spsync_option_type type, bool required,
                            const char* default_value, const char* help) {
  spsync_option o;
  std::memset(&o, 0, sizeof(o));
  o.struct_size = sizeof(o);
  o.type = type;
  o.required = required ? 1 : 0;
  o.name = name;
  o.default_value = default_value;
  o.help = help;
  return o;
}

}  // namespace sdk
}  // namespace spsync

// Exports `Class` as this library's sink. Use once per plugin, at namespace
// scope in one source file. `Class` needs a constructor taking
// `const spsync::sdk::Config&` and `static const std::vector<spsync_option>& Options()`.
#define SPSYNC_SINK_PLUGIN(Class, name, version, description, capabilities)                 \
  extern "C" SPSYNC_SINK_EXPORT spsync_status spsync_sink_entry(const spsync_host* host,    \
                                                                spsync_negotiation* out) {  \
    static const spsync_sink_vtable vtable =                                                \
        ::spsync::sdk::detail::MakeVtable<Class>(name, version, description, capabilities); \
    return ::spsync::sdk::detail::Negotiate(host, out, &vtable);                            \
  }

#endif  // SPSYNC_SINK_HPP_
