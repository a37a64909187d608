// List items: the paged collection (with $select, $filter, $orderby, $top
// and $skiptoken), a single item, and item writes (create, update with
// If-Match, delete, recycle).
#include "api/areas.hpp"
#include "api/item_walk.hpp"
#include "api/projection.hpp"
#include "odata/item_body.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

RestError ItemNotFound() {
  return RestError(404, "-2130575338, Microsoft.SharePoint.SPException",
                   "Item does not exist. It may have been deleted by another user.");
}

// A write to a live item whose If-Match (if any) names its current version.
void CheckEtag(const ListState& l, int64_t id, const std::string& if_match) {
  if (!l.IsLive(id)) throw ItemNotFound();
  if (if_match.empty() || if_match == "*") return;
  std::string current = "\"" + std::to_string(l.Version(id)) + "\"";
  std::string given = if_match;
  if (given.rfind("W/", 0) == 0) given = given.substr(2);
  if (given != current)
    throw RestError(412, "-1, Microsoft.SharePoint.Client.ClientServiceException",
                    "The request ETag value '" + if_match +
                        "' does not match the object's ETag value '" + current + "'.");
}

Reply ItemCollection(Call& c) {
  const ListState& l = *c.list;
  const Negotiated& fmt = c.req.fmt;
  const QueryOptions& q = c.q;
  std::string items_path = c.req.raw_path;
  while (!items_path.empty() && items_path.back() == '/') items_path.pop_back();
  Projections projections = Projections::Plan(c.web, l, q);
  if (q.filter) CheckFilterColumns(l, *q.filter);
  int64_t top = q.has_top ? q.top : 100;
  CheckThreshold(l, q.filter.get(), q.orderby_field, top);
  top = std::min<int64_t>(top, kThreshold);
  const std::string web_url = c.WebUrl();
  ItemWriter w = MakeItemWriter(web_url, l, fmt, projections);
  Reply r;
  r.body.reserve(static_cast<size_t>(top) * 700 + 256);
  BeginCollection(r.body, fmt, web_url + "/_api/$metadata#SP.ListData." + l.EntityTypeName() + "s");
  std::string next;
  if (top > 0) {
    bool first = true;
    PageEnd end = WalkPage(
        l,
        PageQuery{
            q.filter.get(), {q.orderby_field, q.orderby_desc}, &q.skiptoken, top, &projections},
        [&](int64_t id, const std::vector<std::string>& values) {
          if (!first) r.body += ",";
          first = false;
          w.Append(r.body, id, values, l.Version(id));
          ++r.items;
        });
    if (end.more)
      next =
          NextLink(c.impl.BaseUrl() + items_path, q, end.sort_field, end.sort_value, end.last_id);
  }
  EndCollection(r.body, fmt, next);
  r.atom_hint = ItemAtomTypes(l);
  return r;
}

Reply ItemEntity(const Call& c, const ListState& l, int64_t id, const Negotiated& fmt,
                 const QueryOptions& q, int status) {
  std::vector<std::string> values;
  if (!l.Values(id, values)) throw ItemNotFound();
  Projections projections = Projections::Plan(c.web, l, q);
  const std::string web_url = c.WebUrl();
  ItemWriter w = MakeItemWriter(web_url, l, fmt, projections);
  std::string entity;
  w.Append(entity, id, values, l.Version(id));
  if (fmt.format == Format::kMinimal) {
    // JSON light puts the context first in a single entity.
    std::string ctx =
        (fmt.v4 ? "{\"@odata.context\":" : "{\"odata.metadata\":") +
        JsonString(web_url + "/_api/$metadata#SP.ListData." + l.EntityTypeName() + "s/@Element") +
        ",";
    entity = ctx + entity.substr(1);
  }
  Reply r;
  r.status = status;
  r.items = 1;
  WrapSingle(r.body, fmt, entity);
  r.atom_hint = ItemAtomTypes(l);
  r.headers.emplace_back("ETag", "\"" + std::to_string(l.Version(id)) + "\"");
  return r;
}

Reply GetItem(Call& c) {
  return ItemEntity(c, *c.list, c.captures.ids[0], c.req.fmt, c.q, 200);
}

Reply CreateItem(Call& c) {
  ListState& l = *c.list;
  auto assignments = ParseItemBody(l, c.req.body, c.req.verbose_body);
  int64_t id = l.Add(assignments, c.impl.NowUnix());
  c.impl.RecordItem(l, 1, id);
  return ItemEntity(c, l, id, c.req.fmt, QueryOptions{}, 201);
}

Reply UpdateItem(Call& c) {
  ListState& l = *c.list;
  const int64_t id = c.captures.ids[0];
  CheckEtag(l, id, c.req.if_match);
  auto assignments = ParseItemBody(l, c.req.body, c.req.verbose_body);
  l.Update(id, assignments, c.impl.NowUnix());
  c.impl.RecordItem(l, 2, id);
  Reply r;
  r.status = 204;
  r.headers.emplace_back("ETag", "\"" + std::to_string(l.Version(id)) + "\"");
  return r;
}

Reply DeleteItem(Call& c) {
  ListState& l = *c.list;
  const int64_t id = c.captures.ids[0];
  CheckEtag(l, id, c.req.if_match);
  l.SetState(id, ItemState::kDeleted, c.impl.NowUnix());
  c.impl.RecordItem(l, 3, id);
  return Reply{};
}

Reply RecycleItem(Call& c) {
  ListState& l = *c.list;
  const int64_t id = c.captures.ids[0];
  CheckEtag(l, id, c.req.if_match);
  std::string rid = c.impl.Recycle(l, id);
  Reply r;
  r.body = PrimitiveResult(c.req.fmt, "Recycle", JsonString(rid));
  return r;
}

}  // namespace

void AddItemRoutes(RouteTable& t) {
  t.Add("GET", "{list}/items", RequestKind::kItems, Access::kShared, ItemCollection);
  t.Add("POST", "{list}/items", RequestKind::kWrites, Access::kExclusive, CreateItem);
  for (const char* item : {"{list}/items({id})", "{list}/items/getbyid({id})"}) {
    t.Add("GET", item, RequestKind::kItemById, Access::kShared, GetItem);
    t.Add("MERGE PATCH PUT", item, RequestKind::kWrites, Access::kExclusive, UpdateItem);
    t.Add("DELETE", item, RequestKind::kWrites, Access::kExclusive, DeleteItem);
    for (const char* recycle : {"/recycle()", "/recycle"})
      t.Add("POST", std::string(item) + recycle, RequestKind::kWrites, Access::kExclusive,
            RecycleItem);
  }
}

}  // namespace spsync::emulator::detail
