// The content database's change log (one change counter shared by every
// list), change tokens, and the query the log answers (SP.ChangeQuery).
// ChangeLog is not thread-safe: Emulator::Impl::mu guards it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::emulator::detail {

enum class ChangeObject { kItem, kField, kList };

struct ChangeEntry {
  int64_t number = 0;
  int64_t ticks = 0;
  std::string list_id;
  ChangeObject object = ChangeObject::kItem;
  int change_type = 1;
  int64_t item_id = 0;
  std::string unique_id;  // item unique id, or field id
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
  int64_t Record(std::string_view list_id, ChangeObject object, int change_type, int64_t item_id,
                 std::string unique_id, int64_t ticks);
  int64_t latest_number() const { return number_; }
  // Entries of list_id matching the query after start (exclusive), up to end (inclusive).
  std::vector<const ChangeEntry*> Query(std::string_view list_id, const ChangeQuery& q,
                                        const std::optional<ChangeToken>& start,
                                        const std::optional<ChangeToken>& end,
                                        int64_t oldest_ticks) const;

 private:
  uint64_t seed_;
  int64_t number_;
  std::vector<ChangeEntry> entries_;
};

}  // namespace spsync::emulator::detail
