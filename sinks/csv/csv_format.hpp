// The CSV sink's file formats and file helpers: RFC 4180 cells (with the
// injective formula escape), typed cells back to values, the flat JSON of
// state.json and of the schema files, file names of the change, versions and
// schema files, safe entity folder names, and durable writes.
//
// Thread safety: pure functions; a Mapped is used by one thread at a time.
#ifndef SPSYNC_SINKS_CSV_CSV_FORMAT_HPP_
#define SPSYNC_SINKS_CSV_CSV_FORMAT_HPP_

#include <spsync/sink.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::csv {

constexpr size_t kFlushBytes = 1 << 20;

// "<what>: <strerror(errno)>".
std::string Errno(const std::string& what);
std::string IsoUtc(int64_t unix_seconds);

// changes-000001.csv, versions-000001.csv, schema-000001.ndjson
std::string FileName(uint32_t index);
std::string VersionsFileName(uint32_t index);
std::string FieldsFileName(uint32_t index);
// The index in `name` if it is `prefix` + digits + `suffix`, else 0.
uint32_t FileIndex(const std::string& name, std::string_view prefix = "changes-",
                   std::string_view suffix = ".csv");

// The decimal integer at the start of `s` (0 when there is none): the
// numbers this sink wrote itself (ids, sizes, sequence numbers).
int64_t ToInt(std::string_view s);

// A folder name for an entity that cannot leave `dir` (see csv_format.cpp).
std::string SafeName(std::string_view entity);

// JSON string literal of `s`.
std::string JsonString(std::string_view s);
// A flat JSON object of strings and integers (what this sink writes).
std::map<std::string, std::string> ParseFlatJson(std::string_view j);

// Appends one cell, quoted per RFC 4180 when it holds the delimiter, a quote
// or a line break. With `escape`, a cell a spreadsheet would evaluate as a
// formula (= + - @, a leading tab or CR) and a cell starting with an
// apostrophe get a leading apostrophe, so UnescapeCell can undo it exactly.
void AppendCell(std::string& out, std::string_view cell, char delim, bool escape);
std::string_view UnescapeCell(std::string_view cell, bool escaped);
// One typed value as a cell (text and JSON escaped when `escape`).
void AppendValue(std::string& out, const spsync_value& v, char delim, bool escape);
// A cell back to a value of `value_type` (a cell that does not parse as that
// type, e.g. from before a type change, comes back as text). Empty = NULL.
spsync::sdk::StoredValue CellValue(std::string_view cell, int32_t value_type, bool escaped);

// Parses one record starting at `pos`; returns the position after its line
// break. Accepts CRLF and LF endings.
size_t ParseRecord(std::string_view d, size_t pos, char delim, std::vector<std::string>& cells);

// The schema file written next to each change file: the list on the first
// line, one field per line (flat JSON objects), and whether text cells of
// that change file are formula-escaped.
struct FileSchema {
  spsync::sdk::StoredSchema schema;
  bool escaped = true;
};
std::string FieldsFileContent(const spsync::sdk::Schema& schema, bool escaped);
FileSchema ParseFieldsFile(std::string_view text, const std::string& path);

// A read-only mapping of a whole file.
class Mapped {
 public:
  explicit Mapped(const std::string& path);
  ~Mapped();
  Mapped(const Mapped&) = delete;
  Mapped& operator=(const Mapped&) = delete;
  std::string_view view() const { return {data_ == nullptr ? "" : data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

std::string ReadWholeFile(const std::string& path);
// Writes all of `bytes` or throws Fatal (a retry could duplicate a partial write).
void WriteAll(int fd, std::string_view bytes, const std::string& path);
// Creates / replaces `path` with `content` and fsyncs it.
void WriteFileDurably(const std::string& path, std::string_view content);
void FsyncPath(const std::string& path, bool directory);

}  // namespace spsync::csv

#endif  // SPSYNC_SINKS_CSV_CSV_FORMAT_HPP_
