// Lists with more than 12 lookup-type columns (Lookup, User and their Multi
// forms, Created By and Modified By included). SharePoint refuses a query
// that reads more of them than the "list view lookup threshold" (12 by
// default), even by ID (`CustomerId`), so such an entity's items are read in
// column groups: the main request takes every other column and the first 12
// lookup columns; each further group of up to 12 is one more request for the
// same items (the page's ID window, or the same CAML <In>), merged in by ID.
// Only lists past the threshold pay for it: one request per extra group and
// page. The merged values are the item's; its raw JSON holds the main
// request's columns only.
//
// Thread safety: immutable once built; Merge may run on several threads.
#pragma once

#include "spsync/engine/sharepoint/item_page.hpp"
#include "spsync/engine/sharepoint/schema.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace spsync::engine {

class LookupSplit {
 public:
  static constexpr size_t kMaxLookupColumns = 12;
  // Null when the schema's plain fields hold at most 12 lookup columns.
  static std::unique_ptr<LookupSplit> For(const EntitySchema& schema);

  // The $select of the main request (instead of schema.SelectClause()).
  const std::string& select() const { return select_; }
  size_t groups() const { return groups_.size(); }

  // Reads every extra group for the items of `page` and merges its values
  // in. `fetch(select, body)` reads those same items with that $select and
  // leaves the collection response in `body`.
  void Merge(ItemPage* page,
             const std::function<void(const std::string& select, std::string* body)>& fetch) const;

 private:
  struct Group {
    std::vector<size_t> fields;  // indexes in the entity schema
    std::string select;
    std::unique_ptr<EntitySchema> schema;
    std::unique_ptr<ItemPageParser> parser;
  };
  std::string select_;
  std::vector<Group> groups_;
};

bool IsLookupColumn(const SchemaField& field);

}  // namespace spsync::engine
