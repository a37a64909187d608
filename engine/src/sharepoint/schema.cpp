#include "spsync/engine/sharepoint/schema.hpp"

#include <Poco/SHA1Engine.h>

#include <algorithm>

namespace spsync::engine {

namespace {
spsync_str Str(const std::string& s) {
  return spsync_str{s.data(), s.size()};
}
}  // namespace

SchemaField MapField(const ListField& f) {
  SchemaField out;
  out.key = f.entity_name.empty() ? f.internal_name : f.entity_name;
  out.title = f.title;
  out.sp_type = f.type;
  out.definition = f.definition;
  const std::string& t = f.type;
  if (t == "Text" || t == "Note" || t == "Choice" || t == "Guid" || t == "Computed" ||
      t == "ContentTypeId" || t == "File") {
    out.value_type = SPSYNC_VALUE_TEXT;
  } else if (t == "Integer" || t == "Counter" || t == "ModStat" || t == "WorkflowStatus") {
    out.value_type = SPSYNC_VALUE_INTEGER;
  } else if (t == "Number" || t == "Currency") {
    out.value_type = SPSYNC_VALUE_REAL;
  } else if (t == "Boolean" || t == "Attachments" || t == "AllDayEvent") {
    out.value_type = SPSYNC_VALUE_BOOLEAN;
  } else if (t == "DateTime") {
    out.value_type = SPSYNC_VALUE_DATETIME;
  } else if (t == "Lookup" || t == "User") {
    // Item JSON carries the referenced item's ID under <name>Id.
    out.key += "Id";
    out.value_type = f.multi ? SPSYNC_VALUE_JSON : SPSYNC_VALUE_INTEGER;
  } else if (t == "LookupMulti" || t == "UserMulti") {
    out.key += "Id";
    out.value_type = SPSYNC_VALUE_JSON;
  } else {
    // MultiChoice, URL, Taxonomy, Location, Thumbnail, Calculated, ...: keep
    // the JSON value as received.
    out.value_type = SPSYNC_VALUE_JSON;
  }
  return out;
}

bool IsSystemKey(std::string_view key) {
  return key == "ID" || key == "Id" || key == "Modified" || key == "GUID" ||
         key == "OData__UIVersionString";
}

EntitySchema::EntitySchema(std::string entity, std::string list_id, std::string list_title,
                           std::vector<SchemaField> fields, std::string definition)
    : entity_(std::move(entity)),
      list_id_(std::move(list_id)),
      list_title_(std::move(list_title)),
      definition_(std::move(definition)),
      fields_(std::move(fields)) {
  Poco::SHA1Engine sha;
  for (const auto& f : fields_) {
    sha.update(f.key);
    sha.update('\0');
    sha.update(f.sp_type);
    sha.update('\0');
  }
  fingerprint_ = Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 16);
  c_fields_.reserve(fields_.size());
  for (const auto& f : fields_) {
    spsync_field c{};
    c.struct_size = sizeof(spsync_field);
    c.value_type = f.value_type;
    c.name = Str(f.key);
    c.title = Str(f.title);
    c.sp_type = Str(f.sp_type);
    c.role = f.role;
    c.resolves = Str(f.resolves);
    c.definition = Str(f.definition);
    c_fields_.push_back(c);
  }
  for (const auto& c : c_fields_) c_field_ptrs_.push_back(&c);
  view_.struct_size = sizeof(spsync_schema);
  view_.entity = Str(entity_);
  view_.list_id = Str(list_id_);
  view_.list_title = Str(list_title_);
  view_.fields = c_field_ptrs_.data();
  view_.field_count = c_field_ptrs_.size();
  view_.fingerprint = Str(fingerprint_);
  view_.definition = Str(definition_);
}

std::string EntitySchema::SelectClause() const {
  std::string s = "ID,Modified,GUID,OData__UIVersionString";
  for (const auto& f : fields_) {
    if (f.role != SPSYNC_FIELD_PLAIN) continue;  // resolved by the engine, not a column
    s += ',';
    s += f.key;
  }
  return s;
}

}  // namespace spsync::engine
