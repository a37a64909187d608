// Running an item query over a list: the list view threshold decision
// (shared/docs/sharepoint-rest.md §4) and the walk over live items in the
// requested order from a paging position. Functions over a ListState the
// caller keeps locked (shared) while they run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/synthetic_list.hpp"
#include "odata/query.hpp"
#include "rest_error.hpp"

namespace spsync::emulator::detail {

constexpr int64_t kThreshold = 5000;  // the list view threshold

// The 500 SPQueryThrottledException of a query over the threshold.
RestError Throttled();
// RestError 400 naming the first filter column the list does not have.
void CheckFilterColumns(const ListState& l, const FilterNode& f);
// Throws Throttled() when the list is over the threshold and the query could
// not use an index (the §4 decision table).
void CheckThreshold(const ListState& l, const FilterNode* filter, const std::string& order_field,
                    int64_t top);

// Walks live items matching `filter` in the given order after skip_id, calling
// emit for up to `limit` (0 = unlimited); returns whether more would follow.
bool Walk(const ListState& l, const FilterNode* filter, const std::string& order_field, bool desc,
          bool has_skip, int64_t skip_id, int64_t limit,
          const std::function<void(int64_t, const std::vector<std::string>&)>& emit,
          std::string* last_sort_value);

}  // namespace spsync::emulator::detail
