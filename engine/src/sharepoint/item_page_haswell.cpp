// The item-page kernel compiled for AVX2. simdjson compiles its on-demand
// API only for the builtin implementation, which it picks from the compiler's
// target flags; CMake gives this file alone -mavx2 -mbmi -mpclmul -mlzcnt
// -mpopcnt, so here `simdjson::ondemand` is the haswell implementation.
// ChosenItemPageKernel() uses it only on CPUs that run it.
//
// The kernel calls out to page_ops (item_page.cpp, baseline target) for
// every std:: container operation, so this file emits as little shared
// template code as possible. Build with -DSPSYNC_AVX2_KERNEL=OFF for a
// binary that must also run where AVX2 is absent and must not even risk it.
#include <simdjson.h>

#include "item_page_kernel.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include <cmath>
#include <cstring>

#if !SIMDJSON_CAN_ALWAYS_RUN_HASWELL
#error "item_page_haswell.cpp must be compiled with -mavx2 -mbmi -mpclmul -mlzcnt"
#endif

namespace spsync::engine {
namespace haswell_kernel {
namespace ondemand = simdjson::ondemand;
#include "item_page_kernel.inc"
}  // namespace haswell_kernel

const ItemPageKernel* HaswellItemPageKernel() {
  static const ItemPageKernel k{"haswell", &haswell_kernel::NewParser, &haswell_kernel::ParsePage};
  return &k;
}

}  // namespace spsync::engine
