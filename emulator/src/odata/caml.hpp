// CAML for POST .../GetItems: the View/Query subset a sync client sends,
// translated into an OData filter tree. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "odata/paging_token.hpp"
#include "odata/query.hpp"

namespace spsync::emulator::detail {

struct CamlQuery {
  FilterPtr where;  // expressed as an OData filter tree
  std::string orderby_field = "ID";
  bool orderby_desc = false;
  int64_t row_limit = 0;  // 0 = none
  bool group_by = false, aggregations = false;
  PagingToken position;  // from ListItemCollectionPosition.PagingInfo
};
// Throws RestError with SharePoint's answer for a malformed body or CAML.
CamlQuery ParseCamlBody(std::string_view body, bool verbose_content_type);

}  // namespace spsync::emulator::detail
