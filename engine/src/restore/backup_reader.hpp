// What a restore reads from a sink: the entity's stored schema and its
// items, either live (read_items) or as of a time (read_versions: per item,
// its last version made at or before that time), in ascending ID order and
// bounded batches. Values come from each item's JSON (raw_json), which
// every read-back sink returns (CSV builds it from its columns).
//
// Thread safety: one per restore, used from one thread.
#pragma once

#include "spsync/engine/sink.hpp"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>
#include <vector>

namespace spsync::engine::restore {

struct BackupField {
  std::string key;      // the item JSON key (AssignedToId for a person)
  std::string title;    // display title
  std::string sp_type;  // TypeAsString
  int role = SPSYNC_FIELD_PLAIN;
  std::string resolves;                     // for resolved fields: the ID field's key
  Poco::JSON::Object::Ptr definition;       // the field's SharePoint properties (may be null)
  std::string Def(const char* name) const;  // a definition property as text ("" if absent)
  bool DefTrue(const char* name) const;
};

struct BackupSchema {
  std::string entity, list_id, list_title;
  Poco::JSON::Object::Ptr definition;  // the list's properties (may be null)
  std::vector<BackupField> fields;
};

struct BackupItem {
  int64_t id = 0;
  Poco::JSON::Object::Ptr values;  // the item's JSON object
  std::string modified;            // as stored (may be empty)
};

class BackupReader {
 public:
  // Binds `sink` to `entity` and reads its schema. `as_of_unix` > 0 reads
  // versions instead of live items. Throws std::runtime_error naming the
  // sink and entity when there is no backup or it cannot be read.
  BackupReader(Sink& sink, std::string sink_name, std::string entity, int64_t as_of_unix);

  const BackupSchema& schema() const { return schema_; }
  // About `n` items (as of a time: whole reads of versions, so a few more)
  // after the last one returned; empty at the end.
  std::vector<BackupItem> Next(size_t n);

 private:
  std::vector<BackupItem> NextLive(size_t n);
  std::vector<BackupItem> NextAsOf(size_t n);
  [[noreturn]] void Fail(const std::string& what, const SinkResult& r) const;

  Sink& sink_;
  std::string sink_name_, entity_;
  int64_t as_of_;
  BackupSchema schema_;
  int64_t after_id_ = 0;
  // As of: the versions cursor, and the best version of the item being read.
  int64_t after_version_ = 0;
  bool versions_done_ = false;
  BackupItem pending_;
};

}  // namespace spsync::engine::restore
