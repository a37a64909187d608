#include "spsync/engine/process.hpp"

#include <unistd.h>

#include <cstdlib>

namespace spsync::engine {

namespace {
// 256 KiB: a 5000-item page's item array (~560 KiB) and the sinks' batch
// buffers go to mmap and back to the OS when freed.
constexpr const char* kMmapThreshold = "262144";
constexpr const char* kTrimThreshold = "524288";
}  // namespace

void SetTunedAllocatorEnvironment() {
  setenv("MALLOC_MMAP_THRESHOLD_", kMmapThreshold, 0);
  setenv("MALLOC_TRIM_THRESHOLD_", kTrimThreshold, 0);
}

void ReexecWithTunedAllocator(char** argv) {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr ||
      std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr)
    return;  // the operator's choice, or already re-executed
  SetTunedAllocatorEnvironment();
  execv("/proc/self/exe", argv);
  // No /proc (or exec refused): run as we are; only peak memory is affected.
#else
  (void)argv;
#endif
}

}  // namespace spsync::engine
