#include "spsync/engine/sharepoint/lookup_split.hpp"

#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include <algorithm>
#include <unordered_map>

namespace spsync::engine {

bool IsLookupColumn(const SchemaField& f) {
  return f.role == SPSYNC_FIELD_PLAIN && (f.sp_type == "Lookup" || f.sp_type == "LookupMulti" ||
                                          f.sp_type == "User" || f.sp_type == "UserMulti");
}

std::unique_ptr<LookupSplit> LookupSplit::For(const EntitySchema& schema) {
  const auto& fields = schema.fields();
  size_t lookups = 0;
  for (const auto& f : fields) lookups += IsLookupColumn(f);
  if (lookups <= kMaxLookupColumns) return nullptr;
  auto split = std::unique_ptr<LookupSplit>(new LookupSplit());
  // The same item keys as EntitySchema::SelectClause, lookups past the 12th
  // left to the groups.
  split->select_ = "ID,Modified,GUID,OData__UIVersionString";
  size_t taken = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    const SchemaField& f = fields[i];
    if (f.role != SPSYNC_FIELD_PLAIN) continue;
    if (IsLookupColumn(f) && taken++ >= kMaxLookupColumns) {
      if (split->groups_.empty() || split->groups_.back().fields.size() == kMaxLookupColumns)
        split->groups_.emplace_back();
      split->groups_.back().fields.push_back(i);
      continue;
    }
    split->select_ += "," + f.key;
  }
  for (auto& g : split->groups_) {
    std::vector<SchemaField> subset;
    g.select = "ID";
    for (size_t i : g.fields) {
      subset.push_back(fields[i]);
      g.select += "," + fields[i].key;
    }
    g.schema = std::make_unique<EntitySchema>("", "", "", std::move(subset));
    g.parser = std::make_unique<ItemPageParser>(*g.schema);
  }
  return split;
}

void LookupSplit::Merge(
    ItemPage* page,
    const std::function<void(const std::string& select, std::string* body)>& fetch) const {
  if (page->items.empty()) return;
  std::unordered_map<int64_t, size_t> index;
  for (size_t k = 0; k < page->items.size(); ++k) index[page->items[k].id] = k;
  const size_t nfields = page->items.front().value_count;
  for (const auto& g : groups_) {
    ItemPage part;
    fetch(g.select, &part.body);
    g.parser->Parse(&part, SPSYNC_CHANGE_FULL_SYNC);
    for (const auto& item : part.items) {
      auto it = index.find(item.id);
      if (it == index.end()) continue;  // created meanwhile: the next read has it whole
      spsync_value* values = page->values.data() + it->second * nfields;
      for (size_t k = 0; k < g.fields.size(); ++k) values[g.fields[k]] = item.values[k];
    }
    // Lookup IDs are numbers or raw JSON arrays: views into the body, which
    // moves (its buffer with it) into the page.
    page->resolved.push_back(std::move(part.body));
  }
}

}  // namespace spsync::engine
