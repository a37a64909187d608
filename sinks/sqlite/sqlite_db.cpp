#include "sqlite_db.hpp"

#include <spsync/sink.hpp>

#include <sys/stat.h>

#include <cctype>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

namespace spsync::sqlite {

using spsync::sdk::Fatal;
using spsync::sdk::Retryable;

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

std::string QuoteLiteral(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
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

namespace {

struct Pooled {
  sqlite3* db;
  uint64_t dev, ino;
};

// Idle connections by key; closed at exit (or when the plugin is unloaded).
class Pool {
 public:
  ~Pool() {
    for (auto& [key, list] : idle_)
      for (auto& c : list) sqlite3_close_v2(c.db);
  }
  // A connection to the file at `path` if one is idle and still names it.
  sqlite3* Take(const std::string& key, const std::string& path, uint64_t* dev, uint64_t* ino) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    while (!it->second.empty()) {
      Pooled c = it->second.back();
      it->second.pop_back();
      if (exists && c.dev == static_cast<uint64_t>(st.st_dev) &&
          c.ino == static_cast<uint64_t>(st.st_ino)) {
        *dev = c.dev;
        *ino = c.ino;
        return c.db;
      }
      sqlite3_close_v2(c.db);  // the file was removed or replaced meanwhile
    }
    return nullptr;
  }
  // Keeps `db` for a later Take, or closes it when enough are idle.
  void Give(const std::string& key, Pooled c) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& list = idle_[key];
    if (list.size() >= kMaxIdle) {
      sqlite3_close_v2(c.db);
      return;
    }
    list.push_back(c);
  }

 private:
  static constexpr size_t kMaxIdle = 8;  // run.parallel sessions rarely exceed this
  std::mutex mu_;
  std::map<std::string, std::vector<Pooled>> idle_;
};

Pool& ThePool() {
  static Pool pool;
  return pool;
}

}  // namespace

Db::Db(const std::string& path, int busy_timeout_ms, const std::string& setup)
    : path_(path), pool_key_(path + '\n' + std::to_string(busy_timeout_ms) + '\n' + setup) {
  if ((db_ = ThePool().Take(pool_key_, path_, &dev_, &ino_)) != nullptr) {
    reused_ = true;
    return;
  }
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
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  sqlite3_extended_result_codes(db_, 1);
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    dev_ = static_cast<uint64_t>(st.st_dev);
    ino_ = static_cast<uint64_t>(st.st_ino);
  }
}

Db::~Db() {
  if (db_ == nullptr) return;
  // Closing without persist discards the open transaction.
  if (InTransaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  // Pooled only when nothing of this Db's use is left on the connection.
  if (ino_ != 0 && !InTransaction() && sqlite3_next_stmt(db_, nullptr) == nullptr) {
    ThePool().Give(pool_key_, Pooled{db_, dev_, ino_});
    return;
  }
  sqlite3_close_v2(db_);
}

void Db::Fail(int rc, const std::string& what) const {
  std::string msg =
      "sqlite sink: " + what + ": " + sqlite3_errmsg(db_) + " (" + sqlite3_errstr(rc) + ")";
  int primary = rc & 0xff;
  // Another writer holds the lock: nothing of this call is committed and a
  // later retry can succeed. Anything else (full disk, corruption,
  // constraint) will not fix itself.
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Retryable(msg);
  throw Fatal(msg);
}

void Db::Exec(const std::string& sql) {
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

void Db::Prepare(Stmt& st, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    Fail(rc, "preparing " + sql.substr(0, 200));
  }
  st.Reset(s);
}

void Db::StepDone(sqlite3_stmt* st, const std::string& what) {
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) {
    sqlite3_reset(st);
    Fail(rc, what);
  }
  sqlite3_reset(st);
}

bool Db::TableExists(const std::string& table) {
  Stmt st;
  Prepare(st, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  BindText(st.get(), 1, table);
  int rc = sqlite3_step(st.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) Fail(rc, "looking up table " + Quote(table));
  return rc == SQLITE_ROW;
}

bool Db::HasColumn(const std::string& table, const std::string& column) {
  Stmt st;
  Prepare(st, "SELECT 1 FROM pragma_table_info(?1) WHERE lower(name) = ?2");
  BindText(st.get(), 1, table);
  BindText(st.get(), 2, Lower(column));
  int rc = sqlite3_step(st.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) Fail(rc, "reading the columns of " + Quote(table));
  return rc == SQLITE_ROW;
}

}  // namespace spsync::sqlite
