// The site collection's recycle bin: restoring a recycled item or list by
// its recycle bin id (items are recycled through POST .../items(N)/recycle()
// in api/items.cpp, lists by DELETE or recycle() in api/list_admin.cpp).
#include "api/areas.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

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
  // PnPjs calls .../Restore without parentheses; SharePoint accepts both.
  for (const char* bin : {"web/recyclebin({str})/restore()", "site/recyclebin({str})/restore()",
                          "web/recyclebin({str})/restore", "site/recyclebin({str})/restore"})
    t.Add("POST", bin, RequestKind::kWrites, Access::kExclusive, Restore);
}

}  // namespace spsync::emulator::detail
