// A page of the list's change log (GetChanges), parsed with simdjson.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spsync::engine {

// SharePoint's SP.ChangeType values the engine acts on.
enum ChangeType : int {
  kChangeAdd = 1,
  kChangeUpdate = 2,
  kChangeDeleteObject = 3,
  kChangeRename = 4,
  kChangeMoveAway = 5,
  kChangeMoveInto = 6,
  kChangeRestore = 7,
  kChangeSystemUpdate = 15,
  kChangeDirty = 21,
};

struct Change {
  int type = 0;
  int64_t item_id = 0;
  std::string token;  // ChangeToken.StringValue: the position after this change
};

// Parses a GetChanges response (nometadata `value`, minimal, or verbose
// `d.results`). Throws MalformedBody.
std::vector<Change> ParseChangePage(std::string& body);

// The parts of a change token "1;3;{listId};{ticks};{changeNumber}".
struct ChangeTokenParts {
  int scope = 0;
  std::string scope_id;
  int64_t ticks = 0;
  int64_t change_number = 0;
};
// False if `token` does not have that shape.
bool ParseChangeToken(const std::string& token, ChangeTokenParts* out);
// .NET ticks (100 ns since 0001-01-01 UTC) to Unix seconds.
inline int64_t TicksToUnix(int64_t ticks) {
  return (ticks - 621355968000000000LL) / 10000000LL;
}

}  // namespace spsync::engine
