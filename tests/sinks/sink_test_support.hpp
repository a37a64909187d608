// Hand-built ABI structs (schemas and items) and independent readers (the
// sqlite3 CLI, Python's csv module) for the sink tests.
#pragma once

#include <spsync/sink.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "plugin_loader.hpp"

namespace spsync::test {

namespace fs = std::filesystem;

struct FieldDef {
  std::string name;
  std::string title;
  std::string sp_type;
  int32_t type;
  // ABI 1.2: a resolved person / lookup, and SharePoint's definition.
  int32_t role = SPSYNC_FIELD_PLAIN;
  std::string resolves = "";
  std::string definition = "";
};

// A schema whose strings and arrays live as long as the holder.
class SchemaHolder {
 public:
  SchemaHolder(std::string entity, std::vector<FieldDef> defs, std::string fingerprint = "")
      : entity_(std::move(entity)), defs_(std::move(defs)), fingerprint_(std::move(fingerprint)) {
    if (fingerprint_.empty()) {
      // Like the engine's: changes whenever a name or a type changes.
      for (const auto& d : defs_) fingerprint_ += d.name + ":" + std::to_string(d.type) + ";";
    }
    fields_.resize(defs_.size());
    for (size_t i = 0; i < defs_.size(); ++i) {
      spsync_field& f = fields_[i];
      std::memset(&f, 0, sizeof(f));
      f.struct_size = sizeof(f);
      f.value_type = defs_[i].type;
      f.name = S(defs_[i].name);
      f.title = S(defs_[i].title);
      f.sp_type = S(defs_[i].sp_type);
      f.role = defs_[i].role;
      f.resolves = S(defs_[i].resolves);
      f.definition = S(defs_[i].definition);
      ptrs_.push_back(&fields_[i]);
    }
    std::memset(&schema_, 0, sizeof(schema_));
    schema_.struct_size = sizeof(schema_);
    schema_.entity = S(entity_);
    schema_.list_id = S(list_id_);
    schema_.list_title = S(entity_);
    schema_.fields = ptrs_.data();
    schema_.field_count = ptrs_.size();
    schema_.fingerprint = S(fingerprint_);
    schema_.definition = S(list_definition_);
  }
  SchemaHolder(const SchemaHolder&) = delete;
  const spsync_schema* get() const { return &schema_; }
  const std::vector<FieldDef>& defs() const { return defs_; }

 private:
  std::string entity_;
  std::vector<FieldDef> defs_;
  std::string fingerprint_;
  std::string list_id_ = "8f2c1d3e-0000-4000-8000-000000000001";
  std::string list_definition_ = "{\"BaseTemplate\":100,\"Title\":\"" + entity_ + "\"}";
  std::vector<spsync_field> fields_;
  std::vector<const spsync_field*> ptrs_;
  spsync_schema schema_;
};

// One value, owning its text.
struct V {
  int32_t type = SPSYNC_VALUE_NULL;
  int64_t i = 0;
  double r = 0;
  std::string s;
  static V Null() { return V{}; }
  static V Text(std::string t) { return V{SPSYNC_VALUE_TEXT, 0, 0, std::move(t)}; }
  static V Int(int64_t v) { return V{SPSYNC_VALUE_INTEGER, v, 0, {}}; }
  static V Real(double v) { return V{SPSYNC_VALUE_REAL, 0, v, {}}; }
  static V Bool(bool v) { return V{SPSYNC_VALUE_BOOLEAN, v ? 1 : 0, 0, {}}; }
  static V Date(int64_t unix, std::string iso) {
    return V{SPSYNC_VALUE_DATETIME, unix, 0, std::move(iso)};
  }
  static V Json(std::string j) { return V{SPSYNC_VALUE_JSON, 0, 0, std::move(j)}; }
};

struct ItemDef {
  ItemDef(int64_t id_, std::vector<V> values_, std::string raw_ = "",
          std::string modified_ = "2024-01-31T08:00:00Z", std::string version_ = "\"1\"")
      : id(id_),
        values(std::move(values_)),
        raw(std::move(raw_)),
        modified(std::move(modified_)),
        version(std::move(version_)) {}
  int64_t id;
  std::vector<V> values;
  std::string raw;  // empty: a small JSON object is made up
  std::string modified;
  std::string version;
};

// A batch of items whose storage lives as long as the holder.
class Batch {
 public:
  Batch() = default;
  explicit Batch(std::vector<ItemDef> defs) {
    for (auto& d : defs) Add(std::move(d));
  }
  Batch(const Batch&) = delete;
  void Add(ItemDef d) {
    if (d.raw.empty())
      d.raw = "{\"ID\":" + std::to_string(d.id) + ",\"odata.etag\":\"" + d.version + "\"}";
    defs_.push_back(std::move(d));
    built_ = false;
  }
  const std::vector<const spsync_item*>& items() {
    if (!built_) Build();
    return ptrs_;
  }

 private:
  void Build() {
    values_.assign(defs_.size(), {});
    items_.assign(defs_.size(), spsync_item{});
    ptrs_.clear();
    for (size_t n = 0; n < defs_.size(); ++n) {
      const ItemDef& d = defs_[n];
      for (const V& v : d.values) {
        spsync_value sv;
        std::memset(&sv, 0, sizeof(sv));
        sv.type = v.type;
        sv.i = v.i;
        sv.r = v.r;
        sv.s = S(v.s);
        values_[n].push_back(sv);
      }
      spsync_item& it = items_[n];
      std::memset(&it, 0, sizeof(it));
      it.struct_size = sizeof(it);
      it.kind = SPSYNC_CHANGE_FULL_SYNC;
      it.id = d.id;
      it.guid = S(guid_);
      it.modified = S(d.modified);
      it.modified_unix = 1706688000;
      it.version = S(d.version);
      it.raw_json = S(d.raw);
      it.values = values_[n].data();
      it.value_count = values_[n].size();
      ptrs_.push_back(&it);
    }
    built_ = true;
  }
  std::deque<ItemDef> defs_;
  std::string guid_ = "0b5e7d0c-1111-4222-8333-444455556666";
  std::vector<std::vector<spsync_value>> values_;
  std::vector<spsync_item> items_;
  std::vector<const spsync_item*> ptrs_;
  bool built_ = false;
};

// One item version (ABI 1.2), owning its text.
struct VersionDef {
  int64_t item_id;
  int64_t version_id;
  std::string label;
  std::vector<V> values;  // aligned to the schema, or empty
  std::string editor_name = "Ada Lovelace";
  std::string editor_email = "ada@contoso.com";
  int64_t editor_id = 12;
  std::string modified = "2024-02-01T10:00:00Z";
  std::string raw = "";  // empty: a small JSON object is made up
};

// A batch of versions whose storage lives as long as the holder.
class VersionBatch {
 public:
  explicit VersionBatch(std::vector<VersionDef> defs) : defs_(std::move(defs)) {
    values_.resize(defs_.size());
    raw_.resize(defs_.size());
    for (size_t n = 0; n < defs_.size(); ++n) {
      VersionDef& d = defs_[n];
      if (d.raw.empty())
        d.raw = "{\"ID\":" + std::to_string(d.item_id) + ",\"VersionLabel\":\"" + d.label + "\"}";
      for (const V& v : d.values) {
        spsync_value sv;
        std::memset(&sv, 0, sizeof(sv));
        sv.type = v.type;
        sv.i = v.i;
        sv.r = v.r;
        sv.s = S(v.s);
        values_[n].push_back(sv);
      }
      spsync_version& r = raw_[n];
      std::memset(&r, 0, sizeof(r));
      r.struct_size = sizeof(r);
      r.item_id = d.item_id;
      r.version_id = d.version_id;
      r.label = S(d.label);
      r.modified = S(d.modified);
      r.modified_unix = 1706781600;
      r.editor_id = d.editor_id;
      r.editor_name = S(d.editor_name);
      r.editor_email = S(d.editor_email);
      r.raw_json = S(d.raw);
      r.values = values_[n].empty() ? nullptr : values_[n].data();
      r.value_count = values_[n].size();
    }
    for (auto& r : raw_) ptrs_.push_back(&r);
  }
  VersionBatch(const VersionBatch&) = delete;
  const std::vector<const spsync_version*>& versions() const { return ptrs_; }

 private:
  std::vector<VersionDef> defs_;
  std::vector<std::vector<spsync_value>> values_;
  std::vector<spsync_version> raw_;
  std::vector<const spsync_version*> ptrs_;
};

// The realistic SharePoint field set used by most tests: every value type
// and the field types the emulator produces.
inline std::vector<FieldDef> SharePointFields() {
  return {
      {"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
      {"Notes", "Notes", "Note", SPSYNC_VALUE_TEXT},
      {"Amount", "Amount", "Number", SPSYNC_VALUE_REAL},
      {"Price", "Price", "Currency", SPSYNC_VALUE_REAL},
      {"Quantity", "Quantity", "Integer", SPSYNC_VALUE_INTEGER},
      {"ID", "ID", "Counter", SPSYNC_VALUE_INTEGER},
      {"Due", "Due date", "DateTime", SPSYNC_VALUE_DATETIME},
      {"Done", "Done", "Boolean", SPSYNC_VALUE_BOOLEAN},
      {"Status", "Status", "Choice", SPSYNC_VALUE_TEXT},
      {"Tags", "Tags", "MultiChoice", SPSYNC_VALUE_JSON},
      {"CustomerId", "Customer", "Lookup", SPSYNC_VALUE_INTEGER},
      {"AssignedToId", "Assigned to", "User", SPSYNC_VALUE_INTEGER},
      {"Link", "Link", "URL", SPSYNC_VALUE_JSON},
  };
}

inline const std::string kNote = "Ünïcødé, \"quoted\" text\nsecond line, 日本語 ✓\r\nthird";

// Values for item `id` aligned to SharePointFields().
inline std::vector<V> SharePointValues(int64_t id, const std::string& title) {
  return {
      V::Text(title),
      V::Text(kNote),
      V::Real(1.5 * static_cast<double>(id) + 0.25),
      V::Real(19.99),
      V::Int(id * 10 - 5),
      V::Int(id),
      id % 2 == 0 ? V::Date(1706688000 + id, "") : V::Date(0, "2024-01-31T08:00:00Z"),
      V::Bool(id % 2 == 1),
      V::Text("=HYPERLINK(\"http://evil\",\"x\")"),
      V::Json("[\"Red\",\"Blue, dark\"]"),
      id % 3 == 0 ? V::Null() : V::Int(7),
      V::Int(12),
      V::Json("{\"Url\":\"https://example.com/a?b=1\",\"Description\":\"Ex, \\\"ample\\\"\"}"),
  };
}

inline std::string Iso(int64_t unix) {
  std::time_t t = unix;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "spsync-sink-test-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }

 private:
  fs::path path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Runs a shell command, returns its stdout; fails the test on a non-zero exit.
inline std::string Run(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) throw std::runtime_error("command failed (" + std::to_string(rc) + "): " + command);
  return out;
}

// Rows of an SQL query as the sqlite3 CLI prints them (-json), one JSON
// object per row. The SQL goes through a file so no shell quoting applies.
inline Poco::JSON::Array::Ptr SqliteQuery(const std::string& db, const std::string& sql) {
  const std::string sql_path = db + ".query.sql";
  WriteAll(sql_path, sql + ";\n");
  std::string out = Run(std::string(SPSYNC_SQLITE3) + " -json '" + db + "' < '" + sql_path + "'");
  fs::remove(sql_path);
  if (out.find_first_not_of(" \r\n") == std::string::npos) return new Poco::JSON::Array();
  Poco::JSON::Parser parser;
  return parser.parse(out).extract<Poco::JSON::Array::Ptr>();
}

inline Poco::JSON::Object::Ptr ParseJson(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

inline Poco::JSON::Object::Ptr ParseJsonFile(const std::string& path) {
  return ParseJson(ReadAll(path));
}

// Rows of a CSV file as Python's csv module reads them: a list of lists.
inline Poco::JSON::Array::Ptr PythonCsv(const std::string& path, const std::string& delimiter) {
  std::string out = Run(std::string(SPSYNC_PYTHON3) + " '" + SPSYNC_TESTS_DIR +
                        "/sinks/read_csv.py' '" + delimiter + "' '" + path + "'");
  Poco::JSON::Parser parser;
  return parser.parse(out).extract<Poco::JSON::Array::Ptr>();
}

// The rows of several files in one Python run (interpreter start-up is the
// slow part): element i is the list of rows of paths[i].
inline std::vector<Poco::JSON::Array::Ptr> PythonCsvFiles(const std::vector<std::string>& paths,
                                                          const std::string& delimiter) {
  if (paths.empty()) return {};
  if (paths.size() == 1) return {PythonCsv(paths[0], delimiter)};
  std::string cmd = std::string(SPSYNC_PYTHON3) + " '" + SPSYNC_TESTS_DIR +
                    "/sinks/read_csv.py' '" + delimiter + "'";
  for (const auto& p : paths) cmd += " '" + p + "'";
  Poco::JSON::Parser parser;
  auto all = parser.parse(Run(cmd)).extract<Poco::JSON::Array::Ptr>();
  std::vector<Poco::JSON::Array::Ptr> out;
  for (size_t i = 0; i < all->size(); ++i) out.push_back(all->getArray(static_cast<unsigned>(i)));
  return out;
}

inline std::string Cell(const Poco::JSON::Array::Ptr& rows, size_t row, size_t col) {
  return rows->getArray(static_cast<unsigned>(row))
      ->getElement<std::string>(static_cast<unsigned>(col));
}

// Runs `child` in a forked process that then kills itself with SIGKILL (so
// no destructor, atexit handler or buffered write runs), and waits for it.
template <typename Fn>
void RunChildAndKill(Fn&& child) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    child();
    raise(SIGKILL);
    _exit(3);  // not reached
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited instead of being killed, status " << status;
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
}

// Runs `child` (an endless persist loop) in a forked process and kills it
// with SIGKILL after `delay_us`, whatever it is doing at that instant.
template <typename Fn>
void RunChildKillAfter(useconds_t delay_us, Fn&& child) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    child();
    _exit(4);  // the loop ended: the parent asserts on this
  }
  usleep(delay_us);
  kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child ended before the kill, status " << status;
}

// Runs `child(signal)` in a forked process. The child calls signal() just
// before the step to interrupt (a persist); the parent SIGKILLs it `after_us`
// later. After its work the child waits to be killed, so it always dies by
// SIGKILL, whether or not the step finished in time.
template <typename Fn>
void RunChildKillAtSignal(useconds_t after_us, Fn&& child) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto signal = [&] {
      char c = 'x';
      if (write(fds[1], &c, 1) != 1) _exit(8);
    };
    child(signal);
    for (;;) pause();
  }
  close(fds[1]);
  char c = 0;
  ssize_t n = read(fds[0], &c, 1);
  close(fds[0]);
  if (n == 1) usleep(after_us);
  kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_EQ(n, 1) << "the child failed before reaching the step, status " << status;
  ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
}

}  // namespace spsync::test
