// Item version history (`versions: true`, sink ABI 1.2 write_versions): the
// versions of every item a session writes reach the sink before the persist
// that covers the item.
//
// Cost, at most one request per item written, and usually less:
//   - an item whose version label is "1.0" has exactly one version, the item
//     itself: its version record is made from the item as read, no request;
//   - any other item costs one GET of items(N)/versions (every version,
//     newest first, with the field values of each).
// So a full sync of a list that was never edited costs nothing more, and an
// incremental run costs one request per updated item (none per added item).
// Requests for a page's items run a few at a time; each item's versions are
// written as soon as its answer is in, so memory holds only those few.
//
// Thread safety: one writer per session, used from the session's thread.
#pragma once

#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/item_page.hpp"
#include "spsync/engine/sharepoint/schema.hpp"

#include <spsync/sink.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace spsync::engine {

class SharePointClient;

// The versions of one item, parsed; everything the records point to lives here.
struct ItemVersions {
  int64_t item_id = 0;
  std::string body;                 // the versions response (raw_json views)
  std::deque<std::string> strings;  // values and editors taken out of the JSON
  std::vector<spsync_version> versions;
  std::vector<spsync_value> values;  // versions.size() x field count
  std::vector<const spsync_version*> pointers;
};

// Parses an items(N)/versions response (nometadata, minimal or verbose) for
// `schema`'s fields. Throws MalformedBody.
void ParseVersions(const EntitySchema& schema, int64_t item_id, std::string body,
                   ItemVersions* out);

class VersionWriter {
 public:
  // `write` hands a batch to the sink (SinkCaller::WriteVersions);
  // `requested` is the session's page_requested event (may be empty).
  VersionWriter(SharePointClient& client, std::string list_id, const EntitySchema& schema,
                const Deadline& deadline,
                std::function<void(const spsync_version* const*, size_t)> write,
                std::function<void(const std::string&)> requested, size_t parallel = 4);

  // Writes the versions of every item of `page`. Throws what the client throws.
  void Write(const ItemPage& page);

  int64_t requests() const { return requests_; }
  int64_t written() const { return written_; }

 private:
  ItemVersions Fetch(int64_t item_id);
  void WriteOne(const spsync_item& item);  // the single version of a "1.0" item

  SharePointClient& client_;
  std::string list_id_;
  const EntitySchema& schema_;
  const Deadline& deadline_;
  std::function<void(const spsync_version* const*, size_t)> write_;
  std::function<void(const std::string&)> requested_;
  size_t parallel_;
  int editor_field_ = -1;  // index of EditorId in the schema, if selected
  int64_t requests_ = 0, written_ = 0;
};

}  // namespace spsync::engine
