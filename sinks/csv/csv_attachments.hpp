// The CSV sink's attachments of one entity folder:
//
//   attachments/<id>/<EncodeFileName(name)>   the files, once persisted
//   attachments/.incoming/<seq>.part           files written since the last
//                                              persist (and while streaming)
//   attachments.csv                            the log: one row per file put
//                                              or deleted, with its name,
//                                              path, size, SHA-256, etag,
//                                              modified and url
//
// It follows the sink's truncate-on-resume protocol. A file is streamed to
// .incoming and fsynced at commit; persist() first syncs the log and the
// .incoming folder, then the sink writes state.json naming the log's length
// and the file operations of the transaction ("put <incoming> <final>",
// "del <final>", the last one per final path); only after that commit are
// the files renamed into place and deleted ones removed (Apply). load_state
// cuts the log back to the persisted length, redoes the persisted operations
// (idempotent: a put whose .incoming file is gone was done), and empties
// .incoming: whatever a killed session wrote disappears, and a replaced file
// is only ever replaced by a persisted one.
//
// Ownership: owns its file descriptors. Thread safety: one thread at a time
// (the sink's instance lock).
#ifndef SPSYNC_SINKS_CSV_CSV_ATTACHMENTS_HPP_
#define SPSYNC_SINKS_CSV_CSV_ATTACHMENTS_HPP_

#include <spsync/sink.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::csv {

class AttachmentLog {
 public:
  // What state.json records for the attachments at a persist.
  struct Committed {
    uint64_t offset = 0;  // length of attachments.csv
    uint64_t seq = 0;     // last _seq used
    std::string ops;      // the transaction's file operations, one per line
  };

  explicit AttachmentLog(std::string folder);
  ~AttachmentLog();
  AttachmentLog(const AttachmentLog&) = delete;
  AttachmentLog& operator=(const AttachmentLog&) = delete;

  // At load_state: back to `committed` (nothing persisted when `persisted`
  // is false), then the index of what the log holds.
  void Recover(bool persisted, const Committed& committed);

  void Begin(const spsync::sdk::Attachment& attachment);
  void Write(std::string_view bytes);
  void Commit(const spsync::sdk::Attachment& attachment);
  void Abort();  // never throws
  // One file, or all files of the item when `file_name` is empty.
  void Delete(int64_t item_id, std::string_view file_name);

  // persist(), before state.json: flushes and syncs; returns what to record.
  Committed Prepare();
  // persist(), after state.json: moves the files into place.
  void Apply();

  void List(spsync::sdk::Ids item_ids, std::vector<spsync::sdk::AttachmentInfo>& out) const;
  size_t Read(int64_t item_id, std::string_view file_name, uint64_t offset, void* buffer,
              size_t capacity) const;

 private:
  struct Entry {
    spsync::sdk::AttachmentInfo info;
    std::string path;      // final, relative to the folder
    std::string incoming;  // relative; set until the put is applied
  };
  using Key = std::pair<int64_t, std::string>;

  void RedoOps(std::string_view ops);
  void Replay();
  void Append(const char* op, const Entry& entry, uint64_t seq);
  void FlushLog();
  std::string Abs(const std::string& rel) const { return folder_ + "/" + rel; }

  std::string folder_;
  std::map<Key, Entry> index_;
  // final path -> incoming path ("" = delete): this transaction's operations
  std::map<std::string, std::string> ops_;
  uint64_t seq_ = 0;
  uint64_t offset_ = 0;  // log length, buffered bytes included
  std::string buffer_;   // log rows not yet written
  int log_fd_ = -1;

  // The open attachment.
  bool open_ = false;
  int fd_ = -1;
  std::string incoming_;
  uint64_t open_seq_ = 0;
  uint64_t written_ = 0;
};

}  // namespace spsync::csv

#endif  // SPSYNC_SINKS_CSV_CSV_ATTACHMENTS_HPP_
