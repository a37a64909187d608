#include "spsync/engine/item_page.hpp"

#include "spsync/engine/sharepoint_client.hpp"

#include <cmath>
#include <limits>

namespace spsync::engine {

namespace ondemand = simdjson::ondemand;

namespace {

size_t HashKey(std::string_view s) {
  size_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

spsync_str View(std::string_view s) {
  return spsync_str{s.data(), s.size()};
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void Check(simdjson::error_code e, const char* what) {
  if (e) throw MalformedBody(std::string(what) + ": " + simdjson::error_message(e));
}

// A value's raw JSON text, for JSON-typed fields and fallbacks.
std::string_view RawOf(ondemand::value& v, ondemand::json_type t) {
  if (t == ondemand::json_type::array) {
    ondemand::array a;
    if (v.get_array().get(a)) return {};
    std::string_view raw;
    if (a.raw_json().get(raw)) return {};
    return raw;
  }
  if (t == ondemand::json_type::object) {
    ondemand::object o;
    if (v.get_object().get(o)) return {};
    std::string_view raw;
    if (o.raw_json().get(raw)) return {};
    return raw;
  }
  return TrimRight(v.raw_json_token());
}

// Fills `out` from `v` for a field whose declared type is `type`.
void ReadValue(ondemand::value& v, spsync_value_type type, spsync_value* out) {
  ondemand::json_type t;
  if (v.type().get(t)) throw MalformedBody("unreadable value");
  if (t == ondemand::json_type::null) {
    out->type = SPSYNC_VALUE_NULL;
    return;
  }
  switch (type) {
    case SPSYNC_VALUE_TEXT: {
      std::string_view s;
      if (t == ondemand::json_type::string && !v.get_string().get(s)) {
        out->type = SPSYNC_VALUE_TEXT;
        out->s = View(s);
        return;
      }
      break;
    }
    case SPSYNC_VALUE_INTEGER: {
      int64_t i = 0;
      if (t == ondemand::json_type::number && !v.get_int64().get(i)) {
        out->type = SPSYNC_VALUE_INTEGER;
        out->i = i;
        return;
      }
      break;
    }
    case SPSYNC_VALUE_REAL: {
      double d = 0;
      if (t == ondemand::json_type::number && !v.get_double().get(d) && std::isfinite(d)) {
        out->type = SPSYNC_VALUE_REAL;
        out->r = d;
        return;
      }
      break;
    }
    case SPSYNC_VALUE_BOOLEAN: {
      bool b = false;
      if (t == ondemand::json_type::boolean && !v.get_bool().get(b)) {
        out->type = SPSYNC_VALUE_BOOLEAN;
        out->i = b ? 1 : 0;
        return;
      }
      break;
    }
    case SPSYNC_VALUE_DATETIME: {
      std::string_view s;
      int64_t unix = 0;
      if (t == ondemand::json_type::string && !v.get_string().get(s) && ParseIsoUtc(s, &unix)) {
        out->type = SPSYNC_VALUE_DATETIME;
        out->i = unix;
        out->s = View(s);
        return;
      }
      if (t == ondemand::json_type::string) {
        // A date SharePoint did not format as expected: keep the text.
        out->type = SPSYNC_VALUE_TEXT;
        out->s = View(s);
        return;
      }
      break;
    }
    default:
      break;
  }
  // JSON-typed fields, and values whose JSON type does not match the
  // declared one (kept as their JSON text rather than dropped).
  std::string_view raw = RawOf(v, t);
  out->type = SPSYNC_VALUE_JSON;
  out->s = View(raw);
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
  size_t n = 16;
  while (n < schema.fields().size() * 4) n <<= 1;
  table_.assign(n, {std::string_view(), -1});
  mask_ = n - 1;
  for (size_t i = 0; i < schema.fields().size(); ++i) {
    std::string_view key = schema.fields()[i].key;
    size_t slot = HashKey(key) & mask_;
    while (table_[slot].second >= 0) slot = (slot + 1) & mask_;
    table_[slot] = {key, static_cast<int>(i)};
  }
}

int ItemPageParser::Lookup(std::string_view key) const {
  size_t slot = HashKey(key) & mask_;
  while (table_[slot].second >= 0) {
    if (table_[slot].first == key) return table_[slot].second;
    slot = (slot + 1) & mask_;
  }
  return -1;
}

void ItemPageParser::Parse(ItemPage* page, spsync_change_kind kind) const {
  page->items.clear();
  page->values.clear();
  page->pointers.clear();
  page->next_link.clear();
  const size_t nfields = schema_.fields().size();

  std::string& body = page->body;
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING)
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  simdjson::padded_string_view input(body.data(), body.size(), body.capacity());
  ondemand::document doc;
  Check(page->parser.iterate(input).get(doc), "item page is not JSON");
  ondemand::object root;
  Check(doc.get_object().get(root), "item page is not a JSON object");

  auto parse_items = [&](ondemand::array items) {
    for (auto element : items) {
      ondemand::object obj;
      Check(element.get_object().get(obj), "item is not an object");
      std::string_view raw;
      Check(obj.raw_json().get(raw), "item JSON");
      bool dummy;
      Check(obj.reset().get(dummy), "item JSON");
      spsync_item item{};
      item.struct_size = sizeof(spsync_item);
      item.kind = kind;
      item.raw_json = View(raw);
      item.id = -1;
      size_t base = page->values.size();
      page->values.resize(base + nfields, spsync_value{});
      for (auto field : obj) {
        std::string_view key;
        Check(field.unescaped_key().get(key), "item key");
        ondemand::value v;
        Check(field.value().get(v), "item value");
        if (key.size() == 2 && (key == "ID" || key == "Id")) {
          int64_t id = 0;
          Check(v.get_int64().get(id), "item ID");
          item.id = id;
          continue;
        }
        if (key == "Modified") {
          std::string_view m;
          if (!v.get_string().get(m)) {
            item.modified = View(m);
            ParseIsoUtc(m, &item.modified_unix);
          }
          continue;
        }
        if (key == "GUID") {
          std::string_view g;
          if (!v.get_string().get(g)) item.guid = View(g);
          continue;
        }
        if (key == "OData__UIVersionString") {
          std::string_view ver;
          if (!v.get_string().get(ver)) item.version = View(ver);
          continue;
        }
        if (key == "odata.etag" || key == "@odata.etag") {
          std::string_view ver;
          if (item.version.len == 0 && !v.get_string().get(ver)) item.version = View(ver);
          continue;
        }
        int idx = Lookup(key);
        if (idx < 0) continue;
        ReadValue(
            v,
            static_cast<spsync_value_type>(schema_.fields()[static_cast<size_t>(idx)].value_type),
            &page->values[base + static_cast<size_t>(idx)]);
      }
      if (item.id < 0) throw MalformedBody("item without an ID");
      page->items.push_back(item);
    }
  };

  bool found = false;
  for (auto member : root) {
    std::string_view key;
    Check(member.unescaped_key().get(key), "page key");
    if (key == "value") {
      ondemand::array arr;
      Check(member.value().get_array().get(arr), "value is not an array");
      parse_items(arr);
      found = true;
    } else if (key == "odata.nextLink" || key == "@odata.nextLink") {
      std::string_view link;
      Check(member.value().get_string().get(link), "next link");
      page->next_link.assign(link);
    } else if (key == "d") {
      ondemand::object d;
      Check(member.value().get_object().get(d), "verbose d");
      for (auto dm : d) {
        std::string_view dkey;
        Check(dm.unescaped_key().get(dkey), "verbose key");
        if (dkey == "results") {
          ondemand::array arr;
          Check(dm.value().get_array().get(arr), "results");
          parse_items(arr);
          found = true;
        } else if (dkey == "__next") {
          std::string_view link;
          Check(dm.value().get_string().get(link), "__next");
          page->next_link.assign(link);
        }
      }
    }
  }
  if (!found) throw MalformedBody("response has no item collection (no `value`)");
  // Pointers and value views are fixed only now that the vectors stopped growing.
  page->pointers.reserve(page->items.size());
  for (size_t i = 0; i < page->items.size(); ++i) {
    page->items[i].values = nfields ? &page->values[i * nfields] : nullptr;
    page->items[i].value_count = nfields;
    page->pointers.push_back(&page->items[i]);
  }
}

}  // namespace spsync::engine
