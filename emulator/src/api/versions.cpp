// An item's version history: items(N)/versions (newest first, as SharePoint
// lists them) and versions(512) / versions/getbyid(512). Each SP.ListItemVersion
// carries Created (when that version was made), IsCurrentVersion, VersionId
// (512 x major), VersionLabel, and the item's field values as they were:
// keyed by field (people and lookups as SP.FieldUserValue /
// SP.FieldLookupValue objects), _xHHHH_ escapes in names written with their
// underscores escaped (Created_x005f_x0020_x005f_By), as SharePoint keys them.
#include <algorithm>
#include <cctype>

#include "api/areas.hpp"
#include "model/site_users.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

RestError NoSuchVersion() {
  // [guess: status, code and wording]
  return RestError(404, "-2147024809, System.ArgumentException",
                   "Value does not fall within the expected range.");
}

// Underscores of _xHHHH_ escapes become _x005f_: Created_x0020_By ->
// Created_x005f_x0020_x005f_By [obs: keys read from SharePoint Online
// version entities by scripts in the wild].
std::string VersionKey(std::string_view name) {
  auto hex = [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; };
  std::string out;
  for (size_t i = 0; i < name.size();) {
    if (i + 7 <= name.size() && name[i] == '_' && name[i + 1] == 'x' && hex(name[i + 2]) &&
        hex(name[i + 3]) && hex(name[i + 4]) && hex(name[i + 5]) && name[i + 6] == '_') {
      out += "_x005f_";
      out += name.substr(i + 1, 5);
      out += "_x005f_";
      i += 7;
    } else {
      out.push_back(name[i++]);
    }
  }
  return out;
}

// The IDs in a FooId value: 7, [7,12] or null.
std::vector<int64_t> Ids(std::string_view raw) {
  std::vector<int64_t> ids;
  int64_t v = 0;
  bool in = false;
  for (char ch : raw) {
    if (ch >= '0' && ch <= '9') {
      v = v * 10 + (ch - '0');
      in = true;
    } else if (in) {
      ids.push_back(v);
      v = 0;
      in = false;
    }
  }
  if (in) ids.push_back(v);
  return ids;
}

struct VersionWriter {
  const Call& c;
  const ListState& l;
  const ListState* users;

  // A column of a list row, "" if the list or the row is missing.
  static std::string Cell(const ListState* list, int64_t id, std::string_view key) {
    std::vector<std::string> v;
    int col = list ? list->ColumnIndex(key) : -1;
    if (col < 0 || !list->Values(id, v)) return "";
    return v[static_cast<size_t>(col)];
  }

  // SP.FieldUserValue / SP.FieldLookupValue of one id.
  std::string LookupValue(const FieldDef& f, int64_t id) const {
    const bool person = f.kind == 20;
    const ListState* target = person ? users : c.web.FindLookupTarget(l.LookupListOf(f));
    std::string out = "{";
    if (c.req.fmt.format == Format::kVerbose)
      out += person ? "\"__metadata\":{\"type\":\"SP.FieldUserValue\"},"
                    : "\"__metadata\":{\"type\":\"SP.FieldLookupValue\"},";
    out += "\"LookupId\":" + std::to_string(id) + ",\"LookupValue\":";
    std::string shown = Cell(target, id,
                             person                   ? "Title"
                             : f.lookup_field.empty() ? "Title"
                                                      : f.lookup_field);
    out += shown.empty() ? "null" : shown;
    if (person) {
      std::string mail = Cell(target, id, "EMail");
      out += ",\"Email\":" + (mail.empty() ? std::string("null") : mail);
    }
    return out + "}";
  }

  std::string Login(std::string_view raw_id) const {
    auto ids = Ids(raw_id);
    std::string login = ids.empty() ? "" : Cell(users, ids[0], "Name");
    return login.empty() ? "null" : login;
  }

  std::vector<Prop> Props(const std::vector<std::string>& v, int version, bool current,
                          const std::string& edit) const {
    std::vector<Prop> props;
    const Negotiated& fmt = c.req.fmt;
    if (fmt.format == Format::kVerbose && c.q.select.empty())
      for (const char* nav : {"CreatedBy", "Fields", "FileVersion"})
        props.push_back({nav, "{\"__deferred\":{\"uri\":" +
                                  JsonString(c.WebUrl() + "/_api/" + edit + "/" + nav) + "}}"});
    auto column = [&](std::string_view key) -> std::string {
      int col = l.ColumnIndex(key);
      return col < 0 ? "null" : v[static_cast<size_t>(col)];
    };
    // The version's own Created: when it was made (its Modified) [unconfirmed:
    // that it wins over the item's Created field, whose name it shares].
    props.push_back({"Created", column("Modified")});
    props.push_back({"IsCurrentVersion", current ? "true" : "false"});
    props.push_back({"VersionId", std::to_string(512 * version)});
    props.push_back({"VersionLabel", "\"" + std::to_string(version) + ".0\""});
    for (const FieldDef& f : l.fields()) {
      if (f.internal_name == "Created" || f.internal_name == "FSObjType") continue;
      std::string key = VersionKey(f.entity_name);
      if (f.kind == 7 || f.kind == 20) {
        int col = -1;
        for (size_t i = 0; i < l.columns().size(); ++i)
          if (l.columns()[i].lookup && l.columns()[i].field == f.internal_name)
            col = static_cast<int>(i);
        if (col < 0) continue;
        auto ids = Ids(v[static_cast<size_t>(col)]);
        std::string raw;
        if (f.multi) {
          raw = fmt.format == Format::kVerbose ? "{\"results\":[" : "[";
          for (size_t i = 0; i < ids.size(); ++i) raw += (i ? "," : "") + LookupValue(f, ids[i]);
          raw += fmt.format == Format::kVerbose ? "]}" : "]";
        } else {
          raw = ids.empty() ? "null" : LookupValue(f, ids[0]);
        }
        props.push_back({key, raw});
        continue;
      }
      if (f.internal_name == "owshiddenversion") {
        props.push_back({key, std::to_string(version)});
        continue;
      }
      int col = l.ColumnIndex(f.entity_name);
      if (col < 0) continue;  // computed fields (ContentType, FileLeafRef) carry no value
      std::string raw;
      AppendValue(raw, fmt, l.columns()[static_cast<size_t>(col)].shape,
                  v[static_cast<size_t>(col)]);
      props.push_back({key, raw});
    }
    props.push_back({"Created_x005f_x0020_x005f_By", Login(column("AuthorId"))});
    props.push_back({"Modified_x005f_x0020_x005f_By", Login(column("EditorId"))});
    return props;
  }

  // $select names a version's property; Editor/Title selects Editor (already an object).
  std::vector<std::string> Select() const {
    std::vector<std::string> out;
    for (const auto& s : c.q.select) out.push_back(s.substr(0, s.find('/')));
    return out;
  }

  void Append(std::string& out, const std::vector<std::string>& v, int version, bool current,
              std::string_view context = {}) const {
    const int64_t id = c.captures.ids[0];
    const std::string edit = "Web/Lists(guid'" + l.id() + "')/Items(" + std::to_string(id) +
                             ")/Versions(" + std::to_string(512 * version) + ")";
    auto props = Props(v, version, current, edit);
    const auto select = Select();
    std::string unknown = UnknownSelect(props, select);
    if (!unknown.empty())
      throw RestError(400, "-1, Microsoft.SharePoint.SPException",
                      "The field or property '" + unknown + "' does not exist.");
    const std::string url = c.WebUrl() + "/_api/" + edit;
    AppendEntity(out, c.req.fmt, EntityMeta{"SP.ListItemVersion", url, url, edit, ""}, props,
                 select, context);
  }
};

std::vector<std::vector<std::string>> History(const Call& c) {
  auto versions = c.list->VersionValues(c.captures.ids[0]);
  if (versions.empty()) throw std::out_of_range("item does not exist");  // the item's 404
  return versions;
}

Reply Collection(Call& c) {
  auto versions = History(c);
  VersionWriter w{c, *c.list, c.web.site->UserList()};
  Reply r;
  BeginCollection(r.body, c.req.fmt, c.WebUrl() + "/_api/$metadata#SP.ApiData.ListItemVersions");
  // Newest first.
  for (size_t i = versions.size(); i-- > 0;) {
    if (i + 1 != versions.size()) r.body.push_back(',');
    w.Append(r.body, versions[i], static_cast<int>(i + 1), i + 1 == versions.size());
  }
  EndCollection(r.body, c.req.fmt, "");
  return r;
}

Reply Entity(Call& c) {
  auto versions = History(c);
  const int64_t version_id = c.captures.ids[1];
  if (version_id % 512 != 0 || version_id < 512 ||
      version_id / 512 > static_cast<int64_t>(versions.size()))
    throw NoSuchVersion();
  const auto major = static_cast<size_t>(version_id / 512);
  VersionWriter w{c, *c.list, c.web.site->UserList()};
  std::string context;
  if (c.req.fmt.format == Format::kMinimal)
    context = c.WebUrl() + "/_api/$metadata#SP.ApiData.ListItemVersions/@Element";
  std::string entity;
  w.Append(entity, versions[major - 1], static_cast<int>(major), major == versions.size(), context);
  Reply r;
  WrapSingle(r.body, c.req.fmt, entity);
  return r;
}

}  // namespace

void AddVersionRoutes(RouteTable& t) {
  for (const char* item : {"{list}/items({id})", "{list}/items/getbyid({id})"}) {
    const std::string versions = std::string(item) + "/versions";
    t.Add("GET", versions, RequestKind::kVersions, Access::kShared, Collection);
    t.Add("GET", versions + "({id})", RequestKind::kVersions, Access::kShared, Entity);
    t.Add("GET", versions + "/getbyid({id})", RequestKind::kVersions, Access::kShared, Entity);
  }
}

}  // namespace spsync::emulator::detail
