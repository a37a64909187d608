// The fields of a list as the engine syncs them, and the C view of them that
// sinks receive in begin().
//
// Thread safety: immutable once built; share freely.
#pragma once

#include <spsync/sink.h>

#include <string>
#include <string_view>
#include <vector>

namespace spsync::engine {

// One SharePoint field as the fields endpoint describes it.
struct ListField {
  std::string internal_name;  // InternalName
  std::string entity_name;    // EntityPropertyName (the item JSON key for plain fields)
  std::string title;          // Title
  std::string type;           // TypeAsString
  bool hidden = false;
  bool multi = false;  // AllowMultipleValues (Lookup / User)
  // Lookup and User fields: the list looked up (lowercase GUID, no braces;
  // people: the site's User Information List) and the field of it the
  // lookup shows.
  std::string lookup_list{};
  std::string lookup_field{};
  // The field's type and constraints as a JSON object of its SharePoint
  // properties (TypeAsString, Required, Choices, LookupList, ...), stored by
  // sinks (spsync_field.definition) for a restore that recreates the field.
  std::string definition{};
};

// One column of the entity: the item JSON key it is read from and its type.
struct SchemaField {
  std::string key;  // item JSON key: EntityPropertyName, or <name>Id for Lookup / User
  std::string title;
  std::string sp_type;
  spsync_value_type value_type = SPSYNC_VALUE_TEXT;
  // ABI 1.2: a person's name or e-mail, or a looked-up value, resolved by
  // the engine (people_lookups.hpp) from the ID field named `resolves`.
  spsync_field_role role = SPSYNC_FIELD_PLAIN;
  std::string resolves{};
  std::string definition{};  // ListField::definition; empty for resolved fields
};

// The value type a SharePoint field maps to, and the JSON key it is read from.
SchemaField MapField(const ListField& field);

class EntitySchema {
 public:
  EntitySchema() = default;
  // `definition`: the list's own properties as a JSON object (Title,
  // BaseTemplate, Description), for a restore that creates the list.
  EntitySchema(std::string entity, std::string list_id, std::string list_title,
               std::vector<SchemaField> fields, std::string definition = {});
  EntitySchema(const EntitySchema&) = delete;
  EntitySchema& operator=(const EntitySchema&) = delete;

  const std::vector<SchemaField>& fields() const { return fields_; }
  const std::string& fingerprint() const { return fingerprint_; }
  // The C view handed to Sink::Begin; points into this object.
  const spsync_schema& view() const { return view_; }
  // The $select list for item requests: ID, Modified, GUID, the version, and every field.
  std::string SelectClause() const;

 private:
  std::string entity_, list_id_, list_title_, definition_;
  std::vector<SchemaField> fields_;
  std::string fingerprint_;
  std::vector<spsync_field> c_fields_;
  std::vector<const spsync_field*> c_field_ptrs_;
  spsync_schema view_{};
};

// Fields spsync reads itself (ID, Modified, ...) and never syncs as columns:
// they are the item's identity and metadata, carried in spsync_item.
bool IsSystemKey(std::string_view key);

}  // namespace spsync::engine
