// The hot path: one page of items, parsed with simdjson on-demand straight
// into the batch a sink receives. One buffer per page (the response body);
// items, raw JSON and strings are views into it or into the parser's string
// buffer; no per-item allocation.
//
// Thread safety: an ItemPage is used by one thread at a time (the fetcher
// fills it, then the session hands it to the sink).
#pragma once

#include "spsync/engine/sharepoint/schema.hpp"

#include <spsync/sink.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::engine {

struct ItemPage {
  std::string body;  // the response; raw_json views point into it
  std::vector<spsync_item> items;
  std::vector<spsync_value> values;          // items.size() x field count
  std::vector<const spsync_item*> pointers;  // what Sink::Upsert takes
  std::string next_link;                     // "" on the last page
  // Strings of values the engine adds after parsing (people and lookups
  // resolved, people_lookups.hpp); a deque, so values may point into it.
  std::deque<std::string> resolved;
  // The simdjson parser that owns this page's unescaped strings; its type
  // depends on the CPU kernel chosen at run time (src/item_page_kernel.hpp).
  std::shared_ptr<void> parser;

  size_t size() const { return items.size(); }
  int64_t first_id() const { return items.empty() ? 0 : items.front().id; }
  int64_t last_id() const { return items.empty() ? 0 : items.back().id; }
};

// Parses item collection responses (nometadata, minimalmetadata or verbose)
// for one schema. Reusable across pages; not thread-safe.
class ItemPageParser {
 public:
  explicit ItemPageParser(const EntitySchema& schema);
  // Parses page->body; `kind` is stamped on every item. Throws MalformedBody
  // (sharepoint_client.hpp) when the body is not an item collection.
  void Parse(ItemPage* page, spsync_change_kind kind) const;

  // Field index (>= 0), one of the item's own keys (kKey*), or kKeyUnknown.
  int Lookup(std::string_view key) const;
  static constexpr int kKeyUnknown = -1, kKeyId = -2, kKeyModified = -3, kKeyGuid = -4,
                       kKeyVersion = -5, kKeyEtag = -6;
  const std::vector<int32_t>& value_types() const { return value_types_; }

 private:
  // The table below holds views into its field names: it must outlive us.
  const EntitySchema& schema_;
  std::vector<int32_t> value_types_;  // per field, in schema order
  // Open-addressed key -> field index table: the per-key lookup is on the
  // hot path (fields x items per page).
  std::vector<std::pair<std::string_view, int>> table_;
  size_t mask_ = 0;
};

// The name of the simdjson kernel item pages are parsed with ("haswell" on
// AVX2 machines, "fallback" elsewhere), for benchmarks and logs.
const char* ItemPageKernelName();

// Parses "YYYY-MM-DDTHH:MM:SS[.fff][Z]" to Unix seconds; false if malformed.
bool ParseIsoUtc(std::string_view s, int64_t* unix_seconds);

}  // namespace spsync::engine
