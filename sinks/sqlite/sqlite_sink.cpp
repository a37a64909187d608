// The SQLite sink: one table per entity, upserted by item ID, with the
// engine's state stored in the same database and committed in the same
// transaction as the data (SPSYNC_CAP_TRANSACTIONAL_PERSIST).
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
// Transactions: the first write after a persist (begin(), upsert, delete)
// opens `BEGIN IMMEDIATE`; persist() writes the state row and commits. So a
// kill at any instant leaves the last committed (data, state) pair, and close
// without persist rolls back.

#include <spsync/sink.hpp>

#include <sqlite3.h>

#include <cctype>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using spsync::sdk::Call;
using spsync::sdk::Config;
using spsync::sdk::Fatal;
using spsync::sdk::Ids;
using spsync::sdk::Items;
using spsync::sdk::Ranges;
using spsync::sdk::Retryable;
using spsync::sdk::Schema;
using spsync::sdk::View;

// Quotes an SQL identifier. Doubling the quote character is the whole rule in
// SQLite, so no field name can end the identifier and inject SQL.
std::string Quote(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string IsoUtc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NowIso() {
  return IsoUtc(static_cast<int64_t>(std::time(nullptr)));
}

const char* TypeName(int32_t value_type) {
  switch (value_type) {
    case SPSYNC_VALUE_TEXT:
      return "TEXT";
    case SPSYNC_VALUE_INTEGER:
      return "INTEGER";
    case SPSYNC_VALUE_REAL:
      return "REAL";
    case SPSYNC_VALUE_BOOLEAN:
      return "BOOLEAN";
    case SPSYNC_VALUE_DATETIME:
      return "DATETIME";
    case SPSYNC_VALUE_JSON:
      return "JSON";
    default:
      return "NULL";
  }
}

// The declared SQL type of a column: decides SQLite's type affinity.
const char* SqlType(int32_t value_type) {
  switch (value_type) {
    case SPSYNC_VALUE_INTEGER:
    case SPSYNC_VALUE_BOOLEAN:
      return "INTEGER";
    case SPSYNC_VALUE_REAL:
      return "REAL";
    default:
      return "TEXT";
  }
}

// An owned prepared statement.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }
  void Reset(sqlite3_stmt* s) {
    sqlite3_finalize(stmt_);
    stmt_ = s;
  }
  sqlite3_stmt* get() const { return stmt_; }
  explicit operator bool() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteSink : public spsync::sdk::Sink {
 public:
  explicit SqliteSink(const Config& config)
      : path_(config.Require("path")),
        table_option_(config.Get("table")),
        soft_delete_(config.GetBool("softDelete", false)),
        journal_(config.Get("journal", "WAL")),
        synchronous_(config.Get("synchronous", "NORMAL")) {
    for (char& c : journal_) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (char& c : synchronous_) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
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

    std::filesystem::path p(path_);
    if (p.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(p.parent_path(), ec);
      if (ec) throw Fatal("cannot create the folder of '" + path_ + "': " + ec.message());
    }
    int rc =
        sqlite3_open_v2(path_.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw Fatal("cannot open '" + path_ + "': " + msg);
    }
    sqlite3_busy_timeout(db_, static_cast<int>(busy));
    sqlite3_extended_result_codes(db_, 1);
    Exec("PRAGMA journal_mode=" + journal_);
    Exec("PRAGMA synchronous=" + synchronous_);
    Exec(
        "CREATE TABLE IF NOT EXISTS _spsync_state(entity TEXT PRIMARY KEY, state BLOB, "
        "updated_at TEXT)");
    // Which column holds which field, and the field's last known type: lets a
    // type change be noticed and keeps column names stable across sessions.
    Exec(
        "CREATE TABLE IF NOT EXISTS _spsync_schema(tbl TEXT NOT NULL, field TEXT NOT NULL, "
        "col TEXT NOT NULL, title TEXT, sp_type TEXT, value_type TEXT, present INTEGER, "
        "fingerprint TEXT, updated_at TEXT, PRIMARY KEY(tbl, field))");
  }

  ~SqliteSink() override {
    upsert_.Reset(nullptr);
    delete_.Reset(nullptr);
    delete_range_.Reset(nullptr);
    if (db_ != nullptr) {
      // Closing without persist discards the open transaction.
      if (sqlite3_get_autocommit(db_) == 0)
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_close_v2(db_);
    }
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
    if (sqlite3_get_autocommit(db_) == 0) Exec("ROLLBACK");
    entity_ = std::string(entity);
    bound_ = true;
    table_ = table_option_.empty() ? entity_ : table_option_;
    begun_ = false;
    Stmt st;
    Prepare(st, "SELECT state FROM _spsync_state WHERE entity = ?1");
    sqlite3_bind_text(st.get(), 1, entity_.data(), static_cast<int>(entity_.size()), SQLITE_STATIC);
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_ROW) {
      const void* blob = sqlite3_column_blob(st.get(), 0);
      int n = sqlite3_column_bytes(st.get(), 0);
      return blob == nullptr ? std::string() : std::string(static_cast<const char*>(blob), n);
    }
    if (rc != SQLITE_DONE) Fail(rc, "reading the state of '" + entity_ + "'");
    return std::string();
  }

  void Begin(const Schema& schema) override {
    if (!bound_) throw Fatal("begin() before load_state()");
    EnsureTransaction();
    const std::string q = Quote(table_);
    Exec("CREATE TABLE IF NOT EXISTS " + q +
         "(\"id\" INTEGER PRIMARY KEY, \"_raw\" TEXT, \"_modified\" TEXT, \"_version\" TEXT, "
         "\"_synced_at\" TEXT)");

    // Existing columns, case-insensitively (SQLite identifiers are).
    std::map<std::string, std::string> existing;  // lower -> actual
    {
      Stmt st;
      Prepare(st, "SELECT name FROM pragma_table_info(?1)");
      sqlite3_bind_text(st.get(), 1, table_.data(), static_cast<int>(table_.size()), SQLITE_STATIC);
      int rc;
      while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
        std::string name(reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0)),
                         sqlite3_column_bytes(st.get(), 0));
        existing[Lower(name)] = name;
      }
      if (rc != SQLITE_DONE) Fail(rc, "reading the columns of " + q);
    }
    if (soft_delete_) {
      if (existing.count("_deleted") == 0)
        Exec("ALTER TABLE " + q + " ADD COLUMN \"_deleted\" INTEGER NOT NULL DEFAULT 0");
      if (existing.count("_deleted_at") == 0)
        Exec("ALTER TABLE " + q + " ADD COLUMN \"_deleted_at\" TEXT");
      existing["_deleted"] = "_deleted";
      existing["_deleted_at"] = "_deleted_at";
    }

    // What earlier sessions recorded: field -> (column, value type).
    struct Known {
      std::string col;
      std::string value_type;
    };
    std::map<std::string, Known> known;
    std::set<std::string> mapped_cols;  // lower-case columns owned by some field
    {
      Stmt st;
      Prepare(st, "SELECT field, col, value_type FROM _spsync_schema WHERE tbl = ?1");
      sqlite3_bind_text(st.get(), 1, table_.data(), static_cast<int>(table_.size()), SQLITE_STATIC);
      int rc;
      while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
        auto text = [&](int i) {
          const unsigned char* p = sqlite3_column_text(st.get(), i);
          return p == nullptr ? std::string()
                              : std::string(reinterpret_cast<const char*>(p),
                                            sqlite3_column_bytes(st.get(), i));
        };
        Known k{text(1), text(2)};
        mapped_cols.insert(Lower(k.col));
        known.emplace(text(0), std::move(k));
      }
      if (rc != SQLITE_DONE) Fail(rc, "reading _spsync_schema");
    }

    static const std::set<std::string> reserved = {
        "id",       "_raw",        "_modified", "_version", "_synced_at",
        "_deleted", "_deleted_at", "rowid",     "oid",      "_rowid_"};
    const std::string now = NowIso();
    const std::string fingerprint(schema.fingerprint());
    Stmt record;
    Prepare(record,
            "INSERT INTO _spsync_schema(tbl, field, col, title, sp_type, value_type, present, "
            "fingerprint, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8) "
            "ON CONFLICT(tbl, field) DO UPDATE SET title = excluded.title, sp_type = "
            "excluded.sp_type, value_type = excluded.value_type, present = 1, fingerprint = "
            "excluded.fingerprint, updated_at = excluded.updated_at");
    Exec("UPDATE _spsync_schema SET present = 0 WHERE tbl = " + QuoteLiteral(table_));

    columns_.clear();
    std::set<std::string> used_now;  // lower-case columns of this schema
    for (size_t i = 0; i < schema.size(); ++i) {
      const spsync_field& f = schema.field(i);
      if (f.struct_size < sizeof(spsync_field)) throw Fatal("spsync_field struct too small");
      std::string name(View(f.name));
      if (name.find('\0') != std::string::npos)
        throw Fatal("field name contains NUL: " + std::string(View(f.title)));
      const char* type = TypeName(f.value_type);
      std::string col;
      auto it = known.find(name);
      if (it != known.end()) {
        col = it->second.col;
        if (it->second.value_type != type) {
          // The column keeps its declared type (SQLite cannot change it in
          // place and a table rebuild would drop the user's indexes, views
          // and triggers); new values are bound with their new type. See
          // README.md, "Type changes".
          spsync::sdk::Log(SPSYNC_LOG_WARN,
                           "sqlite sink: field '" + name + "' of table " + q +
                               " changed type from " + it->second.value_type + " to " + type +
                               "; column " + Quote(col) +
                               " keeps its declared type, existing values are kept as they are, "
                               "new values are stored as " +
                               type);
        }
      } else {
        // A new field. Take its name as the column unless that collides
        // (case-insensitively) with a reserved column or another field's.
        col = name.empty() ? "_unnamed" : name;
        std::string base = col;
        for (int n = 2;; ++n) {
          std::string l = Lower(col);
          bool clash =
              reserved.count(l) != 0 || mapped_cols.count(l) != 0 || used_now.count(l) != 0;
          if (!clash) break;
          col = base + "_" + std::to_string(n);
        }
        if (col != name)
          spsync::sdk::Log(SPSYNC_LOG_WARN, "sqlite sink: field '" + name + "' of table " + q +
                                                " is stored in column " + Quote(col) +
                                                " (its name clashes with another column)");
      }
      if (used_now.count(Lower(col)) != 0)
        throw Fatal("two fields of table " + q + " map to column " + Quote(col));
      used_now.insert(Lower(col));
      mapped_cols.insert(Lower(col));
      if (existing.count(Lower(col)) == 0) {
        // A field new to the table: existing rows get NULL.
        Exec("ALTER TABLE " + q + " ADD COLUMN " + Quote(col) + " " + SqlType(f.value_type));
        existing[Lower(col)] = col;
      }
      std::string title(View(f.title)), sp_type(View(f.sp_type));
      sqlite3_reset(record.get());
      BindText(record.get(), 1, table_);
      BindText(record.get(), 2, name);
      BindText(record.get(), 3, col);
      BindText(record.get(), 4, title);
      BindText(record.get(), 5, sp_type);
      BindText(record.get(), 6, type);
      BindText(record.get(), 7, fingerprint);
      BindText(record.get(), 8, now);
      int rc = sqlite3_step(record.get());
      if (rc != SQLITE_DONE) Fail(rc, "recording field '" + name + "'");
      columns_.push_back(col);
    }

    // The upsert statement for this column set.
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
    Prepare(upsert_, "INSERT INTO " + q + "(" + cols + ") VALUES(" + params +
                         ") ON CONFLICT(\"id\") DO UPDATE SET " + set);
    if (soft_delete_) {
      Prepare(delete_, "UPDATE " + q +
                           " SET \"_deleted\" = 1, \"_deleted_at\" = ?2 WHERE \"id\" = ?1 AND "
                           "\"_deleted\" = 0");
      Prepare(delete_range_, "UPDATE " + q +
                                 " SET \"_deleted\" = 1, \"_deleted_at\" = ?3 WHERE \"id\" "
                                 "BETWEEN ?1 AND ?2 AND \"_deleted\" = 0");
    } else {
      Prepare(delete_, "DELETE FROM " + q + " WHERE \"id\" = ?1");
      Prepare(delete_range_, "DELETE FROM " + q + " WHERE \"id\" BETWEEN ?1 AND ?2");
    }
    begun_ = true;
  }

  void Upsert(Items items, Call& call) override {
    RequireBegun();
    EnsureTransaction();
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
        const spsync_value& v = item->values[f];
        const int p = f + 2;
        switch (v.type) {
          case SPSYNC_VALUE_NULL:
            sqlite3_bind_null(st, p);
            break;
          case SPSYNC_VALUE_TEXT:
          case SPSYNC_VALUE_JSON:
            BindView(st, p, v.s);
            break;
          case SPSYNC_VALUE_INTEGER:
            sqlite3_bind_int64(st, p, v.i);
            break;
          case SPSYNC_VALUE_BOOLEAN:
            sqlite3_bind_int64(st, p, v.i != 0 ? 1 : 0);
            break;
          case SPSYNC_VALUE_REAL:
            sqlite3_bind_double(st, p, v.r);
            break;
          case SPSYNC_VALUE_DATETIME:
            if (v.s.len != 0) {
              BindView(st, p, v.s);
            } else {
              scratch = IsoUtc(v.i);
              sqlite3_bind_text(st, p, scratch.data(), static_cast<int>(scratch.size()),
                                SQLITE_TRANSIENT);
            }
            break;
          default:
            call.Reject(i, "item " + std::to_string(item->id) + ": value " + std::to_string(f) +
                               " has unknown type " + std::to_string(v.type));
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
        Fail(rc, "upserting item " + std::to_string(item->id) + " into " + Quote(table_));
      }
    }
    sqlite3_reset(st);
  }

  void Delete(Ids ids, Call& /*call*/) override {
    RequireBegun();
    EnsureTransaction();
    const std::string now = NowIso();
    sqlite3_stmt* st = delete_.get();
    for (int64_t id : ids) {
      sqlite3_reset(st);
      sqlite3_bind_int64(st, 1, id);
      if (soft_delete_) BindText(st, 2, now);
      int rc = sqlite3_step(st);
      if (rc != SQLITE_DONE) {
        sqlite3_reset(st);
        Fail(rc, "deleting item " + std::to_string(id) + " from " + Quote(table_));
      }
    }
    sqlite3_reset(st);
  }

  void DeleteRanges(Ranges ranges, Call& call) override {
    RequireBegun();
    EnsureTransaction();
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
        Fail(rc, "deleting a range from " + Quote(table_));
      }
    }
    sqlite3_reset(st);
  }

  void Persist(std::string_view state) override {
    if (!bound_) throw Fatal("persist() before load_state()");
    EnsureTransaction();
    Stmt st;
    if (state.empty()) {
      Prepare(st, "DELETE FROM _spsync_state WHERE entity = ?1");
      BindText(st.get(), 1, entity_);
    } else {
      Prepare(st,
              "INSERT INTO _spsync_state(entity, state, updated_at) VALUES(?1, ?2, ?3) "
              "ON CONFLICT(entity) DO UPDATE SET state = excluded.state, updated_at = "
              "excluded.updated_at");
      BindText(st.get(), 1, entity_);
      sqlite3_bind_blob(st.get(), 2, state.data(), static_cast<int>(state.size()), SQLITE_STATIC);
      std::string now = NowIso();
      sqlite3_bind_text(st.get(), 3, now.data(), static_cast<int>(now.size()), SQLITE_TRANSIENT);
    }
    int rc = sqlite3_step(st.get());
    if (rc != SQLITE_DONE) Fail(rc, "writing the state of '" + entity_ + "'");
    // The commit point: data and state become durable together.
    Exec("COMMIT");
  }

  // For `spsync validate --connect`: the file opened (the constructor would
  // have failed otherwise); check it is a readable database we may write.
  void Check(Call& call) override {
    if (sqlite3_db_readonly(db_, "main") != 0)
      throw Fatal("sqlite sink: " + path_ + " is read-only");
    Stmt st;
    Prepare(st, "SELECT count(*) FROM sqlite_master");
    int rc = sqlite3_step(st.get());
    if (rc != SQLITE_ROW) Fail(rc, "reading " + path_);
    call.Message(path_ + ": SQLite " + sqlite3_libversion() + ", journal " + journal_);
  }

 private:
  static std::string QuoteLiteral(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'') out += '\'';
      out += c;
    }
    return out + "'";
  }

  static void BindText(sqlite3_stmt* st, int p, const std::string& s) {
    sqlite3_bind_text(st, p, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }

  // Binds borrowed bytes without copying: they stay valid until the step that
  // follows, within the same call.
  static void BindView(sqlite3_stmt* st, int p, spsync_str s) {
    sqlite3_bind_text(st, p, s.len == 0 ? "" : s.data, static_cast<int>(s.len), SQLITE_STATIC);
  }

  void RequireBegun() const {
    if (!begun_) throw Fatal("upsert/delete before begin()");
  }

  void EnsureTransaction() {
    if (sqlite3_get_autocommit(db_) != 0) Exec("BEGIN IMMEDIATE");
  }

  [[noreturn]] void Fail(int rc, const std::string& what) {
    std::string msg =
        "sqlite sink: " + what + ": " + sqlite3_errmsg(db_) + " (" + sqlite3_errstr(rc) + ")";
    int primary = rc & 0xff;
    // Another writer holds the lock: nothing of this call is committed and a
    // later retry can succeed. Anything else (full disk, corruption,
    // constraint) will not fix itself.
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Retryable(msg);
    throw Fatal(msg);
  }

  void Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      std::string full = "sqlite sink: " + sql.substr(0, 200) + ": " + msg;
      int primary = rc & 0xff;
      if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Retryable(full);
      throw Fatal(full);
    }
  }

  void Prepare(Stmt& st, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      Fail(rc, "preparing " + sql.substr(0, 200));
    }
    st.Reset(s);
  }

  std::string path_;
  std::string table_option_;
  bool soft_delete_;
  std::string journal_;
  std::string synchronous_;
  sqlite3* db_ = nullptr;
  std::string entity_;
  std::string table_;
  bool bound_ = false;
  bool begun_ = false;
  std::vector<std::string> columns_;  // column of each schema field, in value order
  Stmt upsert_;
  Stmt delete_;
  Stmt delete_range_;
};

}  // namespace

// The database is its own snapshot, so SPSYNC_CAP_SNAPSHOT is not declared.
// Each instance owns its own connection, so instances may run concurrently.
SPSYNC_SINK_PLUGIN(SqliteSink, "sqlite", "1.0.0",
                   "SQLite database: one typed table per entity, state in the same transaction",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_DELETE_RANGES |
                       SPSYNC_CAP_THREAD_SAFE)
