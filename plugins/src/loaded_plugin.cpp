#include <spsync/plugins/loaded_plugin.hpp>

#include <spsync/plugins/plugin_error.hpp>
#include <spsync/plugins/plugin_sink.hpp>

#include "call_collector.hpp"
#include "library_context.hpp"

#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <system_error>

namespace spsync::plugins {

namespace fs = std::filesystem;

// The smallest tables this host accepts: what ABI 1.0 defined. Anything a
// plugin compiled against 1.0 omits is appended after these.
constexpr size_t kMinVtableSize =
    offsetof(spsync_sink_vtable, close) + sizeof(spsync_sink_vtable::close);
constexpr size_t kMinOptionSize = offsetof(spsync_option, help) + sizeof(spsync_option::help);

namespace {

// How much of a vtable a minor defines, and which capability bits: a table
// is read only as far as the version it declares (sink.h, "What each minor
// added"), so a member or bit a later minor added is never taken from an
// older plugin, whatever its struct_size or stray bits say.
size_t VtableSizeOfMinor(uint32_t minor) {
  if (minor == 0) return kMinVtableSize;
  if (minor == 1) return offsetof(spsync_sink_vtable, check) + sizeof(spsync_sink_vtable::check);
  return sizeof(spsync_sink_vtable);
}

uint64_t CapabilitiesOfMinor(uint32_t minor) {
  constexpr uint64_t k10 =
      SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_DELETE_RANGES | SPSYNC_CAP_THREAD_SAFE;
  constexpr uint64_t k11 = k10 | SPSYNC_CAP_SNAPSHOT;
  constexpr uint64_t k12 =
      k11 | SPSYNC_CAP_ATTACHMENTS | SPSYNC_CAP_VERSIONS | SPSYNC_CAP_READ_BACK;
  if (minor == 0) return k10;
  if (minor == 1) return k11;
  if (minor == 2) return k12;
  // A newer minor: its own bits are shown as hex, never acted on.
  return ~uint64_t{0};
}

}  // namespace

std::vector<std::string> CapabilityNames(uint64_t capabilities) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {SPSYNC_CAP_TRANSACTIONAL_PERSIST, "transactional"},
      {SPSYNC_CAP_DELETE_RANGES, "delete-ranges"},
      {SPSYNC_CAP_THREAD_SAFE, "thread-safe"},
      {SPSYNC_CAP_SNAPSHOT, "snapshot"},
      {SPSYNC_CAP_ATTACHMENTS, "attachments"},
      {SPSYNC_CAP_VERSIONS, "versions"},
      {SPSYNC_CAP_READ_BACK, "read-back"},
  };
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (capabilities & bit) {
      names.emplace_back(name);
      capabilities &= ~bit;
    }
  }
  // Bits from a newer minor this host does not know: shown, not hidden.
  for (int i = 0; i < 64; ++i) {
    uint64_t bit = uint64_t{1} << i;
    if (capabilities & bit) {
      char hex[32];
      std::snprintf(hex, sizeof(hex), "0x%llx", static_cast<unsigned long long>(bit));
      names.emplace_back(hex);
    }
  }
  return names;
}

std::string FormatAbiVersion(uint32_t packed) {
  return std::to_string(SPSYNC_SINK_ABI_MAJOR_OF(packed)) + "." +
         std::to_string(SPSYNC_SINK_ABI_MINOR_OF(packed));
}

namespace {

using EntryFn = spsync_status(const spsync_host*, spsync_negotiation*);

// dlopen's own message for a text file is "invalid ELF header" or "file too
// short"; checking first lets us say plainly what is wrong.
bool HasElfMagic(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, sizeof(magic));
  return in.gcount() == 4 && std::memcmp(magic,
                                         "\x7f"
                                         "ELF",
                                         4) == 0;
}

std::string HostRange() {
  // U+2013 EN DASH between the bounds, as in "1.0–1.1".
  return FormatAbiVersion(LoadedPlugin::kAbiMin) + "\u2013" +
         FormatAbiVersion(LoadedPlugin::kAbiMax);
}

[[noreturn]] void WrongMajor(const std::string& file, uint32_t plugin_version,
                             const std::string& plugin_message) {
  std::string text = "plugin " + file + " speaks sink ABI " + FormatAbiVersion(plugin_version) +
                     "; this spsync hosts " + HostRange();
  if (!plugin_message.empty()) text += " (the plugin says: " + plugin_message + ")";
  throw PluginError(file, text);
}

std::string CopyCString(const char* s) {
  return s == nullptr ? std::string() : std::string(s);
}

}  // namespace

struct LoadedPlugin::Private {
  // Runs the entry point and copies/validates the vtable into `plugin`.
  static void Negotiate(LoadedPlugin& plugin, EntryFn* entry) {
    const std::string& file = plugin.info_.file;
    spsync_negotiation negotiation;
    std::memset(&negotiation, 0, sizeof(negotiation));
    negotiation.struct_size = sizeof(negotiation);
    int status;
    {
      std::lock_guard<std::mutex> lock(plugin.context_->call_mutex);
      status = entry(&plugin.context_->host, &negotiation);
    }
    std::string message(negotiation.message,
                        strnlen(negotiation.message, sizeof(negotiation.message)));
    const uint32_t chosen = negotiation.abi_version;
    const bool major_ok = SPSYNC_SINK_ABI_MAJOR_OF(chosen) == SPSYNC_SINK_ABI_MAJOR;
    if (status != SPSYNC_OK) {
      if (chosen != 0 && !major_ok) WrongMajor(file, chosen, message);
      throw PluginError(
          file, "plugin " + file + " refused to load (" + detail::StatusName(status) +
                    " from spsync_sink_entry): " + (message.empty() ? "no reason given" : message));
    }
    if (!major_ok) WrongMajor(file, chosen, message);
    const spsync_sink_vtable* theirs = negotiation.vtable;
    if (theirs == nullptr) {
      throw PluginError(file, "plugin " + file + " accepted ABI " + FormatAbiVersion(chosen) +
                                  " but returned no vtable");
    }
    // struct_size comes first in every version, so reading it is always safe.
    const size_t size = theirs->struct_size;
    if (size < kMinVtableSize) {
      throw PluginError(file, "plugin " + file + " returned a vtable of " + std::to_string(size) +
                                  " bytes; sink ABI 1.0 needs at least " +
                                  std::to_string(kMinVtableSize));
    }
    // The table's own version decides how much of it is read: the smallest of
    // its struct_size, what its minor defines and what this host knows.
    const uint32_t table_version = theirs->abi_version;
    if (SPSYNC_SINK_ABI_MAJOR_OF(table_version) != SPSYNC_SINK_ABI_MAJOR) {
      WrongMajor(file, table_version, message);
    }
    const uint32_t table_minor = SPSYNC_SINK_ABI_MINOR_OF(table_version);
    const size_t readable =
        std::min({size, VtableSizeOfMinor(table_minor), sizeof(plugin.vtable_)});
    std::memset(&plugin.vtable_, 0, sizeof(plugin.vtable_));
    std::memcpy(&plugin.vtable_, theirs, readable);
    plugin.vtable_.struct_size = sizeof(plugin.vtable_);
    plugin.vtable_.capabilities &= CapabilitiesOfMinor(table_minor);
    const spsync_sink_vtable& v = plugin.vtable_;

    std::string missing;
    auto require = [&](const void* fn, const char* name) {
      if (fn == nullptr) missing += std::string(missing.empty() ? "" : ", ") + name;
    };
    require(v.name, "name");
    require(v.version, "version");
    require(reinterpret_cast<const void*>(v.describe_options), "describe_options");
    require(reinterpret_cast<const void*>(v.open), "open");
    require(reinterpret_cast<const void*>(v.load_state), "load_state");
    require(reinterpret_cast<const void*>(v.begin), "begin");
    require(reinterpret_cast<const void*>(v.upsert), "upsert");
    require(reinterpret_cast<const void*>(v.delete_items), "delete_items");
    require(reinterpret_cast<const void*>(v.persist), "persist");
    require(reinterpret_cast<const void*>(v.close), "close");
    if ((v.capabilities & SPSYNC_CAP_DELETE_RANGES) && v.delete_ranges == nullptr)
      missing +=
          std::string(missing.empty() ? "" : ", ") + "delete_ranges (declared by capability)";
    if ((v.capabilities & SPSYNC_CAP_SNAPSHOT) && v.snapshot == nullptr)
      missing += std::string(missing.empty() ? "" : ", ") + "snapshot (declared by capability)";
    auto require_for = [&](uint64_t cap, const void* fn, const char* name) {
      if ((v.capabilities & cap) && fn == nullptr)
        missing += std::string(missing.empty() ? "" : ", ") + name + " (declared by capability)";
    };
    auto fn = [](auto p) { return reinterpret_cast<const void*>(p); };
    require_for(SPSYNC_CAP_ATTACHMENTS, fn(v.attachment_begin), "attachment_begin");
    require_for(SPSYNC_CAP_ATTACHMENTS, fn(v.attachment_write), "attachment_write");
    require_for(SPSYNC_CAP_ATTACHMENTS, fn(v.attachment_commit), "attachment_commit");
    require_for(SPSYNC_CAP_ATTACHMENTS, fn(v.attachment_abort), "attachment_abort");
    require_for(SPSYNC_CAP_ATTACHMENTS, fn(v.attachment_delete), "attachment_delete");
    require_for(SPSYNC_CAP_ATTACHMENTS, fn(v.attachment_list), "attachment_list");
    require_for(SPSYNC_CAP_VERSIONS, fn(v.write_versions), "write_versions");
    require_for(SPSYNC_CAP_READ_BACK, fn(v.read_schema), "read_schema");
    require_for(SPSYNC_CAP_READ_BACK, fn(v.read_items), "read_items");
    if (v.capabilities & SPSYNC_CAP_VERSIONS)
      require_for(SPSYNC_CAP_READ_BACK, fn(v.read_versions), "read_versions");
    if (v.capabilities & SPSYNC_CAP_ATTACHMENTS)
      require_for(SPSYNC_CAP_READ_BACK, fn(v.attachment_read), "attachment_read");
    if (!missing.empty()) {
      throw PluginError(
          file, "plugin " + file + " has an invalid vtable: required members are NULL: " + missing);
    }

    plugin.info_.name = v.name;
    plugin.info_.version = v.version;
    plugin.info_.description = CopyCString(v.description);
    plugin.info_.abi_version = chosen;
    plugin.info_.capabilities = v.capabilities;
    if (plugin.info_.name.empty()) {
      throw PluginError(file, "plugin " + file + " has an empty name in its vtable");
    }
    plugin.context_->SetName(plugin.info_.name);
  }

  static void ReadOptions(LoadedPlugin& plugin) {
    const std::string& file = plugin.info_.file;
    const spsync_option* const* options = nullptr;
    size_t count = 0;
    {
      std::lock_guard<std::mutex> lock(plugin.context_->call_mutex);
      plugin.vtable_.describe_options(&options, &count);
    }
    if (count > 0 && options == nullptr) {
      throw PluginError(file, "plugin " + file + " describe_options() returned " +
                                  std::to_string(count) + " options but a NULL table");
    }
    for (size_t i = 0; i < count; ++i) {
      const spsync_option* o = options[i];
      std::string where = "plugin " + file + " describe_options() entry " + std::to_string(i);
      if (o == nullptr) throw PluginError(file, where + " is NULL");
      if (o->struct_size < kMinOptionSize) {
        throw PluginError(file, where + " has struct_size " + std::to_string(o->struct_size) +
                                    "; at least " + std::to_string(kMinOptionSize) + " expected");
      }
      if (o->name == nullptr || o->name[0] == '\0') throw PluginError(file, where + " has no name");
      OptionInfo info;
      info.name = o->name;
      // A type from a newer minor is checked as a plain string.
      info.type = (o->type >= SPSYNC_OPTION_STRING && o->type <= SPSYNC_OPTION_PREFIX)
                      ? static_cast<spsync_option_type>(o->type)
                      : SPSYNC_OPTION_STRING;
      info.required = o->required != 0;
      if (o->default_value != nullptr) info.default_value = std::string(o->default_value);
      info.help = CopyCString(o->help);
      plugin.options_.push_back(std::move(info));
    }
  }
};

LoadedPlugin::LoadedPlugin(fs::path file, std::shared_ptr<detail::LibraryContext> context)
    : file_(std::move(file)), context_(std::move(context)) {
  info_.file = file_.string();
}

LoadedPlugin::~LoadedPlugin() = default;

std::shared_ptr<LoadedPlugin> LoadedPlugin::Load(const fs::path& path) {
  fs::path file = fs::absolute(path).lexically_normal();
  const std::string name = file.string();
  std::error_code ec;
  if (!fs::exists(file, ec)) throw PluginError(file, "sink plugin " + name + " does not exist");
  if (fs::is_directory(file, ec)) {
    throw PluginError(file, "sink plugin " + name + " is a directory, not a shared library");
  }
  fs::path canonical = fs::canonical(file, ec);
  if (ec) throw PluginError(file, "cannot resolve sink plugin " + name + ": " + ec.message());
  if (!HasElfMagic(file)) {
    throw PluginError(file, "cannot load sink plugin " + name +
                                ": not a shared library (the file has no ELF header)");
  }

  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    library->load(file, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  } catch (const std::exception& e) {
    throw PluginError(file, "cannot load sink plugin " + name + ": " + e.what());
  }
  if (!library->has(SPSYNC_SINK_ENTRY_SYMBOL)) {
    throw PluginError(file,
                      "plugin " + name +
                          " does not export " SPSYNC_SINK_ENTRY_SYMBOL
                          " (build it with SPSYNC_SINK_PLUGIN from spsync/sink.hpp, or export "
                          "the function declared in spsync/sink.h)");
  }
  EntryFn* entry = &library->get<EntryFn>(SPSYNC_SINK_ENTRY_SYMBOL);

  std::shared_ptr<LoadedPlugin> plugin(
      new LoadedPlugin(file, detail::LibraryContextFor(canonical.string())));
  plugin->library_ = library;
  Private::Negotiate(*plugin, entry);
  Private::ReadOptions(*plugin);
  return plugin;
}

std::unique_lock<std::mutex> LoadedPlugin::LockLibrary() const {
  if (thread_safe()) return std::unique_lock<std::mutex>();
  return std::unique_lock<std::mutex>(context_->call_mutex);
}

std::unique_ptr<engine::Sink> LoadedPlugin::Open(const SinkConfig& config) {
  std::vector<spsync_kv> kvs;
  kvs.reserve(config.size());
  for (const auto& [key, value] : config) {
    kvs.push_back(spsync_kv{{key.data(), key.size()}, {value.data(), value.size()}});
  }
  detail::CallCollector collector;
  spsync_instance* instance = nullptr;
  int status;
  {
    auto lock = LockLibrary();
    status = vtable_.open(collector.call(), kvs.data(), kvs.size(), &instance);
  }
  engine::SinkResult result =
      collector.Finish(info_.file, "open", status, detail::CallCollector::kNoBatch);
  if (result.ok() && instance == nullptr) {
    result = engine::SinkResult::Fatal(
        detail::AbiViolation(info_.file, "open", "returned OK without an instance"));
  }
  // ABI 1.2: the instance's own capabilities, a subset of the plugin's.
  uint64_t capabilities = info_.capabilities;
  if (result.ok() && vtable_.instance_capabilities != nullptr) {
    {
      auto lock = LockLibrary();
      capabilities = vtable_.instance_capabilities(instance);
    }
    if ((capabilities & ~info_.capabilities) != 0) {
      std::string extra;
      for (const auto& name : CapabilityNames(capabilities & ~info_.capabilities))
        extra += (extra.empty() ? "" : ", ") + name;
      result = engine::SinkResult::Fatal(
          detail::AbiViolation(info_.file, "instance_capabilities",
                               "claimed capabilities the plugin does not declare: " + extra));
    }
  }
  if (!result.ok()) {
    if (instance != nullptr && status != SPSYNC_OK) {
      // The ABI only hands over an instance on OK; a plugin that set one anyway is
      // not trusted with close() on it.
      instance = nullptr;
    }
    if (instance != nullptr) {
      auto lock = LockLibrary();
      vtable_.close(instance);
    }
    std::string text = result.message;
    if (text.rfind("sink plugin ", 0) != 0) {
      text = "sink '" + info_.name + "' (" + info_.file + ") failed to open: " + text;
    }
    throw PluginError(file_, text);
  }
  return std::make_unique<PluginSink>(shared_from_this(), instance, capabilities);
}

}  // namespace spsync::plugins
