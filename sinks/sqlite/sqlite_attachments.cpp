#include "sqlite_attachments.hpp"

#include <algorithm>

namespace spsync::sqlite {

using spsync::sdk::AttachmentInfo;
using spsync::sdk::Fatal;

namespace {

// Files above this go to chunk rows even when their size is known: one
// BLOB must stay under SQLite's length limit (1e9 bytes by default).
int64_t MaxBlob(sqlite3* db) {
  int64_t limit = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1);
  return std::max<int64_t>(0, limit - (1 << 20));
}

constexpr const char* kSavepoint = "spsync_attachment";

}  // namespace

AttachmentStore::AttachmentStore(Db& db, std::string table)
    : db_(db),
      table_(table + "__attachments"),
      content_(table + "__attachment_content"),
      chunks_(table + "__attachment_chunks") {}

AttachmentStore::~AttachmentStore() {
  CloseBlob();
}

void AttachmentStore::CloseBlob() {
  if (blob_ != nullptr) sqlite3_blob_close(blob_);
  blob_ = nullptr;
}

bool AttachmentStore::Ready(bool create) {
  if (ready_) return true;
  // Deletes ask for every item: look the tables up once, not per item (only
  // this store creates them; the engine runs one session per entity).
  if (absent_ && !create) return false;
  const std::string a = Quote(table_), b = Quote(content_), c = Quote(chunks_);
  if (!db_.TableExists(table_)) {
    absent_ = true;
    if (!create) return false;
    db_.Exec("CREATE TABLE IF NOT EXISTS " + a +
             "(\"item_id\" INTEGER NOT NULL, \"file_name\" TEXT NOT NULL, \"size\" INTEGER NOT "
             "NULL, \"sha256\" TEXT NOT NULL, \"etag\" TEXT, \"modified\" TEXT, "
             "\"modified_unix\" INTEGER, \"url\" TEXT, \"content_id\" INTEGER, \"synced_at\" "
             "TEXT, UNIQUE(\"item_id\", \"file_name\"))");
    db_.Exec("CREATE TABLE IF NOT EXISTS " + b + "(\"content\" BLOB NOT NULL)");
    db_.Exec("CREATE TABLE IF NOT EXISTS " + c +
             "(\"attachment\" INTEGER NOT NULL, \"offset\" INTEGER NOT NULL, \"data\" BLOB NOT "
             "NULL)");
    db_.Exec("CREATE UNIQUE INDEX IF NOT EXISTS " + Quote(chunks_ + "_by_attachment") + " ON " + c +
             "(\"attachment\", \"offset\")");
  }
  db_.Prepare(find_, "SELECT rowid, content_id FROM " + a +
                         " WHERE item_id = ?1 AND file_name = ?2 AND size >= 0");
  db_.Prepare(insert_content_, "INSERT INTO " + b + "(content) VALUES(?1)");
  db_.Prepare(insert_, "INSERT INTO " + a +
                           "(item_id, file_name, size, sha256, content_id, synced_at) VALUES(?1, "
                           "?2, -1, '', ?3, ?4)");
  db_.Prepare(finish_, "UPDATE " + a +
                           " SET size = ?2, sha256 = ?3, etag = ?4, modified = ?5, modified_unix "
                           "= ?6, url = ?7, synced_at = ?8 WHERE rowid = ?1");
  db_.Prepare(insert_chunk_,
              "INSERT INTO " + c + "(attachment, \"offset\", data) VALUES(?1, ?2, ?3)");
  const std::string one = " WHERE item_id = ?1 AND (?2 = '' OR file_name = ?2)";
  const std::string range = " WHERE item_id BETWEEN ?1 AND ?2";
  for (int k = 0; k < 2; ++k) {
    const std::string& where = k == 0 ? one : range;
    Stmt* st = k == 0 ? delete_one_ : delete_range_;
    db_.Prepare(st[0],
                "DELETE FROM " + b + " WHERE rowid IN (SELECT content_id FROM " + a + where + ")");
    db_.Prepare(st[1],
                "DELETE FROM " + c + " WHERE attachment IN (SELECT rowid FROM " + a + where + ")");
    db_.Prepare(st[2], "DELETE FROM " + a + where);
  }
  db_.Prepare(list_,
              "SELECT item_id, file_name, size, sha256, etag, modified, modified_unix, url "
              "FROM " +
                  a + " WHERE item_id = ?1 AND size >= 0 ORDER BY file_name");
  // length() of a BLOB is read from the record header, not the content.
  db_.Prepare(chunk_at_, "SELECT rowid, \"offset\", length(data) FROM " + c +
                             " WHERE attachment = ?1 AND \"offset\" <= ?2 ORDER BY \"offset\" "
                             "DESC LIMIT 1");
  ready_ = true;
  return true;
}

void AttachmentStore::Begin(const spsync::sdk::Attachment& a) {
  if (open_) throw Fatal("sqlite sink: an attachment is already open");
  Ready(true);
  db_.Exec(std::string("SAVEPOINT ") + kSavepoint);
  try {
    // The file it replaces goes first (restored by the savepoint on abort).
    Delete(a.item_id(), a.file_name());
    const std::string what =
        "attachment '" + std::string(a.file_name()) + "' of item " + std::to_string(a.item_id());
    const bool one_blob = a.size() >= 0 && a.size() <= MaxBlob(db_.get());
    content_id_ = 0;
    if (one_blob) {
      sqlite3_stmt* st = insert_content_.get();
      sqlite3_reset(st);
      sqlite3_bind_zeroblob64(st, 1, static_cast<sqlite3_uint64>(a.size()));
      db_.StepDone(st, "adding the content of " + what);
      content_id_ = sqlite3_last_insert_rowid(db_.get());
    }
    sqlite3_stmt* st = insert_.get();
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, a.item_id());
    BindText(st, 2, a.file_name());
    if (one_blob)
      sqlite3_bind_int64(st, 3, content_id_);
    else
      sqlite3_bind_null(st, 3);
    BindText(st, 4, NowIso());
    db_.StepDone(st, "adding " + what);
    rowid_ = sqlite3_last_insert_rowid(db_.get());
    if (one_blob && a.size() > 0) {
      int rc =
          sqlite3_blob_open(db_.get(), "main", content_.c_str(), "content", content_id_, 1, &blob_);
      if (rc != SQLITE_OK) {
        CloseBlob();
        db_.Fail(rc, "opening the content of " + what);
      }
    }
    size_ = one_blob ? a.size() : -1;
    written_ = 0;
    open_ = true;
  } catch (...) {
    Abort();
    sqlite3_exec(db_.get(), "ROLLBACK TO spsync_attachment; RELEASE spsync_attachment", nullptr,
                 nullptr, nullptr);
    throw;
  }
}

void AttachmentStore::Write(std::string_view bytes) {
  if (!open_) throw Fatal("sqlite sink: attachment_write without attachment_begin");
  if (size_ >= 0) {
    if (written_ + bytes.size() > static_cast<uint64_t>(size_))
      throw Fatal("sqlite sink: more bytes than the attachment's announced size");
    int rc = sqlite3_blob_write(blob_, bytes.data(), static_cast<int>(bytes.size()),
                                static_cast<int>(written_));
    if (rc != SQLITE_OK) db_.Fail(rc, "writing attachment content");
  } else {
    sqlite3_stmt* st = insert_chunk_.get();
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, rowid_);
    sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(written_));
    sqlite3_bind_blob(st, 3, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    db_.StepDone(st, "writing an attachment chunk");
  }
  written_ += bytes.size();
}

void AttachmentStore::Commit(const spsync::sdk::Attachment& a) {
  if (!open_) throw Fatal("sqlite sink: attachment_commit without attachment_begin");
  if (a.size() < 0 || static_cast<uint64_t>(a.size()) != written_ ||
      (size_ >= 0 && size_ != a.size()))
    throw Fatal("sqlite sink: attachment '" + std::string(a.file_name()) + "' of item " +
                std::to_string(a.item_id()) + " committed with size " + std::to_string(a.size()) +
                " after " + std::to_string(written_) + " bytes");
  CloseBlob();
  sqlite3_stmt* st = finish_.get();
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, rowid_);
  sqlite3_bind_int64(st, 2, a.size());
  BindText(st, 3, a.sha256());
  BindText(st, 4, a.etag());
  BindText(st, 5, a.modified());
  sqlite3_bind_int64(st, 6, a.modified_unix());
  BindText(st, 7, a.url());
  BindText(st, 8, NowIso());
  db_.StepDone(st, "recording attachment '" + std::string(a.file_name()) + "'");
  db_.Exec(std::string("RELEASE ") + kSavepoint);
  open_ = false;
}

void AttachmentStore::Abort() {
  if (!open_) return;
  CloseBlob();
  // Back to before Begin: the replaced file, if any, is there again.
  sqlite3_exec(db_.get(), "ROLLBACK TO spsync_attachment; RELEASE spsync_attachment", nullptr,
               nullptr, nullptr);
  open_ = false;
}

void AttachmentStore::Delete(int64_t item_id, std::string_view file_name) {
  if (!Ready(false)) return;
  for (Stmt& stmt : delete_one_) {
    sqlite3_stmt* st = stmt.get();
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, item_id);
    BindText(st, 2, file_name);
    db_.StepDone(st, "deleting attachments of item " + std::to_string(item_id));
  }
}

void AttachmentStore::DeleteItems(int64_t first, int64_t last) {
  if (!Ready(false)) return;
  for (Stmt& stmt : delete_range_) {
    sqlite3_stmt* st = stmt.get();
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, last);
    db_.StepDone(
        st, "deleting attachments of items " + std::to_string(first) + "-" + std::to_string(last));
  }
}

void AttachmentStore::List(spsync::sdk::Ids item_ids, std::vector<AttachmentInfo>& out) {
  if (!Ready(false)) return;
  std::vector<int64_t> ids(item_ids.begin(), item_ids.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  sqlite3_stmt* st = list_.get();
  for (int64_t id : ids) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      AttachmentInfo info;
      info.item_id = sqlite3_column_int64(st, 0);
      info.file_name = ColumnText(st, 1);
      info.size = sqlite3_column_int64(st, 2);
      info.sha256 = ColumnText(st, 3);
      info.etag = ColumnText(st, 4);
      info.modified = ColumnText(st, 5);
      info.modified_unix = sqlite3_column_int64(st, 6);
      info.url = ColumnText(st, 7);
      out.push_back(std::move(info));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) db_.Fail(rc, "listing attachments of item " + std::to_string(id));
  }
}

size_t AttachmentStore::Read(int64_t item_id, std::string_view file_name, uint64_t offset,
                             void* buffer, size_t capacity) {
  const std::string what =
      "attachment '" + std::string(file_name) + "' of item " + std::to_string(item_id);
  if (!Ready(false)) throw Fatal("sqlite sink: no " + what);
  sqlite3_stmt* st = find_.get();
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, item_id);
  BindText(st, 2, file_name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(st);
    throw Fatal("sqlite sink: no " + what + " in " + Quote(table_));
  }
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    db_.Fail(rc, "reading " + what);
  }
  const sqlite3_int64 rowid = sqlite3_column_int64(st, 0);
  const bool chunked = sqlite3_column_type(st, 1) == SQLITE_NULL;
  const sqlite3_int64 content_id = sqlite3_column_int64(st, 1);
  sqlite3_reset(st);
  if (!chunked) {
    sqlite3_blob* blob = nullptr;
    rc = sqlite3_blob_open(db_.get(), "main", content_.c_str(), "content", content_id, 0, &blob);
    if (rc != SQLITE_OK) {
      sqlite3_blob_close(blob);
      db_.Fail(rc, "opening " + what);
    }
    const uint64_t size = static_cast<uint64_t>(sqlite3_blob_bytes(blob));
    size_t n =
        offset >= size ? 0 : static_cast<size_t>(std::min<uint64_t>(capacity, size - offset));
    if (n > 0) rc = sqlite3_blob_read(blob, buffer, static_cast<int>(n), static_cast<int>(offset));
    sqlite3_blob_close(blob);
    if (rc != SQLITE_OK) db_.Fail(rc, "reading " + what);
    return n;
  }
  // Chunk rows: the one holding each offset in turn, until the buffer is
  // full or the file ends; only the range asked for is read from each
  // (sqlite3_blob_read), never a whole chunk.
  auto* out = static_cast<char*>(buffer);
  size_t n = 0;
  while (n < capacity) {
    const uint64_t at = offset + n;
    st = chunk_at_.get();
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, rowid);
    sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(at));
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      sqlite3_reset(st);
      db_.Fail(rc, "reading " + what);
    }
    const sqlite3_int64 chunk = sqlite3_column_int64(st, 0);
    const uint64_t start = static_cast<uint64_t>(sqlite3_column_int64(st, 1));
    const uint64_t len = static_cast<uint64_t>(sqlite3_column_int64(st, 2));
    sqlite3_reset(st);
    if (at >= start + len) break;  // past the last chunk: the end
    const size_t take = static_cast<size_t>(std::min<uint64_t>(capacity - n, start + len - at));
    sqlite3_blob* blob = nullptr;
    rc = sqlite3_blob_open(db_.get(), "main", chunks_.c_str(), "data", chunk, 0, &blob);
    if (rc == SQLITE_OK)
      rc = sqlite3_blob_read(blob, out + n, static_cast<int>(take), static_cast<int>(at - start));
    sqlite3_blob_close(blob);
    if (rc != SQLITE_OK) db_.Fail(rc, "reading " + what);
    n += take;
  }
  return n;
}

}  // namespace spsync::sqlite
