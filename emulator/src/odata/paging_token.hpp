// The paging position SharePoint writes into a $skiptoken and a CAML
// PagingInfo (shared/docs/sharepoint-rest.md §3.2):
//   Paged=TRUE[&PagedPrev=TRUE][&p_<Field>=<value>]&p_ID=<id>
// Values are percent-escaped inside the token (the PagingInfo grammar allows
// only letters, digits and -_.!~*'() unescaped). Plain values, pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spsync::emulator::detail {

struct PagingToken {
  bool present = false;
  bool prev = false;                 // PagedPrev=TRUE: the page before the position
  int64_t id = 0;                    // p_ID
  std::string field;                 // <Field> of p_<Field>, "" if none
  std::optional<std::string> value;  // its value, unescaped ("" for a null value)
};

// From the decoded token text; throws std::invalid_argument for a bad p_ID.
PagingToken ParsePagingToken(std::string_view text);
// The forward token after (field = value, id); field "" for ID order.
std::string FormatPagingToken(std::string_view field, std::string_view value, int64_t id);

}  // namespace spsync::emulator::detail
