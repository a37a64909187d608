// POST .../GetItems: a CAML query (the View/Query subset a sync client
// sends) with ListItemCollectionPosition paging, under the same threshold
// rules as /items plus CAML's own (GroupBy, aggregations, no RowLimit).
#include <algorithm>

#include "api/areas.hpp"
#include "api/item_walk.hpp"
#include "api/projection.hpp"
#include "odata/caml.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

Reply GetItems(Call& c) {
  const ListState& l = *c.list;
  const Negotiated& fmt = c.req.fmt;
  const QueryOptions& q = c.q;
  CamlQuery caml = ParseCamlBody(c.req.body, c.req.verbose_body);
  if (caml.where) CheckFilterColumns(l, *caml.where);
  if (l.item_count() > kThreshold) {
    if (caml.group_by || caml.aggregations) throw Throttled();
    if (caml.row_limit > kThreshold) throw Throttled();
    bool id_only = false;
    if (caml.where) {
      std::vector<std::string> names;
      FilterFields(*caml.where, names);
      id_only = std::all_of(names.begin(), names.end(),
                            [](const std::string& n) { return IEquals(n, "ID"); });
    }
    if (caml.row_limit == 0 && !id_only) throw Throttled();
    CheckThreshold(l, caml.where.get(), caml.orderby_field, caml.row_limit);
  }
  // $select and $expand (lookups, people, AttachmentFiles) as on /items.
  Projections projections = Projections::Plan(c.web, l, q);
  ItemWriter w = MakeItemWriter(c.WebUrl(), l, fmt, projections);
  Reply r;
  BeginCollection(r.body, fmt, c.WebUrl() + "/_api/$metadata#SP.ApiData.ListItems");
  bool first = true;
  WalkPage(l,
           PageQuery{caml.where.get(),
                     {caml.orderby_field, caml.orderby_desc},
                     &caml.position,
                     caml.row_limit},
           [&](int64_t id, const std::vector<std::string>& values) {
             if (!first) r.body += ",";
             first = false;
             w.Append(r.body, id, values, l.Version(id));
             ++r.items;
           });
  // SharePoint gives no paging information here; clients build the next PagingInfo.
  EndCollection(r.body, fmt, "");
  r.atom_hint = ItemAtomTypes(l);
  return r;
}

}  // namespace

void AddGetItemsRoutes(RouteTable& t) {
  t.Add("POST", "{list}/getitems", RequestKind::kGetItems, Access::kShared, GetItems);
}

}  // namespace spsync::emulator::detail
