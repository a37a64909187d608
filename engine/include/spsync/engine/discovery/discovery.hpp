// Discovery: from what each site holds to the entities a run syncs.
//
//   ReadInventory   one request per web for its lists (+ one per web for its
//                   subwebs when a rule asks for them): every list with the
//                   properties rules filter on and idle runs compare
//   Expand          explicit entities matched to their lists; each rule's
//                   lists (title globs, templates, hidden/system, subwebs)
//                   turned into entities keyed by list GUID; an explicit
//                   entity wins over a rule for the same list
//   ListRegistry    what earlier runs discovered, kept in the work
//                   directory: a renamed list keeps its entity name, a list
//                   that disappears is reported as gone (its sinks keep data
//                   and state), a list recreated at the same URL takes its
//                   old name over (its state's list GUID differs, so the
//                   session resyncs it from scratch)
//
// Thread safety: functions are reentrant; a ListRegistry is used by one
// thread.
#pragma once

#include "spsync/engine/config.hpp"
#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/web_catalog.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace spsync::engine {

struct WebLists {
  WebSummary web;
  std::string path;  // below the site's URL: "" for its root web, "emea/north"
  std::vector<ListSummary> lists;
};

struct SiteInventory {
  std::string site;
  std::vector<WebLists> webs;  // the root web first
  int requests = 0;
};

// The client bound to a web of the site (its absolute URL).
using WebClientFor = std::function<SharePointClient&(const std::string& web_url)>;

// Reads the lists of `site`'s root web and, with `subwebs`, of every subweb
// below it, depth first.
SiteInventory ReadInventory(const SiteConfig& site, const WebClientFor& client_for, bool subwebs,
                            const Deadline& deadline);

// One list an earlier run discovered.
struct KnownList {
  std::string id;  // list GUID
  std::string name;
  std::string title, web_url, url;
  std::vector<std::string> sinks;
  std::string rule;  // the rule's key path, e.g. "sites.sales.discover[1]"
  int64_t first_seen = 0, last_seen = 0;
  int64_t gone_since = 0;  // 0 = present at the last run
  std::string gone_reason;
};

// The discovered lists of one site, in `<workDir>/discovery/<site>.json`.
class ListRegistry {
 public:
  ListRegistry(std::string work_dir, std::string site);
  // Reads the file (a missing one is an empty registry). Throws
  // std::runtime_error naming the file if it is unreadable.
  void Load();
  // Writes it atomically (a temporary file renamed over the old one).
  void Save() const;
  std::vector<KnownList>& lists() { return lists_; }
  const std::vector<KnownList>& lists() const { return lists_; }
  const std::string& file() const { return file_; }

 private:
  std::string site_, file_;
  std::vector<KnownList> lists_;
};

struct Expansion {
  // Explicit entities, then discovered ones (list = GUID, web_url set).
  std::vector<EntityEntry> entities;
  // The list each entity was matched to, for idle runs ("" name = none found).
  std::map<std::string, ListSummary> lists;
  std::vector<KnownList> appeared;  // discovered for the first time
  std::vector<KnownList> gone;      // known before, not found (or not matched) now
};

// Expands `config`'s rules over the inventories (by site name) and updates
// the registries (by site name) with what was found; `now` in Unix seconds.
Expansion Expand(const Config& config, const std::map<std::string, SiteInventory>& inventories,
                 std::map<std::string, ListRegistry>& registries, int64_t now);

}  // namespace spsync::engine
