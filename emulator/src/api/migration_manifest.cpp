#include "api/migration_manifest.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

// Properties the ListItem element carries as attributes (not Fields).
bool IsAttributeField(std::string_view internal) {
  static const char* kNames[] = {"ID",
                                 "GUID",
                                 "Modified",
                                 "Created",
                                 "Author",
                                 "Editor",
                                 "_UIVersionString",
                                 "ContentTypeId",
                                 "FSObjType",
                                 "ContentType",
                                 "FileLeafRef",
                                 "owshiddenversion",
                                 "_ModerationComments"};
  for (const char* n : kNames)
    if (internal == n) return true;
  return false;
}

// A column's raw JSON string value, unescaped ("" for null or non-strings).
std::string Text(const std::string& raw) {
  if (raw.empty() || raw.front() != '"') return "";
  return UnescapeJsonString(raw).value_or("");
}

std::string NoZ(std::string s) {
  // TimeCreated / TimeLastModified and DateTime fields: UTC without a designator
  // [guess: amr-export.md open question 3].
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  return s;
}

// The Title of item `id` of the list `target_id` names ("" if none): the text
// after ";#" in lookup values.
std::string LookupText(const WebState& web, const std::string& target_id, int64_t id) {
  const ListState* target = web.FindLookupTarget(target_id);
  if (target == nullptr) return "";
  std::vector<std::string> values;
  if (!target->Values(id, values)) return "";
  int col = target->ColumnIndex("Title");
  return col < 0 ? "" : Text(values[static_cast<size_t>(col)]);
}

// The manifest form of a field value from its REST JSON value; false for
// null (the Field is left out [guess]).
bool ManifestValue(const WebState& web, const ListState& list, const FieldDef& f,
                   const std::string& raw, std::string* v) {
  v->clear();
  if (raw.empty() || raw == "null") return false;
  const std::string& t = f.type_as_string;
  if (raw == "true" || raw == "false") {
    *v = raw == "true" ? "1" : "0";  // [guess] SharePoint's SQL form of a bit
  } else if (raw.front() == '"') {
    *v = t == "DateTime" ? NoZ(Text(raw)) : Text(raw);
  } else if (raw.front() == '[') {
    // MultiChoice ";#a;#b;#"; LookupMulti / UserMulti "1;#text;#2;#text" [guess].
    Poco::JSON::Parser parser;
    auto arr = parser.parse(raw).extract<Poco::JSON::Array::Ptr>();
    if (t == "MultiChoice") {
      *v = ";#";
      for (size_t i = 0; i < arr->size(); ++i)
        *v += arr->getElement<std::string>(static_cast<unsigned>(i)) + ";#";
      if (arr->size() == 0) v->clear();
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        int64_t id = arr->getElement<int64_t>(static_cast<unsigned>(i));
        if (i) *v += ";#";
        *v += std::to_string(id) + ";#" + LookupText(web, list.LookupListOf(f), id);
      }
    }
  } else if (raw.front() == '{') {
    // URL: "<url>, <description>", commas in the URL doubled (SharePoint's form).
    Poco::JSON::Parser parser;
    auto o = parser.parse(raw).extract<Poco::JSON::Object::Ptr>();
    std::string url = o->optValue<std::string>("Url", ""),
                desc = o->optValue<std::string>("Description", "");
    for (char c : url) {
      v->push_back(c);
      if (c == ',') v->push_back(',');
    }
    *v += ", " + desc;
  } else if ((t == "Lookup" || t == "User") && !f.multi) {
    // "<id>;#<shown text>" (the text only where the emulator has it cheaply).
    int64_t id = std::strtoll(raw.c_str(), nullptr, 10);
    *v = raw + ";#" + (t == "Lookup" ? LookupText(web, list.LookupListOf(f), id) : "");
  } else {
    *v = raw;  // numbers as REST prints them (invariant culture)
  }
  return true;
}

// XML 1.0 cannot carry most control characters even as references: those
// become _xHHHH_ and the attribute is listed in EncodedAttributes
// (amr-export.md §4); an underscore that would read as an escape is then
// escaped too. Returns true when `s` needed it.
bool NeedsEncoding(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return true;
  return false;
}

std::string XmlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool lookalike = c == '_' && i + 6 < s.size() && s[i + 1] == 'x' && s[i + 6] == '_';
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || lookalike) {
      out += "_x00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      out.push_back('_');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

void Attr(std::string* out, const char* name, std::string_view value) {
  *out += ' ';
  *out += name;
  *out += "=\"";
  AppendXmlAttr(out, value);
  *out += '"';
}

}  // namespace

void AppendXmlAttr(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\t':
        *out += "&#9;";
        break;
      case '\n':
        *out += "&#10;";
        break;
      case '\r':
        *out += "&#13;";
        break;
      default:
        out->push_back(c);
    }
  }
}

bool AppendManifestItem(const WebState& web, const ListState& list, int64_t id, std::string* out) {
  std::vector<std::string> values;
  if (!list.Values(id, values)) return false;
  auto col = [&](std::string_view key) -> const std::string& {
    static const std::string kNull = "null";
    int i = list.ColumnIndex(key);
    return i < 0 ? kNull : values[static_cast<size_t>(i)];
  };
  const std::string list_url = list.ServerRelativeUrl(web.url);
  const std::string name =
      std::to_string(id) + "_.000";  // [guess] list items as <IntId>_.000 leaves
  const std::string guid = Text(col("GUID"));
  *out += "<SPObject";
  Attr(out, "Id", guid);
  Attr(out, "ObjectType", "SPListItem");
  Attr(out, "ParentId", list.id());
  Attr(out, "ParentWebId", web.id);
  Attr(out, "ParentWebUrl", web.url);
  Attr(out, "Url", list_url + "/" + name);
  *out += "><ListItem";
  Attr(out, "Id", guid);
  Attr(out, "IntId", std::to_string(id));
  Attr(out, "Name", name);
  Attr(out, "DirName", list_url.substr(1));
  Attr(out, "FileUrl", list.shape().folder + "/" + name);
  Attr(out, "DocType", col("FileSystemObjectType") == "1" ? "Folder" : "File");
  Attr(out, "ParentListId", list.id());
  Attr(out, "ParentWebId", web.id);
  Attr(out, "ContentTypeId", Text(col("ContentTypeId")));
  Attr(out, "Version", Text(col("OData__UIVersionString")));
  Attr(out, "Author", col("AuthorId"));
  Attr(out, "ModifiedBy", col("EditorId"));
  Attr(out, "TimeCreated", NoZ(Text(col("Created"))));
  Attr(out, "TimeLastModified", NoZ(Text(col("Modified"))));
  Attr(out, "ModerationStatus", "Approved");
  Attr(out, "Order", std::to_string(id * 100));
  *out += "><Fields>";
  std::string v;
  for (const FieldDef& f : list.fields()) {
    if (IsAttributeField(f.internal_name)) continue;
    int i = list.ColumnIndex(f.entity_name);
    if (i < 0) i = list.ColumnIndex(f.entity_name + "Id");
    if (i < 0) continue;
    if (!ManifestValue(web, list, f, values[static_cast<size_t>(i)], &v)) continue;
    *out += "<Field";
    Attr(out, "Name", f.internal_name);
    Attr(out, "Type", f.type_as_string);
    Attr(out, "FieldId", f.id);
    if (NeedsEncoding(v)) {
      Attr(out, "Value", XmlEncode(v));
      Attr(out, "EncodedAttributes", "Value");
    } else {
      Attr(out, "Value", v);
    }
    *out += "/>";
  }
  *out += "</Fields></ListItem></SPObject>\r\n";
  return true;
}

std::string ManifestListObject(const WebState& web, const ListState& list) {
  std::string out = "<SPObject";
  const std::string url = list.ServerRelativeUrl(web.url);
  Attr(&out, "Id", list.id());
  Attr(&out, "ObjectType", list.shape().base_type == 1 ? "SPDocumentLibrary" : "SPList");
  Attr(&out, "ParentId", web.id);
  Attr(&out, "ParentWebId", web.id);
  Attr(&out, "ParentWebUrl", web.url);
  Attr(&out, "Url", url);
  out += "><List";
  Attr(&out, "Id", list.id());
  Attr(&out, "Title", list.title());
  Attr(&out, "RootFolderUrl", url);
  Attr(&out, "ParentWebId", web.id);
  Attr(&out, "ParentWebUrl", web.url);
  Attr(&out, "BaseType", list.shape().base_type == 1 ? "DocumentLibrary" : "GenericList");
  Attr(&out, "BaseTemplate", list.shape().base_type == 1 ? "DocumentLibrary" : "GenericList");
  out += "/></SPObject>\r\n";
  return out;
}

std::string SystemDataXml(const std::vector<std::string>& manifests, int64_t objects) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<SystemData "
      "xmlns=\"urn:deployment-systemdata-schema\"><SchemaVersion Version=\"15.0.0.0\" "
      "Build=\"16.0.24817.12008\" DatabaseVersion=\"0\" SiteVersion=\"15\" ObjectsProcessed=\"" +
      std::to_string(objects) + "\"/><ManifestFiles>";
  for (const auto& m : manifests) {
    out += "<ManifestFile";
    Attr(&out, "Name", m);
    out += "/>";
  }
  out += "</ManifestFiles><SystemObjects/><RootWebOnlyLists/></SystemData>";
  return out;
}

std::string ExportSettingsXml(const WebState& web, const ListState& list) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<ExportSettings "
      "xmlns=\"urn:deployment-exportsettings-schema\" SiteUrl=\"";
  AppendXmlAttr(&out, web.url);
  out +=
      "\" IncludeSecurity=\"None\" IncludeVersions=\"LastMajor\" ExportMethod=\"ExportAll\">"
      "<ExportObjects><DeploymentObject Id=\"" +
      list.id() + "\" Type=\"List\" Url=\"";
  AppendXmlAttr(&out, list.ServerRelativeUrl(web.url));
  out += "\"/></ExportObjects></ExportSettings>";
  return out;
}

std::string RootObjectMapXml(const WebState& web, const ListState& list) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<RootObjects "
      "xmlns=\"urn:deployment-rootobjectmap-schema\"><RootObject Id=\"" +
      list.id() + "\" Type=\"List\" ParentId=\"" + web.id + "\" WebUrl=\"";
  AppendXmlAttr(&out, web.url);
  out += "\" Url=\"";
  AppendXmlAttr(&out, list.ServerRelativeUrl(web.url));
  out += "\" IsDependency=\"false\"/></RootObjects>";
  return out;
}

std::string UserGroupXml() {
  // The people behind Author/ModifiedBy ids: the emulator's built-in users
  // are not listed [simplification: README].
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<UserGroupMap "
         "xmlns=\"urn:deployment-usergroupmap-schema\"><Users/><Groups/></UserGroupMap>";
}

}  // namespace spsync::emulator::detail
