// The files attached to list items (`attachments: true`, sink ABI 1.2).
//
// What an item has: item requests ask for `AttachmentFiles` with
// `$expand=AttachmentFiles` (names and server-relative URLs on the page
// itself: no request per item). What the sink holds: one attachment_list()
// for the page's items. Then, per item:
//   - a file the sink holds that the item no longer has is deleted;
//   - a file the sink does not hold is downloaded (items(N)/AttachmentFiles
//     ('name')/$value), streamed into attachment_begin / write / commit in
//     chunks of 1 MiB: neither the engine nor the sink holds the file;
//   - a file the sink holds under the same name is checked: SharePoint's
//     AttachmentFiles carry no size, ETag or date of the file, so the engine
//     asks for the file's SP.File ETag (GetFileByServerRelativePath(...)
//     ?$select=ETag, a few hundred bytes) and downloads it again only when
//     the ETag differs from the one the sink recorded at commit (a file
//     replaced in place, or deleted and added again under the same name).
//     A page that gives the file's size saves the check when it differs; a
//     sink record without an ETag (the server sent none) is taken as is.
// So a first full sync costs one request per file; an incremental run after
// item edits that touched no attachment downloads nothing and asks one
// small request per file of the edited items. Adding or removing an
// attachment is an update of the item in the change log: the incremental
// path reads the item, and with it its set.
//
// Thread safety: one per session, used from the session's thread.
#pragma once

#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/item_page.hpp"
#include "spsync/engine/sink.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::engine {

class SharePointClient;

// One file of an item as the item's JSON lists it.
struct AttachmentRef {
  std::string file_name;
  std::string url;    // server-relative
  int64_t size = -1;  // when the page says (Length / FileSize); -1 otherwise
};

// The attachments an item's JSON lists under AttachmentFiles (nometadata
// `[...]` or verbose `{"results":[...]}`); nullopt when the item JSON has no
// AttachmentFiles at all (then nothing is known, and nothing is done).
std::optional<std::vector<AttachmentRef>> AttachmentsOf(std::string_view item_json);

class AttachmentSync {
 public:
  struct Counters {
    int64_t downloaded = 0, bytes = 0, unchanged = 0, deleted = 0;
    int64_t checked = 0;  // ETag requests (files held under the same name)
  };
  // `sink` must have attachments; its calls that answer RETRYABLE are retried
  // (a download from the start of the file) up to `attempts` times.
  // `requested` is the session's page_requested event (may be empty).
  AttachmentSync(SharePointClient& client, std::string list_id, Sink& sink,
                 const Deadline& deadline, std::function<void(const std::string&)> requested,
                 int attempts, std::string sink_name);

  // Brings the sink's attachments of `page`'s items in line with the page.
  // Throws SinkFailure (session_impl.hpp) or what the client throws.
  void Apply(const ItemPage& page);
  const Counters& counters() const { return counters_; }

 private:
  struct Held {
    std::string file_name, etag, modified;
    int64_t size = -1;
  };
  void Download(int64_t item_id, const AttachmentRef& ref);
  // The file's current SP.File ETag ("" when SharePoint gives none).
  std::string CurrentETag(const AttachmentRef& ref);
  // `fn` again while it answers RETRYABLE, up to attempts_ times.
  SinkResult Retry(const std::string& what, const std::function<SinkResult()>& fn);
  std::string FileUrl(int64_t item_id, const std::string& name) const;
  SinkResult Must(const char* what, SinkResult r);

  SharePointClient& client_;
  std::string list_id_;
  Sink& sink_;
  const Deadline& deadline_;
  std::function<void(const std::string&)> requested_;
  int attempts_;
  std::string sink_name_;
  Counters counters_;
};

}  // namespace spsync::engine
