// Reading an entity back from the CSV sink (sink ABI 1.2 read-back): the
// schema of the newest change file (its schema-00000N.ndjson), the live items
// replayed from the change files (latest row per ID, deletes drop), and the
// versions from the versions files (latest row per (item, version)), in key
// order, in bounded batches.
//
// The replay keeps, per live item or version, only where its row is (file,
// byte offset); rows are parsed from the memory-mapped files when a batch
// is asked for. Cells go back to typed values with the schema of the file
// they are in (so a field whose type changed reads correctly on both sides),
// then are aligned by name to the newest schema. The CSV holds no raw JSON:
// raw_json is an object built from the stored fields ("ID" and each field by
// its internal name); an item's modified and version are empty.
//
// Ownership: owns its mappings. Thread safety: one thread at a time.
#ifndef SPSYNC_SINKS_CSV_CSV_READ_HPP_
#define SPSYNC_SINKS_CSV_CSV_READ_HPP_

#include <spsync/sink.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "csv_format.hpp"

namespace spsync::csv {

class Reader {
 public:
  // The persisted extent: change files 1..last_file, the last one up to
  // last_offset bytes, its versions file up to versions_offset bytes.
  Reader(std::string folder, uint32_t last_file, uint64_t last_offset, uint64_t versions_offset);
  ~Reader();

  bool Schema(spsync::sdk::StoredSchema& out);
  void Items(int64_t after_id, size_t max_count, std::vector<spsync::sdk::StoredItem>& out);
  void Versions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                std::vector<spsync::sdk::StoredVersion>& out);

 private:
  struct File;
  struct Row {
    int64_t a;  // item ID
    int64_t b;  // version ID (versions only)
    uint32_t file;
    uint64_t offset;
  };
  void Load();
  // Row at `offset` of `file` as values aligned to the newest schema.
  std::vector<spsync::sdk::StoredValue> Values(const File& file,
                                               const std::vector<std::string>& cells,
                                               size_t first_value) const;
  // {"ID":id,"<field>":value,...} of the newest schema's fields.
  std::string JsonObject(int64_t id, const std::vector<spsync::sdk::StoredValue>& values) const;

  std::string folder_;
  uint32_t last_file_;
  uint64_t last_offset_;
  uint64_t versions_offset_;
  bool loaded_ = false;
  bool has_schema_ = false;
  spsync::sdk::StoredSchema schema_;  // the newest
  std::vector<std::unique_ptr<File>> files_;
  std::vector<Row> items_;     // by ID
  std::vector<Row> versions_;  // by (item, version)
};

}  // namespace spsync::csv

#endif  // SPSYNC_SINKS_CSV_CSV_READ_HPP_
