// SP.List: the properties sync and discovery clients read, kept true as the
// list changes, in the three JSON dialects (and Atom through the verbose form).
#include "api/list_entity.hpp"

#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

std::string DecodedUrl(const Negotiated& fmt, const std::string& url) {
  return (fmt.format == Format::kVerbose
              ? "{\"__metadata\":{\"type\":\"SP.ResourcePath\"},\"DecodedUrl\":"
              : "{\"DecodedUrl\":") +
         JsonString(url) + "}";
}

// The list's root folder (SP.Folder), for $expand=RootFolder.
std::string RootFolder(const Call& c, const ListState& l, const EntityQuery& query) {
  const std::string web = c.WebUrl();
  const std::string url = l.ServerRelativeUrl(c.web.url);
  const std::string name = url.substr(url.rfind('/') + 1);
  // [guess: the folder's id is its GetFolderByServerRelativePath address]
  const std::string id = web + "/_api/Web/GetFolderByServerRelativePath(decodedurl='" + url + "')";
  std::vector<Prop> props = {
      {"Exists", "true"},
      {"IsWOPIEnabled", "false"},
      {"ItemCount", std::to_string(l.item_count())},
      {"Name", JsonString(name)},
      {"ProgID", "null"},
      {"ServerRelativeUrl", JsonString(url)},
      {"TimeCreated", JsonString(FormatIso(l.created()))},
      {"TimeLastModified", JsonString(FormatIso(l.last_modified()))},
      {"UniqueId", JsonString(MakeGuid(Hash(1, l.id()), Hash(2, l.id())))},
      {"WelcomePage", "\"\""},
  };
  std::string out;
  AppendEntity(out, c.req.fmt, EntityMeta{"SP.Folder", id, id, id.substr(web.size() + 6), ""},
               props, query.NavSelect("RootFolder"));
  return out;
}

}  // namespace

std::vector<std::string> ListExpandable() {
  return {"RootFolder"};
}

AtomTypeHint ListAtomTypes() {
  return [](std::string_view key) { return key == "RootFolder" ? std::string("nav") : ""; };
}

EntityRow ListRow(const Call& c, const ListState& l, const EntityQuery& query) {
  const Negotiated& fmt = c.req.fmt;
  const std::string web = c.WebUrl();
  const std::string edit = "Web/Lists(guid'" + l.id() + "')";
  const ListShape& shape = l.shape();
  const bool library = shape.base_type == 1;
  const std::string token = JsonString(c.impl.CurrentToken(l));
  EntityRow row;
  row.meta = EntityMeta{"SP.List", web + "/_api/" + edit, web + "/_api/" + edit, edit,
                        "\"" + std::to_string(l.schema_version()) + "\""};
  auto& props = row.props;
  if (query.Expanded("RootFolder")) props.push_back({"RootFolder", RootFolder(c, l, query)});
  const std::string image =
      library ? "/_layouts/15/images/itdl.png?rev=47" : "/_layouts/15/images/itgen.png?rev=47";
  props.insert(
      props.end(),
      {
          {"AllowContentTypes", "true"},
          {"BaseTemplate", std::to_string(shape.base_template)},
          {"BaseType", std::to_string(shape.base_type)},
          {"ContentTypesEnabled", "false"},
          {"Created", JsonString(FormatIso(l.created()))},
          {"CurrentChangeToken",
           fmt.format == Format::kVerbose
               ? "{\"__metadata\":{\"type\":\"SP.ChangeToken\"},\"StringValue\":" + token + "}"
               : "{\"StringValue\":" + token + "}"},
          {"Description", JsonString(shape.description)},
          {"EnableAttachments", library ? "false" : "true"},
          {"EnableFolderCreation", library ? "true" : "false"},
          {"EnableVersioning", "true"},
          {"EntityTypeName", JsonString(l.ListEntityTypeName())},
          {"Hidden", l.hidden() ? "true" : "false"},
          {"Id", JsonString(l.id())},
          {"ImageUrl", JsonString(image)},
          {"IsApplicationList", "false"},
          {"IsCatalog", shape.is_catalog ? "true" : "false"},
          {"IsPrivate", "false"},
          {"ItemCount", std::to_string(l.item_count())},
          {"LastItemDeletedDate", JsonString(FormatIso(l.last_deleted()))},
          {"LastItemModifiedDate", JsonString(FormatIso(l.last_modified()))},
          {"LastItemUserModifiedDate", JsonString(FormatIso(l.last_modified()))},
          {"ListItemEntityTypeFullName", JsonString(l.ItemEntityType())},
          {"NoCrawl", shape.hidden ? "true" : "false"},
          {"ParentWebPath", DecodedUrl(fmt, c.web.url)},
          {"ParentWebUrl", JsonString(c.web.url)},
          {"Title", JsonString(l.title())},
      });
  // Not in SharePoint's default payload (absent from full-list samples); sent
  // when $select or $filter names it [unconfirmed].
  if (query.Names("IsSystemList") ||
      (c.q.filter && c.q.filter_text.find("IsSystemList") != std::string::npos))
    props.push_back({"IsSystemList", shape.is_system ? "true" : "false"});
  if (fmt.format == Format::kVerbose && query.select().empty())
    for (const char* nav : {"Fields", "Items", "ParentWeb", "RootFolder", "Views"})
      if (!(std::string_view(nav) == "RootFolder" && query.Expanded("RootFolder")))
        props.push_back({nav, "{\"__deferred\":{\"uri\":" +
                                  JsonString(web + "/_api/" + edit + "/" + nav) + "}}"});
  return row;
}

}  // namespace spsync::emulator::detail
