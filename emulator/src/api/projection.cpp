// Expanded lookups and people: planning from the query, writing the nested
// objects in the three dialects, and projected values for filters.
#include "api/projection.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "api/attachments.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

RestError NoSuchField(std::string_view name) {
  // The wording SharePoint gives for $expand=<unknown> [obs pnp/pnpjs #1431].
  return RestError(400, "-1, Microsoft.SharePoint.SPException",
                   "The field or property '" + std::string(name) + "' does not exist.");
}

RestError NotExpanded(std::string_view nav, std::string_view path) {
  // [unconfirmed: wording remembered from SharePoint Online answers]
  return RestError(400, "-1, Microsoft.SharePoint.SPException",
                   "The query to field '" + std::string(path) +
                       "' is not valid. The $select query string must specify the target fields "
                       "and the $expand query string must contains " +
                       std::string(nav) + ".");
}

// The IDs in a FooId value: 7, [7,12] or null.
std::vector<int64_t> IdsOf(std::string_view raw) {
  std::vector<int64_t> ids;
  std::string s(raw);
  const char* p = s.c_str();
  while (*p) {
    if (*p >= '0' && *p <= '9') {
      char* end = nullptr;
      ids.push_back(std::strtoll(p, &end, 10));
      p = end;
    } else {
      ++p;
    }
  }
  return ids;
}

}  // namespace

Projections Projections::Plan(const WebState& web, const ListState& l, const QueryOptions& q) {
  Projections p;
  p.list_ = &l;
  for (const auto& name : SplitList(q.expand_text)) {
    if (IEquals(name, "AttachmentFiles")) {
      p.attachment_files_ = true;
      continue;
    }
    const FieldDef* f = l.FindField(name);
    int id_column = -1;
    if (f && (f->kind == 7 || f->kind == 20))
      for (size_t i = 0; i < l.columns().size(); ++i)
        if (l.columns()[i].lookup && l.columns()[i].field == f->internal_name)
          id_column = static_cast<int>(i);
    if (id_column < 0) throw NoSuchField(name);
    if (p.Find(f->entity_name)) continue;
    p.expansions_.push_back({f, id_column, web.FindLookupTarget(l.LookupListOf(*f)), {}});
  }
  // A projection names an expanded field and a column of its target.
  auto resolve = [&](const std::string& path, bool add) {
    size_t slash = path.find('/');
    std::string nav = path.substr(0, slash), prop = path.substr(slash + 1);
    Expansion* found = nullptr;
    for (auto& e : p.expansions_)
      if (IEquals(e.field->entity_name, nav) || IEquals(e.field->internal_name, nav)) found = &e;
    if (!found) throw NotExpanded(nav, path);
    Expansion& e = *found;
    int col = e.target ? e.target->ColumnIndex(prop) : -1;
    if (col < 0 || e.target->columns()[static_cast<size_t>(col)].lookup) throw NoSuchField(prop);
    if (add && std::find(e.columns.begin(), e.columns.end(), col) == e.columns.end())
      e.columns.push_back(col);
  };
  bool attachments_selected = false;
  for (const auto& s : q.select) {
    if (IEquals(s, "AttachmentFiles") || IStartsWith(s, "AttachmentFiles/")) {
      // Its properties are always all there [guess: projections of it are ignored];
      // without $expand it is left out [guess].
      attachments_selected = true;
    } else if (s.find('/') == std::string::npos) {
      p.plain_select_.push_back(s);
    } else {
      resolve(s, true);
    }
  }
  p.no_plain_column_ = attachments_selected && p.plain_select_.empty();
  if (q.filter) {
    std::vector<std::string> names;
    FilterFields(*q.filter, names);
    for (const auto& n : names)
      if (n.find('/') != std::string::npos) resolve(n, false);
  }
  // Expanded without a projection: every plain column of the target [guess].
  for (auto& e : p.expansions_) {
    if (!e.columns.empty() || !e.target) continue;
    const auto& cols = e.target->columns();
    for (size_t i = 0; i < cols.size(); ++i)
      if (!cols[i].lookup && cols[i].key.find("StringId") == std::string::npos &&
          cols[i].key != "ServerRedirectedEmbedUri" && cols[i].key != "ServerRedirectedEmbedUrl")
        e.columns.push_back(static_cast<int>(i));
  }
  return p;
}

const Projections::Expansion* Projections::Find(std::string_view name) const {
  for (const auto& e : expansions_)
    if (IEquals(e.field->entity_name, name) || IEquals(e.field->internal_name, name)) return &e;
  return nullptr;
}

int Projections::LookupFields(const ListState& l, const std::vector<int>& selected) const {
  std::set<std::string> fields;
  for (int c : selected) {
    const Column& col = l.columns()[static_cast<size_t>(c)];
    if (col.lookup) fields.insert(col.field);
  }
  for (const auto& e : expansions_) fields.insert(e.field->internal_name);
  return static_cast<int>(fields.size());
}

void Projections::AppendTarget(std::string& out, const Negotiated& fmt, const Expansion& e,
                               int64_t target_id, std::vector<std::string>& scratch) const {
  const ListState& t = *e.target;
  out.push_back('{');
  bool first = true;
  if (fmt.format == Format::kVerbose) {
    out += "\"__metadata\":{\"id\":\"" + t.ChangeUniqueId(target_id) + "\",\"type\":\"" +
           t.ItemEntityType() + "\"}";
    first = false;
  } else if (fmt.format == Format::kMinimal) {
    const std::string a = fmt.v4 ? "\"@odata." : "\"odata.";
    out += a + "type\":\"" + t.ItemEntityType() + "\"," + a + "id\":\"" +
           t.ChangeUniqueId(target_id) + "\"";
    first = false;
  }
  for (int c : e.columns) {
    const Column& col = t.columns()[static_cast<size_t>(c)];
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, col.key);
    out.push_back(':');
    AppendValue(out, fmt, col.shape, scratch[static_cast<size_t>(c)]);
  }
  out.push_back('}');
}

void Projections::Append(std::string& out, const Negotiated& fmt, std::string_view web_url,
                         int64_t id, const std::vector<std::string>& values, bool& first) const {
  if (attachment_files_) {
    if (!first) out.push_back(',');
    first = false;
    out += "\"AttachmentFiles\":";
    AppendAttachmentFiles(out, fmt, web_url, *list_, id);
  }
  std::vector<std::string> scratch;
  for (const auto& e : expansions_) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, e.field->entity_name);
    out.push_back(':');
    const std::string& raw = values[static_cast<size_t>(e.id_column)];
    if (!e.field->multi) {
      // An empty (or dangling) single value is null [guess].
      auto ids = IdsOf(raw);
      if (raw == "null" || ids.empty() || !e.target || !e.target->Values(ids[0], scratch)) {
        out += "null";
        continue;
      }
      AppendTarget(out, fmt, e, ids[0], scratch);
      continue;
    }
    out += fmt.format == Format::kVerbose ? "{\"results\":[" : "[";
    bool any = false;
    if (e.target)
      for (int64_t id : IdsOf(raw)) {
        if (!e.target->Values(id, scratch)) continue;
        if (any) out.push_back(',');
        any = true;
        AppendTarget(out, fmt, e, id, scratch);
      }
    out += fmt.format == Format::kVerbose ? "]}" : "]";
  }
}

std::optional<std::string> Projections::Value(std::string_view path,
                                              const std::vector<std::string>& values) const {
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const Expansion* e = Find(path.substr(0, slash));
  if (!e || !e->target) return std::nullopt;
  int col = e->target->ColumnIndex(path.substr(slash + 1));
  if (col < 0) return std::nullopt;
  auto ids = IdsOf(values[static_cast<size_t>(e->id_column)]);
  std::vector<std::string> scratch;
  if (ids.empty() || !e->target->Values(ids[0], scratch)) return std::string("null");
  return scratch[static_cast<size_t>(col)];
}

}  // namespace spsync::emulator::detail

namespace spsync::emulator::detail {

ItemWriter MakeItemWriter(const std::string& web_url, const ListState& l, const Negotiated& fmt,
                          const Projections& projections) {
  std::string unknown;
  const auto& select = projections.plain_select();
  const bool no_column = projections.no_plain_column();
  ItemWriter w{&l,
               &fmt,
               web_url,
               no_column ? std::vector<int>{} : SelectColumns(l, select, unknown),
               fmt.format == Format::kVerbose && select.empty() && !no_column,
               {}};
  w.attachments_expanded = projections.attachment_files();
  if (!unknown.empty())
    throw RestError(400, "-1, Microsoft.SharePoint.SPException",
                    "The field or property '" + unknown + "' does not exist.");
  if (projections.LookupFields(l, w.column_subset) > 12)
    throw RestError(500, "-2147024749, Microsoft.SharePoint.SPQueryThrottledException",
                    "The query cannot be completed because the number of lookup columns it "
                    "contains exceeds the lookup column threshold.");
  if (!projections.empty())
    w.expanded = [&projections, &fmt, web_url](
                     std::string& out, int64_t id, const std::vector<std::string>& values,
                     bool& first) { projections.Append(out, fmt, web_url, id, values, first); };
  return w;
}

}  // namespace spsync::emulator::detail
