#include "sqlite_schema.hpp"

#include <map>
#include <set>

#include "sqlite_read.hpp"

namespace spsync::sqlite {

using spsync::sdk::Fatal;
using spsync::sdk::View;

namespace {

// The declared SQL type of a column: decides SQLite's type affinity.
const char* SqlType(int32_t value_type) {
  switch (value_type) {
    case SPSYNC_VALUE_INTEGER:
    case SPSYNC_VALUE_BOOLEAN:
      return "INTEGER";
    case SPSYNC_VALUE_REAL:
      return "REAL";
    default:
      return "TEXT";
  }
}

// Lower-cased names of the columns of `table`, mapped to their spelling.
std::map<std::string, std::string> Columns(Db& db, const std::string& table) {
  std::map<std::string, std::string> existing;
  Stmt st;
  db.Prepare(st, "SELECT name FROM pragma_table_info(?1)");
  BindText(st.get(), 1, table);
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    std::string name = ColumnText(st.get(), 0);
    existing[Lower(name)] = name;
  }
  if (rc != SQLITE_DONE) db.Fail(rc, "reading the columns of " + Quote(table));
  return existing;
}

// Columns no field may take: the table's own and the versions table's.
const std::set<std::string>& Reserved() {
  static const std::set<std::string> reserved = {
      "id",          "_raw",       "_modified",    "_version",      "_synced_at", "_deleted",
      "_deleted_at", "rowid",      "oid",          "_rowid_",       "_item_id",   "_version_id",
      "_label",      "_editor_id", "_editor_name", "_editor_email", "_values"};
  return reserved;
}

}  // namespace

void CreateBookkeeping(Db& db) {
  db.Exec(
      "CREATE TABLE IF NOT EXISTS _spsync_state(entity TEXT PRIMARY KEY, state BLOB, "
      "updated_at TEXT)");
  // Which column holds which field, and the field's last known type: lets a
  // type change be noticed and keeps column names stable across sessions.
  // role / resolves / definition / position (ABI 1.2) are what a restore
  // recreates the list from.
  db.Exec(
      "CREATE TABLE IF NOT EXISTS _spsync_schema(tbl TEXT NOT NULL, field TEXT NOT NULL, "
      "col TEXT NOT NULL, title TEXT, sp_type TEXT, value_type TEXT, present INTEGER, "
      "fingerprint TEXT, updated_at TEXT, role INTEGER, resolves TEXT, definition TEXT, "
      "position INTEGER, PRIMARY KEY(tbl, field))");
  // A database written before those columns existed gets them.
  for (const char* column :
       {"role INTEGER", "resolves TEXT", "definition TEXT", "position INTEGER"}) {
    std::string name(column, std::string_view(column).find(' '));
    if (!db.HasColumn("_spsync_schema", name))
      db.Exec(std::string("ALTER TABLE _spsync_schema ADD COLUMN ") + column);
  }
  db.Exec(
      "CREATE TABLE IF NOT EXISTS _spsync_lists(tbl TEXT PRIMARY KEY, entity TEXT, list_id TEXT, "
      "list_title TEXT, definition TEXT, fingerprint TEXT, updated_at TEXT)");
}

std::vector<std::string> ApplySchema(Db& db, const std::string& table, bool soft_delete,
                                     const spsync::sdk::Schema& schema) {
  const std::string q = Quote(table);
  db.Exec("CREATE TABLE IF NOT EXISTS " + q +
          "(\"id\" INTEGER PRIMARY KEY, \"_raw\" TEXT, \"_modified\" TEXT, \"_version\" TEXT, "
          "\"_synced_at\" TEXT)");
  // Existing columns, case-insensitively (SQLite identifiers are).
  std::map<std::string, std::string> existing = Columns(db, table);
  if (soft_delete) {
    if (existing.count("_deleted") == 0)
      db.Exec("ALTER TABLE " + q + " ADD COLUMN \"_deleted\" INTEGER NOT NULL DEFAULT 0");
    if (existing.count("_deleted_at") == 0)
      db.Exec("ALTER TABLE " + q + " ADD COLUMN \"_deleted_at\" TEXT");
    existing["_deleted"] = "_deleted";
    existing["_deleted_at"] = "_deleted_at";
  }

  // What earlier sessions recorded: field -> (column, type).
  struct Known {
    std::string col;
    std::string value_type;
  };
  std::map<std::string, Known> known;
  std::set<std::string> mapped_cols;  // lower-case columns any field ever had
  {
    Stmt st;
    db.Prepare(st, "SELECT field, col, value_type FROM _spsync_schema WHERE tbl = ?1");
    BindText(st.get(), 1, table);
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      Known k{ColumnText(st.get(), 1), ColumnText(st.get(), 2)};
      mapped_cols.insert(Lower(k.col));
      known.emplace(ColumnText(st.get(), 0), std::move(k));
    }
    if (rc != SQLITE_DONE) db.Fail(rc, "reading _spsync_schema");
  }

  const std::string now = NowIso();
  const std::string fingerprint(schema.fingerprint());
  Stmt record;
  db.Prepare(record,
             "INSERT INTO _spsync_schema(tbl, field, col, title, sp_type, value_type, present, "
             "fingerprint, updated_at, role, resolves, definition, position) VALUES(?1, ?2, ?3, "
             "?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(tbl, field) DO UPDATE SET "
             "title = excluded.title, sp_type = excluded.sp_type, value_type = "
             "excluded.value_type, present = 1, fingerprint = excluded.fingerprint, updated_at = "
             "excluded.updated_at, role = excluded.role, resolves = excluded.resolves, "
             "definition = excluded.definition, position = excluded.position");
  db.Exec("UPDATE _spsync_schema SET present = 0 WHERE tbl = " + QuoteLiteral(table));

  std::vector<std::string> columns;
  std::set<std::string> used_now;  // lower-case columns of this schema
  for (size_t i = 0; i < schema.size(); ++i) {
    const spsync_field& f = schema.field(i);
    if (f.struct_size < offsetof(spsync_field, sp_type) + sizeof(spsync_str))
      throw Fatal("spsync_field struct too small");
    std::string name(View(f.name));
    if (name.find('\0') != std::string::npos)
      throw Fatal("field name contains NUL: " + std::string(View(f.title)));
    const char* type = ValueTypeName(f.value_type);
    std::string col;
    auto it = known.find(name);
    if (it != known.end()) {
      col = it->second.col;
      if (it->second.value_type != type) {
        // The column keeps its declared type (SQLite cannot change it in
        // place and a table rebuild would drop the user's indexes, views
        // and triggers); new values are bound with their new type. See
        // README.md, "Schema evolution".
        spsync::sdk::Log(SPSYNC_LOG_WARN,
                         "sqlite sink: field '" + name + "' of table " + q + " changed type from " +
                             it->second.value_type + " to " + type + "; column " + Quote(col) +
                             " keeps its declared type, existing values are kept as they are, "
                             "new values are stored as " +
                             type);
      }
    } else {
      // A new field. Take its name as the column unless that collides
      // (case-insensitively) with a reserved column or another field's.
      col = name.empty() ? "_unnamed" : name;
      std::string base = col;
      for (int n = 2;; ++n) {
        std::string l = Lower(col);
        bool clash =
            Reserved().count(l) != 0 || mapped_cols.count(l) != 0 || used_now.count(l) != 0;
        if (!clash) break;
        col = base + "_" + std::to_string(n);
      }
      if (col != name)
        spsync::sdk::Log(SPSYNC_LOG_WARN, "sqlite sink: field '" + name + "' of table " + q +
                                              " is stored in column " + Quote(col) +
                                              " (its name clashes with another column)");
    }
    if (used_now.count(Lower(col)) != 0)
      throw Fatal("two fields of table " + q + " map to column " + Quote(col));
    used_now.insert(Lower(col));
    mapped_cols.insert(Lower(col));
    if (existing.count(Lower(col)) == 0) {
      // A field new to the table: existing rows get NULL.
      db.Exec("ALTER TABLE " + q + " ADD COLUMN " + Quote(col) + " " + SqlType(f.value_type));
      existing[Lower(col)] = col;
    }
    sqlite3_stmt* st = record.get();
    sqlite3_reset(st);
    BindText(st, 1, table);
    BindText(st, 2, name);
    BindText(st, 3, col);
    BindText(st, 4, View(f.title));
    BindText(st, 5, View(f.sp_type));
    BindText(st, 6, type);
    BindText(st, 7, fingerprint);
    BindText(st, 8, now);
    sqlite3_bind_int(st, 9, spsync::sdk::FieldRole(f));
    BindText(st, 10, spsync::sdk::FieldResolves(f));
    BindText(st, 11, spsync::sdk::FieldDefinition(f));
    sqlite3_bind_int64(st, 12, static_cast<sqlite3_int64>(i));
    db.StepDone(st, "recording field '" + name + "'");
    columns.push_back(col);
  }

  Stmt list;
  db.Prepare(list,
             "INSERT INTO _spsync_lists(tbl, entity, list_id, list_title, definition, "
             "fingerprint, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(tbl) DO "
             "UPDATE SET entity = excluded.entity, list_id = excluded.list_id, list_title = "
             "excluded.list_title, definition = excluded.definition, fingerprint = "
             "excluded.fingerprint, updated_at = excluded.updated_at");
  BindText(list.get(), 1, table);
  BindText(list.get(), 2, schema.entity());
  BindText(list.get(), 3, schema.list_id());
  BindText(list.get(), 4, schema.list_title());
  BindText(list.get(), 5, schema.definition());
  BindText(list.get(), 6, fingerprint);
  BindText(list.get(), 7, now);
  db.StepDone(list.get(), "recording the list of " + q);
  return columns;
}

std::string VersionsTable(const std::string& table) {
  return table + "__versions";
}

void EnsureVersionsTable(Db& db, const std::string& table, const std::vector<std::string>& columns,
                         const std::vector<int32_t>& value_types) {
  const std::string v = VersionsTable(table), q = Quote(v);
  db.Exec("CREATE TABLE IF NOT EXISTS " + q +
          "(\"_item_id\" INTEGER NOT NULL, \"_version_id\" INTEGER NOT NULL, \"_label\" TEXT, "
          "\"_modified\" TEXT, \"_editor_id\" INTEGER, \"_editor_name\" TEXT, \"_editor_email\" "
          "TEXT, \"_raw\" TEXT, \"_synced_at\" TEXT, \"_values\" INTEGER, PRIMARY "
          "KEY(\"_item_id\", \"_version_id\"))");
  std::map<std::string, std::string> existing = Columns(db, v);
  // _values (0: the version came with its JSON only, so its NULL field
  // columns mean "unknown", not NULL) joined the table after its first
  // release; tables from before get it, their rows read as having values.
  if (existing.count("_values") == 0) {
    db.Exec("ALTER TABLE " + q + " ADD COLUMN \"_values\" INTEGER");
    existing["_values"] = "_values";
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    if (existing.count(Lower(columns[i])) != 0) continue;
    db.Exec("ALTER TABLE " + q + " ADD COLUMN " + Quote(columns[i]) + " " +
            SqlType(value_types[i]));
  }
}

}  // namespace spsync::sqlite
