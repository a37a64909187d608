// The recycle bin: restoring a recycled item by its recycle bin id (items
// are recycled through POST .../items(N)/recycle(), in api/items.cpp).
#include "api/areas.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

Reply Restore(Call& c) {
  auto it = c.impl.recycle_bin.find(Lower(c.captures.strings[0]));
  if (it == c.impl.recycle_bin.end())
    throw RestError(404, "-2147024809, System.ArgumentException",
                    "Value does not fall within the expected range.");
  ListState* l = c.impl.FindById(it->second.first);
  if (!l) throw RestError(404, "-1, System.ArgumentException", "List does not exist.");
  c.impl.Restore(*l, it->second.second);
  Reply r;
  r.body =
      c.req.fmt.format == Format::kVerbose ? "{\"d\":{\"Restore\":null}}" : "{\"odata.null\":true}";
  return r;
}

}  // namespace

void AddRecycleBinRoutes(RouteTable& t) {
  for (const char* bin : {"web/recyclebin({str})/restore()", "site/recyclebin({str})/restore()"})
    t.Add("POST", bin, RequestKind::kWrites, Access::kExclusive, Restore);
}

}  // namespace spsync::emulator::detail
