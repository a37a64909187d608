// Creating, changing and deleting lists as a client does it over REST:
// POST web/lists (an SP.List body, verbose or JSON light), MERGE/PATCH on a
// list (Title, Description, Hidden), DELETE on a list and POST .../recycle()
// (both move the list to the site's recycle bin).
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "api/areas.hpp"
#include "api/list_entity.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

// SP.List properties a body may carry; the ones the emulator models are
// applied, the others accepted and left as they are.
constexpr const char* kListProperties[] = {"AllowContentTypes",
                                           "BaseTemplate",
                                           "ContentTypesEnabled",
                                           "Description",
                                           "Direction",
                                           "DocumentTemplateType",
                                           "EnableAttachments",
                                           "EnableFolderCreation",
                                           "EnableMinorVersions",
                                           "EnableModeration",
                                           "EnableVersioning",
                                           "ForceCheckout",
                                           "Hidden",
                                           "IrmEnabled",
                                           "MajorVersionLimit",
                                           "NoCrawl",
                                           "OnQuickLaunch",
                                           "TemplateFeatureId",
                                           "Title",
                                           "ValidationFormula",
                                           "ValidationMessage"};

Poco::JSON::Object::Ptr ListBody(const Call& c) {
  Poco::JSON::Object::Ptr obj;
  try {
    obj = Poco::JSON::Parser().parse(c.req.body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Invalid JSON. A token was not recognized in the JSON content.");
  }
  if (!obj)
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Invalid JSON. A token was not recognized in the JSON content.");
  for (const auto& [key, value] : *obj) {
    bool known = key == "__metadata" && c.req.verbose_body;
    for (const char* p : kListProperties) known = known || key == p;
    if (!known)
      throw RestError(400, "-1, Microsoft.Data.OData.ODataException",
                      "The property '" + key +
                          "' does not exist on type 'SP.List'. Make sure to only use property "
                          "names that are defined by the type.");
  }
  return obj;
}

// A typed member of the body; RestError 400 when it has the wrong type.
template <typename T>
std::optional<T> Member(const Poco::JSON::Object::Ptr& obj, const char* key, const char* edm) {
  if (!obj->has(key)) return std::nullopt;
  Poco::Dynamic::Var v = obj->get(key);
  const bool ok = std::is_same_v<T, bool>          ? v.isBoolean()
                  : std::is_same_v<T, std::string> ? v.isString()
                                                   : v.isInteger();
  if (!ok)
    throw RestError(
        400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
        std::string("Cannot convert a primitive value to the expected type '") + edm + "'.");
  return v.convert<T>();
}

Reply CreateList(Call& c) {
  auto obj = ListBody(c);
  ListSpec spec;
  // A new list has its template's fields only; clients add their own.
  spec.synthetic_columns = false;
  spec.title = Member<std::string>(obj, "Title", "Edm.String").value_or("");
  spec.base_template = Member<int>(obj, "BaseTemplate", "Edm.Int32").value_or(100);
  spec.hidden = Member<bool>(obj, "Hidden", "Edm.Boolean").value_or(false);
  spec.description = Member<std::string>(obj, "Description", "Edm.String").value_or("");
  ListState& l = c.impl.CreateList(c.web, spec);
  EntityQuery query(QueryOptions{}, "SP.List", {});
  EntityRow row = ListRow(c, l, query);
  std::string entity;
  AppendEntity(entity, c.req.fmt, row.meta, row.props, {},
               c.WebUrl() + "/_api/$metadata#SP.ApiData.Lists/@Element");
  Reply r;
  r.status = 201;
  WrapSingle(r.body, c.req.fmt, entity);
  r.headers.emplace_back("ETag", row.meta.etag);
  return r;
}

// If-Match on a list names its etag ("N"), or * for any.
void CheckListEtag(const Call& c) {
  const std::string& if_match = c.req.if_match;
  if (if_match.empty() || if_match == "*") return;
  std::string current = "\"" + std::to_string(c.list->schema_version()) + "\"";
  std::string given = if_match.rfind("W/", 0) == 0 ? if_match.substr(2) : if_match;
  if (given != current)
    throw RestError(412, "-1, Microsoft.SharePoint.Client.ClientServiceException",
                    "The request ETag value '" + if_match +
                        "' does not match the object's ETag value '" + current + "'.");
}

Reply UpdateList(Call& c) {
  CheckListEtag(c);
  auto obj = ListBody(c);
  ListState& l = *c.list;
  // Read every member first, so a badly typed one changes nothing.
  auto title = Member<std::string>(obj, "Title", "Edm.String");
  auto hidden = Member<bool>(obj, "Hidden", "Edm.Boolean");
  auto description = Member<std::string>(obj, "Description", "Edm.String");
  if (title && *title != l.title()) c.impl.RenameList(l, *title);
  const int64_t now = c.impl.NowUnix();
  if (hidden && *hidden != l.hidden()) {
    l.SetHidden(*hidden, now);
    c.impl.RecordList(l, 2);
  }
  if (description && *description != l.shape().description) {
    l.SetDescription(*description, now);
    c.impl.RecordList(l, 2);
  }
  Reply r;
  r.status = 204;
  return r;
}

Reply DeleteList(Call& c) {
  CheckListEtag(c);
  c.impl.RecycleList(*c.list);
  return Reply{};
}

Reply RecycleList(Call& c) {
  std::string rid = c.impl.RecycleList(*c.list);
  Reply r;
  r.body = PrimitiveResult(c.req.fmt, "Recycle", JsonString(rid));
  return r;
}

}  // namespace

void AddListAdminRoutes(RouteTable& t) {
  t.Add("POST", "web/lists", RequestKind::kWrites, Access::kExclusive, CreateList);
  t.Add("MERGE PATCH PUT", "{list}", RequestKind::kWrites, Access::kExclusive, UpdateList);
  t.Add("DELETE", "{list}", RequestKind::kWrites, Access::kExclusive, DeleteList);
  for (const char* recycle : {"{list}/recycle()", "{list}/recycle"})
    t.Add("POST", recycle, RequestKind::kWrites, Access::kExclusive, RecycleList);
}

}  // namespace spsync::emulator::detail
