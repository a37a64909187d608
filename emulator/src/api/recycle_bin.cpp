// The site collection's recycle bin: what it holds (web/RecycleBin,
// site/RecycleBin: SP.RecycleBinItem entities), and restoring a recycled item
// or list by its recycle bin id (items are recycled through POST
// .../items(N)/recycle() in api/items.cpp, lists by DELETE or recycle() in
// api/list_admin.cpp).
#include "api/areas.hpp"
#include "api/entity_query.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

// SP.RecycleBinItem [doc: ItemType 3 = ListItem, 4 = List; a list item's
// LeafName is "<ID>_.000" and its DirName the list's folder without the
// leading slash; obs in PnP scripts]. Every entry of the web's site
// collection; $select narrows, as for other entities.
Reply List(Call& c) {
  EntityQuery query(c.q, "SP.RecycleBinItem", {});
  std::vector<EntityRow> rows;
  const std::string site = c.WebUrl();
  for (const auto& [rid, e] : c.impl.recycle_bin) {
    if (e.site != c.web.site) continue;
    const ListState* list = e.list.get();
    if (list == nullptr)
      for (const auto& l : e.web->lists)
        if (l->id() == e.list_id) list = l.get();
    if (list == nullptr) continue;
    std::string folder = list->ServerRelativeUrl(e.web->url);
    std::string dir = e.item != 0 ? folder : folder.substr(0, folder.rfind('/'));
    while (!dir.empty() && dir.front() == '/') dir.erase(0, 1);
    const std::string leaf =
        e.item != 0 ? std::to_string(e.item) + "_.000" : folder.substr(folder.rfind('/') + 1);
    // [guess: an item's Title is the item's title; its values are not kept
    // readable while recycled here, so the leaf name stands in]
    const std::string title = e.item != 0 ? leaf : list->title();
    const std::string edit = "Web/RecycleBin('" + rid + "')";
    rows.push_back({{"SP.RecycleBinItem", site + "/_api/" + edit, site + "/_api/" + edit, edit, ""},
                    {{"DirName", JsonString(dir)},
                     {"Id", JsonString(rid)},
                     {"ItemState", "1"},
                     {"ItemType", e.item != 0 ? "3" : "4"},
                     {"LeafName", JsonString(leaf)},
                     {"Title", JsonString(title)}}});
  }
  Reply r;
  query.WriteCollection(r.body, c.req.fmt, site + "/_api/$metadata#SP.ApiData.RecycleBinItems",
                        std::move(rows));
  return r;
}

Reply Restore(Call& c) {
  try {
    c.impl.RestoreRecycled(c.captures.strings[0], c.web.site);
  } catch (const std::out_of_range&) {
    throw RestError(404, "-2147024809, System.ArgumentException",
                    "Value does not fall within the expected range.");
  }
  Reply r;
  r.body =
      c.req.fmt.format == Format::kVerbose ? "{\"d\":{\"Restore\":null}}" : "{\"odata.null\":true}";
  return r;
}

}  // namespace

void AddRecycleBinRoutes(RouteTable& t) {
  t.Add("GET", "web/recyclebin", RequestKind::kOther, Access::kShared, List);
  t.Add("GET", "site/recyclebin", RequestKind::kOther, Access::kShared, List);
  // PnPjs calls .../Restore without parentheses; SharePoint accepts both.
  for (const char* bin : {"web/recyclebin({str})/restore()", "site/recyclebin({str})/restore()",
                          "web/recyclebin({str})/restore", "site/recyclebin({str})/restore"})
    t.Add("POST", bin, RequestKind::kWrites, Access::kExclusive, Restore);
}

}  // namespace spsync::emulator::detail
