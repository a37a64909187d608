// Finding lists in a web, and the web's own dates.
#include "model/webs.hpp"

#include <algorithm>
#include <stdexcept>

#include "util.hpp"

namespace spsync::emulator::detail {

ListState* WebState::FindByTitle(std::string_view title) const {
  for (const auto& l : lists)
    if (IEquals(l->title(), title)) return l.get();
  return nullptr;
}

ListState* WebState::FindById(std::string_view id) const {
  std::string lower = Lower(id);
  if (lower.size() == 38 && lower.front() == '{') lower = lower.substr(1, 36);
  for (const auto& l : lists)
    if (l->id() == lower) return l.get();
  return nullptr;
}

ListState* WebState::FindLookupTarget(std::string_view id) const {
  if (ListState* l = FindById(id)) return l;
  if (!site) return nullptr;
  ListState* l = site->root().FindById(id);
  return l && l->list_template() == ListTemplate::kUserInformation ? l : nullptr;
}

std::string WebState::ListIdentity(std::string_view title) const {
  if (primary) return std::string(title);
  return url + "\n" + std::string(title);
}

int64_t WebState::LastItemModified() const {
  int64_t newest = created;
  for (const auto& l : lists) newest = std::max(newest, l->last_modified());
  return newest;
}

std::string WebState::Path(std::string_view relative) const {
  return (url == "/" ? std::string() : url) + "/" + std::string(relative);
}

ListState* SiteState::UserList() const {
  for (const auto& l : root().lists)
    if (l->list_template() == ListTemplate::kUserInformation) return l.get();
  return nullptr;
}

std::string NormalizeWebUrl(std::string_view url, std::string_view what) {
  std::string u(url);
  if (u.empty() || u.front() != '/')
    throw std::invalid_argument(std::string(what) + " '" + u +
                                "' must be a server-relative URL starting with '/'");
  while (u.size() > 1 && u.back() == '/') u.pop_back();
  // Every segment must be a name; "_api" would hide the web's own endpoints.
  for (size_t start = 1; start < u.size();) {
    size_t end = u.find('/', start);
    if (end == std::string::npos) end = u.size();
    std::string_view segment = std::string_view(u).substr(start, end - start);
    if (segment.empty() || IEquals(segment, "_api") ||
        segment.find_first_of("?#%\\") != std::string_view::npos)
      throw std::invalid_argument(std::string(what) + " '" + u + "' is not a valid web URL");
    start = end + 1;
  }
  return u;
}

}  // namespace spsync::emulator::detail
