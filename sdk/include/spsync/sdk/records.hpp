// spsync sink SDK: owned records a sink hands back from ListAttachments()
// and the Read*() methods (ABI 1.2; part of sink.hpp, include that). Plain
// values: no sharing, no thread safety of their own.
#ifndef SPSYNC_SDK_RECORDS_HPP_
#define SPSYNC_SDK_RECORDS_HPP_

#include <spsync/sink.h>
#include <spsync/sdk/views.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace spsync {
namespace sdk {

// ---- Owned records a sink hands back (ABI 1.2) ------------------------------
//
// ListAttachments() and the Read*() methods fill these; the helper turns them
// into the ABI's structs and keeps those alive until the next call on the
// instance, as sink.h requires.

// One value, owning its text.
struct StoredValue {
  int32_t type = SPSYNC_VALUE_NULL;
  int64_t i = 0;
  double r = 0;
  std::string s;

  static StoredValue Null() { return StoredValue(); }
  static StoredValue Text(std::string t) { return Typed(SPSYNC_VALUE_TEXT, 0, 0, std::move(t)); }
  static StoredValue Json(std::string j) { return Typed(SPSYNC_VALUE_JSON, 0, 0, std::move(j)); }
  static StoredValue Integer(int64_t v) { return Typed(SPSYNC_VALUE_INTEGER, v, 0, {}); }
  static StoredValue Real(double v) { return Typed(SPSYNC_VALUE_REAL, 0, v, {}); }
  static StoredValue Boolean(bool v) { return Typed(SPSYNC_VALUE_BOOLEAN, v ? 1 : 0, 0, {}); }
  static StoredValue DateTime(int64_t unix_seconds, std::string iso) {
    return Typed(SPSYNC_VALUE_DATETIME, unix_seconds, 0, std::move(iso));
  }
  static StoredValue From(const spsync_value& v) {
    return Typed(v.type, v.i, v.r, std::string(View(v.s)));
  }
  spsync_value Raw() const {
    spsync_value v;
    std::memset(&v, 0, sizeof(v));
    v.type = type;
    v.i = i;
    v.r = r;
    v.s = Str(s);
    return v;
  }

 private:
  static StoredValue Typed(int32_t type, int64_t i, double r, std::string s) {
    StoredValue v;
    v.type = type;
    v.i = i;
    v.r = r;
    v.s = std::move(s);
    return v;
  }
};

// An attachment the sink holds, as ListAttachments() reports it.
struct AttachmentInfo {
  int64_t item_id = 0;
  std::string file_name;
  int64_t size = 0;
  std::string sha256;
  std::string etag;
  std::string modified;
  int64_t modified_unix = 0;
  std::string url;

  static AttachmentInfo From(const Attachment& a) {
    AttachmentInfo info;
    info.item_id = a.item_id();
    info.file_name = std::string(a.file_name());
    info.size = a.size();
    info.sha256 = std::string(a.sha256());
    info.etag = std::string(a.etag());
    info.modified = std::string(a.modified());
    info.modified_unix = a.modified_unix();
    info.url = std::string(a.url());
    return info;
  }
};

// A live item, as ReadItems() reports it.
struct StoredItem {
  int64_t id = 0;
  std::string guid;
  std::string modified;
  int64_t modified_unix = 0;
  std::string version;
  std::string raw_json;
  std::vector<StoredValue> values;  // aligned to the stored schema, or empty
};

// A version, as ReadVersions() reports it.
struct StoredVersion {
  int64_t item_id = 0;
  int64_t version_id = 0;
  std::string label;
  std::string modified;
  int64_t modified_unix = 0;
  int64_t editor_id = 0;
  std::string editor_name;
  std::string editor_email;
  std::string raw_json;
  std::vector<StoredValue> values;  // aligned to the stored schema, or empty
};

// A field of the stored schema, as ReadSchema() reports it.
struct StoredField {
  std::string name;
  std::string title;
  std::string sp_type;
  int32_t value_type = SPSYNC_VALUE_NULL;
  int32_t role = SPSYNC_FIELD_PLAIN;
  std::string resolves;
  std::string definition;

  static StoredField From(const spsync_field& f) {
    StoredField out;
    out.name = std::string(View(f.name));
    out.title = std::string(View(f.title));
    out.sp_type = std::string(View(f.sp_type));
    out.value_type = f.value_type;
    out.role = FieldRole(f);
    out.resolves = std::string(FieldResolves(f));
    out.definition = std::string(FieldDefinition(f));
    return out;
  }
};

// The stored schema, as ReadSchema() reports it.
struct StoredSchema {
  std::string entity;
  std::string list_id;
  std::string list_title;
  std::string fingerprint;
  std::string definition;
  std::vector<StoredField> fields;

  static StoredSchema From(const Schema& schema) {
    StoredSchema out;
    out.entity = std::string(schema.entity());
    out.list_id = std::string(schema.list_id());
    out.list_title = std::string(schema.list_title());
    out.fingerprint = std::string(schema.fingerprint());
    out.definition = std::string(schema.definition());
    for (size_t i = 0; i < schema.size(); ++i)
      out.fields.push_back(StoredField::From(schema.field(i)));
    return out;
  }
};

}  // namespace sdk
}  // namespace spsync

#endif  // SPSYNC_SDK_RECORDS_HPP_
