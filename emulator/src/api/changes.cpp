// POST .../GetChanges: the change log after a change token, as
// SP.ChangeItem / SP.ChangeField / SP.ChangeList entries, at list scope
// ({list}/getchanges, token scope 3), web scope (web/getchanges, scope 2) and
// site collection scope (site/getchanges, scope 1); with SharePoint's errors
// for expired, foreign and malformed tokens.
#include "api/areas.hpp"
#include "odata/change_query.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

std::vector<Prop> EntryProps(const ChangeEntry& e, int scope, const std::string& scope_id,
                             const Negotiated& fmt) {
  ChangeToken tok{scope, scope_id, e.ticks, e.number};
  std::string token = JsonString(tok.ToString());
  std::vector<Prop> props = {
      {"ChangeToken",
       fmt.format == Format::kVerbose
           ? "{\"__metadata\":{\"type\":\"SP.ChangeToken\"},\"StringValue\":" + token + "}"
           : "{\"StringValue\":" + token + "}"},
      {"ChangeType", std::to_string(e.change_type)},
      {"SiteId", JsonString(e.origin.site_id)},
      {"Time", JsonString(FormatIso(TicksToUnix(e.ticks)))},
  };
  if (e.object == ChangeObject::kItem) {
    props.push_back({"Editor", "\"\""});
    props.push_back({"EditorEmailHint", "null"});
    props.push_back({"ItemId", std::to_string(e.item_id)});
    props.push_back({"ListId", JsonString(e.origin.list_id)});
    props.push_back({"ServerRelativeUrl", "\"\""});
    props.push_back({"SharedByUser", "null"});
    props.push_back({"SharedWithUsers", "null"});
    props.push_back({"UniqueId", JsonString(e.unique_id)});
  } else if (e.object == ChangeObject::kField) {
    props.push_back({"FieldId", JsonString(e.unique_id)});
    // [guess: SP.ChangeField carries the list it belongs to]
    props.push_back({"ListId", JsonString(e.origin.list_id)});
  } else {
    props.push_back({"BaseTemplate", std::to_string(e.list.base_template)});
    props.push_back({"Editor", "\"\""});
    props.push_back({"Hidden", e.list.hidden ? "true" : "false"});
    props.push_back({"ListId", JsonString(e.origin.list_id)});
    props.push_back({"RootFolderUrl", JsonString(e.list.root_folder_url)});
    props.push_back({"Title", JsonString(e.list.title)});
  }
  props.push_back({"WebId", JsonString(e.origin.web_id)});
  return props;
}

// The changes of the object a token of `scope` for `scope_id` names.
Reply Changes(Call& c, int scope, const std::string& scope_id) {
  const Negotiated& fmt = c.req.fmt;
  ChangeQuery q = ParseChangeQuery(c.req.body, c.req.verbose_body);
  auto parse = [&](const std::optional<std::string>& s) -> std::optional<ChangeToken> {
    if (!s) return std::nullopt;
    auto t = ParseChangeToken(*s);
    if (!t)
      throw RestError(
          400, "-2146233086, System.ArgumentOutOfRangeException",
          "Specified argument was out of the range of valid values.\r\nParameter name: token");
    if (t->scope != scope || t->scope_id != scope_id)
      throw RestError(500, "-2130575173, Microsoft.SharePoint.SPException",
                      "Cannot use the changeToken from one object against a different object");
    return t;
  };
  auto start = parse(q.start);
  auto end = parse(q.end);
  const int64_t oldest = c.impl.RetentionStartTicks();
  bool silently_empty = false;
  if (start && start->ticks < oldest) {
    if (!c.impl.opt.expired_token_silently_empty)
      throw RestError(
          500, "-2130575172, Microsoft.SharePoint.SPException",
          "The changeToken refers to a time before the start of the current change log.");
    silently_empty = true;
  }
  std::vector<const ChangeEntry*> entries;
  if (!silently_empty) entries = c.impl.log.Query(scope, scope_id, q, start, end, oldest);
  const std::string web = c.WebUrl();
  Reply r;
  BeginCollection(r.body, fmt, web + "/_api/$metadata#Collection(SP.Change)");
  bool first = true;
  for (const ChangeEntry* e : entries) {
    std::string cls = e->object == ChangeObject::kItem    ? "SP.ChangeItem"
                      : e->object == ChangeObject::kField ? "SP.ChangeField"
                                                          : "SP.ChangeList";
    std::string uid = MakeGuid(Mix(static_cast<uint64_t>(e->number)), Hash(0, e->origin.list_id));
    if (!first) r.body += ",";
    first = false;
    AppendEntity(r.body, fmt,
                 EntityMeta{cls, web + "/_api/" + cls + uid, web + "/_api/" + cls, cls + uid, ""},
                 EntryProps(*e, scope, scope_id, fmt), {});
  }
  EndCollection(r.body, fmt, "");
  return r;
}

Reply ListChanges(Call& c) {
  return Changes(c, 3, c.list->id());
}
Reply WebChanges(Call& c) {
  return Changes(c, 2, c.web.id);
}
Reply SiteChanges(Call& c) {
  return Changes(c, 1, c.web.site->id);
}

}  // namespace

void AddChangeRoutes(RouteTable& t) {
  t.Add("POST", "{list}/getchanges", RequestKind::kGetChanges, Access::kShared, ListChanges);
  t.Add("POST", "web/getchanges", RequestKind::kGetChanges, Access::kShared, WebChanges);
  t.Add("POST", "site/getchanges", RequestKind::kGetChanges, Access::kShared, SiteChanges);
}

}  // namespace spsync::emulator::detail
