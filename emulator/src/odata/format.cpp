// The three JSON dialects SharePoint speaks (nometadata, minimalmetadata,
// verbose; plus the OData v4 names), built with plain string appends because a
// 5000-item page must serialise in a few milliseconds.
#include "odata/format.hpp"

#include "odata/atom.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {

Negotiated Negotiate(std::string_view accept, std::string_view odata_version) {
  std::string a = Lower(accept);
  bool v4_request = !odata_version.empty() && odata_version.front() == '4';
  Negotiated n;
  auto has = [&](const char* s) { return a.find(s) != std::string::npos; };
  if (has("odata.metadata=none")) {
    n.format = Format::kNoMetadata;
    n.v4 = true;
  } else if (has("odata.metadata=minimal") || has("odata.metadata=full")) {
    n.format = Format::kMinimal;
    n.v4 = true;
  } else if (has("odata=verbose")) {
    n.format = Format::kVerbose;
    n.acceptable = !v4_request;
  } else if (has("odata=nometadata")) {
    // SPFx's SPHttpClient sends OData-Version: 4.0; v3 format names are then refused.
    n.format = Format::kNoMetadata;
    n.acceptable = !v4_request;
  } else if (has("odata=minimalmetadata") || has("odata=fullmetadata")) {
    n.format = Format::kMinimal;
    n.acceptable = !v4_request;
  } else if (has("json")) {
    // application/json alone means minimal metadata.
    n.format = Format::kMinimal;
    n.v4 = v4_request;
  } else {
    // No Accept, application/atom+xml, application/xml, or */* (curl's
    // default): WCF Data Services answers in its default format, Atom.
    n.format = Format::kVerbose;
    n.atom = true;
  }
  return n;
}

std::string ContentTypeFor(const Negotiated& n) {
  if (n.atom) return "application/atom+xml;type=entry;charset=utf-8";
  if (n.v4)
    return n.format == Format::kNoMetadata ? "application/"
                                             "json;odata.metadata=none;odata.streaming=true;"
                                             "IEEE754Compatible=false;charset=utf-8"
                                           : "application/"
                                             "json;odata.metadata=minimal;odata.streaming=true;"
                                             "IEEE754Compatible=false;charset=utf-8";
  switch (n.format) {
    case Format::kNoMetadata:
      return "application/json;odata=nometadata;streaming=true;charset=utf-8";
    case Format::kVerbose:
      return "application/json;odata=verbose;charset=utf-8";
    default:
      return "application/json;odata=minimalmetadata;streaming=true;charset=utf-8";
  }
}

std::string ErrorBody(const Negotiated& n, std::string_view code, std::string_view message) {
  if (n.atom) return AtomError(code, message);
  std::string out;
  if (n.v4) {
    out = "{\"error\":{\"code\":";
    AppendJsonString(out, code);
    out += ",\"message\":";
    AppendJsonString(out, message);
    out += "}}";
    return out;
  }
  out = n.format == Format::kVerbose ? "{\"error\":{\"code\":" : "{\"odata.error\":{\"code\":";
  AppendJsonString(out, code);
  out += ",\"message\":{\"lang\":\"en-US\",\"value\":";
  AppendJsonString(out, message);
  out += "}}}";
  return out;
}

std::string Annotation(const Negotiated& n, std::string_view name) {
  return (n.v4 ? "@odata." : "odata.") + std::string(name);
}

void AppendValue(std::string& out, const Negotiated& n, ValueShape shape, std::string_view raw) {
  if (n.format != Format::kVerbose || raw == "null" || shape == ValueShape::kPlain) {
    out += raw;
    return;
  }
  switch (shape) {
    case ValueShape::kStringArray:
    case ValueShape::kIntArray:
      out += shape == ValueShape::kStringArray
                 ? "{\"__metadata\":{\"type\":\"Collection(Edm.String)\"},\"results\":"
                 : "{\"__metadata\":{\"type\":\"Collection(Edm.Int32)\"},\"results\":";
      out += raw;
      out += "}";
      break;
    case ValueShape::kUrl:
      out += "{\"__metadata\":{\"type\":\"SP.FieldUrlValue\"}";
      if (raw.size() > 2) out += ",";
      out += raw.substr(1);
      break;
    default:
      out += raw;
  }
}

void ItemWriter::Append(std::string& out, int64_t id, const std::vector<std::string>& values,
                        int version) const {
  out.push_back('{');
  bool first = true;
  if (fmt->format != Format::kNoMetadata) {
    std::string edit = "Web/Lists(guid'" + list->id() + "')/Items(" + std::to_string(id) + ")";
    std::string etag = "\"\\\"" + std::to_string(version) + "\\\"\"";
    if (fmt->format == Format::kVerbose) {
      out += "\"__metadata\":{\"id\":\"" + edit + "\",\"uri\":\"" + site_url + "/_api/" + edit +
             "\",\"etag\":" + etag + ",\"type\":\"" + list->ItemEntityType() + "\"}";
      if (deferred) {
        for (const char* nav :
             {"AttachmentFiles", "ContentType", "FieldValuesAsText", "ParentList", "Versions"}) {
          if (attachments_expanded && nav[0] == 'A') continue;
          out += ",\"";
          out += nav;
          out += "\":{\"__deferred\":{\"uri\":\"" + site_url + "/_api/" + edit + "/" + nav + "\"}}";
        }
      }
    } else {
      const std::string p = fmt->v4 ? "\"@odata." : "\"odata.";
      out += p + "type\":\"" + list->ItemEntityType() + "\"," + p + "id\":\"" +
             list->ChangeUniqueId(id) + "\"," + p + "etag\":" + etag + "," + p + "editLink\":\"" +
             edit + "\"";
    }
    first = false;
  }
  if (expanded) expanded(out, id, values, first);
  const auto& cols = list->columns();
  for (int c : column_subset) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    out += cols[static_cast<size_t>(c)].key;
    out += "\":";
    AppendValue(out, *fmt, cols[static_cast<size_t>(c)].shape, values[static_cast<size_t>(c)]);
  }
  out.push_back('}');
}

std::vector<int> SelectColumns(const ListState& list, const std::vector<std::string>& select,
                               std::string& unknown) {
  std::vector<int> out;
  const auto& cols = list.columns();
  bool all = select.empty();
  for (const auto& s : select)
    if (s == "*") all = true;
  if (all) {
    for (size_t i = 0; i < cols.size(); ++i) out.push_back(static_cast<int>(i));
    return out;
  }
  std::vector<bool> chosen(cols.size(), false);
  for (const auto& name : select) {
    bool found = false;
    for (size_t i = 0; i < cols.size(); ++i)
      if (IEquals(cols[i].key, name)) chosen[i] = found = true;
    // Projections of expanded lookups (Author/Title) are not emulated.
    if (!found && unknown.empty()) unknown = name;
  }
  for (size_t i = 0; i < cols.size(); ++i)
    if (chosen[i]) out.push_back(static_cast<int>(i));
  return out;
}

void AppendEntity(std::string& out, const Negotiated& n, const EntityMeta& m,
                  const std::vector<Prop>& props, const std::vector<std::string>& select,
                  std::string_view context) {
  out.push_back('{');
  bool first = true;
  auto comma = [&] {
    if (!first) out.push_back(',');
    first = false;
  };
  if (n.format == Format::kVerbose) {
    comma();
    out += "\"__metadata\":{\"id\":";
    AppendJsonString(out, m.id);
    out += ",\"uri\":";
    AppendJsonString(out, m.uri);
    if (!m.etag.empty()) {
      out += ",\"etag\":";
      AppendJsonString(out, m.etag);
    }
    out += ",\"type\":";
    AppendJsonString(out, m.type);
    out += "}";
  } else if (n.format == Format::kMinimal) {
    const std::string p = n.v4 ? "@odata." : "odata.";
    if (!context.empty()) {
      comma();
      AppendJsonString(out, n.v4 ? "@odata.context" : "odata.metadata");
      out += ":";
      AppendJsonString(out, context);
    }
    comma();
    AppendJsonString(out, p + "type");
    out += ":";
    AppendJsonString(out, m.type);
    comma();
    AppendJsonString(out, p + "id");
    out += ":";
    AppendJsonString(out, m.id);
    if (!m.etag.empty()) {
      comma();
      AppendJsonString(out, p + "etag");
      out += ":";
      AppendJsonString(out, m.etag);
    }
    comma();
    AppendJsonString(out, p + "editLink");
    out += ":";
    AppendJsonString(out, m.edit_link);
  }
  for (const auto& prop : props) {
    if (!select.empty()) {
      bool wanted = false;
      for (const auto& s : select)
        if (s == "*" || IEquals(s, prop.key)) wanted = true;
      if (!wanted) continue;
    }
    comma();
    AppendJsonString(out, prop.key);
    out += ":";
    out += prop.raw;
  }
  out.push_back('}');
}

std::string UnknownSelect(const std::vector<Prop>& props, const std::vector<std::string>& select) {
  for (const auto& s : select) {
    if (s == "*") continue;
    bool found = false;
    for (const auto& p : props)
      if (IEquals(p.key, s)) found = true;
    if (!found) return s;
  }
  return "";
}

void BeginCollection(std::string& out, const Negotiated& n, std::string_view context) {
  if (n.format == Format::kVerbose) {
    out += "{\"d\":{\"results\":[";
  } else if (n.format == Format::kMinimal) {
    out += n.v4 ? "{\"@odata.context\":" : "{\"odata.metadata\":";
    AppendJsonString(out, context);
    out += ",\"value\":[";
  } else {
    out += "{\"value\":[";
  }
}

void EndCollection(std::string& out, const Negotiated& n, std::string_view next_link) {
  out += "]";
  if (!next_link.empty()) {
    out += n.format == Format::kVerbose ? ",\"__next\":"
           : n.v4                       ? ",\"@odata.nextLink\":"
                                        : ",\"odata.nextLink\":";
    AppendJsonString(out, next_link);
  }
  out += n.format == Format::kVerbose ? "}}" : "}";
}

void WrapSingle(std::string& out, const Negotiated& n, std::string_view entity) {
  if (n.format == Format::kVerbose) {
    out += "{\"d\":";
    out += entity;
    out += "}";
  } else {
    out += entity;
  }
}

std::string PrimitiveResult(const Negotiated& n, std::string_view method, std::string_view raw) {
  std::string out;
  if (n.format == Format::kVerbose) {
    out = "{\"d\":{";
    AppendJsonString(out, method);
    out += ":";
    out += raw;
    out += "}}";
  } else {
    out = "{\"value\":";
    out += raw;
    out += "}";
  }
  return out;
}

}  // namespace spsync::emulator::detail
