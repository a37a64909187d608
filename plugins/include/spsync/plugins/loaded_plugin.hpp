// LoadedPlugin: one sink library, loaded and negotiated.
//
//   auto plugin = LoadedPlugin::Load("/opt/spsync/lib/spsync/sinks/libspsync-sink-sqlite.so");
//   plugin->info().name;                    // "sqlite"
//   plugin->options();                      // what describe_options() declared
//   std::unique_ptr<engine::Sink> sink = plugin->Open({{"path", "/var/lib/x.db"}});
//
// Loading does, in order: dlopen with RTLD_LOCAL | RTLD_NOW (so two plugins
// may link different versions of the same library, and a missing symbol is
// reported now rather than at the first call), look up spsync_sink_entry,
// negotiate (the host offers ABI 1.0 to 1.<current minor>), copy the plugin's
// vtable into a zero-initialised full-size table, as far as both its
// struct_size and the minor it declares reach (members and capability bits
// the plugin was not built with read as NULL / 0: a 1.0 or 1.1 plugin is
// never called through a 1.2 member), and validate it (every capability
// needs its callbacks). Every failure is a PluginError naming the file.
//
// Capabilities: info() holds the plugin's, the union of what its instances
// may have. Each opened sink reports its own in Sink::info() (ABI 1.2's
// instance_capabilities, a subset; the plugin's when absent).
//
// Ownership: a LoadedPlugin is always held by std::shared_ptr. Each sink
// returned by Open() keeps its LoadedPlugin alive, so the library is
// unloaded only after the last instance is closed and the last reference
// dropped. The host services table handed to the plugin lives for the whole
// process, because a plugin may keep the pointer in a static (sink.hpp does)
// and the same file may be loaded again later.
//
// Thread safety: const methods may be called from any thread. Open() may be
// called concurrently; for plugins without SPSYNC_CAP_THREAD_SAFE every call
// into the library (from any instance) is serialised by one mutex per library
// file, as the ABI promises those plugins.
#pragma once

#include <spsync/sink.h>
#include <spsync/engine/sink.hpp>
#include <spsync/plugins/plugin_error.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::plugins {

// A sink's configuration: key/value pairs in the order the operator wrote
// them (duplicates are kept so validation can report them).
using SinkConfig = std::vector<std::pair<std::string, std::string>>;

// One option a sink declares through describe_options(), copied out of the
// plugin so it stays valid independently of the library.
struct OptionInfo {
  std::string name;  // for SPSYNC_OPTION_PREFIX: the prefix
  spsync_option_type type = SPSYNC_OPTION_STRING;
  bool required = false;
  std::optional<std::string> default_value;
  std::string help;
};

// The capability bits of `capabilities` as names, e.g. {"transactional",
// "delete-ranges", "attachments"}; unknown bits appear as hex ("0x100").
std::vector<std::string> CapabilityNames(uint64_t capabilities);

// "1.1" for a packed ABI version.
std::string FormatAbiVersion(uint32_t packed);

namespace detail {
struct LibraryContext;
}

class LoadedPlugin : public std::enable_shared_from_this<LoadedPlugin> {
 public:
  // The ABI range this host offers in negotiation: 1.0 to the header's minor.
  static constexpr uint32_t kAbiMin = SPSYNC_SINK_ABI_MAKE(SPSYNC_SINK_ABI_MAJOR, 0);
  static constexpr uint32_t kAbiMax = SPSYNC_SINK_ABI_VERSION;

  // Loads, negotiates and validates the library at `file`. Throws
  // PluginError (naming the file) on any failure.
  static std::shared_ptr<LoadedPlugin> Load(const std::filesystem::path& file);

  ~LoadedPlugin();
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  // Name, version, description, file, negotiated ABI version, capabilities.
  const engine::SinkInfo& info() const { return info_; }
  const std::filesystem::path& file() const { return file_; }
  // The options the plugin declared, in its order.
  const std::vector<OptionInfo>& options() const { return options_; }
  // True if the plugin declared SPSYNC_CAP_THREAD_SAFE.
  bool thread_safe() const { return (info_.capabilities & SPSYNC_CAP_THREAD_SAFE) != 0; }

  // Opens one instance with `config` (the host's option validation should
  // have run first; see option_validation.hpp). Throws PluginError with the
  // plugin's own message if open() fails or misbehaves (including an
  // instance claiming capabilities its plugin does not declare). The
  // returned sink is a PluginSink; it keeps this library loaded.
  std::unique_ptr<engine::Sink> Open(const SinkConfig& config);

  // For PluginSink: the negotiated, validated vtable (full size; members the
  // plugin did not provide are NULL).
  const spsync_sink_vtable& vtable() const { return vtable_; }
  // For PluginSink: locks the library-wide mutex if the plugin is not thread
  // safe; returns an empty lock otherwise.
  std::unique_lock<std::mutex> LockLibrary() const;

 private:
  struct Private;
  LoadedPlugin(std::filesystem::path file, std::shared_ptr<detail::LibraryContext> context);

  std::filesystem::path file_;
  std::shared_ptr<detail::LibraryContext> context_;
  spsync_sink_vtable vtable_{};
  engine::SinkInfo info_;
  std::vector<OptionInfo> options_;
  // Declared last so it is destroyed first: the library is unloaded before
  // anything the plugin may still point into is released.
  std::shared_ptr<void> library_;
};

}  // namespace spsync::plugins
