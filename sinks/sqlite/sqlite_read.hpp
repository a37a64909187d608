// Reading an entity back from the SQLite sink (sink ABI 1.2 read-back): the
// stored schema (_spsync_lists and _spsync_schema), the live rows of the
// entity's table in ID order, and the rows of its versions table, each in
// bounded batches, with values typed by the stored schema.
//
// Ownership: borrows the Db. Thread safety: one thread at a time.
#ifndef SPSYNC_SINKS_SQLITE_SQLITE_READ_HPP_
#define SPSYNC_SINKS_SQLITE_SQLITE_READ_HPP_

#include <spsync/sink.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "sqlite_db.hpp"

namespace spsync::sqlite {

// The declared type name the sink records in _spsync_schema.value_type.
const char* ValueTypeName(int32_t value_type);
int32_t ValueTypeOf(const std::string& name);

// A column as a value, typed by storage class first (a field whose type
// changed keeps old values in their old class) and by the field's type.
spsync::sdk::StoredValue ColumnValue(sqlite3_stmt* st, int i, int32_t value_type);

class Reader {
 public:
  Reader(Db& db, std::string table, bool soft_delete);

  // False when nothing was ever stored for the table.
  bool Schema(spsync::sdk::StoredSchema& out);
  void Items(int64_t after_id, size_t max_count, std::vector<spsync::sdk::StoredItem>& out);
  void Versions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                std::vector<spsync::sdk::StoredVersion>& out);

 private:
  // Loads the stored schema and its columns (once per Reader).
  bool Load();

  Db& db_;
  std::string table_;
  bool soft_delete_;
  bool loaded_ = false;
  bool found_ = false;
  spsync::sdk::StoredSchema schema_;
  std::vector<std::string> columns_;  // column of each stored field
  Stmt items_;
  Stmt versions_;
};

}  // namespace spsync::sqlite

#endif  // SPSYNC_SINKS_SQLITE_SQLITE_READ_HPP_
