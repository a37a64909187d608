// Running an item query over a list: the list view threshold decision
// (shared/docs/sharepoint-rest.md §4) and the walk over live items in the
// requested order from a paging position. Functions over a ListState the
// caller keeps locked (shared) while they run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/projection.hpp"
#include "model/synthetic_list.hpp"
#include "odata/atom.hpp"
#include "odata/paging_token.hpp"
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

struct SortOrder {
  std::string field = "ID";  // as the query names it (a field or an item JSON key)
  bool desc = false;
};

// One page of a query: the items matching `filter` in `order`, after the
// position of `position` (or before it with PagedPrev), at most `limit`
// (0 = unlimited).
struct PageQuery {
  const FilterNode* filter = nullptr;
  SortOrder order;
  const PagingToken* position = nullptr;  // nullptr or !present: from the start
  int64_t limit = 0;
  // Values of projected filter names (Owner/Title); nullptr: none allowed.
  const Projections* projections = nullptr;
};

// Where a page ended, for the next link.
struct PageEnd {
  bool more = false;       // matching items follow the page's last item in the order
  int64_t last_id = 0;     // 0 if the page is empty
  std::string sort_field;  // the sort field's internal name; "" for ID order
  std::string sort_value;  // its value at the last item, in paging-token form
};

using ItemSink = std::function<void(int64_t id, const std::vector<std::string>& values)>;

// Emits the page's items in the requested order. ID order walks the ID space
// (cheap on a 10-million-item list); other orders sort the matching items.
// A position continues after (value, ID) in the order, so deleting or
// changing the item at the position moves nothing. Throws RestError for an
// unknown sort column.
PageEnd WalkPage(const ListState& l, const PageQuery& q, const ItemSink& emit);

// The EDM types of an item's properties for Atom answers, from the list's
// fields; the hint borrows the list.
AtomTypeHint ItemAtomTypes(const ListState& l);

}  // namespace spsync::emulator::detail
