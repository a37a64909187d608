// The list view threshold and the item walk: ID order walks the synthetic ID
// space directly (cheap on a 10-million-item list); other orders sort the
// matching items (only reachable under the threshold or on indexed columns).
#include "api/item_walk.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "util.hpp"

namespace spsync::emulator::detail {

RestError Throttled() {
  return RestError(500, "-2147024860, Microsoft.SharePoint.SPQueryThrottledException",
                   "The attempted operation is prohibited because it exceeds the list view "
                   "threshold.");
}

void CheckFilterColumns(const ListState& l, const FilterNode& f) {
  std::vector<std::string> names;
  FilterFields(f, names);
  for (const auto& n : names)
    // Projections (Owner/Title) are checked with their $expand (api/projection).
    if (n.find('/') == std::string::npos && l.ColumnIndex(n) < 0)
      throw RestError(
          400, "-2146232832, Microsoft.SharePoint.SPException",
          "Column '" + n + "' does not exist. It may have been deleted by another user.");
}

namespace {
void ScanById(const ListState& l, const FilterNode* filter, const Projections* projections,
              bool desc, std::optional<int64_t> after,
              const std::function<bool(int64_t, const std::vector<std::string>&)>& fn);
}  // namespace

void CheckThreshold(const ListState& l, const FilterNode* filter, const std::string& order_field,
                    int64_t top) {
  if (l.item_count() <= kThreshold) return;
  if (top > kThreshold) throw Throttled();
  // A field's index also serves its FooId column.
  auto indexed = [&](std::string_view name) {
    if (IEquals(name, "ID")) return true;
    const FieldDef* f = l.FindField(name);
    if (!f) {
      int c = l.ColumnIndex(name);
      if (c >= 0) f = l.FindField(l.columns()[static_cast<size_t>(c)].field);
    }
    return f && f->indexed;
  };
  if (!indexed(order_field)) throw Throttled();
  if (!filter) return;
  std::vector<std::string> names;
  FilterFields(*filter, names);
  if (std::all_of(names.begin(), names.end(),
                  [](const std::string& n) { return IEquals(n, "ID"); }))
    return;
  // Otherwise the first clause must be on an indexed column and match no more
  // than the threshold's number of rows.
  const FilterNode* first = FirstLeaf(*filter);
  if (!indexed(first->field)) throw Throttled();
  int64_t matched = 0;
  if (IEquals(first->field, "ID") && first->function.empty()) {
    for (const auto& [lo, hi] : IdCandidates(*first, l.max_id()))
      for (int64_t id = l.NextLive(lo, lo, hi, true); id && matched <= kThreshold;
           id = l.NextLive(id + 1, lo, hi, true))
        ++matched;
  } else {
    // The index is emulated by a scan (a cost of the emulator, not of the query).
    ScanById(l, first, nullptr, false, std::nullopt,
             [&](int64_t, const std::vector<std::string>&) { return ++matched <= kThreshold; });
  }
  if (matched > kThreshold) throw Throttled();
}

namespace {

bool IsIdOrder(std::string_view field) {
  return IEquals(field, "ID");
}

// Calls fn for the live items matching filter in ID order (descending if
// desc), strictly after `after` (none: from the first), until fn returns false.
void ScanById(const ListState& l, const FilterNode* filter, const Projections* projections,
              bool desc, std::optional<int64_t> after,
              const std::function<bool(int64_t, const std::vector<std::string>&)>& fn) {
  std::vector<std::string> values;
  std::string projected;  // EvalFilter reads each leaf's value before the next lookup
  auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
    int c = l.ColumnIndex(name);
    if (c >= 0) return std::string_view(values[static_cast<size_t>(c)]);
    if (!projections) return std::nullopt;
    auto v = projections->Value(name, values);
    if (!v) return std::nullopt;
    projected = std::move(*v);
    return std::string_view(projected);
  };
  Intervals ivs = filter ? IdCandidates(*filter, l.max_id()) : Intervals{{1, l.max_id()}};
  if (desc) std::reverse(ivs.begin(), ivs.end());
  for (const auto& [lo0, hi0] : ivs) {
    int64_t lo = lo0, hi = hi0;
    if (after) {
      if (desc)
        hi = std::min(hi, *after - 1);
      else
        lo = std::max(lo, *after + 1);
    }
    if (lo > hi) continue;
    for (int64_t id = l.NextLive(desc ? hi : lo, lo, hi, !desc); id;
         id = desc ? (id - 1 >= lo ? l.NextLive(id - 1, lo, hi, false) : 0)
                   : l.NextLive(id + 1, lo, hi, true)) {
      l.Values(id, values);
      if (filter && !EvalFilter(*filter, lookup)) continue;
      if (!fn(id, values)) return;
    }
  }
}

PageEnd IdPage(const ListState& l, const PageQuery& q, const ItemSink& emit) {
  PageEnd end;
  const bool desc = q.order.desc;
  std::optional<int64_t> after;
  if (q.position && q.position->present) after = q.position->id;
  int64_t emitted = 0;
  if (!(q.position && q.position->present && q.position->prev)) {
    ScanById(l, q.filter, q.projections, desc, after,
             [&](int64_t id, const std::vector<std::string>& values) {
               if (q.limit > 0 && emitted == q.limit) {
                 end.more = true;
                 return false;
               }
               emit(id, values);
               end.last_id = id;
               ++emitted;
               return true;
             });
    return end;
  }
  // PagedPrev: the `limit` items just before the position, in the requested order.
  std::vector<int64_t> ids;
  ScanById(l, q.filter, q.projections, !desc, after,
           [&](int64_t id, const std::vector<std::string>&) {
             if (q.limit > 0 && static_cast<int64_t>(ids.size()) == q.limit) return false;
             ids.push_back(id);
             return true;
           });
  std::reverse(ids.begin(), ids.end());
  std::vector<std::string> values;
  for (int64_t id : ids) {
    l.Values(id, values);
    emit(id, values);
    end.last_id = id;
  }
  if (end.last_id)
    ScanById(l, q.filter, q.projections, desc, end.last_id,
             [&](int64_t, const std::vector<std::string>&) {
               end.more = true;
               return false;
             });
  return end;
}

// A sort value: SQL orders nulls first, numbers by value, text ignoring case.
struct SortKey {
  bool null = true;
  double num = 0;
  std::string text;
};

enum class SortKind { kText, kNumber, kBoolean, kDateTime };

SortKind KindOfColumn(const ListState& l, const Column& col) {
  const FieldDef* f = l.FindField(col.field);
  if (!f) return SortKind::kText;
  switch (f->kind) {
    case 1:   // Integer
    case 5:   // Counter
    case 7:   // Lookup (FooId)
    case 9:   // Number
    case 10:  // Currency
    case 20:  // User (FooId)
      return col.shape == ValueShape::kPlain && col.key.find("StringId") == std::string::npos
                 ? SortKind::kNumber
                 : SortKind::kText;
    case 8:
      return SortKind::kBoolean;
    case 4:
      return SortKind::kDateTime;
    default:
      return SortKind::kText;
  }
}

SortKey KeyOfRaw(std::string_view raw, SortKind kind) {
  SortKey k;
  if (raw == "null" || raw.empty()) return k;
  k.null = false;
  if (kind == SortKind::kNumber) {
    k.num = std::strtod(std::string(raw).c_str(), nullptr);
  } else if (kind == SortKind::kBoolean) {
    k.num = raw == "true" ? 1 : 0;
  } else {
    k.text =
        raw.front() == '"' ? UnescapeJsonString(raw).value_or(std::string(raw)) : std::string(raw);
  }
  return k;
}

// SharePoint writes dates into paging tokens as "yyyyMMdd HH:mm:ss" (UTC).
std::string TokenValue(const SortKey& k, SortKind kind) {
  if (k.null) return "";
  if (kind == SortKind::kBoolean) return k.num != 0 ? "1" : "0";
  if (kind == SortKind::kNumber) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%.15g", k.num);
    return buf;
  }
  if (kind == SortKind::kDateTime && k.text.size() >= 19 && k.text[10] == 'T')
    return k.text.substr(0, 4) + k.text.substr(5, 2) + k.text.substr(8, 2) + " " +
           k.text.substr(11, 8);
  return k.text;
}

SortKey KeyOfToken(const std::string& value, SortKind kind) {
  SortKey k;
  if (value.empty()) return k;
  k.null = false;
  if (kind == SortKind::kNumber) {
    k.num = std::strtod(value.c_str(), nullptr);
  } else if (kind == SortKind::kBoolean) {
    k.num = value == "1" || IEquals(value, "true") ? 1 : 0;
  } else if (kind == SortKind::kDateTime && value.size() == 17 && value[8] == ' ') {
    k.text = value.substr(0, 4) + "-" + value.substr(4, 2) + "-" + value.substr(6, 2) + "T" +
             value.substr(9, 8) + "Z";
  } else if (kind == SortKind::kDateTime) {
    auto t = ParseIso(value);
    k.text = t ? FormatIso(*t) : value;
  } else {
    k.text = value;
  }
  return k;
}

int CompareText(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int x = std::tolower(static_cast<unsigned char>(a[i]));
    int y = std::tolower(static_cast<unsigned char>(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

int CompareKeys(const SortKey& a, const SortKey& b, SortKind kind) {
  if (a.null || b.null) return a.null == b.null ? 0 : (a.null ? -1 : 1);
  if (kind == SortKind::kNumber || kind == SortKind::kBoolean)
    return a.num == b.num ? 0 : (a.num < b.num ? -1 : 1);
  return CompareText(a.text, b.text);
}

PageEnd SortedPage(const ListState& l, const PageQuery& q, const ItemSink& emit) {
  const int col = l.ColumnIndex(q.order.field);
  if (col < 0)
    throw RestError(
        400, "-2146232832, Microsoft.SharePoint.SPException",
        "Column '" + q.order.field + "' does not exist. It may have been deleted by another user.");
  const Column& column = l.columns()[static_cast<size_t>(col)];
  const SortKind kind = KindOfColumn(l, column);
  struct Row {
    SortKey key;
    int64_t id;
  };
  std::vector<Row> rows;
  ScanById(l, q.filter, q.projections, false, std::nullopt,
           [&](int64_t id, const std::vector<std::string>& v) {
             rows.push_back({KeyOfRaw(v[static_cast<size_t>(col)], kind), id});
             return true;
           });
  // The order is (value, ID), both descending for desc [unconfirmed for the ID].
  const bool desc = q.order.desc;
  auto less = [&](const Row& a, const Row& b) {
    int c = CompareKeys(a.key, b.key, kind);
    if (c == 0) c = a.id == b.id ? 0 : (a.id < b.id ? -1 : 1);
    return desc ? c > 0 : c < 0;
  };
  std::sort(rows.begin(), rows.end(), less);

  size_t begin = 0, stop = rows.size();
  const PagingToken* pos = q.position && q.position->present ? q.position : nullptr;
  if (pos) {
    Row at{{}, pos->id};
    if (pos->value && (IEquals(pos->field, q.order.field) || IEquals(pos->field, column.field))) {
      at.key = KeyOfToken(*pos->value, kind);
    } else {
      // A client-built token without the value: the item's current value.
      std::vector<std::string> v;
      if (l.Values(pos->id, v)) at.key = KeyOfRaw(v[static_cast<size_t>(col)], kind);
    }
    if (pos->prev) {
      stop =
          static_cast<size_t>(std::lower_bound(rows.begin(), rows.end(), at, less) - rows.begin());
      begin = q.limit > 0 && stop > static_cast<size_t>(q.limit)
                  ? stop - static_cast<size_t>(q.limit)
                  : 0;
    } else {
      begin =
          static_cast<size_t>(std::upper_bound(rows.begin(), rows.end(), at, less) - rows.begin());
    }
  }
  if (!(pos && pos->prev) && q.limit > 0)
    stop = std::min(rows.size(), begin + static_cast<size_t>(q.limit));
  PageEnd end;
  end.sort_field = l.FindField(column.field) ? column.field : column.key;
  std::vector<std::string> values;
  for (size_t i = begin; i < stop; ++i) {
    l.Values(rows[i].id, values);
    emit(rows[i].id, values);
    end.last_id = rows[i].id;
    end.sort_value = TokenValue(rows[i].key, kind);
  }
  end.more = end.last_id != 0 && stop < rows.size();
  return end;
}

}  // namespace

PageEnd WalkPage(const ListState& l, const PageQuery& q, const ItemSink& emit) {
  return IsIdOrder(q.order.field) ? IdPage(l, q, emit) : SortedPage(l, q, emit);
}

AtomTypeHint ItemAtomTypes(const ListState& l) {
  return [&l](std::string_view key) -> std::string {
    int c = l.ColumnIndex(key);
    if (c < 0) {
      const FieldDef* f = l.FindField(key);
      return f && (f->kind == 7 || f->kind == 20) ? "nav" : "";
    }
    const Column& col = l.columns()[static_cast<size_t>(c)];
    if (col.shape != ValueShape::kPlain || col.key.find("StringId") != std::string::npos)
      return "";  // verbose values carry their own type, or strings
    const FieldDef* f = l.FindField(col.field);
    switch (f ? f->kind : 2) {
      case 1:
      case 5:
      case 7:
      case 20:
        return "Edm.Int32";
      case 9:
      case 10:
        return "Edm.Double";
      case 8:
        return "Edm.Boolean";
      case 4:
        return "Edm.DateTime";
      case 14:
        return "Edm.Guid";
      default:
        return "Edm.String";
    }
  };
}

}  // namespace spsync::emulator::detail
