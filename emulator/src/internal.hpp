// Declarations shared by the emulator's source files. Not installed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "spsync/emulator/emulator.hpp"

namespace spsync::emulator::detail {

// A SharePoint error answer: status, "<int>, <ExceptionType>" code and message.
struct RestError : std::runtime_error {
  RestError(int s, std::string c, const std::string& m)
      : std::runtime_error(m), status(s), code(std::move(c)) {}
  int status;
  std::string code;
};

// ---- util.cpp -------------------------------------------------------------
uint64_t Mix(uint64_t x);
uint64_t Hash(uint64_t seed, std::string_view s);
uint64_t Hash3(uint64_t a, uint64_t b, uint64_t c);
std::string MakeGuid(uint64_t a, uint64_t b);  // lowercase, no braces
std::string Lower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);
bool IStartsWith(std::string_view s, std::string_view prefix);
void AppendJsonString(std::string& out, std::string_view s);
std::string JsonString(std::string_view s);
void AppendInt(std::string& out, int64_t v);
std::string FormatIso(int64_t unix_seconds);        // 2024-01-02T03:04:05Z
std::optional<int64_t> ParseIso(std::string_view);  // accepts Z, offsets and fractions
constexpr int64_t kTicksAtUnixEpoch = 621355968000000000LL;
inline int64_t UnixToTicks(int64_t s) {
  return s * 10000000LL + kTicksAtUnixEpoch;
}
inline int64_t TicksToUnix(int64_t t) {
  return (t - kTicksAtUnixEpoch) / 10000000LL;
}
// .NET HttpUtility.UrlEncode: lowercase hex, '+' for space, -_.!*() kept.
std::string UrlEncodeDotNet(std::string_view s);
std::string UrlDecode(std::string_view s, bool plus_as_space);
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::string GzipCompress(std::string_view data);
// Parses a JSON string literal at the start of raw (which must start with '"').
std::optional<std::string> UnescapeJsonString(std::string_view raw);

// ---- synthetic_list.cpp ---------------------------------------------------
enum class ValueShape { kPlain, kStringArray, kIntArray, kUrl };

struct Column {  // one key of the item JSON object
  std::string key;
  ValueShape shape = ValueShape::kPlain;
  bool writable = false;
  bool lookup = false;  // counts towards the lookup threshold
  std::string field;    // InternalName of the field it belongs to ("" for plain properties)
};

struct FieldDef {
  std::string id, internal_name, entity_name, title, type_as_string;
  int kind = 2;
  bool hidden = false, read_only = false, indexed = false, required = false, sealed = false,
       from_base_type = false;
};

enum class ItemState { kLive, kRecycled, kDeleted };

struct StoredItem {
  std::vector<std::string> values;  // raw nometadata JSON per column
  ItemState state = ItemState::kLive;
  int version = 1;
};

int FieldKindOf(std::string_view type_as_string);  // -1 if unknown

class ListState {
 public:
  ListState(uint64_t seed, std::string title, int64_t item_count, int generation,
            int64_t created_unix);
  const std::string& title() const { return title_; }
  const std::string& id() const { return id_; }
  std::string EntityTypeName() const;  // e.g. TasksListItem
  std::string ItemEntityType() const { return "SP.Data." + EntityTypeName(); }
  std::string UrlName() const;  // Lists/<this>

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
  void AddField(std::string_view internal_name, std::string_view type_as_string, int64_t now);

  int64_t created() const { return created_; }
  int64_t last_modified() const { return last_modified_; }
  int64_t last_deleted() const { return last_deleted_; }

 private:
  bool BaseExists(int64_t id) const;
  void Generate(int64_t id, std::vector<std::string>& values) const;
  StoredItem& Materialize(int64_t id);
  void Assign(std::vector<std::string>& values,
              const std::vector<std::pair<int, std::string>>& assignments) const;

  uint64_t seed_;
  std::string title_, id_;
  std::string content_type_id_;  // raw JSON, the same for every item
  int64_t base_max_id_ = 0;
  int64_t next_id_ = 1;
  int64_t live_count_ = 0;
  int64_t created_, last_modified_, last_deleted_;
  std::vector<Column> columns_;
  size_t base_columns_ = 0;
  std::vector<FieldDef> fields_;
  std::map<int64_t, StoredItem> overlay_;
};

// ---- change_log.cpp -------------------------------------------------------
enum class ChangeObject { kItem, kField, kList };

struct ChangeEntry {
  int64_t number = 0;
  int64_t ticks = 0;
  std::string list_id;
  ChangeObject object = ChangeObject::kItem;
  int change_type = 1;
  int64_t item_id = 0;
  std::string unique_id;  // item unique id, or field id
};

struct ChangeToken {
  int scope = 3;
  std::string scope_id;
  int64_t ticks = 0;
  int64_t number = 0;
  std::string ToString() const;
};
std::optional<ChangeToken> ParseChangeToken(std::string_view s);

struct ChangeQuery {
  bool item = false, list = false, field = false;
  bool add = false, update = false, delete_object = false, restore = false, rename = false,
       move = false, system_update = false;
  bool latest_first = false;
  std::optional<std::string> start, end;
  int64_t fetch_limit = 1000;
};
// Parses a GetChanges body (verbose or JSON light); throws std::invalid_argument.
ChangeQuery ParseChangeQuery(std::string_view body, bool verbose_content_type);

class ChangeLog {
 public:
  explicit ChangeLog(uint64_t seed);
  int64_t Record(std::string_view list_id, ChangeObject object, int change_type, int64_t item_id,
                 std::string unique_id, int64_t ticks);
  int64_t latest_number() const { return number_; }
  // Entries of list_id matching the query after start (exclusive), up to end (inclusive).
  std::vector<const ChangeEntry*> Query(std::string_view list_id, const ChangeQuery& q,
                                        const std::optional<ChangeToken>& start,
                                        const std::optional<ChangeToken>& end,
                                        int64_t oldest_ticks) const;

 private:
  uint64_t seed_;
  int64_t number_;
  std::vector<ChangeEntry> entries_;
};

// ---- query.cpp ------------------------------------------------------------
struct FilterNode;
using FilterPtr = std::shared_ptr<FilterNode>;
struct Literal {
  enum Kind { kNull, kBool, kNumber, kString, kDateTime } kind = kNull;
  double number = 0;
  bool boolean = false;
  std::string text;  // strings, and datetimes normalised to ISO Z
};
struct FilterNode {
  enum Kind { kAnd, kOr, kCompare, kStartsWith, kSubstringOf } kind = kCompare;
  FilterPtr left, right;
  std::string field;
  std::string op;  // eq ne lt le gt ge
  Literal value;
};
// Throws std::invalid_argument on syntax errors.
FilterPtr ParseFilter(std::string_view text);
// lookup(field) returns the raw JSON value or nullopt if the field does not exist.
using FieldLookup = std::function<std::optional<std::string_view>(std::string_view)>;
bool EvalFilter(const FilterNode& node, const FieldLookup& lookup);
void FilterFields(const FilterNode& node, std::vector<std::string>& out);  // leaf field names
// Candidate ID intervals implied by the ID comparisons of a filter (a superset).
using Intervals = std::vector<std::pair<int64_t, int64_t>>;
Intervals IdCandidates(const FilterNode& node, int64_t max_id);
const FilterNode* FirstLeaf(const FilterNode& node);

struct QueryOptions {
  std::vector<std::string> select;  // empty = all
  std::string filter_text, orderby_text, select_text, expand_text, top_text;
  FilterPtr filter;
  std::string orderby_field = "ID";
  bool orderby_desc = false;
  bool has_top = false;
  int64_t top = 100;
  bool has_skiptoken = false;
  int64_t skip_id = 0;  // p_ID
  bool paged_prev = false;
  std::vector<std::pair<std::string, std::string>> other;  // @aliases etc. (decoded)
};
// From the raw query string; throws std::invalid_argument for malformed options.
QueryOptions ParseQueryOptions(std::string_view raw_query);
std::vector<std::string> SplitList(std::string_view s);  // comma-separated, trimmed
std::string NextLink(std::string_view base_url_and_path, const QueryOptions& q, int64_t last_id,
                     std::string_view last_sort_value);

// ---- caml.cpp -------------------------------------------------------------
struct CamlQuery {
  FilterPtr where;  // expressed as an OData filter tree
  std::string orderby_field = "ID";
  bool orderby_desc = false;
  int64_t row_limit = 0;  // 0 = none
  bool group_by = false, aggregations = false;
  int64_t position_id = 0;  // from ListItemCollectionPosition
};
CamlQuery ParseCamlBody(std::string_view body, bool verbose_content_type);

// ---- odata_format.cpp -----------------------------------------------------
enum class Format { kNoMetadata, kMinimal, kVerbose };
struct Negotiated {
  Format format = Format::kMinimal;
  bool v4 = false;         // OData v4 annotation names (@odata.*)
  bool acceptable = true;  // false -> 406
};
Negotiated Negotiate(std::string_view accept, std::string_view odata_version);
std::string ContentTypeFor(const Negotiated& n);
std::string ErrorBody(const Negotiated& n, std::string_view code, std::string_view message);
// The annotation name for `name` (e.g. "nextLink") in the negotiated dialect.
std::string Annotation(const Negotiated& n, std::string_view name);
// Appends a raw value, reshaped for verbose where SharePoint does so.
void AppendValue(std::string& out, const Negotiated& n, ValueShape shape, std::string_view raw);
struct ItemWriter {
  const ListState* list;
  const Negotiated* fmt;
  std::string site_url;            // absolute
  std::vector<int> column_subset;  // columns to emit
  bool deferred = false;  // verbose without $select: navigation properties as __deferred links
  void Append(std::string& out, int64_t id, const std::vector<std::string>& values,
              int version) const;
};
std::vector<int> SelectColumns(const ListState& list, const std::vector<std::string>& select,
                               std::string& unknown);
struct Prop {
  std::string key;
  std::string raw;
};
struct EntityMeta {
  std::string type, id, uri, edit_link, etag;
};
// A whole entity object; `context` (minimal metadata only) becomes odata.metadata.
void AppendEntity(std::string& out, const Negotiated& n, const EntityMeta& meta,
                  const std::vector<Prop>& props, const std::vector<std::string>& select,
                  std::string_view context = {});
// Names in `select` that match none of props ("" if all match).
std::string UnknownSelect(const std::vector<Prop>& props, const std::vector<std::string>& select);
void BeginCollection(std::string& out, const Negotiated& n, std::string_view context);
void EndCollection(std::string& out, const Negotiated& n, std::string_view next_link);
void WrapSingle(std::string& out, const Negotiated& n, std::string_view entity);
// A primitive returned by a service operation (verbose wraps it by method name).
std::string PrimitiveResult(const Negotiated& n, std::string_view method, std::string_view raw);
}  // namespace spsync::emulator::detail
