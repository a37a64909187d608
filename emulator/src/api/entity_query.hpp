// $select, $filter, $expand, $orderby and $top over entities that are plain
// property lists (SP.List, SP.Web, ...), as SharePoint applies them to its
// collections (web/lists, web/webs). Plain values; build one per request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/request.hpp"
#include "odata/format.hpp"
#include "odata/query.hpp"

namespace spsync::emulator::detail {

// One entity ready to write: its metadata and its properties (expanded
// navigation properties included, as objects).
struct EntityRow {
  EntityMeta meta;
  std::vector<Prop> props;
};

class EntityQuery {
 public:
  // `type` names the entity type in errors (SP.List); `expandable` lists the
  // navigation properties $expand may name (RootFolder). Throws RestError
  // 400 for an $expand of anything else, or a projection (RootFolder/Name)
  // without its $expand.
  EntityQuery(const QueryOptions& q, std::string type, std::vector<std::string> expandable);

  bool Expanded(std::string_view nav) const;
  // The properties selected from an expanded navigation property (empty: all).
  std::vector<std::string> NavSelect(std::string_view nav) const;
  // The entity's own selected properties (expanded ones by name; empty: all).
  const std::vector<std::string>& select() const { return select_; }
  // Whether $select names `name` itself (for properties SharePoint returns only when asked).
  bool Names(std::string_view name) const;
  // RestError 400 for a selected name no entity has (`known` are the entity's properties).
  void CheckSelect(const std::vector<Prop>& known) const;
  // $filter against the properties (RestError 400 for an unknown one).
  bool Matches(const std::vector<Prop>& props) const;

  // Writes the collection: filtered, ordered ($orderby on one property),
  // cut at $top, each entity with the selected properties.
  void WriteCollection(std::string& out, const Negotiated& fmt, std::string_view context,
                       std::vector<EntityRow> rows) const;

 private:
  const QueryOptions& q_;
  std::string type_;
  std::vector<std::string> expandable_, expanded_, select_;
  std::vector<std::pair<std::string, std::string>> nav_select_;  // (nav, property)
};

}  // namespace spsync::emulator::detail
