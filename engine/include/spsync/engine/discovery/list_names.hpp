// Names for discovered entities and title globs for discovery rules.
//
// A discovered entity is named from its site, its web and the list's URL
// (not its title, so renaming a list keeps the name):
//
//   site "sales", web /sites/sales/emea, list URL /sites/sales/emea/Lists/Invoices
//     -> sales_emea_invoices
//
// Each part is lowercased; ASCII letters and digits stay, every other run of
// characters becomes one '_'; a part with nothing left (a title in another
// script) becomes "l" + 8 hex digits of its hash; parts are joined with '_'
// and the whole is cut to 80 characters. The result is safe as a SQLite
// table, a folder, a Kafka topic and an S3 prefix. Two lists that map to the
// same name are told apart by "_" + the first 8 hex digits of the list's GUID.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace spsync::engine {

// `web_path`: the web's server-relative URL below the site's ("" for the
// site's root web, "emea/north" for a subweb two levels down);
// `list_url_name`: the last segment of the list's root folder URL.
std::string DiscoveredEntityName(std::string_view site, std::string_view web_path,
                                 std::string_view list_url_name);

// `name` + "_" + the first 8 hex digits of `list_id`.
std::string WithListIdSuffix(std::string_view name, std::string_view list_id);

// Glob match, `*` any run and `?` one character; ASCII letters compare
// without case (SharePoint titles are case-insensitive).
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace spsync::engine
