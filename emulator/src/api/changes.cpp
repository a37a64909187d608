// POST .../GetChanges: the list's change log after a change token, as
// SP.ChangeItem / SP.ChangeField / SP.ChangeList entries, with SharePoint's
// errors for expired, foreign and malformed tokens.
#include "api/areas.hpp"
#include "odata/change_query.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

Reply GetChanges(Call& c) {
  const ListState& l = *c.list;
  const Negotiated& fmt = c.req.fmt;
  ChangeQuery q = ParseChangeQuery(c.req.body, c.req.verbose_body);
  auto parse = [&](const std::optional<std::string>& s) -> std::optional<ChangeToken> {
    if (!s) return std::nullopt;
    auto t = ParseChangeToken(*s);
    if (!t)
      throw RestError(
          400, "-2146233086, System.ArgumentOutOfRangeException",
          "Specified argument was out of the range of valid values.\r\nParameter name: token");
    if (t->scope != 3 || t->scope_id != l.id())
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
  if (!silently_empty) entries = c.impl.log.Query(l.id(), q, start, end, oldest);
  const std::string site = c.impl.SiteUrl();
  Reply r;
  BeginCollection(r.body, fmt, site + "/_api/$metadata#Collection(SP.Change)");
  bool first = true;
  for (const ChangeEntry* e : entries) {
    ChangeToken tok{3, l.id(), e->ticks, e->number};
    std::string token = JsonString(tok.ToString());
    std::string cls = e->object == ChangeObject::kItem    ? "SP.ChangeItem"
                      : e->object == ChangeObject::kField ? "SP.ChangeField"
                                                          : "SP.ChangeList";
    std::vector<Prop> props = {
        {"ChangeToken",
         fmt.format == Format::kVerbose
             ? "{\"__metadata\":{\"type\":\"SP.ChangeToken\"},\"StringValue\":" + token + "}"
             : "{\"StringValue\":" + token + "}"},
        {"ChangeType", std::to_string(e->change_type)},
        {"SiteId", JsonString(c.impl.site_id)},
        {"Time", JsonString(FormatIso(TicksToUnix(e->ticks)))},
    };
    if (e->object == ChangeObject::kItem) {
      props.push_back({"Editor", "\"\""});
      props.push_back({"EditorEmailHint", "null"});
      props.push_back({"ItemId", std::to_string(e->item_id)});
      props.push_back({"ListId", JsonString(e->list_id)});
      props.push_back({"ServerRelativeUrl", "\"\""});
      props.push_back({"SharedByUser", "null"});
      props.push_back({"SharedWithUsers", "null"});
      props.push_back({"UniqueId", JsonString(e->unique_id)});
    } else if (e->object == ChangeObject::kField) {
      props.push_back({"FieldId", JsonString(e->unique_id)});
    } else {
      props.push_back({"BaseTemplate", "100"});
      props.push_back({"Editor", "\"\""});
      props.push_back({"Hidden", "false"});
      props.push_back({"ListId", JsonString(e->list_id)});
      props.push_back({"RootFolderUrl", JsonString(c.impl.opt.site + "/Lists/" + l.UrlName())});
      props.push_back({"Title", JsonString(l.title())});
    }
    props.push_back({"WebId", JsonString(c.impl.web_id)});
    std::string uid = MakeGuid(Mix(static_cast<uint64_t>(e->number)), Hash(0, e->list_id));
    if (!first) r.body += ",";
    first = false;
    AppendEntity(r.body, fmt,
                 EntityMeta{cls, site + "/_api/" + cls + uid, site + "/_api/" + cls, cls + uid, ""},
                 props, {});
  }
  EndCollection(r.body, fmt, "");
  return r;
}

}  // namespace

void AddChangeRoutes(RouteTable& t) {
  t.Add("POST", "{list}/getchanges", RequestKind::kGetChanges, Access::kShared, GetChanges);
}

}  // namespace spsync::emulator::detail
