#include "csv_read.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <unordered_map>

namespace spsync::csv {

namespace fs = std::filesystem;
using spsync::sdk::StoredValue;

// One mapped change or versions file with what its rows mean.
struct Reader::File {
  std::unique_ptr<Mapped> map;
  std::string_view data;
  char delim = ',';
  std::vector<std::string> header;  // cell names
  FileSchema schema;                // of the change file it belongs to
  bool has_schema = false;
  // header position -> index in the newest schema (-1: not in it)
  std::vector<int> to_newest;
  // header position -> the file's own type for that cell
  std::vector<int32_t> types;
};

namespace {

void AppendJsonValue(std::string& out, const StoredValue& v) {
  char num[32];
  switch (v.type) {
    case SPSYNC_VALUE_INTEGER:
      out += std::to_string(v.i);
      break;
    case SPSYNC_VALUE_REAL: {
      auto r = std::to_chars(num, num + sizeof(num), v.r);
      out.append(num, r.ptr);
      break;
    }
    case SPSYNC_VALUE_BOOLEAN:
      out += v.i != 0 ? "true" : "false";
      break;
    case SPSYNC_VALUE_JSON:
      out += v.s.empty() ? "null" : v.s;
      break;
    case SPSYNC_VALUE_TEXT:
    case SPSYNC_VALUE_DATETIME:
      spsync::sdk::AppendJsonString(out, v.s);
      break;
    default:
      out += "null";
  }
}

}  // namespace

Reader::Reader(std::string folder, uint32_t last_file, uint64_t last_offset,
               uint64_t versions_offset)
    : folder_(std::move(folder)),
      last_file_(last_file),
      last_offset_(last_offset),
      versions_offset_(versions_offset) {}

Reader::~Reader() = default;

void Reader::Load() {
  if (loaded_) return;
  loaded_ = true;
  std::error_code ec;
  // The newest schema: its schema-00000N.ndjson, or (files from before those
  // existed) the header's names as text fields.
  std::map<uint32_t, FileSchema> schemas;
  for (uint32_t idx = 1; idx <= last_file_; ++idx) {
    const std::string path = folder_ + "/" + FieldsFileName(idx);
    if (fs::exists(path, ec)) schemas[idx] = ParseFieldsFile(ReadWholeFile(path), path);
  }
  auto open = [&](const std::string& name, uint64_t limit, const char* first_cell,
                  uint32_t idx) -> std::unique_ptr<File> {
    const std::string path = folder_ + "/" + name;
    if (!fs::exists(path, ec)) return nullptr;
    auto f = std::make_unique<File>();
    f->map = std::make_unique<Mapped>(path);
    f->data = f->map->view();
    if (limit != 0 && f->data.size() > limit) f->data = f->data.substr(0, limit);
    const size_t n = std::string_view(first_cell).size();
    if (f->data.size() <= n || f->data.compare(0, n, first_cell) != 0) return nullptr;
    // Each file's delimiter is the byte after its first header cell.
    f->delim = f->data[n];
    ParseRecord(f->data, 0, f->delim, f->header);
    auto it = schemas.find(idx);
    f->has_schema = it != schemas.end();
    if (f->has_schema) f->schema = it->second;
    return f;
  };
  std::vector<std::unique_ptr<File>> changes, versions;
  for (uint32_t idx = 1; idx <= last_file_; ++idx) {
    changes.push_back(open(FileName(idx), idx == last_file_ ? last_offset_ : 0, "_op", idx));
    versions.push_back(
        open(VersionsFileName(idx), idx == last_file_ ? versions_offset_ : 0, "_at", idx));
  }
  // A versions file of the current change file with nothing persisted in it.
  if (!versions.empty() && versions_offset_ == 0) versions.back().reset();

  if (!schemas.empty() && schemas.rbegin()->first == last_file_) {
    schema_ = schemas.rbegin()->second.schema;
    has_schema_ = true;
  } else if (!changes.empty() && changes.back() != nullptr) {
    for (size_t i = 4; i < changes.back()->header.size(); ++i) {
      spsync::sdk::StoredField f;
      f.name = f.title = std::string(UnescapeCell(changes.back()->header[i], true));
      f.value_type = SPSYNC_VALUE_TEXT;
      schema_.fields.push_back(std::move(f));
    }
    has_schema_ = true;
  }
  std::unordered_map<std::string, int> newest;
  for (size_t i = 0; i < schema_.fields.size(); ++i)
    newest[schema_.fields[i].name] = static_cast<int>(i);

  auto prepare = [&](File& f, size_t first_value) {
    std::unordered_map<std::string, int32_t> own;
    for (const auto& field : f.schema.schema.fields) own[field.name] = field.value_type;
    for (size_t i = 0; i < f.header.size(); ++i) {
      if (i < first_value) {
        f.to_newest.push_back(-1);
        f.types.push_back(SPSYNC_VALUE_TEXT);
        continue;
      }
      // Header names are escaped like text cells.
      const std::string name(UnescapeCell(f.header[i], f.has_schema ? f.schema.escaped : true));
      auto n = newest.find(name);
      f.to_newest.push_back(n == newest.end() ? -1 : n->second);
      auto o = own.find(name);
      f.types.push_back(o != own.end()      ? o->second
                        : n != newest.end() ? schema_.fields[n->second].value_type
                                            : SPSYNC_VALUE_TEXT);
    }
  };

  // Replay: the latest row of each live item, of each version.
  std::unordered_map<int64_t, Row> live;
  std::map<std::pair<int64_t, int64_t>, Row> latest_versions;
  std::vector<std::string> cells;
  for (size_t k = 0; k < changes.size(); ++k) {
    for (int kind = 0; kind < 2; ++kind) {
      std::unique_ptr<File>& f = kind == 0 ? changes[k] : versions[k];
      if (f == nullptr) continue;
      prepare(*f, kind == 0 ? 4 : 8);
      const uint32_t fi = static_cast<uint32_t>(files_.size());
      size_t pos = ParseRecord(f->data, 0, f->delim, cells);
      while (pos < f->data.size()) {
        const size_t start = pos;
        pos = ParseRecord(f->data, pos, f->delim, cells);
        if (kind == 0) {
          if (cells.size() < 4) continue;
          const int64_t id = ToInt(cells[3]);
          if (cells[0] == "upsert")
            live[id] = Row{id, 0, fi, start};
          else if (cells[0] == "delete")
            live.erase(id);
        } else {
          if (cells.size() < 8) continue;
          const int64_t item = ToInt(cells[1]), version = ToInt(cells[2]);
          latest_versions[{item, version}] = Row{item, version, fi, start};
        }
      }
      files_.push_back(std::move(f));
    }
  }
  items_.reserve(live.size());
  for (const auto& [id, row] : live) items_.push_back(row);
  std::sort(items_.begin(), items_.end(), [](const Row& a, const Row& b) { return a.a < b.a; });
  for (const auto& [key, row] : latest_versions) versions_.push_back(row);
}

std::vector<StoredValue> Reader::Values(const File& file, const std::vector<std::string>& cells,
                                        size_t first_value) const {
  std::vector<StoredValue> values(schema_.fields.size());
  const bool escaped = file.has_schema ? file.schema.escaped : true;
  for (size_t i = first_value; i < cells.size() && i < file.to_newest.size(); ++i) {
    if (file.to_newest[i] < 0) continue;
    values[file.to_newest[i]] = CellValue(cells[i], file.types[i], escaped);
  }
  return values;
}

std::string Reader::JsonObject(int64_t id, const std::vector<StoredValue>& values) const {
  std::string json = "{\"ID\":" + std::to_string(id);
  for (size_t i = 0; i < values.size(); ++i) {
    json += ',';
    spsync::sdk::AppendJsonString(json, schema_.fields[i].name);
    json += ':';
    AppendJsonValue(json, values[i]);
  }
  return json + '}';
}

bool Reader::Schema(spsync::sdk::StoredSchema& out) {
  Load();
  if (!has_schema_) return false;
  out = schema_;
  return true;
}

void Reader::Items(int64_t after_id, size_t max_count, std::vector<spsync::sdk::StoredItem>& out) {
  Load();
  auto it = std::upper_bound(items_.begin(), items_.end(), after_id,
                             [](int64_t id, const Row& r) { return id < r.a; });
  std::vector<std::string> cells;
  for (; it != items_.end() && out.size() < max_count; ++it) {
    const File& f = *files_[it->file];
    ParseRecord(f.data, it->offset, f.delim, cells);
    spsync::sdk::StoredItem item;
    item.id = it->a;
    item.values = Values(f, cells, 4);
    item.raw_json = JsonObject(item.id, item.values);
    out.push_back(std::move(item));
  }
}

void Reader::Versions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                      std::vector<spsync::sdk::StoredVersion>& out) {
  Load();
  auto it = std::upper_bound(versions_.begin(), versions_.end(),
                             std::make_pair(after_item_id, after_version_id),
                             [](const std::pair<int64_t, int64_t>& key, const Row& r) {
                               return key < std::make_pair(r.a, r.b);
                             });
  std::vector<std::string> cells;
  for (; it != versions_.end() && out.size() < max_count; ++it) {
    const File& f = *files_[it->file];
    ParseRecord(f.data, it->offset, f.delim, cells);
    if (cells.size() < 8) continue;
    const bool escaped = f.has_schema ? f.schema.escaped : true;
    spsync::sdk::StoredVersion v;
    v.item_id = it->a;
    v.version_id = it->b;
    v.label = std::string(UnescapeCell(cells[3], escaped));
    v.modified = cells[4];
    spsync::sdk::ParseIsoUtc(v.modified, &v.modified_unix);
    v.editor_id = ToInt(cells[5]);
    v.editor_name = std::string(UnescapeCell(cells[6], escaped));
    v.editor_email = std::string(UnescapeCell(cells[7], escaped));
    v.values = Values(f, cells, 8);
    v.raw_json = JsonObject(v.item_id, v.values);
    out.push_back(std::move(v));
  }
}

}  // namespace spsync::csv
