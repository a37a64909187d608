// The SQLite sink's DDL for one entity: the table, a column per field (named
// by the field, renamed when it clashes), the bookkeeping tables that record
// which column holds which field with its type, role, resolved ID field and
// SharePoint definition (_spsync_schema) and the list itself
// (_spsync_lists), and the versions table "<t>__versions" that mirrors the
// field columns.
//
// Ownership: borrows the Db. Thread safety: one thread at a time.
#ifndef SPSYNC_SINKS_SQLITE_SQLITE_SCHEMA_HPP_
#define SPSYNC_SINKS_SQLITE_SQLITE_SCHEMA_HPP_

#include <spsync/sink.hpp>

#include <string>
#include <vector>

#include "sqlite_db.hpp"

namespace spsync::sqlite {

// Creates or migrates the bookkeeping tables (at open).
void CreateBookkeeping(Db& db);

// Creates / extends `table` for `schema` and records the schema; returns
// the column of each field, in value order. Runs inside the caller's
// transaction.
std::vector<std::string> ApplySchema(Db& db, const std::string& table, bool soft_delete,
                                     const spsync::sdk::Schema& schema);

// The versions table's name, and its creation / extension for `columns`
// (types from `schema`). Runs inside the caller's transaction.
std::string VersionsTable(const std::string& table);
void EnsureVersionsTable(Db& db, const std::string& table, const std::vector<std::string>& columns,
                         const std::vector<int32_t>& value_types);

}  // namespace spsync::sqlite

#endif  // SPSYNC_SINKS_SQLITE_SQLITE_SCHEMA_HPP_
