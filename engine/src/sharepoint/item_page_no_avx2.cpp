// Builds without the AVX2 item-page kernel (not x86-64, or
// SPSYNC_AVX2_KERNEL=OFF): the portable kernel is the only one.
#include "item_page_kernel.hpp"

namespace spsync::engine {
const ItemPageKernel* HaswellItemPageKernel() {
  return nullptr;
}
}  // namespace spsync::engine
