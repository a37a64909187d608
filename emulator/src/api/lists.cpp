// The list entity (GET on a list address): the properties a sync client
// reads, in the three JSON dialects.
#include "api/areas.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

Reply ListEntity(Call& c) {
  const ListState& l = *c.list;
  const Negotiated& fmt = c.req.fmt;
  const QueryOptions& q = c.q;
  const std::string site = c.impl.SiteUrl();
  const std::string edit = "Web/Lists(guid'" + l.id() + "')";
  std::string token = JsonString(c.impl.CurrentToken(l));
  std::vector<Prop> props = {
      {"AllowContentTypes", "true"},
      {"BaseTemplate", std::to_string(static_cast<int>(l.list_template()))},
      {"BaseType", "0"},
      {"ContentTypesEnabled", "false"},
      {"Created", JsonString(FormatIso(l.created()))},
      {"CurrentChangeToken",
       fmt.format == Format::kVerbose
           ? "{\"__metadata\":{\"type\":\"SP.ChangeToken\"},\"StringValue\":" + token + "}"
           : "{\"StringValue\":" + token + "}"},
      {"Description", "\"\""},
      {"EnableVersioning", "true"},
      {"EntityTypeName", JsonString(l.ListEntityTypeName())},
      {"Hidden", l.hidden() ? "true" : "false"},
      {"Id", JsonString(l.id())},
      {"ItemCount", std::to_string(l.item_count())},
      {"LastItemDeletedDate", JsonString(FormatIso(l.last_deleted()))},
      {"LastItemModifiedDate", JsonString(FormatIso(l.last_modified()))},
      {"LastItemUserModifiedDate", JsonString(FormatIso(l.last_modified()))},
      {"ListItemEntityTypeFullName", JsonString(l.ItemEntityType())},
      {"ParentWebPath", (fmt.format == Format::kVerbose
                             ? "{\"__metadata\":{\"type\":\"SP.ResourcePath\"},\"DecodedUrl\":"
                             : "{\"DecodedUrl\":") +
                            JsonString(c.impl.opt.site) + "}"},
      {"ParentWebUrl", JsonString(c.impl.opt.site)},
      {"Title", JsonString(l.title())},
  };
  std::string unknown = UnknownSelect(props, q.select);
  if (!unknown.empty())
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "The property '" + unknown + "' does not exist on type 'SP.List'.");
  if (fmt.format == Format::kVerbose && q.select.empty())
    for (const char* nav : {"Fields", "Items", "RootFolder", "Views"})
      props.push_back({nav, "{\"__deferred\":{\"uri\":" +
                                JsonString(site + "/_api/" + edit + "/" + nav) + "}}"});
  std::string entity;
  AppendEntity(entity, fmt,
               EntityMeta{"SP.List", site + "/_api/" + edit, site + "/_api/" + edit, edit,
                          "\"" + std::to_string(l.schema_version()) + "\""},
               props, q.select, site + "/_api/$metadata#SP.ApiData.Lists/@Element");
  Reply r;
  WrapSingle(r.body, fmt, entity);
  return r;
}

}  // namespace

void AddListRoutes(RouteTable& t) {
  t.Add("GET", "{list}", RequestKind::kListMetadata, Access::kShared, ListEntity);
}

}  // namespace spsync::emulator::detail
