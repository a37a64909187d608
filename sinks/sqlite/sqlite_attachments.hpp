// The SQLite sink's attachments of one entity table `<t>`:
//
//   "<t>__attachments"(item_id, file_name, size, sha256, etag, modified,
//                      modified_unix, url, content_id, synced_at): one row
//                      per file, UNIQUE(item_id, file_name)
//   "<t>__attachment_content"(content): the bytes of a file whose size was
//                      known at begin, one BLOB, rowid = content_id
//   "<t>__attachment_chunks"(attachment, offset, data): the bytes of a file
//                      whose size was unknown (or too large for one BLOB), in
//                      the host's chunks; `attachment` is the rowid of its
//                      row in "<t>__attachments", whose content_id is NULL
//
// A file whose size is known is written as one BLOB: its content row is
// inserted with zeroblob(size) and the chunks are written into it in place
// with sqlite3_blob_write, so neither side ever holds the whole file. The
// bytes live in their own table because SQLite rewrites a whole record on
// any UPDATE: the metadata row, updated at commit (size, SHA-256), must not
// carry hundreds of MB. Everything happens inside the sink's write
// transaction (committed by persist, rolled back by a crash), and inside a
// savepoint per file, so an abort restores the attachment a replacement was
// overwriting.
//
// Ownership: borrows the Db, which must outlive the store. Thread safety:
// one thread at a time, like the Db.
#ifndef SPSYNC_SINKS_SQLITE_SQLITE_ATTACHMENTS_HPP_
#define SPSYNC_SINKS_SQLITE_SQLITE_ATTACHMENTS_HPP_

#include <spsync/sink.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite_db.hpp"

namespace spsync::sqlite {

class AttachmentStore {
 public:
  AttachmentStore(Db& db, std::string table);
  ~AttachmentStore();
  AttachmentStore(const AttachmentStore&) = delete;
  AttachmentStore& operator=(const AttachmentStore&) = delete;

  // The write side; the caller has opened the write transaction.
  void Begin(const spsync::sdk::Attachment& attachment);
  void Write(std::string_view bytes);
  void Commit(const spsync::sdk::Attachment& attachment);
  void Abort();  // never throws
  bool open() const { return open_; }
  // One file, or all files of the item when `file_name` is empty.
  void Delete(int64_t item_id, std::string_view file_name);
  // Every file of the items whose ID lies in [first, last].
  void DeleteItems(int64_t first, int64_t last);

  // The read side (list works inside or outside a transaction).
  void List(spsync::sdk::Ids item_ids, std::vector<spsync::sdk::AttachmentInfo>& out);
  size_t Read(int64_t item_id, std::string_view file_name, uint64_t offset, void* buffer,
              size_t capacity);

 private:
  // Creates the tables if missing (only on a write) and prepares statements.
  bool Ready(bool create);
  void CloseBlob();

  Db& db_;
  std::string table_;    // "<t>__attachments"
  std::string content_;  // "<t>__attachment_content"
  std::string chunks_;   // "<t>__attachment_chunks"
  bool ready_ = false;
  bool absent_ = false;  // the tables were looked up and do not exist
  Stmt find_;            // rowid, content_id of (item_id, file_name)
  Stmt insert_content_;  // zeroblob(?)
  Stmt insert_;          // a new row (size -1 until commit)
  Stmt finish_;          // the final metadata of a row
  Stmt insert_chunk_;
  // content, chunks, then rows: of one file (or all of an item) / of a range
  Stmt delete_one_[3];
  Stmt delete_range_[3];
  Stmt list_;
  Stmt chunk_at_;

  bool open_ = false;
  sqlite3_int64 rowid_ = 0;       // of the open file's row
  sqlite3_int64 content_id_ = 0;  // of its content row, 0 when chunked
  sqlite3_blob* blob_ = nullptr;  // set when the content is one BLOB
  int64_t size_ = -1;             // announced at begin
  uint64_t written_ = 0;
};

}  // namespace spsync::sqlite

#endif  // SPSYNC_SINKS_SQLITE_SQLITE_ATTACHMENTS_HPP_
