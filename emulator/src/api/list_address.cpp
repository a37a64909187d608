// List addressing: getbytitle, lists(guid'…'), lists('…'), getbyid and
// GetList with a server-relative URL or a parameter alias.
#include "api/list_address.hpp"

#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {

bool ParseListAddress(PathCursor& c,
                      const std::vector<std::pair<std::string, std::string>>& aliases,
                      ListAddress& out) {
  if (c.Eat("web/lists/getbytitle(")) {
    out.by = ListAddress::kTitle;
    return c.Quoted(out.key) && c.Eat(")");
  }
  if (c.Eat("web/lists/getbyid(") || c.Eat("web/lists(")) {
    out.by = ListAddress::kGuid;
    c.Eat("guid");
    return c.Quoted(out.key) && c.Eat(")");
  }
  if (!c.Eat("web/getlist(")) return false;
  out.by = ListAddress::kUrl;
  if (!c.AtChar('@')) return c.Quoted(out.key) && c.Eat(")");
  std::string alias;
  if (!c.Until(')', alias)) return false;
  for (const auto& [name, value] : aliases)
    if (IEquals(name, alias)) {
      PathCursor vc{value};
      return vc.Quoted(out.key);
    }
  return false;
}

ListState& ResolveList(const Emulator::Impl& impl, const WebState& web, const ListAddress& a) {
  ListState* l = nullptr;
  if (a.by == ListAddress::kTitle) {
    l = web.FindByTitle(a.key);
  } else if (a.by == ListAddress::kGuid) {
    l = web.FindById(a.key);
  } else {
    // A server-relative URL, or an absolute one, of a list of this web.
    std::string url = a.key;
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    for (const auto& cand : web.lists)
      if (IEquals(url, cand->ServerRelativeUrl(web.url)) ||
          IEquals(url, impl.BaseUrl() + cand->ServerRelativeUrl(web.url)))
        l = cand.get();
  }
  if (l) return *l;
  if (a.by == ListAddress::kGuid)
    throw RestError(404, "-1, System.ArgumentException",
                    "List does not exist.\n\nThe page you selected contains a list that does not "
                    "exist.  It may have been deleted by another user.");
  throw RestError(
      404, "-1, System.ArgumentException",
      "List '" + a.key + "' does not exist at site with URL '" + impl.WebUrl(web) + "'.");
}

}  // namespace spsync::emulator::detail
