// The content database's change log (one change counter shared by every
// list of every site), change tokens, and the query the log answers
// (SP.ChangeQuery) at list, web or site collection scope.
// ChangeLog is not thread-safe: Emulator::Impl::mu guards it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::emulator::detail {

enum class ChangeObject { kItem, kField, kList };

// Where a change happened: the site collection, the web and the list.
struct ChangeOrigin {
  std::string site_id, web_id, list_id;
};

// A list as an SP.ChangeList entry shows it, taken when the change is logged
// (the list may be gone, or renamed, by the time the change is read).
struct ListSnapshot {
  std::string title, root_folder_url;
  int base_template = 100;
  bool hidden = false;
};

struct ChangeEntry {
  int64_t number = 0;
  int64_t ticks = 0;
  ChangeOrigin origin;
  ChangeObject object = ChangeObject::kItem;
  int change_type = 1;
  int64_t item_id = 0;
  std::string unique_id;  // item unique id, or field id
  ListSnapshot list;      // kList entries
};

struct ChangeToken {
  int scope = 3;
  std::string scope_id;
  int64_t ticks = 0;
  int64_t number = 0;
  std::string ToString() const;
};
std::optional<ChangeToken> ParseChangeToken(std::string_view s);

struct ChangeQuery {
  bool item = false, list = false, field = false;
  bool add = false, update = false, delete_object = false, restore = false, rename = false,
       move = false, system_update = false;
  bool latest_first = false;
  std::optional<std::string> start, end;
  int64_t fetch_limit = 1000;
};

class ChangeLog {
 public:
  explicit ChangeLog(uint64_t seed);
  int64_t Record(const ChangeOrigin& origin, ChangeObject object, int change_type, int64_t item_id,
                 std::string unique_id, int64_t ticks, ListSnapshot list = {});
  int64_t latest_number() const { return number_; }
  // Entries in the scope (3 a list, 2 a web, 1 a site collection, by its id)
  // matching the query after start (exclusive), up to end (inclusive).
  std::vector<const ChangeEntry*> Query(int scope, std::string_view scope_id, const ChangeQuery& q,
                                        const std::optional<ChangeToken>& start,
                                        const std::optional<ChangeToken>& end,
                                        int64_t oldest_ticks) const;

 private:
  uint64_t seed_;
  int64_t number_;
  std::vector<ChangeEntry> entries_;
};

}  // namespace spsync::emulator::detail
