// The CSV sink: an append-only change log per entity, exactly-once.
//
// Layout under `dir`: one folder per entity (name made safe, see SafeName),
// holding changes-000001.csv, changes-000002.csv, ... and state.json. Each
// change file starts with the header `_op,_seq,_at,id,<fields...>` and holds
// one row per upsert or delete. state.json records, at the last persist, the
// current file, its byte length and the next sequence number, together with
// the engine's opaque state. load_state() cuts every byte written after that
// point (truncating the current file, removing later ones), so whatever a
// killed session wrote but did not persist disappears and the engine replays
// it once: SPSYNC_CAP_TRANSACTIONAL_PERSIST holds.
//
// Delete ranges are not declared: a change log cannot expand "IDs 10..20"
// into rows without knowing which IDs exist, so the engine sends IDs.

#include <spsync/sink.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

namespace fs = std::filesystem;
using spsync::sdk::AppendJsonString;
using spsync::sdk::Base64Decode;
using spsync::sdk::Base64Encode;
using spsync::sdk::Call;
using spsync::sdk::Config;
using spsync::sdk::Fatal;
using spsync::sdk::Ids;
using spsync::sdk::Items;
using spsync::sdk::Retryable;
using spsync::sdk::Schema;
using spsync::sdk::View;

constexpr size_t kFlushBytes = 1 << 20;

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string IsoUtc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FileName(uint32_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "changes-%06u.csv", index);
  return buf;
}

// The index of a change file, or 0 if `name` is not one.
uint32_t FileIndex(const std::string& name) {
  constexpr std::string_view prefix = "changes-", suffix = ".csv";
  if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return 0;
  std::string_view digits(name.data() + prefix.size(), name.size() - prefix.size() - suffix.size());
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size()) return 0;
  return v;
}

// A folder name for an entity that cannot leave `dir`: no separators, no
// control characters, no leading dots ("..", hidden files), bounded length.
// When anything had to change, a hash of the original is appended so two
// entities that clean up to the same text still get different folders.
std::string SafeName(std::string_view entity) {
  std::string out;
  for (unsigned char c : entity) {
    bool bad = c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' ||
               c == '"' || c == '<' || c == '>' || c == '|';
    out += bad ? '_' : static_cast<char>(c);
  }
  size_t start = out.find_first_not_of(". ");
  out = start == std::string::npos ? std::string() : out.substr(start);
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  // Keep well under NAME_MAX (255 bytes) and cut on a UTF-8 boundary.
  if (out.size() > 120) {
    size_t cut = 120;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  if (out.empty()) out = "entity";
  if (out != entity) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a 64
    for (unsigned char c : entity) h = (h ^ c) * 1099511628211ull;
    char buf[20];
    std::snprintf(buf, sizeof(buf), "~%08llx", static_cast<unsigned long long>(h & 0xffffffffull));
    out += buf;
  }
  return out;
}

// ---- base64 for the opaque state bytes --------------------------------------

// ---- state.json: a flat object of strings and integers ----------------------

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

// Parses what WriteState() writes (and any flat JSON object of strings and
// integers): enough to read our own file back without a JSON library.
std::map<std::string, std::string> ParseFlatJson(std::string_view j) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  auto ws = [&] {
    while (i < j.size() && (j[i] == ' ' || j[i] == '\n' || j[i] == '\r' || j[i] == '\t')) ++i;
  };
  auto fail = [&](const char* why) -> std::string {
    throw Fatal(std::string("state.json is corrupt: ") + why + " at byte " + std::to_string(i));
  };
  auto str = [&]() -> std::string {
    if (i >= j.size() || j[i] != '"') return fail("expected a string");
    ++i;
    std::string s;
    while (i < j.size() && j[i] != '"') {
      char c = j[i++];
      if (c != '\\') {
        s += c;
        continue;
      }
      if (i >= j.size()) return fail("truncated escape");
      char e = j[i++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          s += e;
          break;
        case 'n':
          s += '\n';
          break;
        case 'r':
          s += '\r';
          break;
        case 't':
          s += '\t';
          break;
        case 'b':
          s += '\b';
          break;
        case 'f':
          s += '\f';
          break;
        case 'u': {
          if (i + 4 > j.size()) return fail("truncated \\u escape");
          unsigned v = 0;
          auto [p, ec] = std::from_chars(j.data() + i, j.data() + i + 4, v, 16);
          if (ec != std::errc() || p != j.data() + i + 4) return fail("bad \\u escape");
          i += 4;
          if (v < 0x80) {
            s += static_cast<char>(v);
          } else if (v < 0x800) {
            s += static_cast<char>(0xC0 | (v >> 6));
            s += static_cast<char>(0x80 | (v & 0x3F));
          } else {
            s += static_cast<char>(0xE0 | (v >> 12));
            s += static_cast<char>(0x80 | ((v >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (v & 0x3F));
          }
          break;
        }
        default:
          return fail("bad escape");
      }
    }
    if (i >= j.size()) return fail("unterminated string");
    ++i;
    return s;
  };
  ws();
  if (i >= j.size() || j[i] != '{') fail("expected '{'");
  ++i;
  ws();
  if (i < j.size() && j[i] == '}') return out;
  while (true) {
    ws();
    std::string key = str();
    ws();
    if (i >= j.size() || j[i] != ':') fail("expected ':'");
    ++i;
    ws();
    if (i < j.size() && j[i] == '"') {
      out[key] = str();
    } else {
      size_t b = i;
      while (i < j.size() && (j[i] == '-' || (j[i] >= '0' && j[i] <= '9'))) ++i;
      if (b == i) fail("expected a string or an integer");
      out[key] = std::string(j.substr(b, i - b));
    }
    ws();
    if (i < j.size() && j[i] == ',') {
      ++i;
      continue;
    }
    if (i < j.size() && j[i] == '}') break;
    fail("expected ',' or '}'");
  }
  return out;
}

// ---- CSV ---------------------------------------------------------------------

// Appends one cell, quoted per RFC 4180 when it holds the delimiter, a quote
// or a line break. With `escape`, a cell a spreadsheet would evaluate as a
// formula (= + - @, or a leading tab / CR) gets a leading apostrophe.
void AppendCell(std::string& out, std::string_view cell, char delim, bool escape) {
  bool formula = escape && !cell.empty() &&
                 (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' ||
                  cell[0] == '\t' || cell[0] == '\r');
  bool quote = false;
  for (char c : cell) {
    if (c == delim || c == '"' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote && !formula) {
    out.append(cell);
    return;
  }
  if (quote) out += '"';
  if (formula) out += '\'';
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  if (quote) out += '"';
}

// Parses one record starting at `pos`; returns the position after its line
// break. Accepts CRLF and LF endings.
size_t ParseRecord(std::string_view d, size_t pos, char delim, std::vector<std::string>& cells) {
  cells.clear();
  std::string cell;
  bool quoted = false;
  size_t i = pos;
  while (i < d.size()) {
    char c = d[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < d.size() && d[i + 1] == '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        ++i;
        continue;
      }
      cell += c;
      ++i;
      continue;
    }
    if (c == '"') {
      quoted = true;
      ++i;
    } else if (c == delim) {
      cells.push_back(std::move(cell));
      cell.clear();
      ++i;
    } else if (c == '\r' && i + 1 < d.size() && d[i + 1] == '\n') {
      i += 2;
      break;
    } else if (c == '\n') {
      ++i;
      break;
    } else {
      cell += c;
      ++i;
    }
  }
  cells.push_back(std::move(cell));
  return i;
}

// A read-only mapping of a whole file.
class Mapped {
 public:
  explicit Mapped(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Fatal(Errno("csv sink: cannot open " + path));
    struct stat st {};
    if (fstat(fd, &st) != 0) {
      ::close(fd);
      throw Fatal(Errno("csv sink: cannot stat " + path));
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        throw Fatal(Errno("csv sink: cannot map " + path));
      }
      data_ = static_cast<const char*>(p);
    }
    ::close(fd);
  }
  Mapped(const Mapped&) = delete;
  Mapped& operator=(const Mapped&) = delete;
  ~Mapped() {
    if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
  }
  std::string_view view() const { return {data_ == nullptr ? "" : data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

void WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      // Disk full and friends. Part of the bytes may be in the file, so a
      // retry of the same call could duplicate them: end the session instead;
      // the next load_state truncates back to the last persist.
      throw Fatal(Errno("csv sink: writing " + path));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw Fatal(Errno("csv sink: cannot open " + path + " to fsync it"));
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) throw Fatal(Errno("csv sink: fsync " + path));
}

class CsvSink : public spsync::sdk::Sink {
 public:
  explicit CsvSink(const Config& config)
      : dir_(config.Require("dir")),
        rotate_bytes_(config.GetInt("rotateBytes", 64ll << 20)),
        formula_escape_(config.GetBool("formulaEscape", true)) {
    std::string d = config.Get("delimiter", ",");
    if (d == "\\t" || d == "tab") d = "\t";
    if (d.size() != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n' || d[0] == '\'')
      throw Fatal("option 'delimiter' must be one character other than a quote or line break");
    delim_ = d[0];
    if (rotate_bytes_ <= 0) throw Fatal("option 'rotateBytes' must be positive");
  }

  ~CsvSink() override {
    // Unpersisted rows are discarded on the next load_state anyway; writing
    // them now would only waste the disk.
    if (fd_ >= 0) ::close(fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  static const std::vector<spsync_option>& Options() {
    using spsync::sdk::Option;
    static const std::vector<spsync_option> options = {
        Option("dir", SPSYNC_OPTION_PATH, true, nullptr,
               "root folder; each entity gets a sub-folder"),
        Option("delimiter", SPSYNC_OPTION_STRING, false, ",",
               "one-character cell separator (\"tab\" for a tab)"),
        Option("rotateBytes", SPSYNC_OPTION_INTEGER, false, "67108864",
               "start a new change file once the current one reaches this size"),
        Option("formulaEscape", SPSYNC_OPTION_BOOLEAN, false, "true",
               "prefix text cells starting with = + - @ with ' so spreadsheets do not run them"),
    };
    return options;
  }

  std::string LoadState(std::string_view entity) override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    buffer_.clear();
    begun_ = false;
    folder_ = (fs::path(dir_) / SafeName(entity)).string();
    std::error_code ec;
    fs::create_directories(folder_, ec);
    if (ec) throw Fatal("csv sink: cannot create " + folder_ + ": " + ec.message());
    Lock();

    // The persisted point; without state.json nothing was ever persisted.
    std::string state;
    file_index_ = 0;
    offset_ = 0;
    seq_ = 0;
    header_.clear();
    fingerprint_.clear();
    const std::string state_path = folder_ + "/state.json";
    fs::remove(state_path + ".tmp", ec);
    if (fs::exists(state_path)) {
      auto kv = ParseFlatJson(ReadFile(state_path));
      auto num = [&](const char* key) -> uint64_t {
        auto it = kv.find(key);
        uint64_t v = 0;
        if (it == kv.end() ||
            std::from_chars(it->second.data(), it->second.data() + it->second.size(), v).ec !=
                std::errc())
          throw Fatal(std::string("csv sink: state.json lacks a valid '") + key + "'");
        return v;
      };
      if (num("format") != 1) throw Fatal("csv sink: state.json has an unknown format");
      file_index_ = static_cast<uint32_t>(num("fileIndex"));
      offset_ = num("offset");
      seq_ = num("seq");
      header_ = kv["header"];
      fingerprint_ = kv["fingerprint"];
      state = Base64Decode(kv["state"], "state.json: state");
    }

    // Cut everything written after the persisted point.
    bool changed = false;
    for (const auto& entry : fs::directory_iterator(folder_)) {
      uint32_t idx = FileIndex(entry.path().filename().string());
      if (idx == 0) continue;
      if (idx > file_index_) {
        fs::remove(entry.path());
        changed = true;
      }
    }
    if (file_index_ > 0) {
      const std::string cur = CurrentPath();
      struct stat st {};
      if (::stat(cur.c_str(), &st) != 0)
        throw Fatal("csv sink: " + cur + " is missing but state.json names it");
      if (static_cast<uint64_t>(st.st_size) < offset_)
        throw Fatal("csv sink: " + cur + " is shorter (" + std::to_string(st.st_size) +
                    " bytes) than the persisted offset " + std::to_string(offset_));
      if (static_cast<uint64_t>(st.st_size) > offset_) {
        spsync::sdk::Log(SPSYNC_LOG_INFO, "csv sink: discarding " +
                                              std::to_string(st.st_size - offset_) +
                                              " unpersisted bytes of " + cur);
        if (::truncate(cur.c_str(), static_cast<off_t>(offset_)) != 0)
          throw Fatal(Errno("csv sink: truncating " + cur));
        FsyncPath(cur, false);
      }
    }
    if (changed) FsyncPath(folder_, true);
    bound_ = true;
    return state;
  }

  void Begin(const Schema& schema) override {
    if (!bound_) throw Fatal("csv sink: begin() before load_state()");
    std::string header;
    for (const char* c : {"_op", "_seq", "_at", "id"}) {
      if (!header.empty()) header += delim_;
      header += c;
    }
    types_.clear();
    for (size_t i = 0; i < schema.size(); ++i) {
      const spsync_field& f = schema.field(i);
      header += delim_;
      AppendCell(header, View(f.name), delim_, formula_escape_);
      types_.push_back(f.value_type);
    }
    header += "\r\n";
    std::string fingerprint(schema.fingerprint());
    if (file_index_ > 0 && header == header_ && fingerprint == fingerprint_) {
      OpenCurrent();
    } else {
      // A new schema (or the first one): a new file with the new header.
      StartFile(file_index_ + 1, header);
      fingerprint_ = fingerprint;
    }
    begun_ = true;
  }

  void Upsert(Items items, Call& call) override {
    RequireBegun();
    const std::string at = IsoUtc(static_cast<int64_t>(std::time(nullptr)));
    char num[32];
    for (size_t i = 0; i < items.size(); ++i) {
      const spsync_item* item = items[i];
      if (item == nullptr || item->struct_size < sizeof(spsync_item)) {
        call.Reject(i, "malformed item (NULL or struct too small)");
        continue;
      }
      if (item->value_count != types_.size() ||
          (item->value_count != 0 && item->values == nullptr)) {
        call.Reject(i, "item " + std::to_string(item->id) + " has " +
                           std::to_string(item->value_count) + " values; the schema has " +
                           std::to_string(types_.size()) + " fields");
        continue;
      }
      bool bad = false;
      for (size_t f = 0; f < item->value_count; ++f)
        if (item->values[f].type < SPSYNC_VALUE_NULL || item->values[f].type > SPSYNC_VALUE_JSON)
          bad = true;
      if (bad) {
        call.Reject(i, "item " + std::to_string(item->id) + " has a value of unknown type");
        continue;
      }
      MaybeRotate();
      const size_t before = buffer_.size();
      buffer_ += "upsert";
      buffer_ += delim_;
      buffer_ += std::to_string(++seq_);
      buffer_ += delim_;
      buffer_ += at;
      buffer_ += delim_;
      buffer_ += std::to_string(item->id);
      for (size_t f = 0; f < item->value_count; ++f) {
        const spsync_value& v = item->values[f];
        buffer_ += delim_;
        switch (v.type) {
          case SPSYNC_VALUE_TEXT:
          case SPSYNC_VALUE_JSON:
            AppendCell(buffer_, View(v.s), delim_, formula_escape_);
            break;
          case SPSYNC_VALUE_INTEGER:
            buffer_ += std::to_string(v.i);
            break;
          case SPSYNC_VALUE_BOOLEAN:
            buffer_ += v.i != 0 ? "true" : "false";
            break;
          case SPSYNC_VALUE_REAL: {
            // Shortest text that reads back as the same double.
            auto r = std::to_chars(num, num + sizeof(num), v.r);
            buffer_.append(num, r.ptr);
            break;
          }
          case SPSYNC_VALUE_DATETIME:
            if (v.s.len != 0)
              AppendCell(buffer_, View(v.s), delim_, false);
            else
              buffer_ += IsoUtc(v.i);
            break;
          default:  // SPSYNC_VALUE_NULL: an empty cell
            break;
        }
      }
      buffer_ += "\r\n";
      offset_ += buffer_.size() - before;
      if (buffer_.size() >= kFlushBytes) Flush();
    }
  }

  void Delete(Ids ids, Call& /*call*/) override {
    RequireBegun();
    const std::string at = IsoUtc(static_cast<int64_t>(std::time(nullptr)));
    for (int64_t id : ids) {
      MaybeRotate();
      const size_t before = buffer_.size();
      buffer_ += "delete";
      buffer_ += delim_;
      buffer_ += std::to_string(++seq_);
      buffer_ += delim_;
      buffer_ += at;
      buffer_ += delim_;
      buffer_ += std::to_string(id);
      // Empty cells keep every row as wide as the header (RFC 4180).
      buffer_.append(types_.size(), delim_);
      buffer_ += "\r\n";
      offset_ += buffer_.size() - before;
      if (buffer_.size() >= kFlushBytes) Flush();
    }
  }

  void Persist(std::string_view state) override {
    if (!bound_) throw Fatal("csv sink: persist() before load_state()");
    Flush();
    if (fd_ >= 0 && ::fdatasync(fd_) != 0) throw Retryable(Errno("csv sink: fdatasync"));
    std::string json =
        "{\n  \"format\": 1,\n  \"file\": " +
        JsonString(file_index_ == 0 ? "" : FileName(file_index_)) +
        ",\n  \"fileIndex\": " + std::to_string(file_index_) +
        ",\n  \"offset\": " + std::to_string(offset_) + ",\n  \"seq\": " + std::to_string(seq_) +
        ",\n  \"header\": " + JsonString(header_) +
        ",\n  \"fingerprint\": " + JsonString(fingerprint_) +
        ",\n  \"persistedAt\": " + JsonString(IsoUtc(static_cast<int64_t>(std::time(nullptr)))) +
        ",\n  \"state\": " + JsonString(Base64Encode(state)) + "\n}\n";
    const std::string path = folder_ + "/state.json", tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Retryable(Errno("csv sink: creating " + tmp));
    try {
      WriteAll(fd, json, tmp);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::fsync(fd) != 0) {
      ::close(fd);
      throw Retryable(Errno("csv sink: fsync " + tmp));
    }
    ::close(fd);
    // The commit point: rename is atomic, and the directory fsync makes both
    // it and any change file created since the last persist durable.
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw Retryable(Errno("csv sink: renaming " + tmp));
    FsyncPath(folder_, true);
  }

  void Snapshot(Call& call) override {
    if (!bound_) throw Fatal("csv sink: snapshot() before load_state()");
    Flush();
    // Replay the change files in order, remembering only where the latest
    // row of each live item is (file, offset): memory grows with the number
    // of live items (about 40 bytes each), not with their size.
    std::vector<uint32_t> indexes;
    for (const auto& entry : fs::directory_iterator(folder_)) {
      uint32_t idx = FileIndex(entry.path().filename().string());
      if (idx != 0 && idx <= file_index_) indexes.push_back(idx);
    }
    std::sort(indexes.begin(), indexes.end());
    struct Loc {
      uint32_t file;  // position in `files`
      uint64_t offset;
    };
    struct File {
      std::unique_ptr<Mapped> map;
      char delim;
      std::vector<std::string> fields;  // header names after `id`
    };
    std::vector<File> files;
    std::unordered_map<int64_t, Loc> live;
    std::vector<std::string> cells;
    for (uint32_t idx : indexes) {
      File file;
      file.map = std::make_unique<Mapped>(folder_ + "/" + FileName(idx));
      std::string_view d = file.map->view();
      if (idx == file_index_ && d.size() > offset_) d = d.substr(0, offset_);
      // The delimiter of each file is the byte after its first header cell,
      // so files written with another delimiter still replay.
      if (d.size() < 4 || d.compare(0, 3, "_op") != 0) continue;
      file.delim = d[3];
      size_t pos = ParseRecord(d, 0, file.delim, cells);
      if (cells.size() < 4) continue;
      file.fields.assign(cells.begin() + 4, cells.end());
      const uint32_t fi = static_cast<uint32_t>(files.size());
      while (pos < d.size()) {
        size_t start = pos;
        pos = ParseRecord(d, pos, file.delim, cells);
        if (cells.size() < 4) continue;
        int64_t id = 0;
        if (std::from_chars(cells[3].data(), cells[3].data() + cells[3].size(), id).ec !=
            std::errc())
          continue;
        if (cells[0] == "upsert")
          live[id] = Loc{fi, start};
        else if (cells[0] == "delete")
          live.erase(id);
      }
      files.push_back(std::move(file));
    }

    // Columns: the newest header's fields, then fields only older files had,
    // so no value of a live row is dropped.
    std::vector<std::string> columns;
    std::map<std::string, size_t> column_of;
    for (auto it = files.rbegin(); it != files.rend(); ++it)
      for (const auto& f : it->fields)
        if (column_of.emplace(f, columns.size()).second) columns.push_back(f);
    std::vector<std::vector<size_t>> maps(files.size());
    for (size_t fi = 0; fi < files.size(); ++fi)
      for (const auto& f : files[fi].fields) maps[fi].push_back(column_of[f]);

    std::vector<std::pair<int64_t, Loc>> order(live.begin(), live.end());
    live.clear();
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });

    const std::string path = folder_ + "/snapshot.csv", tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Fatal(Errno("csv sink: creating " + tmp));
    std::string out;
    // Cells are copied as the change log holds them (already formula-escaped
    // when written), so no second escape is applied here.
    AppendCell(out, "id", delim_, false);
    for (const auto& c : columns) {
      out += delim_;
      AppendCell(out, c, delim_, false);
    }
    out += "\r\n";
    std::vector<std::string> row(columns.size());
    try {
      for (const auto& [id, loc] : order) {
        const File& file = files[loc.file];
        std::string_view d = file.map->view();
        ParseRecord(d, loc.offset, file.delim, cells);
        for (auto& r : row) r.clear();
        for (size_t k = 4; k < cells.size() && k - 4 < maps[loc.file].size(); ++k)
          row[maps[loc.file][k - 4]] = std::move(cells[k]);
        out += std::to_string(id);
        for (const auto& r : row) {
          out += delim_;
          AppendCell(out, r, delim_, false);
        }
        out += "\r\n";
        if (out.size() >= kFlushBytes) {
          WriteAll(fd, out, tmp);
          out.clear();
        }
      }
      WriteAll(fd, out, tmp);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::fsync(fd) != 0) {
      ::close(fd);
      throw Fatal(Errno("csv sink: fsync " + tmp));
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw Fatal(Errno("csv sink: renaming " + tmp));
    FsyncPath(folder_, true);
    call.Message(path);
  }

  // For `spsync validate --connect`: `dir` exists (or can be created) and
  // files can be created in it.
  void Check(Call& call) override {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw Fatal("csv sink: cannot create " + dir_ + ": " + ec.message());
    const std::string probe = (fs::path(dir_) / ".spsync-check").string();
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Fatal(Errno("csv sink: cannot create files in " + dir_));
    ::close(fd);
    ::unlink(probe.c_str());
    call.Message(dir_ + " is writable");
  }

 private:
  std::string CurrentPath() const { return folder_ + "/" + FileName(file_index_); }

  void RequireBegun() const {
    if (!begun_) throw Fatal("csv sink: upsert/delete before begin()");
  }

  // One process per entity folder: a second instance would interleave its
  // rows and truncate the other's. flock is released by the kernel when the
  // process dies, so a killed session never leaves a stale lock.
  void Lock() {
    if (lock_fd_ >= 0) {
      ::close(lock_fd_);
      lock_fd_ = -1;
    }
    const std::string path = folder_ + "/.lock";
    lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) throw Fatal(Errno("csv sink: cannot open " + path));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      int saved = errno;
      ::close(lock_fd_);
      lock_fd_ = -1;
      if (saved == EWOULDBLOCK)
        throw Retryable("csv sink: " + folder_ + " is in use by another sink instance");
      errno = saved;
      throw Fatal(Errno("csv sink: locking " + path));
    }
  }

  static std::string ReadFile(const std::string& path) {
    Mapped m(path);
    return std::string(m.view());
  }

  void OpenCurrent() {
    if (fd_ >= 0) return;
    const std::string path = CurrentPath();
    fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) throw Fatal(Errno("csv sink: cannot open " + path));
    if (::lseek(fd_, static_cast<off_t>(offset_), SEEK_SET) < 0)
      throw Fatal(Errno("csv sink: seeking in " + path));
  }

  void StartFile(uint32_t index, const std::string& header) {
    Flush();
    if (fd_ >= 0) {
      // The finished file must be durable by the next persist, which only
      // syncs the current one.
      if (::fdatasync(fd_) != 0) throw Retryable(Errno("csv sink: fdatasync"));
      ::close(fd_);
      fd_ = -1;
    }
    file_index_ = index;
    const std::string path = CurrentPath();
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Fatal(Errno("csv sink: cannot create " + path));
    header_ = header;
    buffer_ = header;
    offset_ = header.size();
  }

  void MaybeRotate() {
    if (offset_ >= static_cast<uint64_t>(rotate_bytes_) && offset_ > header_.size())
      StartFile(file_index_ + 1, header_);
  }

  void Flush() {
    if (buffer_.empty()) return;
    if (fd_ < 0) throw Fatal("csv sink: no open change file");
    WriteAll(fd_, buffer_, CurrentPath());
    buffer_.clear();
  }

  std::string dir_;
  long long rotate_bytes_;
  bool formula_escape_;
  char delim_ = ',';
  std::string folder_;
  int fd_ = -1;
  int lock_fd_ = -1;
  bool bound_ = false;
  bool begun_ = false;
  uint32_t file_index_ = 0;  // current change file; 0 before the first
  uint64_t offset_ = 0;      // its length, buffered bytes included
  uint64_t seq_ = 0;         // the last _seq written
  std::string header_;       // the current file's header line
  std::string fingerprint_;  // the schema fingerprint it was written for
  std::vector<int32_t> types_;
  std::string buffer_;  // rows not yet written to fd_
};

}  // namespace

SPSYNC_SINK_PLUGIN(CsvSink, "csv", "1.0.0",
                   "CSV change log per entity (exactly-once), with snapshot.csv on demand",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_SNAPSHOT | SPSYNC_CAP_THREAD_SAFE)
