// The item-page kernel with simdjson's compile-time implementation (the
// portable fallback unless the build targets AVX2 itself).
#include <simdjson.h>

#include "item_page_kernel.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include <cmath>
#include <cstring>

namespace spsync::engine {
namespace portable_kernel {
namespace ondemand = simdjson::ondemand;
#include "item_page_kernel.inc"
}  // namespace portable_kernel

const ItemPageKernel& PortableItemPageKernel() {
  static const ItemPageKernel k{simdjson::builtin_implementation()->name().data(),
                                &portable_kernel::NewParser, &portable_kernel::ParsePage};
  return k;
}

}  // namespace spsync::engine
