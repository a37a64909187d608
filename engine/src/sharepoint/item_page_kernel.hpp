// Internal: the item-page kernels. simdjson's on-demand API binds its SIMD
// implementation at compile time, so the parser is compiled twice (AVX2 and
// portable) and the fastest one the CPU runs is chosen once, at first use,
// the way simdjson's own DOM parser dispatches.
#pragma once

#include "spsync/engine/sharepoint/item_page.hpp"

#include <simdjson.h>

#include <memory>
#include <string_view>

namespace spsync::engine {

// Throws MalformedBody("<what>: <detail>"). Out of line, like page_ops.
[[noreturn]] void ThrowMalformedPage(const char* what, const char* detail);

// What a kernel does to an ItemPage besides parsing: out of line and
// compiled for the baseline target, so the AVX2 kernel's translation unit
// emits no std:: code another translation unit could end up sharing.
namespace page_ops {
void Reset(ItemPage* page);
size_t FieldCount(const ItemPageParser& parser);
const int32_t* ValueTypes(const ItemPageParser& parser);  // spsync_value_type per field
simdjson::padded_string_view PaddedBody(ItemPage* page);
// Appends `n` null values for one item; valid until the next call.
spsync_value* AddValues(ItemPage* page, size_t n);
void AddItem(ItemPage* page, const spsync_item& item);
void SetNextLink(ItemPage* page, std::string_view link);
// Points items at their values and fills the pointer array.
void Finish(ItemPage* page, size_t nfields);
}  // namespace page_ops

struct ItemPageKernel {
  const char* name;
  std::shared_ptr<void> (*new_parser)();
  void (*parse)(void* parser, const ItemPageParser& self, ItemPage* page, spsync_change_kind kind);
};

// nullptr when this build has no AVX2 kernel (not x86-64).
const ItemPageKernel* HaswellItemPageKernel();
const ItemPageKernel& PortableItemPageKernel();
const ItemPageKernel& ChosenItemPageKernel();

}  // namespace spsync::engine
