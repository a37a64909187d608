// The list's ID space and overlay: which IDs exist (a fixed 2% of gaps in
// generic lists), item versions and GUIDs, and mutations stored as overlay
// entries on top of the generated items.
#include "model/synthetic_list.hpp"

#include <algorithm>
#include <stdexcept>

#include "model/site_users.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

// Items in a block of kBlock consecutive IDs miss exactly one ID: real lists have
// gaps (deleted items) and a fixed rate keeps ItemCount exact and ranks computable.
constexpr int64_t kBlock = 50;

}  // namespace

ListState::ListState(uint64_t seed, std::string_view identity, std::string title,
                     int64_t item_count, int generation, int64_t created_unix, ListShape shape)
    : seed_(Hash(seed + static_cast<uint64_t>(generation) * 7919, Lower(identity))),
      shape_(std::move(shape)),
      title_(std::move(title)),
      created_(created_unix),
      last_modified_(std::max(kSnapshotUnix, created_unix)),
      last_deleted_(created_unix) {
  id_ = MakeGuid(Mix(seed_ ^ 0x1d), Mix(seed_ ^ 0x2e));
  content_type_id_ =
      "\"0x0100" + MakeGuid(seed_, seed_ ^ 0xc7).substr(0, 8) + "A1B2C3D4E5F60718293A4B5C6D\"";
  if (shape_.schema == ListTemplate::kUserInformation) {
    // One row per built-in person, no gaps; the system account is a row
    // outside the ID range (getuserbyid finds it, listings do not).
    item_count = kBuiltInUsers;
    base_max_id_ = kBuiltInUsers;
    BuildUserInfoSchema();
  } else {
    int64_t full = item_count / (kBlock - 1), rest = item_count % (kBlock - 1);
    base_max_id_ = full * kBlock;
    if (rest > 0) {
      int64_t missing = static_cast<int64_t>(Mix(seed_ ^ static_cast<uint64_t>(full)) % kBlock);
      base_max_id_ += rest <= missing ? rest : rest + 1;
    }
    BuildGenericSchema();
  }
  next_id_ = base_max_id_ + 1;
  live_count_ = item_count;
  if (item_count == 0) last_modified_ = created_unix;
  if (shape_.schema == ListTemplate::kUserInformation) {
    StoredItem system;
    GenerateUser(kSystemAccountId, system.values);
    overlay_.emplace(kSystemAccountId, std::move(system));
  }
}

std::string ListState::ServerRelativeUrl(std::string_view web_url) const {
  std::string url(web_url);
  if (url.empty() || url.back() != '/') url += '/';
  return url + shape_.folder;
}

void ListState::SetTitle(std::string title, int64_t now) {
  title_ = std::move(title);
  last_modified_ = std::max(last_modified_, now);
  ++schema_version_;
}

void ListState::SetHidden(bool hidden, int64_t now) {
  shape_.hidden = hidden;
  last_modified_ = std::max(last_modified_, now);
  ++schema_version_;
}

void ListState::SetDescription(std::string description, int64_t now) {
  shape_.description = std::move(description);
  last_modified_ = std::max(last_modified_, now);
  ++schema_version_;
}

int ListState::ColumnIndex(std::string_view key) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].key == key) return static_cast<int>(i);
  for (size_t i = 0; i < columns_.size(); ++i)
    if (IEquals(columns_[i].key, key)) return static_cast<int>(i);
  return -1;
}

const FieldDef* ListState::FindField(std::string_view name) const {
  // Names first: a display title may repeat another field's name (the User
  // Information List's Title field is titled "Name").
  for (const auto& f : fields_)
    if (IEquals(f.internal_name, name) || IEquals(f.entity_name, name)) return &f;
  for (const auto& f : fields_)
    if (IEquals(f.title, name)) return &f;
  return nullptr;
}

bool ListState::BaseExists(int64_t id) const {
  if (id < 1 || id > base_max_id_) return false;
  if (shape_.schema == ListTemplate::kUserInformation) return true;
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
  return BaseVersion(id);
}

int ListState::BaseVersion(int64_t id) const {
  if (shape_.schema == ListTemplate::kUserInformation) return 1;
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
    if (c + 1 >= columns_.size() || key.size() <= 2 ||
        columns_[c + 1].key != key.substr(0, key.size() - 2) + "StringId")
      continue;
    std::string mirror;
    if (raw == "null") {
      mirror = "null";
    } else if (!raw.empty() && raw.front() == '[') {
      // [7,12] -> ["7","12"]
      mirror = "[";
      for (char ch : raw.substr(1, raw.size() - 2)) {
        if (ch == ' ') continue;
        if (ch == ',') {
          mirror += "\",";
          continue;
        }
        if (mirror.back() == '[' || mirror.back() == ',') mirror += '"';
        mirror += ch;
      }
      if (mirror.size() > 1) mirror += '"';
      mirror += "]";
    } else {
      mirror = "\"" + raw + "\"";
    }
    values[c + 1] = mirror;
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
  item.generated_versions = item.version - 1;
  Generate(id, item.values);
  return overlay_.emplace(id, std::move(item)).first->second;
}

int64_t ListState::Add(const std::vector<std::pair<int, std::string>>& assignments, int64_t now) {
  int64_t id = next_id_++;
  StoredItem item;
  item.values.assign(columns_.size(), "null");
  auto& v = item.values;
  auto set = [&](int col, std::string value) {
    if (col >= 0) v[static_cast<size_t>(col)] = std::move(value);
  };
  set(std_.fs_type, "0");
  set(std_.id, std::to_string(id));
  set(std_.id2, std::to_string(id));
  set(std_.embed_url, "\"\"");
  set(std_.content_type, content_type_id_);
  set(std_.modified, "\"" + FormatIso(now) + "\"");
  set(std_.created, "\"" + FormatIso(now) + "\"");
  set(std_.author, std::to_string(kAppPrincipalId));
  set(std_.editor, std::to_string(kAppPrincipalId));
  set(std_.version, "\"1.0\"");
  set(std_.attachments, "false");
  set(std_.guid, "\"" + ItemGuid(id) + "\"");
  for (size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c].shape == ValueShape::kStringArray &&
        columns_[c].key.find("StringId") == std::string::npos)
      v[c] = "[]";  // MultiChoice: an empty choice set, not null
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
  NewVersion(id, item, now);
  Assign(item.values, assignments);
}

void ListState::SetState(int64_t id, ItemState state, int64_t now) {
  ItemState current = State(id);
  if (current == state) return;
  if (current == ItemState::kDeleted && id > max_id()) throw std::out_of_range("no such item");
  StoredItem& item = Materialize(id);
  // A deletion (or a recycle) moves LastItemDeletedDate only; an item coming
  // back from the recycle bin is a modification.
  if (current == ItemState::kLive) {
    --live_count_;
    last_deleted_ = std::max(last_deleted_, now);
  }
  if (state == ItemState::kLive) {
    ++live_count_;
    last_modified_ = std::max(last_modified_, now);
  }
  item.state = state;
}

}  // namespace spsync::emulator::detail
