// The SQLite sink: one table per entity, upserted by item ID, with the
// engine's state stored in the same database and committed in the same
// transaction as the data (SPSYNC_CAP_TRANSACTIONAL_PERSIST). Attachments
// (sqlite_attachments.hpp), versions ("<t>__versions") and the schema
// definitions (sqlite_schema.hpp) ride the same transaction; sqlite_read.hpp
// reads it all back for a restore.
//
// Why the sqlite3 C API and not Poco::Data::SQLite: the column set of a row is
// only known at run time (it follows the list's fields), every value arrives as
// a borrowed view valid for the duration of the call, and the raw JSON column
// is most of the bytes. Poco binds `use(std::vector<T>)` per column of one
// static type, so a row of run-time-typed nullable cells needs a vector of
// Poco::Dynamic::Var or std::string copies per column, and its `bulk` keyword
// throws with the SQLite connector. sqlite3_bind_* with SQLITE_STATIC binds the
// borrowed bytes in place and steps one cached prepared statement per row,
// which is exactly what the raw prepared-insert baseline does.
//
// Transactions: begin() commits its DDL at once (in its own short
// transaction), so a session that waits on SharePoint holds no lock; the
// first write after a persist (upsert, delete, versions, an attachment) opens
// `BEGIN IMMEDIATE`; persist() writes the state row and commits. So a kill at
// any instant leaves the last committed (data, state) pair, and close
// without persist rolls back. (A begin() while writes are pending runs its
// DDL inside their transaction instead: committing it would commit them
// without their state.)

#include <spsync/sink.hpp>

#include <sqlite3.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sqlite_attachments.hpp"
#include "sqlite_db.hpp"
#include "sqlite_read.hpp"
#include "sqlite_schema.hpp"

namespace {

using spsync::sdk::Call;
using spsync::sdk::Config;
using spsync::sdk::Fatal;
using spsync::sdk::Ids;
using spsync::sdk::Items;
using spsync::sdk::Ranges;
using spsync::sdk::Schema;
using spsync::sdk::View;
using spsync::sqlite::BindText;
using spsync::sqlite::BindView;
using spsync::sqlite::Db;
using spsync::sqlite::IsoUtc;
using spsync::sqlite::NowIso;
using spsync::sqlite::Quote;
using spsync::sqlite::Stmt;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Binds one typed value at parameter `p`. `scratch` keeps a DATETIME given
// only as Unix seconds alive until the step. False for an unknown type.
bool BindValue(sqlite3_stmt* st, int p, const spsync_value& v, std::string& scratch) {
  switch (v.type) {
    case SPSYNC_VALUE_NULL:
      sqlite3_bind_null(st, p);
      return true;
    case SPSYNC_VALUE_TEXT:
    case SPSYNC_VALUE_JSON:
      BindView(st, p, v.s);
      return true;
    case SPSYNC_VALUE_INTEGER:
      sqlite3_bind_int64(st, p, v.i);
      return true;
    case SPSYNC_VALUE_BOOLEAN:
      sqlite3_bind_int64(st, p, v.i != 0 ? 1 : 0);
      return true;
    case SPSYNC_VALUE_REAL:
      sqlite3_bind_double(st, p, v.r);
      return true;
    case SPSYNC_VALUE_DATETIME:
      if (v.s.len != 0) {
        BindView(st, p, v.s);
      } else {
        scratch = IsoUtc(v.i);
        sqlite3_bind_text(st, p, scratch.data(), static_cast<int>(scratch.size()),
                          SQLITE_TRANSIENT);
      }
      return true;
    default:
      return false;
  }
}

class SqliteSink : public spsync::sdk::Sink {
 public:
  explicit SqliteSink(const Config& config)
      : path_(config.Require("path")),
        table_option_(config.Get("table")),
        soft_delete_(config.GetBool("softDelete", false)),
        journal_(Upper(config.Get("journal", "WAL"))),
        synchronous_(Upper(config.Get("synchronous", "NORMAL"))) {
    // MEMORY and OFF journals cannot roll back after a crash, which would
    // break the promise that a kill leaves the last persisted state.
    static const std::set<std::string> journals = {"WAL", "DELETE", "TRUNCATE", "PERSIST"};
    if (journals.count(journal_) == 0)
      throw Fatal("option 'journal' must be one of WAL, DELETE, TRUNCATE, PERSIST; got '" +
                  journal_ + "'");
    if (synchronous_ != "NORMAL" && synchronous_ != "FULL" && synchronous_ != "EXTRA")
      throw Fatal("option 'synchronous' must be NORMAL, FULL or EXTRA; got '" + synchronous_ + "'");
    long long busy = config.GetInt("busyTimeoutMs", 5000);
    if (busy < 0) throw Fatal("option 'busyTimeoutMs' must not be negative");
    db_ = std::make_unique<Db>(path_, static_cast<int>(busy), journal_ + "/" + synchronous_);
    if (!db_->reused()) Setup(busy);
    spsync::sqlite::CreateBookkeeping(*db_);
  }

  // The connection's one-time setup (a pooled connection has had it).
  void Setup(long long busy) {
    // Switching a new file to WAL takes an exclusive lock that SQLite does
    // not wait for (no busy handler): two instances opening one new file at
    // once (two entities of a run) would fail. Wait up to the busy timeout.
    for (auto waited = std::chrono::milliseconds(0);; waited += std::chrono::milliseconds(10)) {
      try {
        db_->Exec("PRAGMA journal_mode=" + journal_);
        break;
      } catch (const spsync::sdk::Retryable&) {
        if (waited.count() >= busy) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    db_->Exec("PRAGMA synchronous=" + synchronous_);
  }

  ~SqliteSink() override {
    // Statements and blob handles go before the connection closes.
    attachments_.reset();
    reader_.reset();
    upsert_.Reset(nullptr);
    delete_.Reset(nullptr);
    delete_range_.Reset(nullptr);
    version_.Reset(nullptr);
  }

  static const std::vector<spsync_option>& Options() {
    using spsync::sdk::Option;
    static const std::vector<spsync_option> options = {
        Option("path", SPSYNC_OPTION_PATH, true, nullptr,
               "database file; it and its folder are created if missing"),
        Option("table", SPSYNC_OPTION_STRING, false, nullptr,
               "table name (default: the entity name)"),
        Option("softDelete", SPSYNC_OPTION_BOOLEAN, false, "false",
               "mark deleted items (_deleted = 1) instead of removing their rows"),
        Option("journal", SPSYNC_OPTION_STRING, false, "WAL",
               "journal mode: WAL, DELETE, TRUNCATE or PERSIST"),
        Option("synchronous", SPSYNC_OPTION_STRING, false, "NORMAL",
               "PRAGMA synchronous: NORMAL survives process crashes, FULL also power loss"),
        Option("busyTimeoutMs", SPSYNC_OPTION_INTEGER, false, "5000",
               "how long to wait for another writer's lock before a retryable error"),
    };
    return options;
  }

  std::string LoadState(std::string_view entity) override {
    if (entity.find('\0') != std::string_view::npos) throw Fatal("entity name contains NUL");
    // Re-binding discards whatever the previous binding did not persist,
    // rather than committing it later under another entity's state.
    if (attachments_) attachments_->Abort();
    if (db_->InTransaction()) db_->Exec("ROLLBACK");
    entity_ = std::string(entity);
    bound_ = true;
    table_ = table_option_.empty() ? entity_ : table_option_;
    begun_ = false;
    attachments_ = std::make_unique<spsync::sqlite::AttachmentStore>(*db_, table_);
    reader_ = std::make_unique<spsync::sqlite::Reader>(*db_, table_, soft_delete_);
    versions_ready_ = false;
    Stmt st;
    db_->Prepare(st, "SELECT state FROM _spsync_state WHERE entity = ?1");
    BindText(st.get(), 1, entity_);
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_ROW) {
      const void* blob = sqlite3_column_blob(st.get(), 0);
      int n = sqlite3_column_bytes(st.get(), 0);
      return blob == nullptr ? std::string() : std::string(static_cast<const char*>(blob), n);
    }
    if (rc != SQLITE_DONE) db_->Fail(rc, "reading the state of '" + entity_ + "'");
    return std::string();
  }

  void Begin(const Schema& schema) override {
    if (!bound_) throw Fatal("begin() before load_state()");
    // The DDL commits at once unless writes are pending (see the top).
    const bool own_transaction = !db_->InTransaction();
    db_->EnsureTransaction();
    try {
      columns_ = spsync::sqlite::ApplySchema(*db_, table_, soft_delete_, schema);
      value_types_.clear();
      for (size_t i = 0; i < schema.size(); ++i) value_types_.push_back(schema.field(i).value_type);
      if (db_->TableExists(spsync::sqlite::VersionsTable(table_)))
        spsync::sqlite::EnsureVersionsTable(*db_, table_, columns_, value_types_);
      if (own_transaction) db_->Exec("COMMIT");
    } catch (...) {
      if (own_transaction && db_->InTransaction())
        sqlite3_exec(db_->get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    PrepareWrites();
    version_.Reset(nullptr);
    versions_ready_ = false;
    reader_ = std::make_unique<spsync::sqlite::Reader>(*db_, table_, soft_delete_);
    begun_ = true;
  }

  void Upsert(Items items, Call& call) override {
    RequireBegun();
    db_->EnsureTransaction();
    const std::string now = NowIso();
    sqlite3_stmt* st = upsert_.get();
    const int fields = static_cast<int>(columns_.size());
    std::string scratch;  // a DATETIME given only as Unix seconds
    for (size_t i = 0; i < items.size(); ++i) {
      const spsync_item* item = items[i];
      if (item == nullptr || item->struct_size < sizeof(spsync_item)) {
        call.Reject(i, "malformed item (NULL or struct too small)");
        continue;
      }
      if (item->value_count != columns_.size() ||
          (item->value_count != 0 && item->values == nullptr)) {
        call.Reject(i, "item " + std::to_string(item->id) + " has " +
                           std::to_string(item->value_count) + " values; the schema has " +
                           std::to_string(columns_.size()) + " fields");
        continue;
      }
      sqlite3_reset(st);
      sqlite3_bind_int64(st, 1, item->id);
      bool ok = true;
      for (int f = 0; f < fields && ok; ++f) {
        if (!BindValue(st, f + 2, item->values[f], scratch)) {
          call.Reject(i, "item " + std::to_string(item->id) + ": value " + std::to_string(f) +
                             " has unknown type " + std::to_string(item->values[f].type));
          ok = false;
        }
      }
      if (!ok) continue;
      BindView(st, fields + 2, item->raw_json);
      BindView(st, fields + 3, item->modified);
      BindView(st, fields + 4, item->version);
      sqlite3_bind_text(st, fields + 5, now.data(), static_cast<int>(now.size()), SQLITE_STATIC);
      int rc = sqlite3_step(st);
      if (rc != SQLITE_DONE) {
        sqlite3_reset(st);
        db_->Fail(rc, "upserting item " + std::to_string(item->id) + " into " + Quote(table_));
      }
    }
    sqlite3_reset(st);
  }

  void Delete(Ids ids, Call& /*call*/) override {
    RequireBegun();
    db_->EnsureTransaction();
    const std::string now = NowIso();
    sqlite3_stmt* st = delete_.get();
    for (int64_t id : ids) {
      sqlite3_reset(st);
      sqlite3_bind_int64(st, 1, id);
      if (soft_delete_) BindText(st, 2, now);
      int rc = sqlite3_step(st);
      if (rc != SQLITE_DONE) {
        sqlite3_reset(st);
        db_->Fail(rc, "deleting item " + std::to_string(id) + " from " + Quote(table_));
      }
      // A deleted item has no attachments (a soft-deleted one keeps them).
      if (!soft_delete_) attachments_->DeleteItems(id, id);
    }
    sqlite3_reset(st);
  }

  void DeleteRanges(Ranges ranges, Call& call) override {
    RequireBegun();
    db_->EnsureTransaction();
    const std::string now = NowIso();
    sqlite3_stmt* st = delete_range_.get();
    for (size_t i = 0; i < ranges.size(); ++i) {
      const spsync_id_range& r = ranges[i];
      if (r.first > r.last) {
        call.Reject(i, "range [" + std::to_string(r.first) + ", " + std::to_string(r.last) +
                           "] has first > last");
        continue;
      }
      sqlite3_reset(st);
      // last == INT64_MAX ("every ID from first up") needs no special case:
      // BETWEEN is inclusive and no ID exceeds INT64_MAX.
      sqlite3_bind_int64(st, 1, r.first);
      sqlite3_bind_int64(st, 2, r.last);
      if (soft_delete_) BindText(st, 3, now);
      int rc = sqlite3_step(st);
      if (rc != SQLITE_DONE) {
        sqlite3_reset(st);
        db_->Fail(rc, "deleting a range from " + Quote(table_));
      }
      if (!soft_delete_) attachments_->DeleteItems(r.first, r.last);
    }
    sqlite3_reset(st);
  }

  void Persist(std::string_view state) override {
    if (!bound_) throw Fatal("persist() before load_state()");
    db_->EnsureTransaction();
    Stmt st;
    if (state.empty()) {
      db_->Prepare(st, "DELETE FROM _spsync_state WHERE entity = ?1");
      BindText(st.get(), 1, entity_);
    } else {
      db_->Prepare(st,
                   "INSERT INTO _spsync_state(entity, state, updated_at) VALUES(?1, ?2, ?3) "
                   "ON CONFLICT(entity) DO UPDATE SET state = excluded.state, updated_at = "
                   "excluded.updated_at");
      BindText(st.get(), 1, entity_);
      sqlite3_bind_blob(st.get(), 2, state.data(), static_cast<int>(state.size()), SQLITE_STATIC);
      BindText(st.get(), 3, NowIso());
    }
    int rc = sqlite3_step(st.get());
    if (rc != SQLITE_DONE) db_->Fail(rc, "writing the state of '" + entity_ + "'");
    // The commit point: data and state become durable together.
    db_->Exec("COMMIT");
  }

  // For `spsync validate --connect`: the file opened (the constructor would
  // have failed otherwise); check it is a readable database we may write.
  void Check(Call& call) override {
    if (sqlite3_db_readonly(db_->get(), "main") != 0)
      throw Fatal("sqlite sink: " + path_ + " is read-only");
    Stmt st;
    db_->Prepare(st, "SELECT count(*) FROM sqlite_master");
    int rc = sqlite3_step(st.get());
    if (rc != SQLITE_ROW) db_->Fail(rc, "reading " + path_);
    call.Message(path_ + ": SQLite " + sqlite3_libversion() + ", journal " + journal_);
  }

  // ---- Attachments (sqlite_attachments.hpp) ----

  void AttachmentBegin(const spsync::sdk::Attachment& a) override {
    RequireBound();
    db_->EnsureTransaction();
    attachments_->Begin(a);
  }
  void AttachmentWrite(std::string_view bytes) override { attachments_->Write(bytes); }
  void AttachmentCommit(const spsync::sdk::Attachment& a) override { attachments_->Commit(a); }
  void AttachmentAbort() override {
    if (attachments_) attachments_->Abort();
  }
  void AttachmentDelete(int64_t item_id, std::string_view file_name) override {
    RequireBound();
    db_->EnsureTransaction();
    attachments_->Delete(item_id, file_name);
  }
  void ListAttachments(Ids item_ids, std::vector<spsync::sdk::AttachmentInfo>& out) override {
    RequireBound();
    attachments_->List(item_ids, out);
  }

  // ---- Versions ("<t>__versions") ----

  void WriteVersions(spsync::sdk::Versions versions, Call& call) override {
    RequireBegun();
    db_->EnsureTransaction();
    if (!versions_ready_) PrepareVersions();
    sqlite3_stmt* st = version_.get();
    const std::string now = NowIso();
    std::string scratch;
    const int fields = static_cast<int>(columns_.size());
    for (size_t i = 0; i < versions.size(); ++i) {
      const spsync_version* v = versions[i];
      if (v == nullptr || v->struct_size < sizeof(spsync_version)) {
        call.Reject(i, "malformed version (NULL or struct too small)");
        continue;
      }
      if ((v->value_count != 0 && v->value_count != columns_.size()) ||
          (v->value_count != 0 && v->values == nullptr)) {
        call.Reject(i, "version " + std::string(View(v->label)) + " of item " +
                           std::to_string(v->item_id) + " has " + std::to_string(v->value_count) +
                           " values; the schema has " + std::to_string(columns_.size()) +
                           " fields");
        continue;
      }
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
      sqlite3_bind_int64(st, 1, v->item_id);
      sqlite3_bind_int64(st, 2, v->version_id);
      BindView(st, 3, v->label);
      BindView(st, 4, v->modified);
      sqlite3_bind_int64(st, 5, v->editor_id);
      BindView(st, 6, v->editor_name);
      BindView(st, 7, v->editor_email);
      BindView(st, 8, v->raw_json);
      sqlite3_bind_text(st, 9, now.data(), static_cast<int>(now.size()), SQLITE_STATIC);
      // Without values the field columns stay NULL and read back as unknown.
      sqlite3_bind_int(st, 10, v->value_count != 0 ? 1 : 0);
      bool ok = true;
      for (int f = 0; f < fields && v->value_count != 0 && ok; ++f) {
        if (!BindValue(st, f + 11, v->values[f], scratch)) {
          call.Reject(i, "version of item " + std::to_string(v->item_id) + ": value " +
                             std::to_string(f) + " has an unknown type");
          ok = false;
        }
      }
      if (!ok) continue;
      int rc = sqlite3_step(st);
      if (rc != SQLITE_DONE) {
        sqlite3_reset(st);
        db_->Fail(rc, "writing version " + std::to_string(v->version_id) + " of item " +
                          std::to_string(v->item_id));
      }
    }
    sqlite3_reset(st);
  }

  // ---- Reading back (sqlite_read.hpp) ----

  bool ReadSchema(spsync::sdk::StoredSchema& out) override {
    RequireBound();
    return reader_->Schema(out);
  }
  void ReadItems(int64_t after_id, size_t max_count,
                 std::vector<spsync::sdk::StoredItem>& out) override {
    RequireBound();
    reader_->Items(after_id, max_count, out);
  }
  void ReadVersions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                    std::vector<spsync::sdk::StoredVersion>& out) override {
    RequireBound();
    reader_->Versions(after_item_id, after_version_id, max_count, out);
  }
  size_t ReadAttachment(int64_t item_id, std::string_view file_name, uint64_t offset, void* buffer,
                        size_t capacity) override {
    RequireBound();
    return attachments_->Read(item_id, file_name, offset, buffer, capacity);
  }

 private:
  void RequireBound() const {
    if (!bound_) throw Fatal("sqlite sink: load_state() must come first");
  }
  void RequireBegun() const {
    if (!begun_) throw Fatal("upsert/delete before begin()");
  }

  // The upsert and delete statements for the current column set.
  void PrepareWrites() {
    const std::string q = Quote(table_);
    std::string cols = "\"id\"", params = "?1", set;
    int n = 1;
    auto add = [&](const std::string& c) {
      cols += ", " + Quote(c);
      params += ", ?" + std::to_string(++n);
      set += (set.empty() ? "" : ", ") + Quote(c) + " = excluded." + Quote(c);
    };
    for (const auto& c : columns_) add(c);
    for (const char* c : {"_raw", "_modified", "_version", "_synced_at"}) add(c);
    if (soft_delete_) {
      // An upsert of a soft-deleted item (a restore) makes it live again.
      cols += ", \"_deleted\", \"_deleted_at\"";
      params += ", 0, NULL";
      set += ", \"_deleted\" = 0, \"_deleted_at\" = NULL";
    }
    db_->Prepare(upsert_, "INSERT INTO " + q + "(" + cols + ") VALUES(" + params +
                              ") ON CONFLICT(\"id\") DO UPDATE SET " + set);
    if (soft_delete_) {
      db_->Prepare(delete_, "UPDATE " + q +
                                " SET \"_deleted\" = 1, \"_deleted_at\" = ?2 WHERE \"id\" = ?1 AND "
                                "\"_deleted\" = 0");
      db_->Prepare(delete_range_, "UPDATE " + q +
                                      " SET \"_deleted\" = 1, \"_deleted_at\" = ?3 WHERE \"id\" "
                                      "BETWEEN ?1 AND ?2 AND \"_deleted\" = 0");
    } else {
      db_->Prepare(delete_, "DELETE FROM " + q + " WHERE \"id\" = ?1");
      db_->Prepare(delete_range_, "DELETE FROM " + q + " WHERE \"id\" BETWEEN ?1 AND ?2");
    }
  }

  // The versions table (created on the first versions written) and its
  // upsert, idempotent by (item, version).
  void PrepareVersions() {
    spsync::sqlite::EnsureVersionsTable(*db_, table_, columns_, value_types_);
    std::string cols =
        "\"_item_id\", \"_version_id\", \"_label\", \"_modified\", \"_editor_id\", "
        "\"_editor_name\", \"_editor_email\", \"_raw\", \"_synced_at\", \"_values\"";
    std::string params = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10";
    std::string set;
    int n = 10;
    for (int i = 3; i <= 10; ++i) {
      static const char* const kNames[] = {"_label",       "_modified",     "_editor_id",
                                           "_editor_name", "_editor_email", "_raw",
                                           "_synced_at",   "_values"};
      const std::string c = Quote(kNames[i - 3]);
      set += (set.empty() ? "" : ", ") + c + " = excluded." + c;
    }
    for (const auto& c : columns_) {
      cols += ", " + Quote(c);
      params += ", ?" + std::to_string(++n);
      set += ", " + Quote(c) + " = excluded." + Quote(c);
    }
    db_->Prepare(version_, "INSERT INTO " + Quote(spsync::sqlite::VersionsTable(table_)) + "(" +
                               cols + ") VALUES(" + params +
                               ") ON CONFLICT(\"_item_id\", \"_version_id\") DO UPDATE SET " + set);
    versions_ready_ = true;
  }

  std::string path_;
  std::string table_option_;
  bool soft_delete_;
  std::string journal_;
  std::string synchronous_;
  std::unique_ptr<Db> db_;
  std::string entity_;
  std::string table_;
  bool bound_ = false;
  bool begun_ = false;
  std::vector<std::string> columns_;  // column of each schema field, in value order
  std::vector<int32_t> value_types_;  // type of each schema field
  Stmt upsert_;
  Stmt delete_;
  Stmt delete_range_;
  Stmt version_;
  bool versions_ready_ = false;
  std::unique_ptr<spsync::sqlite::AttachmentStore> attachments_;
  std::unique_ptr<spsync::sqlite::Reader> reader_;
};

}  // namespace

// The database is its own snapshot, so SPSYNC_CAP_SNAPSHOT is not declared.
// Each instance owns its own connection, so instances may run concurrently.
// Attachments, versions and reading back follow from the overrides.
SPSYNC_SINK_PLUGIN(SqliteSink, "sqlite", "1.2.0",
                   "SQLite database: one typed table per entity, state in the same transaction",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_DELETE_RANGES |
                       SPSYNC_CAP_THREAD_SAFE)
