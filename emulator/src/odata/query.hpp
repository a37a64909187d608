// OData query options as SharePoint reads them on /items and /fields:
// $select, $filter, $orderby, $top, $skiptoken, $expand; and the next link
// SharePoint writes. Pure functions; the parsed trees are immutable values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odata/paging_token.hpp"

namespace spsync::emulator::detail {

struct FilterNode;
using FilterPtr = std::shared_ptr<FilterNode>;
struct Literal {
  enum Kind { kNull, kBool, kNumber, kString, kDateTime } kind = kNull;
  double number = 0;
  bool boolean = false;
  std::string text;  // strings, and datetimes normalised to ISO Z
};
struct FilterNode {
  enum Kind { kAnd, kOr, kCompare, kStartsWith, kSubstringOf } kind = kCompare;
  FilterPtr left, right;
  std::string field;
  // kCompare only: a date part of the field (year month day hour minute
  // second), "" for the field's value itself.
  std::string function;
  std::string op;  // eq ne lt le gt ge
  Literal value;
};
// Throws std::invalid_argument on syntax errors.
FilterPtr ParseFilter(std::string_view text);
// lookup(field) returns the raw JSON value or nullopt if the field does not exist.
using FieldLookup = std::function<std::optional<std::string_view>(std::string_view)>;
bool EvalFilter(const FilterNode& node, const FieldLookup& lookup);
void FilterFields(const FilterNode& node, std::vector<std::string>& out);  // leaf field names
// Candidate ID intervals implied by the ID comparisons of a filter (a superset).
using Intervals = std::vector<std::pair<int64_t, int64_t>>;
Intervals IdCandidates(const FilterNode& node, int64_t max_id);
const FilterNode* FirstLeaf(const FilterNode& node);

struct QueryOptions {
  std::vector<std::string> select;  // empty = all
  std::string filter_text, orderby_text, select_text, expand_text, top_text;
  FilterPtr filter;
  std::string orderby_field = "ID";
  bool orderby_desc = false;
  bool has_top = false;
  int64_t top = 100;
  PagingToken skiptoken;
  std::vector<std::pair<std::string, std::string>> other;  // @aliases etc. (decoded)
};
// From the raw query string; throws std::invalid_argument for malformed options.
QueryOptions ParseQueryOptions(std::string_view raw_query);
std::vector<std::string> SplitList(std::string_view s);  // comma-separated, trimmed
// The next link after the item `last_id` whose sort field (its internal name,
// "" for ID order) holds `last_sort_value` in paging-token form.
std::string NextLink(std::string_view base_url_and_path, const QueryOptions& q,
                     std::string_view sort_field, std::string_view last_sort_value,
                     int64_t last_id);

}  // namespace spsync::emulator::detail
