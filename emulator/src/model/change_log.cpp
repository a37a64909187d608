// The content database change log: one monotonically increasing change number
// shared by every list (so a list's numbers jump), retention by time, and the
// change token format.
#include <algorithm>
#include <cstdlib>

#include "model/change_log.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {

std::string ChangeToken::ToString() const {
  return "1;" + std::to_string(scope) + ";" + scope_id + ";" + std::to_string(ticks) + ";" +
         std::to_string(number);
}

std::optional<ChangeToken> ParseChangeToken(std::string_view s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(';', start);
    parts.emplace_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (parts.size() != 5 || parts[0] != "1") return std::nullopt;
  auto integer = [](const std::string& t, int64_t& out) {
    if (t.empty()) return false;
    char* end = nullptr;
    out = std::strtoll(t.c_str(), &end, 10);
    return *end == 0;
  };
  ChangeToken tok;
  int64_t scope = 0;
  if (!integer(parts[1], scope) || scope < 0 || scope > 3) return std::nullopt;
  tok.scope = static_cast<int>(scope);
  if (parts[2].size() != 36) return std::nullopt;
  tok.scope_id = Lower(parts[2]);
  if (!integer(parts[3], tok.ticks) || tok.ticks <= 0) return std::nullopt;
  if (!integer(parts[4], tok.number) || tok.number < -1) return std::nullopt;
  return tok;
}

ChangeLog::ChangeLog(uint64_t seed)
    : seed_(seed), number_(564000000 + static_cast<int64_t>(Mix(seed) % 100000)) {}

int64_t ChangeLog::Record(const ChangeOrigin& origin, ChangeObject object, int change_type,
                          int64_t item_id, std::string unique_id, int64_t ticks,
                          ListSnapshot list) {
  // Other sites in the same content database keep the counter moving, so
  // consecutive changes of one list are rarely consecutive numbers.
  number_ += 1 + static_cast<int64_t>(Mix(seed_ ^ static_cast<uint64_t>(number_)) % 7);
  if (!entries_.empty()) ticks = std::max(ticks, entries_.back().ticks);
  entries_.push_back(ChangeEntry{number_, ticks, origin, object, change_type, item_id,
                                 std::move(unique_id), std::move(list)});
  return number_;
}

std::vector<const ChangeEntry*> ChangeLog::Query(int scope, std::string_view scope_id,
                                                 const ChangeQuery& q,
                                                 const std::optional<ChangeToken>& start,
                                                 const std::optional<ChangeToken>& end,
                                                 int64_t oldest_ticks) const {
  std::vector<const ChangeEntry*> out;
  for (const auto& e : entries_) {
    const std::string& id = scope == 3   ? e.origin.list_id
                            : scope == 2 ? e.origin.web_id
                                         : e.origin.site_id;
    if (id != scope_id || e.ticks < oldest_ticks) continue;
    if (start && (start->number >= 0 ? e.number <= start->number : e.ticks <= start->ticks))
      continue;
    if (end && (end->number >= 0 ? e.number > end->number : e.ticks > end->ticks)) continue;
    bool object_ok = (e.object == ChangeObject::kItem && q.item) ||
                     (e.object == ChangeObject::kField && q.field) ||
                     (e.object == ChangeObject::kList && q.list);
    bool type_ok = false;
    switch (e.change_type) {
      case 1:
        type_ok = q.add;
        break;
      case 2:
        type_ok = q.update;
        break;
      case 3:
        type_ok = q.delete_object;
        break;
      case 4:
        type_ok = q.rename;
        break;
      case 5:
      case 6:
        type_ok = q.move;
        break;
      case 7:
        type_ok = q.restore;
        break;
      case 15:
        type_ok = q.system_update;
        break;
      default:
        type_ok = false;
    }
    if (object_ok && type_ok) out.push_back(&e);
  }
  if (q.latest_first) std::reverse(out.begin(), out.end());
  if (static_cast<int64_t>(out.size()) > q.fetch_limit)
    out.resize(static_cast<size_t>(q.fetch_limit));
  return out;
}

}  // namespace spsync::emulator::detail
