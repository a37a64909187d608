// A synthetic SharePoint list: its fields, the item JSON columns, and items
// that are pure functions of (seed, identity, generation, ID) plus an overlay
// of mutations. Two schemas: the generic one (used by lists, libraries and
// the empty system lists alike) and the site collection's hidden User
// Information List (112), whose rows are the built-in people of
// model/site_users.hpp. What kind of list it is beyond that (template,
// library or list, hidden, system, its URL) is its ListShape.
//
// Not thread-safe: Emulator::Impl::mu guards every ListState (const members
// under a shared lock, mutations under an exclusive one). A list borrows the
// list its Customer lookup points at (LinkLookups) and the web it belongs to
// (set_web); Impl keeps all of them alive (a deleted list lives on in the
// recycle bin) and relinks when it replaces one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spsync::emulator::detail {

// The moment the synthetic content was "last edited"; fixed so output is reproducible.
constexpr int64_t kSnapshotUnix = 1717200000;  // 2024-06-01T00:00:00Z

// Which fields and items a list has (not its BaseTemplate: see ListShape).
enum class ListTemplate { kGenericList = 100, kUserInformation = 112 };

// What a list is, beyond its items: the properties discovery filters on.
struct ListShape {
  ListTemplate schema = ListTemplate::kGenericList;
  int base_template = 100;  // 100 generic list, 101 document library, 112 users, ...
  int base_type = 0;        // 0 list, 1 library
  bool hidden = false, is_catalog = false, is_system = false;
  // The root folder relative to the web: Lists/Orders, Shared Documents, _catalogs/users.
  std::string folder;
  // The list's EntityTypeName (OrdersList, Shared_x0020_Documents, UserInfo);
  // its items' type is SP.Data.<this>Item.
  std::string entity_type_name;
  std::string description;
  // ListSpec::attachment_percent / attachment_avg_bytes: synthetic items with attachments.
  double attachment_percent = 0;
  int64_t attachment_avg_bytes = 100 * 1024;
  bool synthetic_columns = true;  // ListSpec::synthetic_columns
};

struct WebState;  // model/webs.hpp

enum class ValueShape { kPlain, kStringArray, kIntArray, kUrl };

struct Column {  // one key of the item JSON object
  std::string key;
  ValueShape shape = ValueShape::kPlain;
  bool writable = false;
  bool lookup = false;  // FooId of a lookup or person field: counts towards the lookup threshold
  std::string field;    // InternalName of the field it belongs to ("" for plain properties)
};

struct FieldDef {
  std::string id, internal_name, entity_name, title, type_as_string;
  int kind = 2;
  bool hidden = false, read_only = false, indexed = false, required = false, sealed = false,
       from_base_type = false;
  bool multi = false;                // LookupMulti / UserMulti (AllowMultipleValues)
  std::string lookup_list;           // lookups and people: the target list's GUID
  std::string lookup_field;          // lookups and people: the target's shown field
  std::vector<std::string> choices;  // Choice / MultiChoice
};

enum class ItemState { kLive, kRecycled, kDeleted };

struct StoredItem {
  std::vector<std::string> values;  // raw nometadata JSON per column
  ItemState state = ItemState::kLive;
  int version = 1;
  // Versions before it was stored that are generated, not kept (a synthetic
  // item's 1.0 .. (N-1).0); the kept ones follow in ListState::history_.
  int generated_versions = 0;
};

// A file attached to an item: its bytes are held (added by a client) or
// generated from `key` when served (synthetic ones: nothing is held).
struct AttachmentFile {
  std::string name;
  int64_t size = 0;
  std::shared_ptr<const std::string> bytes;  // nullptr: synthetic
  uint64_t key = 0;                          // synthetic: the seed of the bytes
  // The file's identity and version, which make its ETag "{guid},version":
  // replacing the bytes keeps the identity and bumps the version; deleting
  // and adding again gives a new identity. 0: assigned by PutAttachment.
  uint64_t unique = 0;
  int version = 1;
  int64_t modified = 0;  // TimeLastModified, Unix seconds (0: the list's creation)
};

// Writes bytes [offset, offset + n) of a synthetic file of that key into out
// (a pure function of key and position: any range is generated directly).
void SyntheticBytes(uint64_t key, int64_t offset, size_t n, char* out);

int FieldKindOf(std::string_view type_as_string);  // -1 if unknown

class ListState {
 public:
  // `identity` seeds the GUID and the items (a title, qualified by its web
  // outside the first site's root web); `generation` counts recreations.
  ListState(uint64_t seed, std::string_view identity, std::string title, int64_t item_count,
            int generation, int64_t created_unix, ListShape shape);
  const std::string& title() const { return title_; }
  const std::string& id() const { return id_; }
  ListTemplate list_template() const { return shape_.schema; }
  const ListShape& shape() const { return shape_; }
  bool hidden() const { return shape_.hidden; }
  std::string ListEntityTypeName() const { return shape_.entity_type_name; }       // e.g. TasksList
  std::string EntityTypeName() const { return shape_.entity_type_name + "Item"; }  // TasksListItem
  std::string ItemEntityType() const { return "SP.Data." + EntityTypeName(); }
  // e.g. /sites/demo/Lists/Tasks, /sites/demo/_catalogs/users (web_url "/" for a root site)
  std::string ServerRelativeUrl(std::string_view web_url) const;
  const WebState* web() const { return web_; }
  void set_web(const WebState* web) { web_ = web; }

  // List property changes (MERGE on the list); each bumps the list's etag and
  // LastItemModifiedDate, as SharePoint does for list-property changes.
  void SetTitle(std::string title, int64_t now);
  void SetHidden(bool hidden, int64_t now);
  void SetDescription(std::string description, int64_t now);

  // The list the Customer lookup (and new lookups) point at, and the User
  // Information List's GUID for person fields. `lookup_target` may be this.
  void LinkLookups(const ListState* lookup_target, const std::string& user_list_id);

  const ListState* lookup_target() const { return lookup_target_; }
  const std::string& user_list_id() const { return user_list_id_; }

  // The GUID of the list a lookup or person field points at ("" if none).
  std::string LookupListOf(const FieldDef& f) const;

  const std::vector<Column>& columns() const { return columns_; }
  const std::vector<FieldDef>& fields() const { return fields_; }
  int ColumnIndex(std::string_view key) const;             // case-insensitive, -1 if none
  const FieldDef* FindField(std::string_view name) const;  // by internal/entity name or title

  int64_t item_count() const { return live_count_; }
  int64_t max_id() const { return next_id_ - 1; }
  bool IsLive(int64_t id) const;
  int Version(int64_t id) const;
  // Fills values (one raw JSON value per column) for a live item; false if not live.
  bool Values(int64_t id, std::vector<std::string>& values) const;
  // The first live ID >= from (asc) or <= from (desc) within [lo, hi]; 0 if none.
  int64_t NextLive(int64_t from, int64_t lo, int64_t hi, bool asc) const;
  std::string ItemGuid(int64_t id) const;  // the GUID column
  std::string ChangeUniqueId(int64_t id) const;

  // Mutations; `now` is the emulator clock. Throw std::invalid_argument on bad input.
  int64_t Add(const std::vector<std::pair<int, std::string>>& assignments, int64_t now);
  void Update(int64_t id, const std::vector<std::pair<int, std::string>>& assignments, int64_t now);
  void SetState(int64_t id, ItemState state, int64_t now);
  ItemState State(int64_t id) const;  // kDeleted for never-existing ids
  // A new field from its title ("My Field" -> My_x0020_Field) and type; a
  // lookup points at `lookup_list` ("" = the linked lookup target).
  void AddField(std::string_view title, std::string_view type_as_string, int64_t now,
                std::string_view lookup_list = {});
  // Sets a field's title, required flag and choices (CreateFieldAsXml);
  // throws std::invalid_argument for an unknown one.
  void SetFieldDetails(std::string_view internal, std::string title, bool required,
                       std::vector<std::string> choices, int64_t now);
  // Marks a field indexed (or not); throws std::invalid_argument for an unknown one.
  void SetIndexed(std::string_view field, bool indexed, int64_t now);

  // Attachments (model/item_extras.cpp). AttachmentFiles lists the item's
  // files (synthetic ones unless the item's files were changed); Put adds or
  // replaces one (by name, ignoring case), Remove deletes one (false if there
  // is none): both are an update of the item (a new version). They throw
  // std::out_of_range for an item that is not live.
  std::vector<AttachmentFile> AttachmentFiles(int64_t id) const;
  void PutAttachment(int64_t id, AttachmentFile file, int64_t now);
  bool RemoveAttachment(int64_t id, std::string_view name, int64_t now);
  // The key of a synthetic file of this item and name.
  uint64_t AttachmentKey(int64_t id, std::string_view name) const;
  // An attachment's SP.File ETag, quotes included: "\"{guid},version\"".
  std::string AttachmentETag(const AttachmentFile& f) const;
  // The item's versions, oldest first, the current one last: one raw JSON
  // value per column each (empty if the item is not live).
  std::vector<std::vector<std::string>> VersionValues(int64_t id) const;

  // Bumped by every schema change: the list entity's etag.
  int schema_version() const { return schema_version_; }
  int64_t created() const { return created_; }
  int64_t last_modified() const { return last_modified_; }
  int64_t last_deleted() const { return last_deleted_; }

 private:
  // Positions of the columns every item has, set with the schema.
  struct StdColumns {
    int fs_type = -1, id = -1, id2 = -1, embed_uri = -1, embed_url = -1, content_type = -1,
        modified = -1, created = -1, author = -1, editor = -1, version = -1, attachments = -1,
        guid = -1;
  };
  void BuildGenericSchema();   // list_schema.cpp
  void BuildUserInfoSchema();  // list_schema.cpp
  void AddFieldDef(std::string internal, std::string type, bool hidden, bool read_only,
                   std::string entity = "");
  void AddColumn(std::string key, std::string field, ValueShape shape = ValueShape::kPlain,
                 bool writable = false, bool lookup = false);
  void FindStdColumns();
  bool BaseExists(int64_t id) const;
  int BaseVersion(int64_t id) const;  // a synthetic item's version as generated
  void Generate(int64_t id, std::vector<std::string>& values) const;  // item_generator.cpp
  // `version` 0: the item's current one; an earlier one gives that version's values.
  void GenerateGeneric(int64_t id, std::vector<std::string>& values, int version = 0) const;
  std::vector<AttachmentFile> SyntheticAttachments(int64_t id) const;  // item_extras.cpp
  // Keeps the item's values as a version, then makes the next one (Modified,
  // Editor, _UIVersionString); the caller changes the values in between.
  void NewVersion(int64_t id, StoredItem& item, int64_t now);
  void GenerateUser(int64_t id, std::vector<std::string>& values) const;
  StoredItem& Materialize(int64_t id);
  void Assign(std::vector<std::string>& values,
              const std::vector<std::pair<int, std::string>>& assignments) const;

  uint64_t seed_;
  ListShape shape_;
  const WebState* web_ = nullptr;
  std::string title_, id_;
  std::string content_type_id_;  // raw JSON, the same for every item
  int64_t base_max_id_ = 0;
  int64_t next_id_ = 1;
  int64_t live_count_ = 0;
  int64_t created_, last_modified_, last_deleted_;
  std::vector<Column> columns_;
  size_t base_columns_ = 0;
  StdColumns std_;
  std::vector<FieldDef> fields_;
  std::map<int64_t, StoredItem> overlay_;
  // Earlier versions kept when items changed (values of each, oldest first).
  std::map<int64_t, std::vector<std::vector<std::string>>> history_;
  // Items whose files were changed: their whole set (synthetic ones included).
  std::map<int64_t, std::vector<AttachmentFile>> attachments_;
  uint64_t attachments_put_ = 0;  // makes the identity of each file added
  int schema_version_ = 1;
  const ListState* lookup_target_ = nullptr;
  std::string user_list_id_;
};

}  // namespace spsync::emulator::detail
