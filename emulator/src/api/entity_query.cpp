// Query options over property-list entities (see entity_query.hpp).
#include "api/entity_query.hpp"

#include <algorithm>
#include <cstdlib>

#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

RestError NoSuchProperty(const std::string& name, const std::string& type) {
  return RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                   "The property '" + name + "' does not exist on type '" + type + "'.");
}

const Prop* FindProp(const std::vector<Prop>& props, std::string_view name) {
  for (const auto& p : props)
    if (IEquals(p.key, name)) return &p;
  return nullptr;
}

// Orders two raw JSON values: numbers by value, anything else as text
// ignoring case, null first.
bool RawLess(const std::string& a, const std::string& b) {
  if (a == "null" || b == "null") return a == "null" && b != "null";
  char* ea = nullptr;
  char* eb = nullptr;
  double da = std::strtod(a.c_str(), &ea), db = std::strtod(b.c_str(), &eb);
  if (!a.empty() && !b.empty() && *ea == 0 && *eb == 0) return da < db;
  return Lower(a) < Lower(b);
}

}  // namespace

EntityQuery::EntityQuery(const QueryOptions& q, std::string type,
                         std::vector<std::string> expandable)
    : q_(q), type_(std::move(type)), expandable_(std::move(expandable)) {
  for (const auto& name : SplitList(q.expand_text)) {
    bool known = false;
    for (const auto& nav : expandable_)
      if (IEquals(nav, name)) {
        expanded_.push_back(nav);
        known = true;
      }
    // [obs for items, pnp/pnpjs #1431; guess for other entities]
    if (!known)
      throw RestError(400, "-1, Microsoft.SharePoint.SPException",
                      "The field or property '" + name + "' does not exist.");
  }
  for (const auto& s : q.select) {
    size_t slash = s.find('/');
    if (slash == std::string::npos) {
      select_.push_back(s);
      continue;
    }
    std::string nav = s.substr(0, slash);
    if (!Expanded(nav))
      throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                      "The query to field '" + s +
                          "' is not valid. The $select query string must specify the target "
                          "fields and the $expand query string must contains " +
                          nav + ".");
    nav_select_.emplace_back(nav, s.substr(slash + 1));
    if (!Names(nav)) select_.push_back(nav);
  }
  // An expansion without projections shows up only if selected (or everything is).
  if (!select_.empty())
    for (const auto& nav : expanded_)
      if (!Names(nav)) select_.push_back(nav);
}

bool EntityQuery::Expanded(std::string_view nav) const {
  for (const auto& e : expanded_)
    if (IEquals(e, nav)) return true;
  return false;
}

std::vector<std::string> EntityQuery::NavSelect(std::string_view nav) const {
  std::vector<std::string> out;
  for (const auto& [n, prop] : nav_select_)
    if (IEquals(n, nav)) out.push_back(prop);
  return out;
}

bool EntityQuery::Names(std::string_view name) const {
  for (const auto& s : select_)
    if (IEquals(s, name)) return true;
  return false;
}

void EntityQuery::CheckSelect(const std::vector<Prop>& known) const {
  for (const auto& s : select_)
    if (s != "*" && !FindProp(known, s)) throw NoSuchProperty(s, type_);
}

bool EntityQuery::Matches(const std::vector<Prop>& props) const {
  if (!q_.filter) return true;
  try {
    return EvalFilter(*q_.filter, [&](std::string_view name) -> std::optional<std::string_view> {
      const Prop* p = FindProp(props, name);
      if (!p) return std::nullopt;
      return std::string_view(p->raw);
    });
  } catch (const std::out_of_range& e) {
    throw NoSuchProperty(e.what(), type_);
  }
}

void EntityQuery::WriteCollection(std::string& out, const Negotiated& fmt, std::string_view context,
                                  std::vector<EntityRow> rows) const {
  std::vector<EntityRow*> kept;
  for (auto& row : rows)
    if (Matches(row.props)) kept.push_back(&row);
  if (!q_.orderby_text.empty()) {
    const std::string key = q_.orderby_field;
    if (!rows.empty() && !FindProp(rows.front().props, key)) throw NoSuchProperty(key, type_);
    std::stable_sort(kept.begin(), kept.end(), [&](const EntityRow* a, const EntityRow* b) {
      const Prop* pa = FindProp(a->props, key);
      const Prop* pb = FindProp(b->props, key);
      const std::string& ra = pa ? pa->raw : "null";
      const std::string& rb = pb ? pb->raw : "null";
      return q_.orderby_desc ? RawLess(rb, ra) : RawLess(ra, rb);
    });
  }
  if (q_.has_top && static_cast<int64_t>(kept.size()) > q_.top)
    kept.resize(static_cast<size_t>(std::max<int64_t>(q_.top, 0)));
  BeginCollection(out, fmt, context);
  bool first = true;
  for (const EntityRow* row : kept) {
    if (!first) out += ",";
    first = false;
    AppendEntity(out, fmt, row->meta, row->props, select_);
  }
  EndCollection(out, fmt, "");
}

}  // namespace spsync::emulator::detail
