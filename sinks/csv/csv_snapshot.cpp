// The CSV sink's snapshot.csv: the live items of the persisted change log,
// one row each, in ID order (see csv_snapshot.hpp).
#include "csv_snapshot.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <memory>
#include <unordered_map>

#include "csv_format.hpp"

namespace spsync::csv {

namespace fs = std::filesystem;
using spsync::sdk::Fatal;

std::string WriteSnapshot(const std::string& folder, uint32_t file_index, uint64_t offset,
                          char delim) {
  // Replay the change files in order, remembering only where the latest
  // row of each live item is (file, offset): memory grows with the number
  // of live items (about 40 bytes each), not with their size.
  std::vector<uint32_t> indexes;
  for (const auto& entry : fs::directory_iterator(folder)) {
    uint32_t idx = FileIndex(entry.path().filename().string());
    if (idx != 0 && idx <= file_index) indexes.push_back(idx);
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
    file.map = std::make_unique<Mapped>(folder + "/" + FileName(idx));
    std::string_view d = file.map->view();
    if (idx == file_index && d.size() > offset) d = d.substr(0, offset);
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
      if (std::from_chars(cells[3].data(), cells[3].data() + cells[3].size(), id).ec != std::errc())
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

  const std::string path = folder + "/snapshot.csv", tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Fatal(Errno("csv sink: creating " + tmp));
  std::string out;
  // Cells are copied as the change log holds them (already formula-escaped
  // when written), so no second escape is applied here.
  AppendCell(out, "id", delim, false);
  for (const auto& c : columns) {
    out += delim;
    AppendCell(out, c, delim, false);
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
        out += delim;
        AppendCell(out, r, delim, false);
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
  FsyncPath(folder, true);
  return path;
}

}  // namespace spsync::csv
