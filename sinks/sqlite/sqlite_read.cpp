#include "sqlite_read.hpp"

namespace spsync::sqlite {

using spsync::sdk::StoredValue;

const char* ValueTypeName(int32_t value_type) {
  switch (value_type) {
    case SPSYNC_VALUE_TEXT:
      return "TEXT";
    case SPSYNC_VALUE_INTEGER:
      return "INTEGER";
    case SPSYNC_VALUE_REAL:
      return "REAL";
    case SPSYNC_VALUE_BOOLEAN:
      return "BOOLEAN";
    case SPSYNC_VALUE_DATETIME:
      return "DATETIME";
    case SPSYNC_VALUE_JSON:
      return "JSON";
    default:
      return "NULL";
  }
}

int32_t ValueTypeOf(const std::string& name) {
  for (int32_t t = SPSYNC_VALUE_NULL; t <= SPSYNC_VALUE_JSON; ++t)
    if (name == ValueTypeName(t)) return t;
  return SPSYNC_VALUE_TEXT;
}

StoredValue ColumnValue(sqlite3_stmt* st, int i, int32_t value_type) {
  switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
      return StoredValue::Null();
    case SQLITE_INTEGER: {
      const int64_t v = sqlite3_column_int64(st, i);
      if (value_type == SPSYNC_VALUE_BOOLEAN) return StoredValue::Boolean(v != 0);
      if (value_type == SPSYNC_VALUE_REAL) return StoredValue::Real(static_cast<double>(v));
      return StoredValue::Integer(v);
    }
    case SQLITE_FLOAT:
      return StoredValue::Real(sqlite3_column_double(st, i));
    default: {
      std::string text = ColumnText(st, i);
      if (value_type == SPSYNC_VALUE_DATETIME) {
        int64_t unix_seconds = 0;
        if (spsync::sdk::ParseIsoUtc(text, &unix_seconds))
          return StoredValue::DateTime(unix_seconds, std::move(text));
      }
      if (value_type == SPSYNC_VALUE_JSON) return StoredValue::Json(std::move(text));
      return StoredValue::Text(std::move(text));
    }
  }
}

Reader::Reader(Db& db, std::string table, bool soft_delete)
    : db_(db), table_(std::move(table)), soft_delete_(soft_delete) {}

bool Reader::Load() {
  if (loaded_) return found_;
  loaded_ = true;
  schema_ = spsync::sdk::StoredSchema();
  columns_.clear();
  {
    Stmt st;
    db_.Prepare(st,
                "SELECT entity, list_id, list_title, fingerprint, definition FROM _spsync_lists "
                "WHERE tbl = ?1");
    BindText(st.get(), 1, table_);
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_ROW) {
      schema_.entity = ColumnText(st.get(), 0);
      schema_.list_id = ColumnText(st.get(), 1);
      schema_.list_title = ColumnText(st.get(), 2);
      schema_.fingerprint = ColumnText(st.get(), 3);
      schema_.definition = ColumnText(st.get(), 4);
      found_ = true;
    } else if (rc != SQLITE_DONE) {
      db_.Fail(rc, "reading _spsync_lists");
    }
  }
  Stmt st;
  // Databases from before positions were recorded fall back to insertion order.
  db_.Prepare(st,
              "SELECT field, col, title, sp_type, value_type, role, resolves, definition FROM "
              "_spsync_schema WHERE tbl = ?1 AND present = 1 ORDER BY position, rowid");
  BindText(st.get(), 1, table_);
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    spsync::sdk::StoredField f;
    f.name = ColumnText(st.get(), 0);
    columns_.push_back(ColumnText(st.get(), 1));
    f.title = ColumnText(st.get(), 2);
    f.sp_type = ColumnText(st.get(), 3);
    f.value_type = ValueTypeOf(ColumnText(st.get(), 4));
    f.role = sqlite3_column_int(st.get(), 5);
    f.resolves = ColumnText(st.get(), 6);
    f.definition = ColumnText(st.get(), 7);
    schema_.fields.push_back(std::move(f));
    found_ = true;
  }
  if (rc != SQLITE_DONE) db_.Fail(rc, "reading _spsync_schema");
  if (!found_ || !db_.TableExists(table_)) return found_ = false;

  std::string cols;
  for (const auto& c : columns_) cols += ", " + Quote(c);
  db_.Prepare(items_, "SELECT id, _raw, _modified, _version" + cols + " FROM " + Quote(table_) +
                          " WHERE id > ?1" + (soft_delete_ ? " AND _deleted = 0" : "") +
                          " ORDER BY id LIMIT ?2");
  const std::string versions = table_ + "__versions";
  if (db_.TableExists(versions)) {
    // A table from before _values (only read, never written since) has
    // values in every row.
    const bool marked = db_.HasColumn(versions, "_values");
    db_.Prepare(versions_,
                "SELECT _item_id, _version_id, _label, _modified, _editor_id, _editor_name, "
                "_editor_email, _raw, " +
                    std::string(marked ? "_values" : "1") + cols + " FROM " + Quote(versions) +
                    " WHERE (_item_id, _version_id) > (?1, ?2) ORDER BY _item_id, _version_id "
                    "LIMIT ?3");
  }
  return true;
}

bool Reader::Schema(spsync::sdk::StoredSchema& out) {
  loaded_ = false;  // the schema may have changed since: read it again
  if (!Load()) return false;
  out = schema_;
  return true;
}

void Reader::Items(int64_t after_id, size_t max_count, std::vector<spsync::sdk::StoredItem>& out) {
  if (!Load()) return;
  sqlite3_stmt* st = items_.get();
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, after_id);
  sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(max_count));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    spsync::sdk::StoredItem item;
    item.id = sqlite3_column_int64(st, 0);
    item.raw_json = ColumnText(st, 1);
    item.modified = ColumnText(st, 2);
    spsync::sdk::ParseIsoUtc(item.modified, &item.modified_unix);
    item.version = ColumnText(st, 3);
    for (size_t f = 0; f < columns_.size(); ++f)
      item.values.push_back(ColumnValue(st, static_cast<int>(f) + 4, schema_.fields[f].value_type));
    out.push_back(std::move(item));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) db_.Fail(rc, "reading items of " + Quote(table_));
}

void Reader::Versions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                      std::vector<spsync::sdk::StoredVersion>& out) {
  if (!Load() || !versions_) return;
  sqlite3_stmt* st = versions_.get();
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, after_item_id);
  sqlite3_bind_int64(st, 2, after_version_id);
  sqlite3_bind_int64(st, 3, static_cast<sqlite3_int64>(max_count));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    spsync::sdk::StoredVersion v;
    v.item_id = sqlite3_column_int64(st, 0);
    v.version_id = sqlite3_column_int64(st, 1);
    v.label = ColumnText(st, 2);
    v.modified = ColumnText(st, 3);
    spsync::sdk::ParseIsoUtc(v.modified, &v.modified_unix);
    v.editor_id = sqlite3_column_int64(st, 4);
    v.editor_name = ColumnText(st, 5);
    v.editor_email = ColumnText(st, 6);
    v.raw_json = ColumnText(st, 7);
    // Written with its JSON only: no values (value_count 0), not NULLs.
    const bool has_values =
        sqlite3_column_type(st, 8) == SQLITE_NULL || sqlite3_column_int(st, 8) != 0;
    for (size_t f = 0; has_values && f < columns_.size(); ++f)
      v.values.push_back(ColumnValue(st, static_cast<int>(f) + 9, schema_.fields[f].value_type));
    out.push_back(std::move(v));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) db_.Fail(rc, "reading versions of " + Quote(table_));
}

}  // namespace spsync::sqlite
