// Item values of the synthetic lists: every value is a pure function of
// (list seed, ID), so any item of a 10-million-item list is generated on
// demand in well under a microsecond and nothing but mutations is stored.
#include <algorithm>

#include "model/site_users.hpp"
#include "model/synthetic_list.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

const char* kStatuses[] = {"Not Started", "In Progress", "Completed", "Deferred",
                           "Waiting on someone else"};
const char* kTags[] = {"Red", "Green", "Blue", "Urgent", "Q1", "Q2"};
const char* kCities[] = {"Zürich",   "東京",      "São Paulo", "Kraków",
                         "Montréal", "Reykjavík", "Göteborg",  "Αθήνα"};
const char* kWords[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};

// A built-in person (not the app principal) for a random draw.
int64_t Person(uint64_t draw) {
  return 1 + static_cast<int64_t>(draw % static_cast<uint64_t>(kBuiltInUsers - 1));
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

void ListState::Generate(int64_t id, std::vector<std::string>& v) const {
  if (shape_.schema == ListTemplate::kUserInformation)
    GenerateUser(id, v);
  else
    GenerateGeneric(id, v);
}

void ListState::GenerateGeneric(int64_t id, std::vector<std::string>& v, int at_version) const {
  v.resize(columns_.size());
  for (auto& s : v) s.clear();
  const uint64_t h = Hash3(seed_, static_cast<uint64_t>(id), 0);
  auto r = [&](uint64_t salt) { return Mix(h ^ (salt * 0x9e3779b97f4a7c15ULL)); };
  const int current = BaseVersion(id);
  const int version = at_version > 0 && at_version < current ? at_version : current;
  const int64_t span = kSnapshotUnix - created_;
  const int64_t created = created_ +
                          static_cast<int64_t>(static_cast<double>(span) * static_cast<double>(id) /
                                               static_cast<double>(base_max_id_ + 1)) +
                          static_cast<int64_t>(r(1) % 3600);
  int64_t modified =
      std::min(kSnapshotUnix, created + static_cast<int64_t>(r(2) % (kSnapshotUnix - created + 1)));
  // An earlier version was made between creation and the current one, the
  // first one at creation (by the author).
  if (version < current) modified = created + (modified - created) * (version - 1) / (current - 1);

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
  if (r(18) % 7 == 0 || !lookup_target_ || lookup_target_->base_max_id_ == 0) {
    v[15] = "null";
  } else {
    // A real item of the lookup target (its synthetic rows; the target's own
    // later deletions leave the value dangling, as a lookup can).
    const ListState& t = *lookup_target_;
    int64_t customer = 1 + static_cast<int64_t>(r(19) % static_cast<uint64_t>(t.base_max_id_));
    if (!t.BaseExists(customer)) customer = customer % t.base_max_id_ + 1;
    if (!t.BaseExists(customer)) customer = customer % t.base_max_id_ + 1;
    AppendInt(v[15], customer);
  }
  if (r(20) % 4 == 0) {
    v[16] = "null";
    v[17] = "null";
  } else {
    int64_t owner = Person(r(21));
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
  AppendInt(v[21], r(23) % 10 == 0 ? kSystemAccountId : Person(r(23)));
  if (version == current)
    AppendInt(v[22], r(24) % 10 == 0 ? kSystemAccountId : Person(r(24)));
  else
    v[22] = version == 1 ? v[21] : std::to_string(Person(r(40 + static_cast<uint64_t>(version))));
  v[23] = "\"";
  AppendInt(v[23], version);
  v[23] += ".0\"";
  v[24] = shape_.attachment_percent > 0 && !SyntheticAttachments(id).empty() ? "true" : "false";
  v[25] = "\"" + ItemGuid(id) + "\"";
  for (size_t i = base_columns_; i < columns_.size(); ++i) v[i] = "null";
}

void ListState::GenerateUser(int64_t id, std::vector<std::string>& v) const {
  v.assign(columns_.size(), "null");
  auto user = BuiltInUser(id);
  if (!user) return;
  v[0] = "0";
  v[1] = std::to_string(id);
  v[3] = "\"\"";
  v[4] = v[1];
  v[5] = content_type_id_;
  auto text = [&](size_t at, const std::string& s) {
    if (!s.empty()) v[at] = JsonString(s);
  };
  text(6, user->title);
  text(7, user->login_name);
  text(8, user->email);
  text(9, user->email);
  text(10, user->first_name);
  text(11, user->last_name);
  text(12, user->job_title);
  text(13, user->department);
  v[14] = user->site_admin ? "true" : "false";
  v[15] = v[16] = "\"" + FormatIso(created_) + "\"";
  v[17] = v[18] = std::to_string(kSystemAccountId);
  v[19] = "\"1.0\"";
  v[20] = "false";
  v[21] = "\"" + ItemGuid(id) + "\"";
}

}  // namespace spsync::emulator::detail
