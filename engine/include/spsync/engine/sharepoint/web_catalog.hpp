// What a web holds, in one request each: its subwebs (`_api/web/webs`) and
// its lists with the properties discovery and idle runs need
// (`_api/web/lists`, with RootFolder expanded for each list's URL).
//
// Thread safety: pure functions over a (thread-safe) SharePointClient.
#pragma once

#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace spsync::engine {

struct WebSummary {
  std::string id;  // lowercase GUID
  std::string title;
  std::string url;                  // absolute, no trailing slash
  std::string server_relative_url;  // "/sites/sales/emea"
};

struct ListSummary {
  std::string id;  // lowercase GUID
  std::string title;
  int base_template = 100;  // 100 generic list, 101 document library, ...
  bool hidden = false;
  bool system = false;  // IsSystemList
  int64_t item_count = 0;
  // As SharePoint sends them (ISO-8601 UTC); they move with item changes
  // (and field changes) and with deletions.
  std::string last_modified, last_deleted;
  std::string server_relative_url;  // RootFolder: "/sites/sales/Lists/Orders"
};

// The direct subwebs of the client's web.
std::vector<WebSummary> ReadSubwebs(SharePointClient& web, const Deadline& deadline);
// Every list of the client's web, hidden and system ones included.
std::vector<ListSummary> ReadLists(SharePointClient& web, const Deadline& deadline);

}  // namespace spsync::engine
