// What a list item has besides its values: its attachments (synthetic ones
// generated from the seed, changed ones kept per item) and its version
// history (earlier versions of synthetic items generated, those made by
// changes kept). Memory grows with changes only, never with the list's size.
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "model/site_users.hpp"
#include "model/synthetic_list.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {

void SyntheticBytes(uint64_t key, int64_t offset, size_t n, char* out) {
  // Eight bytes per mixed word, so any range is cheap to generate.
  auto pos = static_cast<uint64_t>(offset);
  const uint64_t end = pos + n;
  while (pos < end) {
    const uint64_t word = Mix(key ^ ((pos / 8) * 0x9e3779b97f4a7c15ULL));
    for (uint64_t b = pos % 8; b < 8 && pos < end; ++b, ++pos)
      *out++ = static_cast<char>((word >> (b * 8)) & 0xff);
  }
}

uint64_t ListState::AttachmentKey(int64_t id, std::string_view name) const {
  return Hash(Hash3(seed_, static_cast<uint64_t>(id), 33), Lower(name));
}

std::vector<AttachmentFile> ListState::SyntheticAttachments(int64_t id) const {
  std::vector<AttachmentFile> files;
  if (shape_.attachment_percent <= 0 || shape_.schema != ListTemplate::kGenericList) return files;
  const uint64_t h = Hash3(seed_, static_cast<uint64_t>(id), 31);
  if (static_cast<double>(h % 1000000) >= shape_.attachment_percent * 10000) return files;
  // What people attach to list items; names with spaces, as they come.
  static const char* kKinds[][2] = {
      {"Invoice ", ".pdf"}, {"Photo ", ".jpg"}, {"Delivery note ", ".docx"}, {"Scan ", ".png"}};
  const int count = 1 + static_cast<int>(Mix(h) % 2);
  size_t first_kind = 0;
  for (int i = 0; i < count; ++i) {
    size_t kind = Mix(h ^ (0x40 + static_cast<uint64_t>(i))) % 4;
    if (i == 1 && kind == first_kind) kind = (kind + 1) % 4;
    if (i == 0) first_kind = kind;
    std::string name = kKinds[kind][0];
    std::string digits = std::to_string(id);
    name += std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') + digits + kKinds[kind][1];
    const auto avg = static_cast<uint64_t>(std::max<int64_t>(shape_.attachment_avg_bytes, 0));
    AttachmentFile f;
    f.size = static_cast<int64_t>(avg / 2 + Mix(h ^ (0x51 + static_cast<uint64_t>(i))) % (avg + 1));
    f.key = AttachmentKey(id, name);
    f.unique = f.key;
    f.name = std::move(name);
    files.push_back(std::move(f));
  }
  return files;
}

std::string ListState::AttachmentETag(const AttachmentFile& f) const {
  const uint64_t unique = f.unique != 0 ? f.unique : f.key;
  return "\"{" + MakeGuid(Hash3(seed_, unique, 0xE7), unique) + "}," + std::to_string(f.version) +
         "\"";
}

std::vector<AttachmentFile> ListState::AttachmentFiles(int64_t id) const {
  if (auto it = attachments_.find(id); it != attachments_.end()) return it->second;
  if (!BaseExists(id)) return {};  // items added since start have only what was attached
  return SyntheticAttachments(id);
}

void ListState::NewVersion(int64_t id, StoredItem& item, int64_t now) {
  history_[id].push_back(item.values);
  ++item.version;
  auto set = [&](int col, std::string value) {
    if (col >= 0) item.values[static_cast<size_t>(col)] = std::move(value);
  };
  set(std_.modified, "\"" + FormatIso(now) + "\"");
  set(std_.editor, std::to_string(kAppPrincipalId));
  set(std_.version, "\"" + std::to_string(item.version) + ".0\"");
  last_modified_ = std::max(last_modified_, now);
}

void ListState::PutAttachment(int64_t id, AttachmentFile file, int64_t now) {
  if (!IsLive(id)) throw std::out_of_range("item does not exist");
  std::vector<AttachmentFile> files = AttachmentFiles(id);
  auto same = std::find_if(files.begin(), files.end(),
                           [&](const AttachmentFile& f) { return IEquals(f.name, file.name); });
  // Replacing the bytes keeps the file (a new version of it); a file added
  // under a free name is a new one.
  if (file.unique == 0) {
    file.unique = same != files.end() ? (same->unique != 0 ? same->unique : same->key)
                                      : Hash3(seed_, static_cast<uint64_t>(id), ++attachments_put_);
    file.version = same != files.end() ? same->version + 1 : 1;
  }
  file.modified = now;
  if (same != files.end())
    *same = std::move(file);
  else
    files.push_back(std::move(file));
  StoredItem& item = Materialize(id);
  NewVersion(id, item, now);
  if (std_.attachments >= 0) item.values[static_cast<size_t>(std_.attachments)] = "true";
  attachments_[id] = std::move(files);
}

bool ListState::RemoveAttachment(int64_t id, std::string_view name, int64_t now) {
  if (!IsLive(id)) throw std::out_of_range("item does not exist");
  std::vector<AttachmentFile> files = AttachmentFiles(id);
  auto it = std::find_if(files.begin(), files.end(),
                         [&](const AttachmentFile& f) { return IEquals(f.name, name); });
  if (it == files.end()) return false;
  files.erase(it);
  StoredItem& item = Materialize(id);
  NewVersion(id, item, now);
  if (std_.attachments >= 0)
    item.values[static_cast<size_t>(std_.attachments)] = files.empty() ? "false" : "true";
  attachments_[id] = std::move(files);
  return true;
}

std::vector<std::vector<std::string>> ListState::VersionValues(int64_t id) const {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> current;
  if (!Values(id, current)) return out;
  auto stored = overlay_.find(id);
  int generated = stored != overlay_.end() ? stored->second.generated_versions : Version(id) - 1;
  if (shape_.schema != ListTemplate::kGenericList) generated = 0;
  for (int k = 1; k <= generated; ++k) {
    out.emplace_back();
    GenerateGeneric(id, out.back(), k);
  }
  if (auto kept = history_.find(id); kept != history_.end())
    for (const auto& values : kept->second) {
      out.push_back(values);
      out.back().resize(columns_.size(), "null");  // fields added since then
    }
  out.push_back(std::move(current));
  return out;
}

}  // namespace spsync::emulator::detail
