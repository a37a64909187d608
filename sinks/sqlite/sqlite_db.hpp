// The sqlite3 C API as the SQLite sink uses it: an owned connection (Db)
// with Exec / Prepare / Fail that turn SQLite errors into the SDK's
// Retryable (the lock is busy: nothing of the call is committed) or Fatal,
// an owned prepared statement (Stmt), identifier quoting, and binding and
// reading helpers.
//
// Ownership: a Db owns its sqlite3*, a Stmt its sqlite3_stmt*.
// Thread safety: a Db and its statements are used by one thread at a time
// (the host serialises calls on one sink instance).
#ifndef SPSYNC_SINKS_SQLITE_SQLITE_DB_HPP_
#define SPSYNC_SINKS_SQLITE_SQLITE_DB_HPP_

#include <spsync/sink.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace spsync::sqlite {

// Quotes an SQL identifier. Doubling the quote character is the whole rule in
// SQLite, so no field name can end the identifier and inject SQL.
std::string Quote(std::string_view name);
// Quotes a string literal ('...').
std::string QuoteLiteral(std::string_view s);
std::string Lower(std::string_view s);
std::string IsoUtc(int64_t unix_seconds);
std::string NowIso();

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

// A connection to one database file. Closing a Db hands its connection to a
// small process-wide pool (per file, busy timeout and `setup`), and the next
// Db of the same file takes it back: a run over hundreds of entities in one
// file would otherwise open hundreds of connections, each re-parsing the
// schema of every table (quadratic in the number of entities). A pooled
// connection is used only if its file is still the same inode, no statement
// is left on it and no transaction is open; the pool is thread-safe.
class Db {
 public:
  // Opens (creating it and its folder) the database at `path`, or takes a
  // pooled connection to it made with the same `setup` (reused() says which:
  // the caller runs its one-time setup, such as PRAGMAs, only on a new one).
  Db(const std::string& path, int busy_timeout_ms, const std::string& setup = "");
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  bool reused() const { return reused_; }
  const std::string& path() const { return path_; }

  void Exec(const std::string& sql);
  // Prepares `sql` into `st` (persistent: the statement is reused).
  void Prepare(Stmt& st, const std::string& sql);
  [[noreturn]] void Fail(int rc, const std::string& what) const;
  // Steps a statement that returns no row; Fail()s with `what` otherwise.
  void StepDone(sqlite3_stmt* st, const std::string& what);

  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
  // Opens the write transaction if none is open.
  void EnsureTransaction() {
    if (!InTransaction()) Exec("BEGIN IMMEDIATE");
  }
  bool TableExists(const std::string& table);
  // The columns of `table`, lower-cased.
  bool HasColumn(const std::string& table, const std::string& column);

 private:
  std::string path_, pool_key_;
  sqlite3* db_ = nullptr;
  bool reused_ = false;
  uint64_t dev_ = 0, ino_ = 0;  // the file this connection has open (0: unknown)
};

// Binds a copy of `s`.
inline void BindText(sqlite3_stmt* st, int p, std::string_view s) {
  sqlite3_bind_text(st, p, s.empty() ? "" : s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

// Binds borrowed bytes without copying: they stay valid until the step that
// follows, within the same call.
inline void BindView(sqlite3_stmt* st, int p, spsync_str s) {
  sqlite3_bind_text(st, p, s.len == 0 ? "" : s.data, static_cast<int>(s.len), SQLITE_STATIC);
}

// Column `i` of the current row as text ("" for NULL).
inline std::string ColumnText(sqlite3_stmt* st, int i) {
  const unsigned char* p = sqlite3_column_text(st, i);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st, i));
}

}  // namespace spsync::sqlite

#endif  // SPSYNC_SINKS_SQLITE_SQLITE_DB_HPP_
