#include "spsync/engine/sharepoint/item_page.hpp"

#include "item_page_kernel.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

namespace spsync::engine {

namespace {

// Cheap and good enough for a few dozen field names: length and three bytes.
size_t HashKey(std::string_view s) {
  if (s.empty()) return 0;
  auto b = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(s[i])); };
  return s.size() * 0x9E3779B1u ^ b(0) * 31 ^ b(s.size() - 1) * 131 ^ b(s.size() / 2) * 7;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

bool ParseIsoUtc(std::string_view s, int64_t* unix_seconds) {
  auto num = [&](size_t pos, size_t len, int* out) {
    if (pos + len > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, se;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return false;
  if (!num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) || !num(14, 2, &mi) ||
      !num(17, 2, &se))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
  *unix_seconds = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                  h * 3600 + mi * 60 + se;
  return true;
}

ItemPageParser::ItemPageParser(const EntitySchema& schema) : schema_(schema) {
  // The item's own keys share the table with the schema's, so each key of
  // each item costs one hash probe.
  static constexpr std::pair<std::string_view, int> kOwn[] = {
      {"ID", kKeyId},
      {"Id", kKeyId},
      {"Modified", kKeyModified},
      {"GUID", kKeyGuid},
      {"OData__UIVersionString", kKeyVersion},
      {"odata.etag", kKeyEtag},
      {"@odata.etag", kKeyEtag}};
  size_t n = 16;
  while (n < (schema.fields().size() + std::size(kOwn)) * 4) n <<= 1;
  table_.assign(n, {std::string_view(), kKeyUnknown});
  mask_ = n - 1;
  auto insert = [&](std::string_view key, int code) {
    size_t slot = HashKey(key) & mask_;
    while (!table_[slot].first.empty()) {
      if (table_[slot].first == key) return;  // first wins
      slot = (slot + 1) & mask_;
    }
    table_[slot] = {key, code};
  };
  for (const auto& [key, code] : kOwn) insert(key, code);
  for (size_t i = 0; i < schema.fields().size(); ++i)
    insert(schema.fields()[i].key, static_cast<int>(i));
  for (const auto& f : schema.fields()) value_types_.push_back(f.value_type);
}

int ItemPageParser::Lookup(std::string_view key) const {
  size_t slot = HashKey(key) & mask_;
  while (!table_[slot].first.empty()) {
    if (table_[slot].first == key) return table_[slot].second;
    slot = (slot + 1) & mask_;
  }
  return kKeyUnknown;
}

void ThrowMalformedPage(const char* what, const char* detail) {
  throw MalformedBody(std::string(what) + ": " + detail);
}

namespace page_ops {
void Reset(ItemPage* page) {
  page->items.clear();
  page->values.clear();
  page->pointers.clear();
  page->next_link.clear();
  page->resolved.clear();
}
size_t FieldCount(const ItemPageParser& parser) {
  return parser.value_types().size();
}
const int32_t* ValueTypes(const ItemPageParser& parser) {
  return parser.value_types().data();
}
simdjson::padded_string_view PaddedBody(ItemPage* page) {
  std::string& body = page->body;
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING)
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(body.data(), body.size(), body.capacity());
}
spsync_value* AddValues(ItemPage* page, size_t n) {
  size_t base = page->values.size();
  page->values.resize(base + n, spsync_value{});
  return page->values.data() + base;
}
void AddItem(ItemPage* page, const spsync_item& item) {
  page->items.push_back(item);
}
void SetNextLink(ItemPage* page, std::string_view link) {
  page->next_link.assign(link);
}
void Finish(ItemPage* page, size_t nfields) {
  // Pointers and value views are fixed only now that the vectors stopped growing.
  page->pointers.reserve(page->items.size());
  for (size_t i = 0; i < page->items.size(); ++i) {
    page->items[i].values = nfields ? &page->values[i * nfields] : nullptr;
    page->items[i].value_count = nfields;
    page->pointers.push_back(&page->items[i]);
  }
}
}  // namespace page_ops

const ItemPageKernel& ChosenItemPageKernel() {
  static const ItemPageKernel& chosen = []() -> const ItemPageKernel& {
    // simdjson's runtime detection: the same choice its DOM parser makes.
    // SPSYNC_PAGE_KERNEL=portable forces the portable kernel (benchmarks, tests).
    const char* forced = std::getenv("SPSYNC_PAGE_KERNEL");
    if (forced != nullptr && std::string_view(forced) == "portable")
      return PortableItemPageKernel();
    std::string_view best = simdjson::get_active_implementation()->name();
    const ItemPageKernel* haswell = HaswellItemPageKernel();
    if (haswell != nullptr && (best == "haswell" || best == "icelake")) return *haswell;
    return PortableItemPageKernel();
  }();
  return chosen;
}

const char* ItemPageKernelName() {
  return ChosenItemPageKernel().name;
}

void ItemPageParser::Parse(ItemPage* page, spsync_change_kind kind) const {
  const ItemPageKernel& k = ChosenItemPageKernel();
  if (!page->parser) page->parser = k.new_parser();
  k.parse(page->parser.get(), *this, page, kind);
}

}  // namespace spsync::engine
