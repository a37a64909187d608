// The services the host offers plugins (spsync_host) and the per-library
// context they run in.
#include "library_context.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <string_view>

namespace spsync::plugins::detail {

void LibraryContext::SetName(const std::string& name) {
  std::lock_guard<std::mutex> lock(name_mutex_);
  name_ = name;
}

std::string LibraryContext::name() const {
  std::lock_guard<std::mutex> lock(name_mutex_);
  return name_;
}

namespace {

// The `log` service: may be called from any plugin thread, so it must never
// throw back into the plugin.
void HostLog(void* host_data, int32_t level, const char* msg, size_t len) noexcept {
  try {
    auto* context = static_cast<LibraryContext*>(host_data);
    std::string_view text = (msg == nullptr) ? std::string_view() : std::string_view(msg, len);
    spdlog::level::level_enum spd = spdlog::level::info;
    switch (level) {
      case SPSYNC_LOG_DEBUG:
        spd = spdlog::level::debug;
        break;
      case SPSYNC_LOG_INFO:
        spd = spdlog::level::info;
        break;
      case SPSYNC_LOG_WARN:
        spd = spdlog::level::warn;
        break;
      default:
        // ERROR and anything unknown: an unknown level must not lose the line.
        spd = spdlog::level::err;
        break;
    }
    std::string name = context != nullptr ? context->name() : std::string("?");
    if (auto logger = spdlog::default_logger(); logger != nullptr) {
      logger->log(spd, "[sink {}] {}", name, text);
    }
  } catch (...) {
    // Logging failed (out of memory, a sink that threw); nothing sensible to
    // do, and the exception must not reach plugin code.
  }
}

std::mutex& RegistryMutex() {
  static std::mutex* mutex = new std::mutex();
  return *mutex;
}

// Deliberately leaked: plugins may log from their static destructors at exit,
// after function-local statics of this library have been destroyed.
std::map<std::string, std::shared_ptr<LibraryContext>>& Registry() {
  static auto* registry = new std::map<std::string, std::shared_ptr<LibraryContext>>();
  return *registry;
}

}  // namespace

std::shared_ptr<LibraryContext> LibraryContextFor(const std::string& file) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto& slot = Registry()[file];
  if (slot == nullptr) {
    slot = std::make_shared<LibraryContext>();
    slot->file = file;
    slot->SetName(std::filesystem::path(file).filename().string());
    slot->host.struct_size = sizeof(spsync_host);
    slot->host.abi_min = SPSYNC_SINK_ABI_MAKE(SPSYNC_SINK_ABI_MAJOR, 0);
    slot->host.abi_max = SPSYNC_SINK_ABI_VERSION;
    slot->host.host_version = SPSYNC_HOST_VERSION;
    slot->host.host_data = slot.get();
    slot->host.log = &HostLog;
  }
  return slot;
}

}  // namespace spsync::plugins::detail
