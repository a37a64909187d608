// Deterministic synthetic lists: every item is a pure function of (seed, list
// title, generation, ID), so nothing but mutations is ever stored and a
// 10-million-item list starts instantly.
#include <algorithm>
#include <stdexcept>

#include "model/synthetic_list.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

// Items in a block of kBlock consecutive IDs miss exactly one ID: real lists have
// gaps (deleted items) and a fixed rate keeps ItemCount exact and ranks computable.
constexpr int64_t kBlock = 50;
// The moment the synthetic content was "last edited"; fixed so output is reproducible.
constexpr int64_t kSnapshotUnix = 1717200000;  // 2024-06-01T00:00:00Z
constexpr int64_t kSystemAccount = 1073741823;
// Writes through the API are made by an app principal, as with an app-only token.
constexpr int64_t kAppUser = 1073741822;

const char* kStatuses[] = {"Not Started", "In Progress", "Completed", "Deferred",
                           "Waiting on someone else"};
const char* kTags[] = {"Red", "Green", "Blue", "Urgent", "Q1", "Q2"};
const char* kCities[] = {"Zürich",   "東京",      "São Paulo", "Kraków",
                         "Montréal", "Reykjavík", "Göteborg",  "Αθήνα"};
const char* kWords[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};
const int64_t kUsers[] = {7, 11, 12, 15, 23, kSystemAccount};

// SharePoint's internal name for a field created from a title: every
// character other than ASCII letters, digits and '_' becomes _xHHHH_ (its
// UTF-16 code unit, lowercase hex), and the result is cut at 32 characters
// ("My Field" -> "My_x0020_Field"). So no quote, space or semicolon ever
// reaches an internal name or an item JSON key.
std::string EncodeInternalName(std::string_view name) {
  static const char* kHex = "0123456789abcdef";
  auto unit = [&](std::string& out, uint32_t u) {
    out += "_x";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(u >> shift) & 15]);
    out += '_';
  };
  std::string out;
  for (size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence (a stray byte stands for itself).
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xc0) {
      len = 2;
      cp = c & 0x1f;
    }
    if (len > 1 && i + len <= name.size()) {
      for (size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(name[i + k]) & 0x3f);
    } else {
      len = 1;
      cp = c;
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      unit(out, 0xd800 + (cp >> 10));
      unit(out, 0xdc00 + (cp & 0x3ff));
    } else {
      unit(out, cp);
    }
    i += len;
  }
  if (out.size() > 32) out.resize(32);
  return out;
}

void AppendMoney(std::string& out, int64_t cents) {
  // SharePoint prints the shortest form: 12, 12.5, 12.25.
  AppendInt(out, cents / 100);
  int64_t frac = cents % 100;
  if (frac == 0) return;
  out.push_back('.');
  out.push_back(static_cast<char>('0' + frac / 10));
  if (frac % 10) out.push_back(static_cast<char>('0' + frac % 10));
}

void AppendPadded(std::string& out, int64_t v, int width) {
  std::string digits;
  AppendInt(digits, v);
  for (int i = static_cast<int>(digits.size()); i < width; ++i) out.push_back('0');
  out += digits;
}

}  // namespace

int FieldKindOf(std::string_view t) {
  static const std::pair<const char*, int> kKinds[] = {
      {"Integer", 1},      {"Text", 2},         {"Note", 3},           {"DateTime", 4},
      {"Counter", 5},      {"Choice", 6},       {"Lookup", 7},         {"Boolean", 8},
      {"Number", 9},       {"Currency", 10},    {"URL", 11},           {"Computed", 12},
      {"Guid", 14},        {"MultiChoice", 15}, {"Calculated", 17},    {"File", 18},
      {"Attachments", 19}, {"User", 20},        {"ContentTypeId", 25}, {"LookupMulti", 7},
      {"UserMulti", 20}};
  for (const auto& [name, kind] : kKinds)
    if (IEquals(name, t)) return kind;
  return -1;
}

ListState::ListState(uint64_t seed, std::string title, int64_t item_count, int generation,
                     int64_t created_unix)
    : seed_(Hash(seed + static_cast<uint64_t>(generation) * 7919, Lower(title))),
      title_(std::move(title)),
      created_(created_unix),
      last_modified_(kSnapshotUnix),
      last_deleted_(created_unix) {
  id_ = MakeGuid(Mix(seed_ ^ 0x1d), Mix(seed_ ^ 0x2e));
  content_type_id_ =
      "\"0x0100" + MakeGuid(seed_, seed_ ^ 0xc7).substr(0, 8) + "A1B2C3D4E5F60718293A4B5C6D\"";
  int64_t full = item_count / (kBlock - 1), rest = item_count % (kBlock - 1);
  base_max_id_ = full * kBlock;
  if (rest > 0) {
    int64_t missing = static_cast<int64_t>(Mix(seed_ ^ static_cast<uint64_t>(full)) % kBlock);
    base_max_id_ += rest <= missing ? rest : rest + 1;
  }
  next_id_ = base_max_id_ + 1;
  live_count_ = item_count;
  if (item_count == 0) last_modified_ = created_unix;

  auto field = [&](std::string internal, std::string type, bool hidden, bool read_only,
                   std::string entity = "") {
    FieldDef f;
    f.id = MakeGuid(Hash(seed_, internal), Hash(seed_ ^ 0x5f, internal));
    f.internal_name = internal;
    f.entity_name = entity.empty() ? internal : entity;
    f.title = internal;
    f.type_as_string = type;
    f.kind = FieldKindOf(type);
    f.hidden = hidden;
    f.read_only = read_only;
    f.from_base_type = read_only || hidden || internal == "Title";
    f.sealed = read_only;
    fields_.push_back(std::move(f));
  };
  field("ContentTypeId", "ContentTypeId", true, false);
  field("Title", "Text", false, false);
  fields_.back().required = true;
  field("_ModerationComments", "Note", true, true, "OData__ModerationComments");
  field("FileLeafRef", "File", true, false);
  field("Modified", "DateTime", false, true);
  field("Created", "DateTime", false, true);
  field("Author", "User", false, true);
  field("Editor", "User", false, true);
  field("_UIVersionString", "Text", false, true, "OData__UIVersionString");
  field("Attachments", "Attachments", false, false);
  field("GUID", "Guid", true, true);
  field("ID", "Counter", false, true);
  fields_.back().indexed = true;
  fields_.back().title = "ID";
  field("ContentType", "Computed", false, true);
  field("FSObjType", "Lookup", true, true);
  field("owshiddenversion", "Integer", true, true);
  field("Description", "Note", false, false);
  field("Amount", "Currency", false, false);
  field("Quantity", "Integer", false, false);
  field("Score", "Number", false, false);
  field("DueDate", "DateTime", false, false);
  field("Done", "Boolean", false, false);
  field("Status", "Choice", false, false);
  field("Tags", "MultiChoice", false, false);
  field("Customer", "Lookup", false, false);
  field("Owner", "User", false, false);
  field("Link", "URL", false, false);

  auto column = [&](std::string key, std::string fieldname, ValueShape shape = ValueShape::kPlain,
                    bool writable = false, bool lookup = false) {
    columns_.push_back(Column{std::move(key), shape, writable, lookup, std::move(fieldname)});
  };
  column("FileSystemObjectType", "FSObjType");
  column("Id", "ID");
  column("ServerRedirectedEmbedUri", "");
  column("ServerRedirectedEmbedUrl", "");
  column("ID", "ID");
  column("ContentTypeId", "ContentTypeId");
  column("Title", "Title", ValueShape::kPlain, true);
  column("Description", "Description", ValueShape::kPlain, true);
  column("Amount", "Amount", ValueShape::kPlain, true);
  column("Quantity", "Quantity", ValueShape::kPlain, true);
  column("Score", "Score", ValueShape::kPlain, true);
  column("DueDate", "DueDate", ValueShape::kPlain, true);
  column("Done", "Done", ValueShape::kPlain, true);
  column("Status", "Status", ValueShape::kPlain, true);
  column("Tags", "Tags", ValueShape::kStringArray, true);
  column("CustomerId", "Customer", ValueShape::kPlain, true, true);
  column("OwnerId", "Owner", ValueShape::kPlain, true, true);
  column("OwnerStringId", "Owner");
  column("Link", "Link", ValueShape::kUrl, true);
  column("Modified", "Modified");
  column("Created", "Created");
  column("AuthorId", "Author", ValueShape::kPlain, false, true);
  column("EditorId", "Editor", ValueShape::kPlain, false, true);
  column("OData__UIVersionString", "_UIVersionString");
  column("Attachments", "Attachments");
  column("GUID", "GUID");
  base_columns_ = columns_.size();
}

std::string ListState::EntityTypeName() const {
  std::string name;
  for (char c : title_) {
    if (c == ' ')
      name += "_x0020_";
    else
      name.push_back(c);
  }
  return name + "ListItem";
}

std::string ListState::UrlName() const {
  std::string name;
  for (char c : title_)
    if (c != ' ') name.push_back(c);
  return name;
}

int ListState::ColumnIndex(std::string_view key) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].key == key) return static_cast<int>(i);
  for (size_t i = 0; i < columns_.size(); ++i)
    if (IEquals(columns_[i].key, key)) return static_cast<int>(i);
  return -1;
}

const FieldDef* ListState::FindField(std::string_view name) const {
  for (const auto& f : fields_)
    if (IEquals(f.internal_name, name) || IEquals(f.entity_name, name) || IEquals(f.title, name))
      return &f;
  return nullptr;
}

bool ListState::BaseExists(int64_t id) const {
  if (id < 1 || id > base_max_id_) return false;
  int64_t block = (id - 1) / kBlock;
  int64_t missing = static_cast<int64_t>(Mix(seed_ ^ static_cast<uint64_t>(block)) % kBlock);
  return (id - 1) % kBlock != missing;
}

ItemState ListState::State(int64_t id) const {
  if (auto it = overlay_.find(id); it != overlay_.end()) return it->second.state;
  return BaseExists(id) ? ItemState::kLive : ItemState::kDeleted;
}

bool ListState::IsLive(int64_t id) const {
  return State(id) == ItemState::kLive;
}

int ListState::Version(int64_t id) const {
  if (auto it = overlay_.find(id); it != overlay_.end()) return it->second.version;
  return 1 + static_cast<int>(Hash3(seed_, static_cast<uint64_t>(id), 9) % 4);
}

std::string ListState::ItemGuid(int64_t id) const {
  return MakeGuid(Hash3(seed_, static_cast<uint64_t>(id), 1),
                  Hash3(seed_, static_cast<uint64_t>(id), 2));
}

std::string ListState::ChangeUniqueId(int64_t id) const {
  return MakeGuid(Hash3(seed_, static_cast<uint64_t>(id), 3),
                  Hash3(seed_, static_cast<uint64_t>(id), 4));
}

void ListState::Generate(int64_t id, std::vector<std::string>& v) const {
  v.resize(columns_.size());
  for (auto& s : v) s.clear();
  const uint64_t h = Hash3(seed_, static_cast<uint64_t>(id), 0);
  auto r = [&](uint64_t salt) { return Mix(h ^ (salt * 0x9e3779b97f4a7c15ULL)); };
  const int version = Version(id);
  const int64_t span = kSnapshotUnix - created_;
  const int64_t created = created_ +
                          static_cast<int64_t>(static_cast<double>(span) * static_cast<double>(id) /
                                               static_cast<double>(base_max_id_ + 1)) +
                          static_cast<int64_t>(r(1) % 3600);
  const int64_t modified =
      std::min(kSnapshotUnix, created + static_cast<int64_t>(r(2) % (kSnapshotUnix - created + 1)));

  v[0] = "0";
  AppendInt(v[1], id);
  v[2] = "null";
  v[3] = "\"\"";
  v[4] = v[1];
  v[5] = content_type_id_;
  {
    std::string title = "Item ";
    AppendPadded(title, id, 6);
    title += " ";
    title += kWords[r(3) % 8];
    AppendJsonString(v[6], title);
  }
  if (r(4) % 10 == 0) {
    v[7] = "null";
  } else {
    std::string d = "Delivery to ";
    d += kCities[r(5) % 8];
    d += " – ";
    d += kCities[r(6) % 8];
    d += ", ref \"";
    d += kWords[r(7) % 8];
    d += "-";
    AppendInt(d, static_cast<int64_t>(r(8) % 100000));
    d += "\"\nNotes: handle with care, ship by ";
    d += kWords[r(9) % 8];
    d += "; 10% off for orders over 1,000.";
    AppendJsonString(v[7], d);
  }
  AppendMoney(v[8], static_cast<int64_t>(r(10) % 10000000));
  AppendInt(v[9], static_cast<int64_t>(r(11) % 1000));
  {
    int64_t score = static_cast<int64_t>(r(12) % 100000);
    AppendInt(v[10], score / 1000);
    v[10] += ".";
    AppendPadded(v[10], score % 1000, 3);
  }
  if (r(13) % 5 == 0) {
    v[11] = "null";
  } else {
    int64_t due = (created / 86400 + static_cast<int64_t>(r(14) % 90)) * 86400;
    v[11] = "\"" + FormatIso(due) + "\"";
  }
  v[12] = r(15) % 2 ? "true" : "false";
  AppendJsonString(v[13], kStatuses[r(16) % 5]);
  {
    uint64_t mask = r(17) % 64;
    v[14] = "[";
    bool first = true;
    for (int i = 0; i < 6; ++i) {
      if (!(mask >> i & 1)) continue;
      if (!first) v[14] += ",";
      first = false;
      AppendJsonString(v[14], kTags[i]);
    }
    v[14] += "]";
  }
  if (r(18) % 7 == 0)
    v[15] = "null";
  else
    AppendInt(v[15], 1 + static_cast<int64_t>(r(19) % 500));
  if (r(20) % 4 == 0) {
    v[16] = "null";
    v[17] = "null";
  } else {
    int64_t owner = kUsers[r(21) % 5];
    AppendInt(v[16], owner);
    v[17] = "\"";
    AppendInt(v[17], owner);
    v[17] += "\"";
  }
  if (r(22) % 6 == 0) {
    v[18] = "null";
  } else {
    v[18] = "{\"Description\":\"Spec, rev ";
    AppendInt(v[18], version);
    v[18] += "\",\"Url\":\"https://example.com/items/";
    AppendInt(v[18], id);
    v[18] += "?ref=a,b\"}";
  }
  v[19] = "\"" + FormatIso(modified) + "\"";
  v[20] = "\"" + FormatIso(created) + "\"";
  AppendInt(v[21], kUsers[r(23) % 6]);
  AppendInt(v[22], kUsers[r(24) % 6]);
  v[23] = "\"";
  AppendInt(v[23], version);
  v[23] += ".0\"";
  v[24] = "false";
  v[25] = "\"" + ItemGuid(id) + "\"";
  for (size_t i = base_columns_; i < columns_.size(); ++i) v[i] = "null";
}

bool ListState::Values(int64_t id, std::vector<std::string>& values) const {
  if (auto it = overlay_.find(id); it != overlay_.end()) {
    if (it->second.state != ItemState::kLive) return false;
    values = it->second.values;
    while (values.size() < columns_.size()) values.emplace_back("null");
    return true;
  }
  if (!BaseExists(id)) return false;
  Generate(id, values);
  return true;
}

int64_t ListState::NextLive(int64_t from, int64_t lo, int64_t hi, bool asc) const {
  lo = std::max<int64_t>(lo, 1);
  hi = std::min(hi, max_id());
  if (asc) {
    for (int64_t id = std::max(from, lo); id <= hi; ++id) {
      if (id > base_max_id_) {
        for (auto it = overlay_.lower_bound(id); it != overlay_.end() && it->first <= hi; ++it)
          if (it->second.state == ItemState::kLive) return it->first;
        return 0;
      }
      if (IsLive(id)) return id;
    }
  } else {
    for (int64_t id = std::min(from, hi); id >= lo; --id)
      if (IsLive(id)) return id;
  }
  return 0;
}

void ListState::Assign(std::vector<std::string>& values,
                       const std::vector<std::pair<int, std::string>>& assignments) const {
  for (const auto& [col, raw] : assignments) {
    auto c = static_cast<size_t>(col);
    values[c] = raw;
    // A person column's FooStringId mirrors FooId, as SharePoint derives it.
    const std::string& key = columns_[c].key;
    if (c + 1 < columns_.size() && key.size() > 2 &&
        columns_[c + 1].key == key.substr(0, key.size() - 2) + "StringId")
      values[c + 1] = raw == "null" ? "null" : "\"" + raw + "\"";
  }
}

StoredItem& ListState::Materialize(int64_t id) {
  auto it = overlay_.find(id);
  if (it != overlay_.end()) {
    while (it->second.values.size() < columns_.size()) it->second.values.emplace_back("null");
    return it->second;
  }
  StoredItem item;
  item.version = Version(id);
  Generate(id, item.values);
  return overlay_.emplace(id, std::move(item)).first->second;
}

int64_t ListState::Add(const std::vector<std::pair<int, std::string>>& assignments, int64_t now) {
  int64_t id = next_id_++;
  StoredItem item;
  item.values.assign(columns_.size(), "null");
  auto& v = item.values;
  v[0] = "0";
  v[1] = std::to_string(id);
  v[2] = "null";
  v[3] = "\"\"";
  v[4] = v[1];
  v[5] = content_type_id_;
  v[6] = "null";
  v[14] = "[]";
  v[19] = v[20] = "\"" + FormatIso(now) + "\"";
  v[21] = v[22] = std::to_string(kAppUser);
  v[23] = "\"1.0\"";
  v[24] = "false";
  v[25] = "\"" + ItemGuid(id) + "\"";
  Assign(v, assignments);
  item.version = 1;
  overlay_.emplace(id, std::move(item));
  ++live_count_;
  last_modified_ = std::max(last_modified_, now);
  return id;
}

void ListState::Update(int64_t id, const std::vector<std::pair<int, std::string>>& assignments,
                       int64_t now) {
  if (!IsLive(id)) throw std::out_of_range("item does not exist");
  StoredItem& item = Materialize(id);
  Assign(item.values, assignments);
  ++item.version;
  item.values[19] = "\"" + FormatIso(now) + "\"";
  item.values[22] = std::to_string(kAppUser);
  item.values[23] = "\"" + std::to_string(item.version) + ".0\"";
  last_modified_ = std::max(last_modified_, now);
}

void ListState::SetState(int64_t id, ItemState state, int64_t now) {
  ItemState current = State(id);
  if (current == state) return;
  if (current == ItemState::kDeleted && id > max_id()) throw std::out_of_range("no such item");
  StoredItem& item = Materialize(id);
  if (current == ItemState::kLive) {
    --live_count_;
    last_deleted_ = std::max(last_deleted_, now);
  }
  if (state == ItemState::kLive) ++live_count_;
  item.state = state;
  last_modified_ = std::max(last_modified_, now);
}

void ListState::AddField(std::string_view internal_name, std::string_view type, int64_t now) {
  int kind = FieldKindOf(type);
  if (kind < 0) throw std::invalid_argument("unknown field type '" + std::string(type) + "'");
  std::string internal = EncodeInternalName(internal_name);
  if (FindField(internal))
    throw std::invalid_argument("A duplicate field name \"" + internal + "\" was found.");
  FieldDef f;
  f.id = MakeGuid(Hash(seed_, internal), Hash(seed_ ^ 0x5f, internal));
  f.internal_name = internal;
  f.entity_name = internal[0] == '_' ? "OData_" + internal : internal;
  f.title = std::string(internal_name);
  f.type_as_string = std::string(type);
  f.kind = kind;
  fields_.push_back(f);
  bool lookup = kind == 7 || kind == 20;
  ValueShape shape = kind == 15   ? ValueShape::kStringArray
                     : kind == 11 ? ValueShape::kUrl
                                  : ValueShape::kPlain;
  columns_.push_back(
      Column{lookup ? f.entity_name + "Id" : f.entity_name, shape, true, lookup, internal});
  if (kind == 20)
    columns_.push_back(
        Column{f.entity_name + "StringId", ValueShape::kPlain, false, false, internal});
  last_modified_ = std::max(last_modified_, now);
}

}  // namespace spsync::emulator::detail
