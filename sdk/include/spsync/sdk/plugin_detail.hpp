// spsync sink SDK internals: the C trampolines SPSYNC_SINK_PLUGIN builds a
// vtable from, exception guards, ABI negotiation, and the compile-time checks
// that a sink claims only what it implements. Included by sink.hpp after the
// Sink class; nothing here is for sink authors to call.
//
// Thread safety: the trampolines add no state of their own beyond what
// sink.h allows (per instance: the last returned records; per plugin: the
// capabilities, written once during negotiation).
#ifndef SPSYNC_SDK_PLUGIN_DETAIL_HPP_
#define SPSYNC_SDK_PLUGIN_DETAIL_HPP_

#include <spsync/sink.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace spsync {
namespace sdk {

namespace detail {

// Records in the ABI's form, built from owned ones and kept until the next
// call on the instance (sink.h's lifetime for what read/list callbacks return).
struct AttachmentsOut {
  std::vector<AttachmentInfo> records;
  std::vector<spsync_attachment> raw;
  std::vector<const spsync_attachment*> ptrs;
  void Build() {
    raw.assign(records.size(), spsync_attachment());
    ptrs.clear();
    for (size_t i = 0; i < records.size(); ++i) {
      const AttachmentInfo& r = records[i];
      spsync_attachment& a = raw[i];
      std::memset(&a, 0, sizeof(a));
      a.struct_size = sizeof(a);
      a.item_id = r.item_id;
      a.file_name = Str(r.file_name);
      a.size = r.size;
      a.sha256 = Str(r.sha256);
      a.etag = Str(r.etag);
      a.modified = Str(r.modified);
      a.modified_unix = r.modified_unix;
      a.url = Str(r.url);
      ptrs.push_back(&a);
    }
  }
};

inline std::vector<spsync_value> RawValues(const std::vector<StoredValue>& values) {
  std::vector<spsync_value> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(v.Raw());
  return out;
}

struct ItemsOut {
  std::vector<StoredItem> records;
  std::vector<std::vector<spsync_value>> values;
  std::vector<spsync_item> raw;
  std::vector<const spsync_item*> ptrs;
  void Build() {
    values.clear();
    for (const auto& r : records) values.push_back(RawValues(r.values));
    raw.assign(records.size(), spsync_item());
    ptrs.clear();
    for (size_t i = 0; i < records.size(); ++i) {
      const StoredItem& r = records[i];
      spsync_item& it = raw[i];
      std::memset(&it, 0, sizeof(it));
      it.struct_size = sizeof(it);
      it.kind = SPSYNC_CHANGE_FULL_SYNC;
      it.id = r.id;
      it.guid = Str(r.guid);
      it.modified = Str(r.modified);
      it.modified_unix = r.modified_unix;
      it.version = Str(r.version);
      it.raw_json = Str(r.raw_json);
      it.values = values[i].empty() ? nullptr : values[i].data();
      it.value_count = values[i].size();
      ptrs.push_back(&it);
    }
  }
};

struct VersionsOut {
  std::vector<StoredVersion> records;
  std::vector<std::vector<spsync_value>> values;
  std::vector<spsync_version> raw;
  std::vector<const spsync_version*> ptrs;
  void Build() {
    values.clear();
    for (const auto& r : records) values.push_back(RawValues(r.values));
    raw.assign(records.size(), spsync_version());
    ptrs.clear();
    for (size_t i = 0; i < records.size(); ++i) {
      const StoredVersion& r = records[i];
      spsync_version& v = raw[i];
      std::memset(&v, 0, sizeof(v));
      v.struct_size = sizeof(v);
      v.item_id = r.item_id;
      v.version_id = r.version_id;
      v.label = Str(r.label);
      v.modified = Str(r.modified);
      v.modified_unix = r.modified_unix;
      v.editor_id = r.editor_id;
      v.editor_name = Str(r.editor_name);
      v.editor_email = Str(r.editor_email);
      v.raw_json = Str(r.raw_json);
      v.values = values[i].empty() ? nullptr : values[i].data();
      v.value_count = values[i].size();
      ptrs.push_back(&v);
    }
  }
};

struct SchemaOut {
  StoredSchema record;
  std::vector<spsync_field> fields;
  std::vector<const spsync_field*> ptrs;
  spsync_schema raw;
  void Build() {
    fields.assign(record.fields.size(), spsync_field());
    ptrs.clear();
    for (size_t i = 0; i < record.fields.size(); ++i) {
      const StoredField& r = record.fields[i];
      spsync_field& f = fields[i];
      std::memset(&f, 0, sizeof(f));
      f.struct_size = sizeof(f);
      f.value_type = r.value_type;
      f.name = Str(r.name);
      f.title = Str(r.title);
      f.sp_type = Str(r.sp_type);
      f.role = r.role;
      f.resolves = Str(r.resolves);
      f.definition = Str(r.definition);
      ptrs.push_back(&f);
    }
    std::memset(&raw, 0, sizeof(raw));
    raw.struct_size = sizeof(raw);
    raw.entity = Str(record.entity);
    raw.list_id = Str(record.list_id);
    raw.list_title = Str(record.list_title);
    raw.fields = ptrs.empty() ? nullptr : ptrs.data();
    raw.field_count = ptrs.size();
    raw.fingerprint = Str(record.fingerprint);
    raw.definition = Str(record.definition);
  }
};

// What the plugin hands the host as spsync_instance*.
struct Instance {
  std::unique_ptr<Sink> sink;
  std::string state;  // keeps LoadState's bytes alive until the next call
  AttachmentsOut attachments;
  ItemsOut items;
  VersionsOut versions;
  SchemaOut schema;
};

// Which ABI 1.2 groups a sink class overrides (compile time).
template <typename A, typename B>
constexpr bool kDiffers = !std::is_same_v<A, B>;

template <typename T>
struct Overrides {
  static constexpr bool capabilities =
      kDiffers<decltype(&T::Capabilities), decltype(&Sink::Capabilities)>;
  static constexpr int attachment_methods =
      int(kDiffers<decltype(&T::AttachmentBegin), decltype(&Sink::AttachmentBegin)>) +
      int(kDiffers<decltype(&T::AttachmentWrite), decltype(&Sink::AttachmentWrite)>) +
      int(kDiffers<decltype(&T::AttachmentCommit), decltype(&Sink::AttachmentCommit)>) +
      int(kDiffers<decltype(&T::AttachmentAbort), decltype(&Sink::AttachmentAbort)>) +
      int(kDiffers<decltype(&T::AttachmentDelete), decltype(&Sink::AttachmentDelete)>) +
      int(kDiffers<decltype(&T::ListAttachments), decltype(&Sink::ListAttachments)>);
  static constexpr bool attachments = attachment_methods == 6;
  static constexpr bool versions =
      kDiffers<decltype(&T::WriteVersions), decltype(&Sink::WriteVersions)>;
  static constexpr bool read_schema =
      kDiffers<decltype(&T::ReadSchema), decltype(&Sink::ReadSchema)>;
  static constexpr bool read_items = kDiffers<decltype(&T::ReadItems), decltype(&Sink::ReadItems)>;
  static constexpr bool read_versions =
      kDiffers<decltype(&T::ReadVersions), decltype(&Sink::ReadVersions)>;
  static constexpr bool read_attachment =
      kDiffers<decltype(&T::ReadAttachment), decltype(&Sink::ReadAttachment)>;
  static constexpr bool read_back = read_schema && read_items && (!versions || read_versions) &&
                                    (!attachments || read_attachment);
  // The capability bits the overrides earn.
  static constexpr uint64_t caps = (attachments ? SPSYNC_CAP_ATTACHMENTS : 0) |
                                   (versions ? SPSYNC_CAP_VERSIONS : 0) |
                                   (read_back ? SPSYNC_CAP_READ_BACK : 0);
};

// Compile-time checks that a plugin claims only what its class implements.
template <typename T, uint64_t Caps>
struct CheckClaims {
  using O = Overrides<T>;
  static_assert(O::attachment_methods == 0 || O::attachment_methods == 6,
                "SPSYNC_SINK_PLUGIN: a sink with attachments overrides all six of AttachmentBegin, "
                "AttachmentWrite, AttachmentCommit, AttachmentAbort, AttachmentDelete and "
                "ListAttachments");
  static_assert(!(Caps & SPSYNC_CAP_ATTACHMENTS) || O::attachments,
                "SPSYNC_SINK_PLUGIN: SPSYNC_CAP_ATTACHMENTS is declared but the class does not "
                "override the attachment methods");
  static_assert(!(Caps & SPSYNC_CAP_VERSIONS) || O::versions,
                "SPSYNC_SINK_PLUGIN: SPSYNC_CAP_VERSIONS is declared but the class does not "
                "override WriteVersions");
  static_assert(O::read_schema == O::read_items,
                "SPSYNC_SINK_PLUGIN: a sink that reads back overrides ReadSchema and ReadItems");
  static_assert(!O::read_items || !O::versions || O::read_versions,
                "SPSYNC_SINK_PLUGIN: a sink that reads back and keeps versions overrides "
                "ReadVersions");
  static_assert(!O::read_items || !O::attachments || O::read_attachment,
                "SPSYNC_SINK_PLUGIN: a sink that reads back and keeps attachments overrides "
                "ReadAttachment");
  static_assert(!(Caps & SPSYNC_CAP_READ_BACK) || O::read_back,
                "SPSYNC_SINK_PLUGIN: SPSYNC_CAP_READ_BACK is declared but the class does not "
                "override the read methods");
  static constexpr bool ok = true;
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

  // ---- ABI 1.2 ----

  // The plugin-level capabilities, set once by MakeVtable.
  static uint64_t& PluginCapabilities() {
    static uint64_t caps = 0;
    return caps;
  }
  static uint64_t InstanceCapabilities(spsync_instance* inst) {
    const uint64_t plugin = PluginCapabilities();
    try {
      // A subset, whatever the class answers: sink.h requires it.
      return Of(inst).Capabilities(plugin) & plugin;
    } catch (const std::exception& e) {
      Log(SPSYNC_LOG_ERROR, std::string("Capabilities() threw: ") + e.what());
    } catch (...) {
      Log(SPSYNC_LOG_ERROR, "Capabilities() threw");
    }
    return plugin;
  }
  static spsync_status AttachmentBegin(spsync_instance* inst, spsync_call* call,
                                       const spsync_attachment* attachment) {
    return Guard(call, [&] {
      Of(inst).AttachmentBegin(Attachment{attachment});
      return SPSYNC_OK;
    });
  }
  static spsync_status AttachmentWrite(spsync_instance* inst, spsync_call* call, const void* data,
                                       size_t len) {
    return Guard(call, [&] {
      Of(inst).AttachmentWrite(std::string_view(static_cast<const char*>(data), len));
      return SPSYNC_OK;
    });
  }
  static spsync_status AttachmentCommit(spsync_instance* inst, spsync_call* call,
                                        const spsync_attachment* attachment) {
    return Guard(call, [&] {
      Of(inst).AttachmentCommit(Attachment{attachment});
      return SPSYNC_OK;
    });
  }
  static void AttachmentAbort(spsync_instance* inst) {
    try {
      Of(inst).AttachmentAbort();
    } catch (...) {
      // Abort cannot fail (sink.h); nothing may cross the boundary.
    }
  }
  static spsync_status AttachmentDelete(spsync_instance* inst, spsync_call* call, int64_t item_id,
                                        spsync_str file_name) {
    return Guard(call, [&] {
      Of(inst).AttachmentDelete(item_id, View(file_name));
      return SPSYNC_OK;
    });
  }
  static spsync_status ListAttachments(spsync_instance* inst, spsync_call* call,
                                       const int64_t* item_ids, size_t count,
                                       const spsync_attachment* const** out, size_t* out_count) {
    return Guard(call, [&] {
      auto* self = reinterpret_cast<Instance*>(inst);
      auto& box = self->attachments;
      box.records.clear();
      self->sink->ListAttachments(Ids(item_ids, count), box.records);
      std::sort(box.records.begin(), box.records.end(), [](const auto& a, const auto& b) {
        return a.item_id != b.item_id ? a.item_id < b.item_id : a.file_name < b.file_name;
      });
      box.Build();
      *out = box.ptrs.data();
      *out_count = box.ptrs.size();
      return SPSYNC_OK;
    });
  }
  static spsync_status WriteVersions(spsync_instance* inst, spsync_call* call,
                                     const spsync_version* const* versions, size_t count) {
    return Guard(call, [&] {
      Call c(call);
      Of(inst).WriteVersions(Versions(versions, count), c);
      return c.rejected() ? SPSYNC_REJECTED : SPSYNC_OK;
    });
  }
  static spsync_status ReadSchema(spsync_instance* inst, spsync_call* call,
                                  const spsync_schema** schema) {
    return Guard(call, [&] {
      auto* self = reinterpret_cast<Instance*>(inst);
      self->schema.record = StoredSchema();
      if (!self->sink->ReadSchema(self->schema.record)) {
        *schema = nullptr;
        return SPSYNC_OK;
      }
      self->schema.Build();
      *schema = &self->schema.raw;
      return SPSYNC_OK;
    });
  }
  static spsync_status ReadItems(spsync_instance* inst, spsync_call* call, int64_t after_id,
                                 size_t max_count, const spsync_item* const** items,
                                 size_t* count) {
    return Guard(call, [&] {
      auto* self = reinterpret_cast<Instance*>(inst);
      self->items.records.clear();
      self->sink->ReadItems(after_id, max_count, self->items.records);
      if (self->items.records.size() > max_count) self->items.records.resize(max_count);
      self->items.Build();
      *items = self->items.ptrs.data();
      *count = self->items.ptrs.size();
      return SPSYNC_OK;
    });
  }
  static spsync_status ReadVersions(spsync_instance* inst, spsync_call* call, int64_t after_item_id,
                                    int64_t after_version_id, size_t max_count,
                                    const spsync_version* const** versions, size_t* count) {
    return Guard(call, [&] {
      auto* self = reinterpret_cast<Instance*>(inst);
      self->versions.records.clear();
      self->sink->ReadVersions(after_item_id, after_version_id, max_count, self->versions.records);
      if (self->versions.records.size() > max_count) self->versions.records.resize(max_count);
      self->versions.Build();
      *versions = self->versions.ptrs.data();
      *count = self->versions.ptrs.size();
      return SPSYNC_OK;
    });
  }
  static spsync_status ReadAttachment(spsync_instance* inst, spsync_call* call, int64_t item_id,
                                      spsync_str file_name, uint64_t offset, void* buffer,
                                      size_t capacity, size_t* len) {
    return Guard(call, [&] {
      *len = Of(inst).ReadAttachment(item_id, View(file_name), offset, buffer, capacity);
      if (*len > capacity) throw Fatal("ReadAttachment returned more bytes than the buffer holds");
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

  // ABI 1.2: each group only when the class overrides it (CheckClaims has
  // refused, at compile time, a bit declared without its methods).
  using O = Overrides<T>;
  using Tr = Trampolines<T>;
  v.capabilities |= O::caps;
  Tr::PluginCapabilities() = v.capabilities;
  if (O::capabilities) v.instance_capabilities = &Tr::InstanceCapabilities;
  if (O::attachments) {
    v.attachment_begin = &Tr::AttachmentBegin;
    v.attachment_write = &Tr::AttachmentWrite;
    v.attachment_commit = &Tr::AttachmentCommit;
    v.attachment_abort = &Tr::AttachmentAbort;
    v.attachment_delete = &Tr::AttachmentDelete;
    v.attachment_list = &Tr::ListAttachments;
  }
  if (O::versions) v.write_versions = &Tr::WriteVersions;
  if (O::read_back) {
    v.read_schema = &Tr::ReadSchema;
    v.read_items = &Tr::ReadItems;
    if (O::versions) v.read_versions = &Tr::ReadVersions;
    if (O::attachments) v.attachment_read = &Tr::ReadAttachment;
  }
  return v;
}

}  // namespace detail

}  // namespace sdk
}  // namespace spsync

#endif  // SPSYNC_SDK_PLUGIN_DETAIL_HPP_
