#include "csv_format.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <map>

namespace spsync::csv {

using spsync::sdk::AppendJsonString;
using spsync::sdk::Fatal;

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

std::string VersionsFileName(uint32_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "versions-%06u.csv", index);
  return buf;
}

std::string FieldsFileName(uint32_t index) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "schema-%06u.ndjson", index);
  return buf;
}

int64_t ToInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

uint32_t FileIndex(const std::string& name, std::string_view prefix, std::string_view suffix) {
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
  // A leading apostrophe is escaped too, so the escape can be undone exactly
  // (UnescapeCell): "'=x" is written as "''=x", "=x" as "'=x".
  bool formula = escape && !cell.empty() &&
                 (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' ||
                  cell[0] == '\t' || cell[0] == '\r' || cell[0] == '\'');
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

std::string_view UnescapeCell(std::string_view cell, bool escaped) {
  if (escaped && !cell.empty() && cell[0] == '\'') cell.remove_prefix(1);
  return cell;
}

spsync::sdk::StoredValue CellValue(std::string_view cell, int32_t value_type, bool escaped) {
  using spsync::sdk::StoredValue;
  // An empty cell is NULL: CSV cannot tell an empty text from no value.
  if (cell.empty()) return StoredValue::Null();
  switch (value_type) {
    case SPSYNC_VALUE_INTEGER: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
      if (ec == std::errc() && p == cell.data() + cell.size()) return StoredValue::Integer(v);
      break;  // text from before a type change
    }
    case SPSYNC_VALUE_REAL: {
      double v = 0;
      auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
      if (ec == std::errc() && p == cell.data() + cell.size()) return StoredValue::Real(v);
      break;
    }
    case SPSYNC_VALUE_BOOLEAN:
      if (cell == "true") return StoredValue::Boolean(true);
      if (cell == "false") return StoredValue::Boolean(false);
      break;
    case SPSYNC_VALUE_DATETIME: {
      int64_t unix_seconds = 0;
      if (spsync::sdk::ParseIsoUtc(cell, &unix_seconds))
        return StoredValue::DateTime(unix_seconds, std::string(cell));
      break;
    }
    case SPSYNC_VALUE_JSON:
      return StoredValue::Json(std::string(UnescapeCell(cell, escaped)));
    default:
      break;
  }
  return StoredValue::Text(std::string(UnescapeCell(cell, escaped)));
}

void AppendValue(std::string& out, const spsync_value& v, char delim, bool escape) {
  char num[32];
  switch (v.type) {
    case SPSYNC_VALUE_TEXT:
    case SPSYNC_VALUE_JSON:
      AppendCell(out, spsync::sdk::View(v.s), delim, escape);
      break;
    case SPSYNC_VALUE_INTEGER:
      out += std::to_string(v.i);
      break;
    case SPSYNC_VALUE_BOOLEAN:
      out += v.i != 0 ? "true" : "false";
      break;
    case SPSYNC_VALUE_REAL: {
      // Shortest text that reads back as the same double.
      auto r = std::to_chars(num, num + sizeof(num), v.r);
      out.append(num, r.ptr);
      break;
    }
    case SPSYNC_VALUE_DATETIME:
      if (v.s.len != 0)
        AppendCell(out, spsync::sdk::View(v.s), delim, false);
      else
        out += IsoUtc(v.i);
      break;
    default:  // SPSYNC_VALUE_NULL: an empty cell
      break;
  }
}

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

Mapped::Mapped(const std::string& path) {
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

Mapped::~Mapped() {
  if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
}

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

std::string FieldsFileContent(const spsync::sdk::Schema& schema, bool escaped) {
  std::string out = "{\"format\":1,\"entity\":" + JsonString(schema.entity()) +
                    ",\"listId\":" + JsonString(schema.list_id()) +
                    ",\"listTitle\":" + JsonString(schema.list_title()) +
                    ",\"fingerprint\":" + JsonString(schema.fingerprint()) +
                    ",\"definition\":" + JsonString(schema.definition()) +
                    ",\"formulaEscape\":" + (escaped ? "1" : "0") +
                    ",\"fields\":" + std::to_string(schema.size()) + "}\n";
  for (size_t i = 0; i < schema.size(); ++i) {
    const spsync_field& f = schema.field(i);
    out += "{\"name\":" + JsonString(spsync::sdk::View(f.name)) +
           ",\"title\":" + JsonString(spsync::sdk::View(f.title)) +
           ",\"spType\":" + JsonString(spsync::sdk::View(f.sp_type)) +
           ",\"valueType\":" + std::to_string(f.value_type) +
           ",\"role\":" + std::to_string(spsync::sdk::FieldRole(f)) +
           ",\"resolves\":" + JsonString(spsync::sdk::FieldResolves(f)) +
           ",\"definition\":" + JsonString(spsync::sdk::FieldDefinition(f)) + "}\n";
  }
  return out;
}

FileSchema ParseFieldsFile(std::string_view text, const std::string& path) {
  FileSchema out;
  size_t pos = 0;
  std::vector<std::map<std::string, std::string>> lines;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    if (end > pos) lines.push_back(ParseFlatJson(text.substr(pos, end - pos)));
    pos = end + 1;
  }
  if (lines.empty()) throw Fatal("csv sink: " + path + " is empty");
  auto& head = lines[0];
  out.schema.entity = head["entity"];
  out.schema.list_id = head["listId"];
  out.schema.list_title = head["listTitle"];
  out.schema.fingerprint = head["fingerprint"];
  out.schema.definition = head["definition"];
  out.escaped = head["formulaEscape"] == "1";
  auto number = [&](std::map<std::string, std::string>& m, const char* key) {
    int32_t v = 0;
    const std::string& text = m[key];
    std::from_chars(text.data(), text.data() + text.size(), v);
    return v;
  };
  for (size_t i = 1; i < lines.size(); ++i) {
    spsync::sdk::StoredField f;
    f.name = lines[i]["name"];
    f.title = lines[i]["title"];
    f.sp_type = lines[i]["spType"];
    f.value_type = number(lines[i], "valueType");
    f.role = number(lines[i], "role");
    f.resolves = lines[i]["resolves"];
    f.definition = lines[i]["definition"];
    out.schema.fields.push_back(std::move(f));
  }
  if (out.schema.fields.size() != static_cast<size_t>(number(head, "fields")))
    throw Fatal("csv sink: " + path + " is incomplete");
  return out;
}

std::string ReadWholeFile(const std::string& path) {
  Mapped m(path);
  return std::string(m.view());
}

void WriteFileDurably(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Fatal(Errno("csv sink: cannot create " + path));
  try {
    WriteAll(fd, content, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw Fatal(Errno("csv sink: fsync " + path));
}

}  // namespace spsync::csv
