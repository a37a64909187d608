// The list view threshold and the item walk: ID order walks the synthetic ID
// space directly (cheap on a 10-million-item list); other orders sort the
// matching items (only reachable under the threshold or on indexed columns).
#include "api/item_walk.hpp"

#include <algorithm>
#include <cstdlib>

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
    if (l.ColumnIndex(n) < 0)
      throw RestError(
          400, "-2146232832, Microsoft.SharePoint.SPException",
          "Column '" + n + "' does not exist. It may have been deleted by another user.");
}

void CheckThreshold(const ListState& l, const FilterNode* filter, const std::string& order_field,
                    int64_t top) {
  if (l.item_count() <= kThreshold) return;
  if (top > kThreshold) throw Throttled();
  auto indexed = [&](std::string_view name) {
    if (IEquals(name, "ID")) return true;
    const FieldDef* f = l.FindField(name);
    return f && f->indexed;
  };
  if (!indexed(order_field)) throw Throttled();
  if (!filter) return;
  std::vector<std::string> names;
  FilterFields(*filter, names);
  if (std::all_of(names.begin(), names.end(),
                  [](const std::string& n) { return IEquals(n, "ID"); }))
    return;
  // Otherwise the first clause must be on an indexed column and narrow enough.
  const FilterNode* first = FirstLeaf(*filter);
  if (!IEquals(first->field, "ID")) throw Throttled();
  int64_t matched = 0;
  for (const auto& [lo, hi] : IdCandidates(*first, l.max_id()))
    for (int64_t id = l.NextLive(lo, lo, hi, true); id && matched <= kThreshold;
         id = l.NextLive(id + 1, lo, hi, true))
      ++matched;
  if (matched > kThreshold) throw Throttled();
}

bool Walk(const ListState& l, const FilterNode* filter, const std::string& order_field, bool desc,
          bool has_skip, int64_t skip_id, int64_t limit,
          const std::function<void(int64_t, const std::vector<std::string>&)>& emit,
          std::string* last_sort_value) {
  std::vector<std::string> values;
  auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
    int c = l.ColumnIndex(name);
    if (c < 0) return std::nullopt;
    return std::string_view(values[static_cast<size_t>(c)]);
  };
  int64_t emitted = 0;
  if (IEquals(order_field, "ID")) {
    Intervals ivs = filter ? IdCandidates(*filter, l.max_id()) : Intervals{{1, l.max_id()}};
    if (desc) std::reverse(ivs.begin(), ivs.end());
    for (const auto& [lo0, hi0] : ivs) {
      int64_t lo = lo0, hi = hi0;
      if (has_skip) {
        if (desc)
          hi = std::min(hi, skip_id - 1);
        else
          lo = std::max(lo, skip_id + 1);
      }
      if (lo > hi) continue;
      for (int64_t id = l.NextLive(desc ? hi : lo, lo, hi, !desc); id;
           id = desc ? (id - 1 >= lo ? l.NextLive(id - 1, lo, hi, false) : 0)
                     : l.NextLive(id + 1, lo, hi, true)) {
        l.Values(id, values);
        if (filter && !EvalFilter(*filter, lookup)) continue;
        if (limit > 0 && emitted == limit) return true;
        emit(id, values);
        ++emitted;
      }
    }
    return false;
  }
  // Another sort column (only reachable on lists under the threshold): sort all matches.
  int col = l.ColumnIndex(order_field);
  if (col < 0)
    throw RestError(
        400, "-2146232832, Microsoft.SharePoint.SPException",
        "Column '" + order_field + "' does not exist. It may have been deleted by another user.");
  struct Row {
    std::string key;
    double num;
    bool is_num;
    int64_t id;
  };
  std::vector<Row> rows;
  for (int64_t id = l.NextLive(1, 1, l.max_id(), true); id;
       id = l.NextLive(id + 1, 1, l.max_id(), true)) {
    l.Values(id, values);
    if (filter && !EvalFilter(*filter, lookup)) continue;
    const std::string& raw = values[static_cast<size_t>(col)];
    char* end = nullptr;
    double num = std::strtod(raw.c_str(), &end);
    bool is_num = !raw.empty() && raw != "null" && *end == 0;
    rows.push_back({raw == "null" ? "" : UnescapeJsonString(raw).value_or(raw), num, is_num, id});
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (a.is_num && b.is_num && a.num != b.num) return desc ? a.num > b.num : a.num < b.num;
    if (!(a.is_num && b.is_num) && a.key != b.key) return desc ? a.key > b.key : a.key < b.key;
    return a.id < b.id;
  });
  size_t start = 0;
  if (has_skip) {
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i].id == skip_id) start = i + 1;
  }
  for (size_t i = start; i < rows.size(); ++i) {
    if (limit > 0 && emitted == limit) return true;
    l.Values(rows[i].id, values);
    emit(rows[i].id, values);
    if (last_sort_value) *last_sort_value = rows[i].key;
    ++emitted;
  }
  return false;
}

}  // namespace spsync::emulator::detail
