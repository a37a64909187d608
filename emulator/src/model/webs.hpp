// Site collections and their webs: the tree that holds the lists. A web is
// addressed by its server-relative URL ("/sites/sales/emea", "/" for a
// tenant's root site); every REST call names one ({web}/_api/...).
//
// Thread-safety: the tree (sites, webs, their ids, URLs and parent links) is
// built before the server starts and never changes; each web's `lists` change
// (list creation, deletion, recreation) under Emulator::Impl::mu exclusively
// and are read under it shared, like the lists themselves.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/synthetic_list.hpp"

namespace spsync::emulator::detail {

struct SiteState;

struct WebState {
  std::string id, title, url, description;
  int64_t created = 0;
  const SiteState* site = nullptr;
  const WebState* parent = nullptr;      // nullptr for a site collection's root web
  std::vector<const WebState*> subwebs;  // direct children, in declaration order
  // The first site's root web: its lists are seeded by their title alone, so
  // a single-site emulator's GUIDs and items are what they always were.
  bool primary = false;
  std::vector<std::unique_ptr<ListState>> lists;

  ListState* FindByTitle(std::string_view title) const;  // case-insensitive
  ListState* FindById(std::string_view id) const;        // with or without braces
  // The list a lookup or person field of this web's lists points at: one of
  // the web's lists, or the site collection's User Information List.
  ListState* FindLookupTarget(std::string_view id) const;
  // What seeds a list of this title here (see `primary`).
  std::string ListIdentity(std::string_view title) const;
  // The newest LastItemModifiedDate of the web's lists (Web.LastItemModifiedDate).
  int64_t LastItemModified() const;
  // url + "/" + relative, without doubling the slash of the root "/".
  std::string Path(std::string_view relative) const;
};

struct SiteState {
  std::string id, url;
  std::vector<std::unique_ptr<WebState>> webs;  // webs[0] is the root web
  WebState& root() const { return *webs[0]; }
  ListState* UserList() const;  // the root web's User Information List
};

// A server-relative URL as the tree keys it: a leading slash, no trailing
// one ("/" for the root); throws std::invalid_argument for an empty or
// relative one, naming `what`.
std::string NormalizeWebUrl(std::string_view url, std::string_view what);

}  // namespace spsync::emulator::detail
