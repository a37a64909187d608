// Reading lists: one list (GET on a list address) and a web's lists
// collection (web/lists with $select, $filter, $orderby, $top and
// $expand=RootFolder), as discovery and sync clients read them.
#include "api/areas.hpp"
#include "api/list_entity.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

Reply ListEntity(Call& c) {
  EntityQuery query(c.q, "SP.List", ListExpandable());
  EntityRow row = ListRow(c, *c.list, query);
  query.CheckSelect(row.props);
  std::string entity;
  AppendEntity(entity, c.req.fmt, row.meta, row.props, query.select(),
               c.WebUrl() + "/_api/$metadata#SP.ApiData.Lists/@Element");
  Reply r;
  WrapSingle(r.body, c.req.fmt, entity);
  r.atom_hint = ListAtomTypes();
  return r;
}

Reply ListCollection(Call& c) {
  EntityQuery query(c.q, "SP.List", ListExpandable());
  std::vector<EntityRow> rows;
  rows.reserve(c.web.lists.size());
  for (const auto& l : c.web.lists) rows.push_back(ListRow(c, *l, query));
  if (!rows.empty()) query.CheckSelect(rows.front().props);
  Reply r;
  query.WriteCollection(r.body, c.req.fmt, c.WebUrl() + "/_api/$metadata#SP.ApiData.Lists",
                        std::move(rows));
  r.atom_hint = ListAtomTypes();
  return r;
}

}  // namespace

void AddListRoutes(RouteTable& t) {
  t.Add("GET", "{list}", RequestKind::kListMetadata, Access::kShared, ListEntity);
  t.Add("GET", "web/lists", RequestKind::kDiscovery, Access::kShared, ListCollection);
}

}  // namespace spsync::emulator::detail
