// SharePoint's own lists of a team site, and the URL and entity type name of
// a list a user creates (SharePoint derives both from the URL, not the title,
// so a renamed list keeps them).
#include "model/system_lists.hpp"

#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

struct Row {
  const char* title;
  const char* folder;
  const char* entity;
  int base_template;
  bool hidden, catalog, system, root_only;
};

// A new team site (STS#3) as REST lists it. Titles, URLs, templates and the
// theme gallery's entity type name and Hidden flag are SharePoint's [obs:
// CLI for Microsoft 365 `spo list list` sample, PnP]; the Hidden and
// IsSystemList values of the others are [guess] (README.md).
constexpr Row kRows[] = {
    {"Documents", "Shared Documents", "Shared_x0020_Documents", 101, false, false, false, false},
    {"Form Templates", "FormServerTemplates", "FormServerTemplates", 101, false, false, true,
     false},
    {"Site Assets", "SiteAssets", "SiteAssets", 101, false, false, false, false},
    {"Site Pages", "SitePages", "SitePages", 119, false, false, true, false},
    {"Composed Looks", "_catalogs/design", "OData__x005f_catalogs_x002f_design", 124, true, true,
     true, false},
    {"appdata", "_catalogs/appdata", "OData__x005f_catalogs_x002f_appdata", 125, true, true, true,
     false},
    {"Style Library", "Style Library", "Style_x0020_Library", 101, false, false, true, true},
    {"Master Page Gallery", "_catalogs/masterpage", "OData__x005f_catalogs_x002f_masterpage", 116,
     true, true, true, true},
    {"Theme Gallery", "_catalogs/theme", "OData__x005f_catalogs_x002f_theme", 123, true, true, true,
     true},
    {"Web Part Gallery", "_catalogs/wp", "OData__x005f_catalogs_x002f_wp", 113, true, true, true,
     true},
    // A hidden list with the generic template: a filter on BaseTemplate alone finds it.
    {"TaxonomyHiddenList", "Lists/TaxonomyHiddenList", "TaxonomyHiddenListList", 100, true, false,
     true, true},
    {"User Information List", "_catalogs/users", "UserInfo", 112, true, false, true, true},
};

// A URL segment from a title: spaces and the characters SharePoint refuses
// in URLs dropped.
std::string UrlSegment(std::string_view title) {
  std::string out;
  for (char c : title)
    if (std::string_view(" \"#%&*:<>?\\/{|}~").find(c) == std::string_view::npos) out.push_back(c);
  return out.empty() ? "List" : out;
}

// An OData entity name: letters, digits and '_' kept, anything else as
// _xHHHH_ (its byte, as the internal names of fields encode it).
std::string EntityName(std::string_view text) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    out += "_x00";
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
    out += '_';
  }
  return out;
}

}  // namespace

int BaseTypeOf(int base_template) {
  switch (base_template) {
    case 101:  // document library
    case 109:  // picture library
    case 113:  // web part gallery
    case 115:  // form library
    case 116:  // master page gallery
    case 119:  // site pages
    case 121:  // solution gallery
    case 123:  // theme gallery
    case 851:  // asset library
      return 1;
    default:
      return 0;
  }
}

std::vector<SystemList> SystemListsOf(bool root_web) {
  std::vector<SystemList> out;
  for (const Row& r : kRows) {
    if (r.root_only && !root_web) continue;
    ListShape s;
    s.schema = r.base_template == 112 ? ListTemplate::kUserInformation : ListTemplate::kGenericList;
    s.base_template = r.base_template;
    s.base_type = BaseTypeOf(r.base_template);
    s.hidden = r.hidden;
    s.is_catalog = r.catalog;
    s.is_system = r.system;
    s.folder = r.folder;
    s.entity_type_name = r.entity;
    out.push_back({r.title, std::move(s)});
  }
  return out;
}

ListShape UserListShape(std::string_view title, int base_template, bool hidden,
                        std::string description) {
  ListShape s;
  s.base_template = base_template;
  s.base_type = BaseTypeOf(base_template);
  s.hidden = hidden;
  s.description = std::move(description);
  if (s.base_type == 1) {
    s.folder = IEquals(title, "Documents") ? "Shared Documents" : UrlSegment(title);
    s.entity_type_name = EntityName(s.folder);
  } else {
    std::string segment = UrlSegment(title);
    s.folder = "Lists/" + segment;
    s.entity_type_name = EntityName(segment) + "List";
  }
  return s;
}

}  // namespace spsync::emulator::detail
