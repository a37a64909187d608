// A list's fields: the collection (with $select and $filter, as clients read
// the schema), one field by name or id, field creation, and field updates
// (marking a field indexed, as clients do it with MERGE or PATCH).
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstring>
#include <optional>

#include "api/areas.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

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

std::vector<Prop> FieldProps(const ListState& l, const FieldDef& f) {
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
  if (f.kind == 6 || f.kind == 15) {
    // [unconfirmed: verbose wraps it as {"__metadata":...,"results":[...]}; not modelled]
    std::string choices = "[";
    for (const auto& c : f.choices) choices += (choices.size() > 1 ? "," : "") + JsonString(c);
    props.push_back({"Choices", choices + "]"});
  }
  if (f.kind == 7 || f.kind == 20) {
    props.push_back({"AllowMultipleValues", b(f.multi)});
    props.push_back({"LookupField", JsonString(f.lookup_field)});
    // A braced GUID string, as SharePoint returns it [unconfirmed].
    props.push_back({"LookupList", JsonString("{" + l.LookupListOf(f) + "}")});
  }
  return props;
}

Reply FieldCollection(Call& c) {
  const ListState& l = *c.list;
  const Negotiated& fmt = c.req.fmt;
  const QueryOptions& q = c.q;
  const std::string site = c.WebUrl();
  Reply r;
  BeginCollection(r.body, fmt, site + "/_api/$metadata#SP.ApiData.Fields");
  bool first = true;
  for (const auto& f : l.fields()) {
    auto props = FieldProps(l, f);
    if (first) {
      // Properties of derived field types (SP.FieldLookup's LookupList) may be
      // selected on the whole collection; fields without them omit them.
      auto known = props;
      for (const char* derived : {"AllowMultipleValues", "LookupField", "LookupList", "Choices"})
        known.push_back({derived, ""});
      std::string unknown = UnknownSelect(known, q.select);
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

// The answer to a field creation: 201 and the field.
Reply Created(Call& c, ListState& l, const FieldDef& f) {
  c.impl.RecordField(l, 1, f.id);
  const std::string site = c.WebUrl();
  std::string edit = "Web/Lists(guid'" + l.id() + "')/Fields(guid'" + f.id + "')";
  std::string entity;
  AppendEntity(
      entity, c.req.fmt,
      EntityMeta{FieldEntityType(f), site + "/_api/" + edit, site + "/_api/" + edit, edit, ""},
      FieldProps(l, f), {}, site + "/_api/$metadata#SP.ApiData.Fields/@Element");
  Reply r;
  r.status = 201;
  WrapSingle(r.body, c.req.fmt, entity);
  return r;
}

Reply CreateField(Call& c) {
  ListState& l = *c.list;
  const std::string& body = c.req.body;
  const bool verbose_ct = c.req.verbose_body;
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
  if (obj->optValue<bool>("AllowMultipleValues", false) && (type == "Lookup" || type == "User"))
    type += "Multi";
  std::string lookup_list = obj->optValue<std::string>("LookupList", "");
  if (lookup_list.size() == 38 && lookup_list.front() == '{')
    lookup_list = lookup_list.substr(1, 36);
  // A lookup reaches the lists of its own web (and the site's users).
  if (!lookup_list.empty() && !c.web.FindLookupTarget(lookup_list))
    throw RestError(400, "-2147024809, System.ArgumentException",
                    "Value does not fall within the expected range.");
  try {
    l.AddField(title, type, c.impl.NowUnix(), Lower(lookup_list));
  } catch (const std::invalid_argument& e) {
    throw RestError(400, "-2130575245, Microsoft.SharePoint.SPException", e.what());
  }
  return Created(c, l, l.fields().back());
}

// XML text with its five predefined entities decoded.
std::string XmlText(const std::string& s) {
  static const std::pair<const char*, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    bool done = false;
    if (s[i] == '&')
      for (const auto& [entity, ch] : kEntities)
        if (s.compare(i, std::strlen(entity), entity) == 0) {
          out += ch;
          i += std::strlen(entity) - 1;
          done = true;
          break;
        }
    if (!done) out += s[i];
  }
  return out;
}

// An XML attribute's value in a <Field .../> element ("" if absent),
// entities decoded.
std::string XmlAttribute(const std::string& xml, const std::string& name) {
  for (const char quote : {'"', '\''}) {
    const std::string key = " " + name + "=" + quote;
    size_t at = xml.find(key);
    if (at == std::string::npos) continue;
    at += key.size();
    const size_t end = xml.find(quote, at);
    if (end == std::string::npos) return "";
    return XmlText(xml.substr(at, end - at));
  }
  return "";
}

// fields/CreateFieldAsXml: {"parameters":{"SchemaXml":"<Field Type=... Name=...
// DisplayName=... Required=... List=... ShowField=... Mult=...><CHOICES>...",
// "Options":8}}. With SP.AddFieldOptions.addFieldInternalNameHint (8) the
// internal name is Name; otherwise it is made from DisplayName.
Reply CreateFieldAsXml(Call& c) {
  ListState& l = *c.list;
  std::string xml;
  int options = 0;
  try {
    auto obj = Poco::JSON::Parser().parse(c.req.body).extract<Poco::JSON::Object::Ptr>();
    auto p = obj->getObject("parameters");
    if (p.isNull()) throw std::invalid_argument("no parameters");
    xml = p->optValue<std::string>("SchemaXml", "");
    options = p->optValue<int>("Options", 0);
  } catch (const std::exception&) {
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "The parameter SchemaXml does not exist in method CreateFieldAsXml.");
  }
  const size_t open = xml.find("<Field");
  const size_t close = xml.find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos)
    throw RestError(400, "-2146232832, Microsoft.SharePoint.SPException",
                    "Field element is missing in the schema XML.");
  const std::string head = xml.substr(open, close - open);
  std::string type = XmlAttribute(head, "Type");
  const std::string name = XmlAttribute(head, "Name");
  std::string title = XmlAttribute(head, "DisplayName");
  if (title.empty()) title = name;
  if (XmlAttribute(head, "Mult") == "TRUE" && (type == "Lookup" || type == "User")) type += "Multi";
  std::string lookup_list = XmlAttribute(head, "List");
  if (lookup_list.size() == 38 && lookup_list.front() == '{')
    lookup_list = lookup_list.substr(1, 36);
  if (!lookup_list.empty() && !c.web.FindLookupTarget(lookup_list))
    throw RestError(400, "-2147024809, System.ArgumentException",
                    "Value does not fall within the expected range.");
  std::vector<std::string> choices;
  for (size_t at = xml.find("<CHOICE>"); at != std::string::npos;
       at = xml.find("<CHOICE>", at + 8)) {
    const size_t end = xml.find("</CHOICE>", at);
    if (end == std::string::npos) break;
    choices.push_back(XmlText(xml.substr(at + 8, end - at - 8)));
  }
  const std::string created_as = (options & 8) != 0 && !name.empty() ? name : title;
  try {
    l.AddField(created_as, type, c.impl.NowUnix(), Lower(lookup_list));
    l.SetFieldDetails(l.fields().back().internal_name, title,
                      XmlAttribute(head, "Required") == "TRUE", std::move(choices),
                      c.impl.NowUnix());
  } catch (const std::invalid_argument& e) {
    throw RestError(400, "-2130575245, Microsoft.SharePoint.SPException", e.what());
  }
  return Created(c, l, l.fields().back());
}

// The field a route names: getbyinternalnameortitle('X'), getbytitle('X'),
// getbyid('G') or fields(guid'G').
const FieldDef& AddressedField(const Call& c) {
  const std::string& key = c.captures.strings[0];
  const ListState& l = *c.list;
  const FieldDef* f = nullptr;
  for (const auto& candidate : l.fields())
    if (IEquals(candidate.id, key) || IEquals("{" + candidate.id + "}", key)) f = &candidate;
  if (!f) f = l.FindField(key);
  if (!f)
    // [unconfirmed: status]
    throw RestError(
        404, "-2146232832, Microsoft.SharePoint.SPException",
        "Column '" + key + "' does not exist. It may have been deleted by another user.");
  return *f;
}

Reply OneField(Call& c) {
  const FieldDef& f = AddressedField(c);
  const ListState& l = *c.list;
  const std::string site = c.WebUrl();
  auto props = FieldProps(l, f);
  std::string unknown = UnknownSelect(props, c.q.select);
  if (!unknown.empty())
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "The property '" + unknown + "' does not exist on type 'SP.Field'.");
  std::string edit = "Web/Lists(guid'" + l.id() + "')/Fields(guid'" + f.id + "')";
  std::string entity;
  AppendEntity(
      entity, c.req.fmt,
      EntityMeta{FieldEntityType(f), site + "/_api/" + edit, site + "/_api/" + edit, edit, ""},
      props, c.q.select, site + "/_api/$metadata#SP.ApiData.Fields/@Element");
  Reply r;
  WrapSingle(r.body, c.req.fmt, entity);
  return r;
}

Reply UpdateField(Call& c) {
  const FieldDef& f = AddressedField(c);
  ListState& l = *c.list;
  Poco::JSON::Object::Ptr obj;
  try {
    obj = Poco::JSON::Parser().parse(c.req.body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Invalid JSON. A token was not recognized in the JSON content.");
  }
  auto no_such = [&](const std::string& name) {
    return RestError(400, "-1, Microsoft.Data.OData.ODataException",
                     "The property '" + name +
                         "' does not exist on type 'SP.Field'. Make sure to only use property "
                         "names that are defined by the type.");
  };
  const auto props = FieldProps(l, f);
  std::optional<bool> indexed;
  for (const auto& [key, value] : *obj) {
    if (key == "__metadata") {
      if (!c.req.verbose_body) throw no_such(key);
      continue;
    }
    if (key == "Indexed") {
      if (!value.isBoolean())
        throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                        "Cannot convert a primitive value to the expected type 'Edm.Boolean'.");
      indexed = value.extract<bool>();
      continue;
    }
    // Other properties of the field are accepted and left as they are.
    bool known = false;
    for (const auto& p : props) known = known || p.key == key;
    if (!known) throw no_such(key);
  }
  const std::string name = f.internal_name, id = f.id;
  if (indexed) {
    l.SetIndexed(name, *indexed, c.impl.NowUnix());
    c.impl.RecordField(l, 2, id);
  }
  Reply r;
  r.status = 204;
  return r;
}

}  // namespace

void AddFieldRoutes(RouteTable& t) {
  t.Add("GET", "{list}/fields", RequestKind::kFields, Access::kShared, FieldCollection);
  t.Add("POST", "{list}/fields", RequestKind::kWrites, Access::kExclusive, CreateField);
  t.Add("POST", "{list}/fields/CreateFieldAsXml", RequestKind::kWrites, Access::kExclusive,
        CreateFieldAsXml);
  for (const char* one :
       {"{list}/fields/getbyinternalnameortitle({str})", "{list}/fields/getbytitle({str})",
        "{list}/fields/getbyid({str})", "{list}/fields({str})"}) {
    t.Add("GET", one, RequestKind::kFields, Access::kShared, OneField);
    t.Add("MERGE PATCH", one, RequestKind::kWrites, Access::kExclusive, UpdateField);
  }
}

}  // namespace spsync::emulator::detail
