// HTTP front end: Poco HTTPServer, routing of SharePoint REST URLs (decoded,
// case-insensitive, as SharePoint matches them), auth, fault injection,
// accounting, gzip, and the endpoint handlers.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <thread>

#include "impl.hpp"

namespace spsync::emulator {
namespace {

using namespace detail;

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json;charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Route {
  enum Kind {
    kNone,
    kContextInfo,
    kList,
    kFields,
    kItems,
    kItem,
    kItemRecycle,
    kGetItems,
    kGetChanges,
    kRecycleRestore
  } kind = kNone;
  enum By { kTitle, kGuid, kUrl } by = kTitle;
  std::string key;
  int64_t item_id = 0;
  std::string raw_list_path;  // raw request path up to the end of the list segment
};

// A cursor over the decoded path that matches literals case-insensitively.
struct Cursor {
  std::string_view s;
  size_t p = 0;
  bool Eat(std::string_view lit) {
    if (IStartsWith(s.substr(p), lit)) {
      p += lit.size();
      return true;
    }
    return false;
  }
  bool Done() const { return p == s.size(); }
  // The end of the path, allowing one trailing slash.
  bool End() const { return p == s.size() || (p + 1 == s.size() && s[p] == '/'); }
  // A single-quoted OData string ('' is a quote); false if not one.
  bool Quoted(std::string& out) {
    if (p >= s.size() || s[p] != '\'') return false;
    ++p;
    out.clear();
    while (p < s.size()) {
      if (s[p] == '\'') {
        if (p + 1 < s.size() && s[p + 1] == '\'') {
          out.push_back('\'');
          p += 2;
          continue;
        }
        ++p;
        return true;
      }
      out.push_back(s[p++]);
    }
    return false;
  }
  bool Until(char c, std::string& out) {
    size_t e = s.find(c, p);
    if (e == std::string_view::npos) return false;
    out = std::string(s.substr(p, e - p));
    p = e + 1;
    return true;
  }
};

Route ParseRoute(std::string_view rest,
                 const std::vector<std::pair<std::string, std::string>>& aliases) {
  Route r;
  Cursor c{rest};
  if (c.Eat("contextinfo")) {
    r.kind = c.Done() ? Route::kContextInfo : Route::kNone;
    return r;
  }
  if (c.Eat("web/recyclebin(") || c.Eat("site/recyclebin(")) {
    c.Eat("guid");
    if (c.Quoted(r.key) && c.Eat(")/restore()") && c.Done()) r.kind = Route::kRecycleRestore;
    return r;
  }
  bool ok = false;
  if (c.Eat("web/lists/getbytitle(")) {
    r.by = Route::kTitle;
    ok = c.Quoted(r.key) && c.Eat(")");
  } else if (c.Eat("web/lists/getbyid(")) {
    r.by = Route::kGuid;
    c.Eat("guid");
    ok = c.Quoted(r.key) && c.Eat(")");
  } else if (c.Eat("web/lists(")) {
    r.by = Route::kGuid;
    c.Eat("guid");
    ok = c.Quoted(r.key) && c.Eat(")");
  } else if (c.Eat("web/getlist(")) {
    r.by = Route::kUrl;
    if (c.p < rest.size() && rest[c.p] == '@') {
      std::string alias;
      ok = c.Until(')', alias);
      bool found = false;
      for (const auto& [k, v] : aliases)
        if (IEquals(k, alias)) {
          Cursor vc{v};
          found = vc.Quoted(r.key);
        }
      ok = ok && found;
    } else {
      ok = c.Quoted(r.key) && c.Eat(")");
    }
  }
  if (!ok) return r;
  size_t list_end = c.p;
  r.raw_list_path = std::string(rest.substr(0, list_end));
  if (c.End()) {
    r.kind = Route::kList;
  } else if (c.Eat("/fields")) {
    if (c.End()) r.kind = Route::kFields;
  } else if (c.Eat("/getitems")) {
    if (c.Done()) r.kind = Route::kGetItems;
  } else if (c.Eat("/getchanges")) {
    if (c.Done()) r.kind = Route::kGetChanges;
  } else if (c.Eat("/items")) {
    if (c.End()) {
      r.kind = Route::kItems;
    } else if (c.Eat("(") || c.Eat("/getbyid(")) {
      std::string num;
      if (!c.Until(')', num) || num.empty() ||
          !std::all_of(num.begin(), num.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        return r;
      r.item_id = std::stoll(num);
      if (c.Done())
        r.kind = Route::kItem;
      else if (c.Eat("/recycle()") && c.Done())
        r.kind = Route::kItemRecycle;
    }
  }
  return r;
}

RequestKind KindOf(const Route& r, const std::string& method) {
  bool write = method != "GET";
  switch (r.kind) {
    case Route::kContextInfo:
      return RequestKind::kContextInfo;
    case Route::kList:
      return RequestKind::kListMetadata;
    case Route::kFields:
      return write ? RequestKind::kWrites : RequestKind::kFields;
    case Route::kItems:
      return write ? RequestKind::kWrites : RequestKind::kItems;
    case Route::kItem:
      return write ? RequestKind::kWrites : RequestKind::kItemById;
    case Route::kItemRecycle:
    case Route::kRecycleRestore:
      return RequestKind::kWrites;
    case Route::kGetItems:
      return RequestKind::kGetItems;
    case Route::kGetChanges:
      return RequestKind::kGetChanges;
    default:
      return RequestKind::kOther;
  }
}

const char* kThrottleCode = "-2147024860, Microsoft.SharePoint.SPQueryThrottledException";
const char* kThrottleMessage =
    "The attempted operation is prohibited because it exceeds the list view threshold.";
constexpr int64_t kThreshold = 5000;

RestError Throttled() {
  return RestError(500, kThrottleCode, kThrottleMessage);
}

std::string FieldEntityType(const FieldDef& f) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {"Text", "SP.FieldText"},
      {"Note", "SP.FieldMultiLineText"},
      {"Number", "SP.FieldNumber"},
      {"Currency", "SP.FieldCurrency"},
      {"DateTime", "SP.FieldDateTime"},
      {"Choice", "SP.FieldChoice"},
      {"MultiChoice", "SP.FieldMultiChoice"},
      {"Lookup", "SP.FieldLookup"},
      {"User", "SP.FieldUser"},
      {"URL", "SP.FieldUrl"},
      {"Computed", "SP.FieldComputed"},
      {"Guid", "SP.FieldGuid"}};
  for (const auto& [t, e] : kTypes)
    if (f.type_as_string == t) return e;
  return "SP.Field";
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Emulator::Impl& impl) : impl_(impl) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override;

 private:
  Reply Dispatch(const Route& route, const std::string& method, const Negotiated& fmt,
                 const QueryOptions& q, const std::string& body, bool verbose_ct,
                 const std::string& if_match, const std::string& raw_path);
  ListState* Resolve(const Route& r) const;
  Reply ListMetadata(const ListState& l, const Negotiated& fmt, const QueryOptions& q);
  std::vector<Prop> FieldProps(const ListState& l, const FieldDef& f, const Negotiated& fmt);
  Reply Fields(const ListState& l, const Negotiated& fmt, const QueryOptions& q);
  Reply AddFieldRest(ListState& l, const Negotiated& fmt, const std::string& body, bool verbose_ct);
  Reply Items(const ListState& l, const Negotiated& fmt, const QueryOptions& q,
              const std::string& raw_list_path);
  Reply GetItems(const ListState& l, const Negotiated& fmt, const QueryOptions& q,
                 const std::string& body, bool verbose_ct);
  Reply SingleItem(const ListState& l, int64_t id, const Negotiated& fmt, const QueryOptions& q,
                   int status);
  Reply GetChanges(const ListState& l, const Negotiated& fmt, const std::string& body,
                   bool verbose_ct);
  Reply ContextInfo(const Negotiated& fmt);
  // Walks live items matching `filter` in the given order after skip_id, calling
  // emit for up to `limit` (0 = unlimited); returns whether more would follow.
  bool Walk(const ListState& l, const FilterNode* filter, const std::string& order_field, bool desc,
            bool has_skip, int64_t skip_id, int64_t limit,
            const std::function<void(int64_t, const std::vector<std::string>&)>& emit,
            std::string* last_sort_value) const;
  void CheckFilterColumns(const ListState& l, const FilterNode& f) const;
  void CheckThreshold(const ListState& l, const FilterNode* filter, const std::string& order_field,
                      int64_t top) const;

  Emulator::Impl& impl_;
};

void Handler::CheckFilterColumns(const ListState& l, const FilterNode& f) const {
  std::vector<std::string> names;
  FilterFields(f, names);
  for (const auto& n : names)
    if (l.ColumnIndex(n) < 0)
      throw RestError(
          400, "-2146232832, Microsoft.SharePoint.SPException",
          "Column '" + n + "' does not exist. It may have been deleted by another user.");
}

void Handler::CheckThreshold(const ListState& l, const FilterNode* filter,
                             const std::string& order_field, int64_t top) const {
  if (l.item_count() <= kThreshold) return;
  if (top > kThreshold) throw Throttled();
  auto indexed = [&](std::string_view name) {
    if (IEquals(name, "ID")) return true;
    const FieldDef* f = l.FindField(name);
    return f && f->indexed;
  };
  if (!indexed(order_field)) throw Throttled();
  if (!filter) return;
  std::vector<std::string> names;
  FilterFields(*filter, names);
  if (std::all_of(names.begin(), names.end(),
                  [](const std::string& n) { return IEquals(n, "ID"); }))
    return;
  // Otherwise the first clause must be on an indexed column and narrow enough.
  const FilterNode* first = FirstLeaf(*filter);
  if (!IEquals(first->field, "ID")) throw Throttled();
  int64_t matched = 0;
  for (const auto& [lo, hi] : IdCandidates(*first, l.max_id()))
    for (int64_t id = l.NextLive(lo, lo, hi, true); id && matched <= kThreshold;
         id = l.NextLive(id + 1, lo, hi, true))
      ++matched;
  if (matched > kThreshold) throw Throttled();
}

bool Handler::Walk(const ListState& l, const FilterNode* filter, const std::string& order_field,
                   bool desc, bool has_skip, int64_t skip_id, int64_t limit,
                   const std::function<void(int64_t, const std::vector<std::string>&)>& emit,
                   std::string* last_sort_value) const {
  std::vector<std::string> values;
  auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
    int c = l.ColumnIndex(name);
    if (c < 0) return std::nullopt;
    return std::string_view(values[static_cast<size_t>(c)]);
  };
  int64_t emitted = 0;
  if (IEquals(order_field, "ID")) {
    Intervals ivs = filter ? IdCandidates(*filter, l.max_id()) : Intervals{{1, l.max_id()}};
    if (desc) std::reverse(ivs.begin(), ivs.end());
    for (const auto& [lo0, hi0] : ivs) {
      int64_t lo = lo0, hi = hi0;
      if (has_skip) {
        if (desc)
          hi = std::min(hi, skip_id - 1);
        else
          lo = std::max(lo, skip_id + 1);
      }
      if (lo > hi) continue;
      for (int64_t id = l.NextLive(desc ? hi : lo, lo, hi, !desc); id;
           id = desc ? (id - 1 >= lo ? l.NextLive(id - 1, lo, hi, false) : 0)
                     : l.NextLive(id + 1, lo, hi, true)) {
        l.Values(id, values);
        if (filter && !EvalFilter(*filter, lookup)) continue;
        if (limit > 0 && emitted == limit) return true;
        emit(id, values);
        ++emitted;
      }
    }
    return false;
  }
  // Another sort column (only reachable on lists under the threshold): sort all matches.
  int col = l.ColumnIndex(order_field);
  if (col < 0)
    throw RestError(
        400, "-2146232832, Microsoft.SharePoint.SPException",
        "Column '" + order_field + "' does not exist. It may have been deleted by another user.");
  struct Row {
    std::string key;
    double num;
    bool is_num;
    int64_t id;
  };
  std::vector<Row> rows;
  for (int64_t id = l.NextLive(1, 1, l.max_id(), true); id;
       id = l.NextLive(id + 1, 1, l.max_id(), true)) {
    l.Values(id, values);
    if (filter && !EvalFilter(*filter, lookup)) continue;
    const std::string& raw = values[static_cast<size_t>(col)];
    char* end = nullptr;
    double num = std::strtod(raw.c_str(), &end);
    bool is_num = !raw.empty() && raw != "null" && *end == 0;
    rows.push_back({raw == "null" ? "" : UnescapeJsonString(raw).value_or(raw), num, is_num, id});
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (a.is_num && b.is_num && a.num != b.num) return desc ? a.num > b.num : a.num < b.num;
    if (!(a.is_num && b.is_num) && a.key != b.key) return desc ? a.key > b.key : a.key < b.key;
    return a.id < b.id;
  });
  size_t start = 0;
  if (has_skip) {
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i].id == skip_id) start = i + 1;
  }
  for (size_t i = start; i < rows.size(); ++i) {
    if (limit > 0 && emitted == limit) return true;
    l.Values(rows[i].id, values);
    emit(rows[i].id, values);
    if (last_sort_value) *last_sort_value = rows[i].key;
    ++emitted;
  }
  return false;
}

ListState* Handler::Resolve(const Route& r) const {
  ListState* l = nullptr;
  if (r.by == Route::kTitle) {
    l = impl_.FindByTitle(r.key);
  } else if (r.by == Route::kGuid) {
    l = impl_.FindById(r.key);
  } else {
    std::string url = r.key;
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    size_t slash = url.rfind('/');
    std::string parent = slash == std::string::npos ? "" : url.substr(0, slash);
    std::string name = slash == std::string::npos ? url : url.substr(slash + 1);
    if (IEquals(parent, impl_.opt.site + "/Lists") || IEquals(parent, impl_.SiteUrl() + "/Lists"))
      for (const auto& cand : impl_.lists)
        if (IEquals(cand->UrlName(), name)) l = cand.get();
  }
  if (!l) {
    if (r.by == Route::kGuid)
      throw RestError(404, "-1, System.ArgumentException",
                      "List does not exist.\n\nThe page you selected contains a list that does not "
                      "exist.  It may have been deleted by another user.");
    throw RestError(
        404, "-1, System.ArgumentException",
        "List '" + r.key + "' does not exist at site with URL '" + impl_.SiteUrl() + "'.");
  }
  return l;
}

Reply Handler::ListMetadata(const ListState& l, const Negotiated& fmt, const QueryOptions& q) {
  const std::string site = impl_.SiteUrl();
  const std::string edit = "Web/Lists(guid'" + l.id() + "')";
  std::string token = JsonString(impl_.CurrentToken(l));
  std::vector<Prop> props = {
      {"AllowContentTypes", "true"},
      {"BaseTemplate", "100"},
      {"BaseType", "0"},
      {"ContentTypesEnabled", "false"},
      {"Created", JsonString(FormatIso(l.created()))},
      {"CurrentChangeToken",
       fmt.format == Format::kVerbose
           ? "{\"__metadata\":{\"type\":\"SP.ChangeToken\"},\"StringValue\":" + token + "}"
           : "{\"StringValue\":" + token + "}"},
      {"Description", "\"\""},
      {"EnableVersioning", "true"},
      {"EntityTypeName", JsonString(l.UrlName() + "List")},
      {"Hidden", "false"},
      {"Id", JsonString(l.id())},
      {"ItemCount", std::to_string(l.item_count())},
      {"LastItemDeletedDate", JsonString(FormatIso(l.last_deleted()))},
      {"LastItemModifiedDate", JsonString(FormatIso(l.last_modified()))},
      {"LastItemUserModifiedDate", JsonString(FormatIso(l.last_modified()))},
      {"ListItemEntityTypeFullName", JsonString(l.ItemEntityType())},
      {"ParentWebUrl", JsonString(impl_.opt.site)},
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
               EntityMeta{"SP.List", site + "/_api/" + edit, site + "/_api/" + edit, edit, ""},
               props, q.select, site + "/_api/$metadata#SP.ApiData.Lists/@Element");
  Reply r;
  WrapSingle(r.body, fmt, entity);
  return r;
}

std::vector<Prop> Handler::FieldProps(const ListState& l, const FieldDef& f, const Negotiated&) {
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  std::vector<Prop> props = {
      {"Description", "\"\""},
      {"EntityPropertyName", JsonString(f.entity_name)},
      {"FieldTypeKind", std::to_string(f.kind)},
      {"FromBaseType", b(f.from_base_type)},
      {"Group", JsonString(f.from_base_type ? "_Hidden" : "Custom Columns")},
      {"Hidden", b(f.hidden)},
      {"Id", JsonString(f.id)},
      {"Indexed", b(f.indexed)},
      {"InternalName", JsonString(f.internal_name)},
      {"ReadOnlyField", b(f.read_only)},
      {"Required", b(f.required)},
      {"Sealed", b(f.sealed)},
      {"StaticName", JsonString(f.internal_name)},
      {"Title", JsonString(f.title)},
      {"TypeAsString", JsonString(f.type_as_string)},
  };
  if (f.kind == 7 || f.kind == 20) {
    props.push_back({"AllowMultipleValues", "false"});
    props.push_back({"LookupField", f.kind == 20 ? "\"ImnName\"" : "\"Title\""});
    props.push_back({"LookupList",
                     JsonString("{" + MakeGuid(Hash(1, f.internal_name), Hash(2, l.id())) + "}")});
  }
  return props;
}

Reply Handler::Fields(const ListState& l, const Negotiated& fmt, const QueryOptions& q) {
  const std::string site = impl_.SiteUrl();
  Reply r;
  BeginCollection(r.body, fmt, site + "/_api/$metadata#SP.ApiData.Fields");
  bool first = true;
  for (const auto& f : l.fields()) {
    auto props = FieldProps(l, f, fmt);
    if (first) {
      std::string unknown = UnknownSelect(props, q.select);
      if (!unknown.empty())
        throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                        "The property '" + unknown + "' does not exist on type 'SP.Field'.");
    }
    if (q.filter) {
      bool keep = false;
      try {
        keep = EvalFilter(*q.filter, [&](std::string_view name) -> std::optional<std::string_view> {
          for (const auto& p : props)
            if (IEquals(p.key, name)) return std::string_view(p.raw);
          return std::nullopt;
        });
      } catch (const std::out_of_range& e) {
        throw RestError(
            400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
            "The property '" + std::string(e.what()) + "' does not exist on type 'SP.Field'.");
      }
      if (!keep) continue;
    }
    if (!first) r.body += ",";
    first = false;
    std::string edit = "Web/Lists(guid'" + l.id() + "')/Fields(guid'" + f.id + "')";
    AppendEntity(
        r.body, fmt,
        EntityMeta{FieldEntityType(f), site + "/_api/" + edit, site + "/_api/" + edit, edit, ""},
        props, q.select);
  }
  EndCollection(r.body, fmt, "");
  return r;
}

Reply Handler::AddFieldRest(ListState& l, const Negotiated& fmt, const std::string& body,
                            bool verbose_ct) {
  Poco::JSON::Object::Ptr obj;
  try {
    obj = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Invalid JSON. A token was not recognized in the JSON content.");
  }
  if (obj->has("__metadata") && !verbose_ct)
    throw RestError(
        400, "-1, Microsoft.Data.OData.ODataException",
        "The property '__metadata' does not exist on type 'SP.Field'. Make sure to only "
        "use property names that are defined by the type.");
  std::string title =
      obj->optValue<std::string>("Title", obj->optValue<std::string>("InternalName", ""));
  if (title.empty())
    throw RestError(400, "-2147024809, System.ArgumentException",
                    "Value does not fall within the expected range.");
  std::string type = obj->optValue<std::string>("TypeAsString", "");
  if (type.empty()) {
    int kind = obj->optValue<int>("FieldTypeKind", 2);
    static const char* kByKind[] = {
        "",       "Integer",     "Text",   "Note",       "DateTime", "Counter",     "Choice",
        "Lookup", "Boolean",     "Number", "Currency",   "URL",      "Computed",    "",
        "Guid",   "MultiChoice", "",       "Calculated", "File",     "Attachments", "User"};
    if (kind > 0 && kind <= 20) type = kByKind[kind];
  }
  try {
    l.AddField(title, type, impl_.NowUnix());
  } catch (const std::invalid_argument& e) {
    throw RestError(400, "-2130575245, Microsoft.SharePoint.SPException", e.what());
  }
  const FieldDef& f = l.fields().back();
  impl_.log.Record(l.id(), ChangeObject::kField, 1, 0, f.id, UnixToTicks(impl_.NowUnix()));
  const std::string site = impl_.SiteUrl();
  std::string edit = "Web/Lists(guid'" + l.id() + "')/Fields(guid'" + f.id + "')";
  std::string entity;
  AppendEntity(
      entity, fmt,
      EntityMeta{FieldEntityType(f), site + "/_api/" + edit, site + "/_api/" + edit, edit, ""},
      FieldProps(l, f, fmt), {}, site + "/_api/$metadata#SP.ApiData.Fields/@Element");
  Reply r;
  r.status = 201;
  WrapSingle(r.body, fmt, entity);
  return r;
}

Reply Handler::Items(const ListState& l, const Negotiated& fmt, const QueryOptions& q,
                     const std::string& raw_list_path) {
  if (q.filter) CheckFilterColumns(l, *q.filter);
  int64_t top = q.has_top ? q.top : 100;
  CheckThreshold(l, q.filter.get(), q.orderby_field, top);
  top = std::min<int64_t>(top, kThreshold);
  std::string unknown;
  ItemWriter w{&l, &fmt, impl_.SiteUrl(), SelectColumns(l, q.select, unknown),
               fmt.format == Format::kVerbose && q.select.empty()};
  if (!unknown.empty())
    throw RestError(400, "-1, Microsoft.SharePoint.SPException",
                    "The field or property '" + unknown + "' does not exist.");
  int lookups = 0;
  for (int c : w.column_subset) lookups += l.columns()[static_cast<size_t>(c)].lookup;
  if (lookups > 12)
    throw RestError(500, "-2147024749, Microsoft.SharePoint.SPQueryThrottledException",
                    "The query cannot be completed because the number of lookup columns it "
                    "contains exceeds the lookup column threshold.");
  Reply r;
  r.body.reserve(static_cast<size_t>(top) * 700 + 256);
  BeginCollection(r.body, fmt,
                  impl_.SiteUrl() + "/_api/$metadata#SP.ListData." + l.EntityTypeName() + "s");
  int64_t last_id = 0;
  std::string last_sort;
  bool first = true;
  bool more = top > 0 && Walk(
                             l, q.filter.get(), q.orderby_field, q.orderby_desc, q.has_skiptoken,
                             q.skip_id, top,
                             [&](int64_t id, const std::vector<std::string>& values) {
                               if (!first) r.body += ",";
                               first = false;
                               w.Append(r.body, id, values, l.Version(id));
                               last_id = id;
                             },
                             &last_sort);
  std::string next;
  if (more) next = NextLink(impl_.BaseUrl() + raw_list_path, q, last_id, last_sort);
  EndCollection(r.body, fmt, next);
  return r;
}

Reply Handler::GetItems(const ListState& l, const Negotiated& fmt, const QueryOptions& q,
                        const std::string& body, bool verbose_ct) {
  CamlQuery caml = ParseCamlBody(body, verbose_ct);
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
  std::string unknown;
  ItemWriter w{&l, &fmt, impl_.SiteUrl(), SelectColumns(l, q.select, unknown),
               fmt.format == Format::kVerbose && q.select.empty()};
  if (!unknown.empty())
    throw RestError(400, "-1, Microsoft.SharePoint.SPException",
                    "The field or property '" + unknown + "' does not exist.");
  Reply r;
  BeginCollection(r.body, fmt, impl_.SiteUrl() + "/_api/$metadata#SP.ApiData.ListItems");
  bool first = true;
  Walk(
      l, caml.where.get(), caml.orderby_field, caml.orderby_desc, caml.position_id > 0,
      caml.position_id, caml.row_limit,
      [&](int64_t id, const std::vector<std::string>& values) {
        if (!first) r.body += ",";
        first = false;
        w.Append(r.body, id, values, l.Version(id));
      },
      nullptr);
  // SharePoint gives no paging information here; clients build the next PagingInfo.
  EndCollection(r.body, fmt, "");
  return r;
}

Reply Handler::SingleItem(const ListState& l, int64_t id, const Negotiated& fmt,
                          const QueryOptions& q, int status) {
  std::vector<std::string> values;
  if (!l.Values(id, values))
    throw RestError(404, "-2130575338, Microsoft.SharePoint.SPException",
                    "Item does not exist. It may have been deleted by another user.");
  std::string unknown;
  ItemWriter w{&l, &fmt, impl_.SiteUrl(), SelectColumns(l, q.select, unknown),
               fmt.format == Format::kVerbose && q.select.empty()};
  if (!unknown.empty())
    throw RestError(400, "-1, Microsoft.SharePoint.SPException",
                    "The field or property '" + unknown + "' does not exist.");
  std::string entity;
  w.Append(entity, id, values, l.Version(id));
  if (fmt.format == Format::kMinimal) {
    // JSON light puts the context first in a single entity.
    std::string ctx = (fmt.v4 ? "{\"@odata.context\":" : "{\"odata.metadata\":") +
                      JsonString(impl_.SiteUrl() + "/_api/$metadata#SP.ListData." +
                                 l.EntityTypeName() + "s/@Element") +
                      ",";
    entity = ctx + entity.substr(1);
  }
  Reply r;
  r.status = status;
  WrapSingle(r.body, fmt, entity);
  r.headers.emplace_back("ETag", "\"" + std::to_string(l.Version(id)) + "\"");
  return r;
}

Reply Handler::GetChanges(const ListState& l, const Negotiated& fmt, const std::string& body,
                          bool verbose_ct) {
  ChangeQuery q = ParseChangeQuery(body, verbose_ct);
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
  const int64_t oldest = impl_.RetentionStartTicks();
  bool silently_empty = false;
  if (start && start->ticks < oldest) {
    if (!impl_.opt.expired_token_silently_empty)
      throw RestError(
          500, "-2130575172, Microsoft.SharePoint.SPException",
          "The changeToken refers to a time before the start of the current change log.");
    silently_empty = true;
  }
  std::vector<const ChangeEntry*> entries;
  if (!silently_empty) entries = impl_.log.Query(l.id(), q, start, end, oldest);
  const std::string site = impl_.SiteUrl();
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
        {"SiteId", JsonString(impl_.site_id)},
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
      props.push_back({"RootFolderUrl", JsonString(impl_.opt.site + "/Lists/" + l.UrlName())});
      props.push_back({"Title", JsonString(l.title())});
    }
    props.push_back({"WebId", JsonString(impl_.web_id)});
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

Reply Handler::ContextInfo(const Negotiated& fmt) {
  const std::string site = impl_.SiteUrl();
  uint64_t h = Mix(static_cast<uint64_t>(impl_.NowUnix()));
  std::string digest = "0x";
  for (int i = 0; i < 4; ++i) {
    char buf[20];
    snprintf(buf, sizeof(buf), "%016llX",
             static_cast<unsigned long long>(Mix(h + static_cast<uint64_t>(i))));
    digest += buf;
  }
  digest += "," + FormatIso(impl_.NowUnix());
  std::vector<Prop> props = {
      {"FormDigestTimeoutSeconds", "1800"},
      {"FormDigestValue", JsonString(digest)},
      {"LibraryVersion", "\"16.0.24817.12008\""},
      {"SiteFullUrl", JsonString(site)},
      {"SupportedSchemaVersions", fmt.format == Format::kVerbose
                                      ? "{\"__metadata\":{\"type\":\"Collection(Edm.String)\"},"
                                        "\"results\":[\"14.0.0.0\",\"15.0.0.0\"]}"
                                      : "[\"14.0.0.0\",\"15.0.0.0\"]"},
      {"WebFullUrl", JsonString(site)},
  };
  Reply r;
  if (fmt.format == Format::kVerbose) {
    std::string obj = "{\"__metadata\":{\"type\":\"SP.ContextWebInformation\"}";
    for (const auto& p : props) obj += "," + JsonString(p.key) + ":" + p.raw;
    r.body = "{\"d\":{\"GetContextWebInformation\":" + obj + "}}}";
  } else {
    r.body = "{";
    if (fmt.format == Format::kMinimal)
      r.body += (fmt.v4 ? "\"@odata.context\":" : "\"odata.metadata\":") +
                JsonString(site + "/_api/$metadata#SP.ContextWebInformation") + ",";
    bool first = true;
    for (const auto& p : props) {
      if (!first) r.body += ",";
      first = false;
      r.body += JsonString(p.key) + ":" + p.raw;
    }
    r.body += "}";
  }
  return r;
}

Reply Handler::Dispatch(const Route& route, const std::string& method, const Negotiated& fmt,
                        const QueryOptions& q, const std::string& body, bool verbose_ct,
                        const std::string& if_match, const std::string& raw_path) {
  (void)raw_path;
  auto void_result = [&](const char* name) {
    Reply r;
    r.body = fmt.format == Format::kVerbose ? "{\"d\":{\"" + std::string(name) + "\":null}}"
                                            : "{\"odata.null\":true}";
    return r;
  };
  if (route.kind == Route::kContextInfo) {
    if (method != "POST")
      throw RestError(405, "-1, System.NotSupportedException", "Method not allowed.");
    return ContextInfo(fmt);
  }
  if (route.kind == Route::kRecycleRestore) {
    if (method != "POST")
      throw RestError(405, "-1, System.NotSupportedException", "Method not allowed.");
    std::unique_lock lock(impl_.mu);
    auto it = impl_.recycle_bin.find(Lower(route.key));
    if (it == impl_.recycle_bin.end())
      throw RestError(404, "-2147024809, System.ArgumentException",
                      "Value does not fall within the expected range.");
    ListState* l = impl_.FindById(it->second.first);
    if (!l) throw RestError(404, "-1, System.ArgumentException", "List does not exist.");
    impl_.Restore(*l, it->second.second);
    return void_result("Restore");
  }
  const bool read = method == "GET";
  if (read) {
    std::shared_lock lock(impl_.mu);
    ListState* l = Resolve(route);
    switch (route.kind) {
      case Route::kList:
        return ListMetadata(*l, fmt, q);
      case Route::kFields:
        return Fields(*l, fmt, q);
      case Route::kItems: {
        std::string items_path = raw_path;
        while (!items_path.empty() && items_path.back() == '/') items_path.pop_back();
        return Items(*l, fmt, q, items_path);
      }
      case Route::kItem:
        return SingleItem(*l, route.item_id, fmt, q, 200);
      default:
        throw RestError(405, "-1, System.NotSupportedException", "Method not allowed.");
    }
  }
  if (route.kind == Route::kGetItems || route.kind == Route::kGetChanges) {
    if (method != "POST")
      throw RestError(405, "-1, System.NotSupportedException", "Method not allowed.");
    std::shared_lock lock(impl_.mu);
    ListState* l = Resolve(route);
    return route.kind == Route::kGetItems ? GetItems(*l, fmt, q, body, verbose_ct)
                                          : GetChanges(*l, fmt, body, verbose_ct);
  }
  std::unique_lock lock(impl_.mu);
  ListState* l = Resolve(route);
  const int64_t now = impl_.NowUnix();
  auto check_etag = [&](int64_t id) {
    if (!l->IsLive(id))
      throw RestError(404, "-2130575338, Microsoft.SharePoint.SPException",
                      "Item does not exist. It may have been deleted by another user.");
    if (if_match.empty() || if_match == "*") return;
    std::string current = "\"" + std::to_string(l->Version(id)) + "\"";
    std::string given = if_match;
    if (given.rfind("W/", 0) == 0) given = given.substr(2);
    if (given != current)
      throw RestError(412, "-1, Microsoft.SharePoint.Client.ClientServiceException",
                      "The request ETag value '" + if_match +
                          "' does not match the object's ETag value '" + current + "'.");
  };
  switch (route.kind) {
    case Route::kFields:
      if (method != "POST") break;
      return AddFieldRest(*l, fmt, body, verbose_ct);
    case Route::kItems: {
      if (method != "POST") break;
      auto assignments = ParseItemBody(*l, body, verbose_ct);
      int64_t id = l->Add(assignments, now);
      impl_.RecordItem(*l, 1, id);
      return SingleItem(*l, id, fmt, QueryOptions{}, 201);
    }
    case Route::kItem: {
      if (method == "MERGE" || method == "PATCH" || method == "PUT") {
        check_etag(route.item_id);
        auto assignments = ParseItemBody(*l, body, verbose_ct);
        l->Update(route.item_id, assignments, now);
        impl_.RecordItem(*l, 2, route.item_id);
        Reply r;
        r.status = 204;
        r.headers.emplace_back("ETag", "\"" + std::to_string(l->Version(route.item_id)) + "\"");
        return r;
      }
      if (method == "DELETE") {
        check_etag(route.item_id);
        l->SetState(route.item_id, ItemState::kDeleted, now);
        impl_.RecordItem(*l, 3, route.item_id);
        Reply r;
        r.body.clear();
        return r;
      }
      break;
    }
    case Route::kItemRecycle: {
      if (method != "POST") break;
      check_etag(route.item_id);
      std::string rid = impl_.Recycle(*l, route.item_id);
      Reply r;
      r.body = PrimitiveResult(fmt, "Recycle", JsonString(rid));
      return r;
    }
    default:
      break;
  }
  throw RestError(405, "-1, System.NotSupportedException",
                  "The HTTP method '" + method + "' is not allowed here.");
}

std::string StatsJson(const Emulator::Impl& impl) {
  auto c = [&](RequestKind k) {
    return std::to_string(impl.counts[static_cast<size_t>(k)].load());
  };
  return "{\"total\":" + std::to_string(impl.total.load()) +
         ",\"list_metadata\":" + c(RequestKind::kListMetadata) +
         ",\"fields\":" + c(RequestKind::kFields) + ",\"items\":" + c(RequestKind::kItems) +
         ",\"item_by_id\":" + c(RequestKind::kItemById) +
         ",\"get_items\":" + c(RequestKind::kGetItems) +
         ",\"get_changes\":" + c(RequestKind::kGetChanges) +
         ",\"writes\":" + c(RequestKind::kWrites) + ",\"token\":" + c(RequestKind::kToken) +
         ",\"context_info\":" + c(RequestKind::kContextInfo) +
         ",\"other\":" + c(RequestKind::kOther) +
         ",\"throttled\":" + std::to_string(impl.throttled.load()) +
         ",\"faulted\":" + std::to_string(impl.faulted.load()) + "}";
}

void Send(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, Reply reply,
          FaultKind fault, int slow_ms) {
  if (fault == FaultKind::kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
  if (fault == FaultKind::kHtml) {
    reply.status = 500;
    reply.content_type = "text/html; charset=utf-8";
    reply.body =
        "<!DOCTYPE html><html><head><title>Something went wrong</title></head><body><h1>Sorry, "
        "something went wrong</h1><p>An unexpected error has occurred.</p></body></html>";
  }
  resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
  if (reply.status != 204) resp.setContentType(reply.content_type);
  for (const auto& [k, v] : reply.headers) resp.set(k, v);
  resp.set("X-SharePointHealthScore", "0");
  resp.set("SPRequestGuid",
           MakeGuid(Mix(reinterpret_cast<uintptr_t>(&resp)), Mix(reply.body.size())));
  if (fault == FaultKind::kTruncate && reply.body.size() > 1)
    reply.body.resize(reply.body.size() / 2);
  std::string accept_encoding = req.get("Accept-Encoding", "");
  if (!reply.body.empty() && accept_encoding.find("gzip") != std::string::npos &&
      fault != FaultKind::kTruncate) {
    reply.body = GzipCompress(reply.body);
    resp.set("Content-Encoding", "gzip");
  }
  if (fault == FaultKind::kReset) {
    // Promise the whole body, send half, then reset the connection.
    resp.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    std::ostream& os = resp.send();
    os.write(reply.body.data(), static_cast<std::streamsize>(reply.body.size() / 2));
    os.flush();
    auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket();
    socket.setLinger(true, 0);
    socket.close();
    return;
  }
  resp.setContentLength(static_cast<std::streamsize>(reply.body.size()));
  if (reply.status == 204 || reply.body.empty()) {
    resp.send();
    return;
  }
  resp.sendBuffer(reply.body.data(), reply.body.size());
}

void Handler::handleRequest(Poco::Net::HTTPServerRequest& req,
                            Poco::Net::HTTPServerResponse& resp) {
  const std::string uri = req.getURI();
  const size_t qpos = uri.find('?');
  const std::string raw_path = uri.substr(0, qpos);
  const std::string raw_query = qpos == std::string::npos ? "" : uri.substr(qpos + 1);
  const std::string path = UrlDecode(raw_path, false);
  std::string method = req.getMethod();
  std::string tunnel = req.get("X-HTTP-Method", "");
  if (method == "POST" && !tunnel.empty()) method = Lower(tunnel) == "merge" ? "MERGE" : tunnel;
  for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::string body;
  Poco::StreamCopier::copyToString(req.stream(), body);
  const std::string content_type = req.getContentType();
  const bool verbose_ct = Lower(content_type).find("odata=verbose") != std::string::npos;
  Negotiated fmt = Negotiate(req.get("Accept", ""), req.get("OData-Version", ""));

  if (IStartsWith(path, "/_emulator/")) {
    Reply r;
    if (IEquals(path, "/_emulator/stats") && method == "GET") {
      r.body = StatsJson(impl_);
    } else if (IEquals(path, "/_emulator/stats/reset") && method == "POST") {
      for (auto& c : impl_.counts) c = 0;
      impl_.total = impl_.throttled = impl_.faulted = 0;
      r.status = 204;
    } else {
      r.status = 404;
      r.body = "{\"error\":\"not found\"}";
    }
    Send(req, resp, std::move(r), FaultKind::kNone, 0);
    return;
  }
  ++impl_.total;

  const bool token_path = impl_.auth->token_endpoint() &&
                          IEquals(path, "/" + impl_.auth->tenant() + "/oauth2/v2.0/token");
  Route route;
  const std::string site_api = impl_.opt.site + "/_api/";
  if (!token_path && IStartsWith(path, site_api)) {
    std::vector<std::pair<std::string, std::string>> aliases;
    // Aliases (@a='...') are needed to route GetList(@a).
    for (size_t start = 0; start < raw_query.size();) {
      size_t end = raw_query.find('&', start);
      if (end == std::string::npos) end = raw_query.size();
      std::string part = raw_query.substr(start, end - start);
      size_t eq = part.find('=');
      if (!part.empty() && part[0] == '@' && eq != std::string::npos)
        aliases.emplace_back(part.substr(0, eq), UrlDecode(part.substr(eq + 1), true));
      start = end + 1;
    }
    route = ParseRoute(std::string_view(path).substr(site_api.size()), aliases);
  }
  RequestKind kind = token_path ? RequestKind::kToken : KindOf(route, method);
  ++impl_.counts[static_cast<size_t>(kind)];

  auto error_reply = [&](int status, const std::string& code, const std::string& message) {
    Reply r;
    r.status = status;
    r.content_type = ContentTypeFor(fmt);
    r.body = ErrorBody(fmt, code, message);
    return r;
  };

  if (!token_path && route.kind != Route::kNone) {
    if (auto failure = impl_.auth->Check(req.get("Authorization", ""))) {
      Reply r;
      r.status = 401;
      r.body = failure->body;
      r.headers.emplace_back(
          "WWW-Authenticate",
          "Bearer realm=\"" + impl_.auth->TenantId() +
              "\",client_id=\"00000003-0000-0ff1-ce00-000000000000\","
              "trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\","
              "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"");
      r.headers.emplace_back("x-ms-diagnostics", "3000006;reason=\"" + failure->reason +
                                                     "\";category=\"invalid_client\"");
      Send(req, resp, std::move(r), FaultKind::kNone, 0);
      return;
    }
  }

  FaultDecision decision = impl_.faults.Decide(kind);
  if (decision.fault == FaultKind::kThrottle429 || decision.fault == FaultKind::kBusy503 ||
      decision.fault == FaultKind::kError500) {
    ++(decision.fault == FaultKind::kError500 ? impl_.faulted : impl_.throttled);
    Reply r;
    if (decision.fault == FaultKind::kError500) {
      r = error_reply(500, "-2146232832, Microsoft.SharePoint.SPException",
                      "Unexpected server error. Please try again.");
    } else {
      r.status = decision.fault == FaultKind::kThrottle429 ? 429 : 503;
      r.content_type = "text/plain; charset=utf-8";
      r.body = r.status == 429 ? "Too Many Requests" : "Server Too Busy";
      r.headers.emplace_back("Retry-After", std::to_string(decision.retry_after));
    }
    if (decision.rate_limit_headers) {
      r.headers.emplace_back("RateLimit-Limit", std::to_string(decision.limit));
      r.headers.emplace_back("RateLimit-Remaining", std::to_string(decision.remaining));
      r.headers.emplace_back("RateLimit-Reset", std::to_string(decision.reset));
    }
    Send(req, resp, std::move(r), FaultKind::kNone, 0);
    return;
  }
  if (decision.fault != FaultKind::kNone) ++impl_.faulted;

  Reply reply;
  if (token_path) {
    if (method != "POST") {
      reply.status = 405;
    } else {
      auto [status, json] = impl_.auth->IssueToken(body, impl_.BaseUrl() + path);
      reply.status = status;
      reply.body = std::move(json);
      reply.content_type = "application/json; charset=utf-8";
    }
  } else if (route.kind == Route::kNone) {
    reply = error_reply(404, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                        "The expression \"" + path + "\" is not valid.");
    if (!IStartsWith(path, site_api)) {
      reply.content_type = "text/html; charset=utf-8";
      reply.body = "<html><body><h1>404 NOT FOUND</h1></body></html>";
    }
  } else if (!fmt.acceptable) {
    reply.status = 406;
    reply.content_type = "text/plain";
    reply.body = "";
  } else {
    try {
      QueryOptions q = ParseQueryOptions(raw_query);
      reply = Dispatch(route, method, fmt, q, body, verbose_ct, req.get("If-Match", ""), raw_path);
      reply.content_type = ContentTypeFor(fmt);
    } catch (const RestError& e) {
      reply = error_reply(e.status, e.code, e.what());
    } catch (const std::out_of_range& e) {
      reply = error_reply(404, "-2130575338, Microsoft.SharePoint.SPException",
                          "Item does not exist. It may have been deleted by another user.");
    } catch (const std::invalid_argument& e) {
      reply =
          error_reply(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", e.what());
    }
  }
  if (decision.rate_limit_headers) {
    reply.headers.emplace_back("RateLimit-Limit", std::to_string(decision.limit));
    reply.headers.emplace_back("RateLimit-Remaining", std::to_string(decision.remaining));
    reply.headers.emplace_back("RateLimit-Reset", std::to_string(decision.reset));
  }
  Send(req, resp, std::move(reply), decision.fault, impl_.faults.slow_ms());
}

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Emulator::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_);
  }

 private:
  Emulator::Impl& impl_;
};

// The server owns its thread pool so several emulators can run in one process.
class OwnedPoolServer : public Poco::Net::HTTPServer {
 public:
  OwnedPoolServer(std::unique_ptr<Poco::ThreadPool> pool, Emulator::Impl& impl,
                  Poco::Net::ServerSocket socket, Poco::Net::HTTPServerParams::Ptr params)
      : Poco::Net::HTTPServer(new Factory(impl), *pool, socket, params), pool_(std::move(pool)) {}
  ~OwnedPoolServer() override {
    stopAll(true);
    pool_->joinAll();
  }

 private:
  std::unique_ptr<Poco::ThreadPool> pool_;
};

}  // namespace

std::unique_ptr<Poco::Net::HTTPServer> StartServer(Emulator::Impl& impl) {
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress(impl.opt.host, impl.opt.port), true);
  socket.listen(64);
  impl.bound_port = socket.address().port();
  auto params = Poco::Net::HTTPServerParams::Ptr(new Poco::Net::HTTPServerParams);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  params->setMaxThreads(impl.opt.threads);
  params->setMaxQueued(256);
  auto pool = std::make_unique<Poco::ThreadPool>(2, std::max(impl.opt.threads, 2) + 2);
  auto server = std::make_unique<OwnedPoolServer>(std::move(pool), impl, socket, params);
  server->start();
  return server;
}

}  // namespace spsync::emulator
