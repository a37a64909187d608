// jsonl: an spsync sink that writes each entity to a JSON-lines file, with
// the files attached to items next to it. Portable C++17: it builds on Linux
// and, with MinGW-w64 or MSVC, as a Windows DLL (portable_file.hpp holds the
// few system calls).
//
// <dir>/<entity>.jsonl is an append-only change log, one JSON object per
// line:
//   {"op":"upsert","id":7,...,"item":<the item's raw JSON>}
//   {"op":"delete","id":7}                          (its attachments go too)
//   {"op":"attachment","id":7,"name":"a b.pdf","file":"<path>","size":N,
//    "sha256":"...","etag":"...","modified":"...","url":"..."}
//   {"op":"attachment-delete","id":7,"name":"a b.pdf"}   (name null: all)
// Replaying it and keeping the last line per ID (per ID and name for
// attachments) gives the list's current contents.
//
// <dir>/<entity>.attachments/<id>/<log length at begin>-<safe name> holds
// each attachment's bytes, streamed in chunks as spsync downloads them. A
// file is never overwritten: a replacement is a new file and a new line.
//
// <dir>/<entity>.state holds the engine's opaque state and the length of the
// .jsonl file at the last persist(). persist() syncs the log and the
// attachment files written since, then replaces the state file atomically.
// load_state() truncates the log back to the recorded length, so lines
// written after the last persist (which the engine will send again) are
// dropped, and removes every attachment file no remaining line names (those
// of unpersisted sessions, and files replaced or deleted): data, attachments
// and state commit together, hence SPSYNC_CAP_TRANSACTIONAL_PERSIST.
#include <spsync/sink.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "portable_file.hpp"

namespace {

namespace fs = std::filesystem;
using jsonl::File;
using jsonl::PathOf;
using spsync::sdk::AppendJsonString;
using spsync::sdk::AttachmentInfo;
using spsync::sdk::Fatal;
using spsync::sdk::Retryable;

// First line of the state file: magic, format version, log length, state length.
constexpr const char* kStateMagic = "spsync-jsonl-state 1";

const char* KindName(int32_t kind) {
  switch (kind) {
    case SPSYNC_CHANGE_ADD:
      return "add";
    case SPSYNC_CHANGE_UPDATE:
      return "update";
    case SPSYNC_CHANGE_RESTORE:
      return "restore";
    default:
      return "full-sync";
  }
}

bool ReadWhole(const std::string& path, std::string* out) {
  std::ifstream in(PathOf(path), std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// The value of `"key":` in a line this sink wrote (flat strings and
// integers): a string (unescaped), or the number's text. Empty if absent.
std::string Field(std::string_view line, std::string_view key) {
  std::string pattern = "\"";
  pattern.append(key).append("\":");
  size_t at = line.find(pattern);
  if (at == std::string_view::npos) return {};
  std::string_view rest = line.substr(at + pattern.size());
  std::string out;
  if (rest.empty()) return out;
  if (rest[0] != '"') {
    for (char c : rest) {
      if (c == ',' || c == '}') break;
      out += c;
    }
    return out;
  }
  for (size_t i = 1; i < rest.size() && rest[i] != '"'; ++i) {
    if (rest[i] == '\\' && i + 1 < rest.size()) {
      char e = rest[++i];
      if (e == 'u' && i + 4 < rest.size()) {
        out += static_cast<char>(std::stoi(std::string(rest.substr(i + 1, 4)), nullptr, 16));
        i += 4;
        continue;
      }
      out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      continue;
    }
    out += rest[i];
  }
  return out;
}

class JsonlSink : public spsync::sdk::Sink {
 public:
  explicit JsonlSink(const spsync::sdk::Config& config) : dir_(config.Require("dir")) {
    std::error_code ec;
    if (!fs::is_directory(PathOf(dir_), ec))
      throw Fatal("option 'dir': " + dir_ + " is not a folder");
  }

  std::string LoadState(std::string_view entity) override {
    if (entity.empty()) throw Fatal("empty entity name");
    for (char c : entity) {
      // The entity becomes a file name: keep it to one plain path component.
      if (c == '/' || c == '\\' || c == '\0')
        throw Fatal("entity name '" + std::string(entity) + "' contains '/' or '\\'");
    }
    if (entity == "." || entity == "..")
      throw Fatal("entity name '" + std::string(entity) + "' is not a file name");
    AttachmentAbort();
    log_.Close();
    log_path_ = dir_ + "/" + std::string(entity) + ".jsonl";
    state_path_ = dir_ + "/" + std::string(entity) + ".state";
    attachments_dir_ = std::string(entity) + ".attachments";

    std::string state;
    uint64_t committed = 0;
    std::string raw;
    if (ReadWhole(state_path_, &raw)) {
      size_t eol = raw.find('\n');
      unsigned long long log_len = 0, state_len = 0;
      const std::string header = std::string(kStateMagic) + " ";
      if (eol == std::string::npos || raw.compare(0, header.size(), header) != 0 ||
          std::sscanf(raw.c_str() + header.size(), "%llu %llu", &log_len, &state_len) != 2 ||
          raw.size() - eol - 1 != state_len) {
        throw Fatal("state file " + state_path_ + " is damaged");
      }
      committed = log_len;
      state = raw.substr(eol + 1);
    }
    log_ = File(log_path_);
    // Drop whatever was written after the last persist: the engine resends it.
    log_.Truncate(committed);
    Replay();
    RemoveUnreferencedFiles();
    unsynced_.clear();
    return state;
  }

  void Begin(const spsync::sdk::Schema& schema) override {
    RequireBound();
    spsync::sdk::Log(SPSYNC_LOG_INFO, "jsonl: " + std::string(schema.entity()) + " has " +
                                          std::to_string(schema.size()) + " fields, writing " +
                                          log_path_);
  }

  void Upsert(spsync::sdk::Items items, spsync::sdk::Call& call) override {
    RequireBound();
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      const spsync_item& item = *items[i];
      std::string_view raw = spsync::sdk::View(item.raw_json);
      // The raw JSON is embedded as is; an item without one cannot be written.
      if (raw.empty()) {
        call.Reject(i, "item " + std::to_string(item.id) + " has no raw JSON");
        continue;
      }
      out += "{\"op\":\"upsert\",\"id\":" + std::to_string(item.id) + ",\"kind\":\"" +
             KindName(item.kind) + "\",\"modified\":";
      AppendJsonString(out, spsync::sdk::View(item.modified));
      out += ",\"version\":";
      AppendJsonString(out, spsync::sdk::View(item.version));
      out += ",\"item\":";
      out.append(raw);
      out += "}\n";
    }
    log_.Write(out);
  }

  void Delete(spsync::sdk::Ids ids, spsync::sdk::Call&) override {
    RequireBound();
    std::string out;
    for (int64_t id : ids) {
      out += "{\"op\":\"delete\",\"id\":" + std::to_string(id) + "}\n";
      EraseAttachments(id, std::string_view());
    }
    log_.Write(out);
  }

  void Persist(std::string_view state) override {
    RequireBound();
    // Attachment files first, then the log that names them, then the state.
    for (const auto& path : unsynced_) {
      File f(path);
      f.Sync();
    }
    unsynced_.clear();
    log_.Sync();
    std::string content = std::string(kStateMagic) + " " + std::to_string(log_.Size()) + " " +
                          std::to_string(state.size()) + "\n";
    content.append(state);
    // The replace is the commit: readers see the old state file or the new one.
    jsonl::ReplaceFile(state_path_, content);
  }

  void Check(spsync::sdk::Call& call) override {
    const std::string probe = dir_ + "/.jsonl-check";
    { File f(probe); }
    std::error_code ec;
    fs::remove(PathOf(probe), ec);
    call.Message("jsonl: " + dir_ + " is writable");
  }

  // ---- Attachments (sink ABI 1.2) ----
  // Overriding all six is what makes SPSYNC_SINK_PLUGIN declare
  // SPSYNC_CAP_ATTACHMENTS and fill their vtable members.

  void AttachmentBegin(const spsync::sdk::Attachment& a) override {
    RequireBound();
    if (open_.open()) throw Fatal("jsonl: an attachment is already open");
    // Named by the log's length, so a replacement never overwrites a file
    // the last persisted line still names.
    const std::string rel = attachments_dir_ + "/" + std::to_string(a.item_id()) + "/" +
                            std::to_string(log_.Size()) + "-" +
                            spsync::sdk::EncodeFileName(a.file_name());
    std::error_code ec;
    fs::create_directories(PathOf(dir_ + "/" + rel).parent_path(), ec);
    if (ec) throw Retryable("jsonl: cannot create the folder of " + rel + ": " + ec.message());
    fs::remove(PathOf(dir_ + "/" + rel), ec);
    open_ = File(dir_ + "/" + rel);
    open_rel_ = rel;
    open_bytes_ = 0;
  }

  void AttachmentWrite(std::string_view bytes) override {
    if (!open_.open()) throw Fatal("jsonl: attachment_write without attachment_begin");
    open_.Write(bytes);
    open_bytes_ += bytes.size();
  }

  void AttachmentCommit(const spsync::sdk::Attachment& a) override {
    if (!open_.open()) throw Fatal("jsonl: attachment_commit without attachment_begin");
    if (a.size() < 0 || static_cast<uint64_t>(a.size()) != open_bytes_)
      throw Fatal("jsonl: attachment '" + std::string(a.file_name()) + "' committed with size " +
                  std::to_string(a.size()) + " after " + std::to_string(open_bytes_) + " bytes");
    open_.Close();
    unsynced_.push_back(dir_ + "/" + open_rel_);
    std::string line =
        "{\"op\":\"attachment\",\"id\":" + std::to_string(a.item_id()) + ",\"name\":";
    AppendJsonString(line, a.file_name());
    line += ",\"file\":";
    AppendJsonString(line, open_rel_);
    line += ",\"size\":" + std::to_string(a.size()) + ",\"sha256\":";
    AppendJsonString(line, a.sha256());
    line += ",\"etag\":";
    AppendJsonString(line, a.etag());
    line += ",\"modified\":";
    AppendJsonString(line, a.modified());
    line += ",\"url\":";
    AppendJsonString(line, a.url());
    line += "}\n";
    log_.Write(line);
    Entry& e = index_[{a.item_id(), std::string(a.file_name())}];
    e.info = AttachmentInfo::From(a);
    e.file = open_rel_;
  }

  void AttachmentAbort() override {
    if (!open_.open()) return;
    open_.Close();
    std::error_code ec;
    fs::remove(PathOf(dir_ + "/" + open_rel_), ec);
  }

  void AttachmentDelete(int64_t item_id, std::string_view file_name) override {
    RequireBound();
    std::string line =
        "{\"op\":\"attachment-delete\",\"id\":" + std::to_string(item_id) + ",\"name\":";
    if (file_name.empty())
      line += "null";
    else
      AppendJsonString(line, file_name);
    log_.Write(line + "}\n");
    EraseAttachments(item_id, file_name);
  }

  void ListAttachments(spsync::sdk::Ids item_ids, std::vector<AttachmentInfo>& out) override {
    for (int64_t id : item_ids)
      for (auto it = index_.lower_bound({id, std::string()});
           it != index_.end() && it->first.first == id; ++it)
        out.push_back(it->second.info);
  }

  static const std::vector<spsync_option>& Options() {
    static const std::vector<spsync_option> options = {
        spsync::sdk::Option("dir", SPSYNC_OPTION_PATH, true, nullptr,
                            "folder for <entity>.jsonl and <entity>.state (must exist)"),
    };
    return options;
  }

 private:
  struct Entry {
    AttachmentInfo info;
    std::string file;  // relative to dir_
  };

  void RequireBound() const {
    if (!log_.open()) throw Fatal("jsonl: load_state() was not called first");
  }

  void EraseAttachments(int64_t item_id, std::string_view file_name) {
    auto it = index_.lower_bound({item_id, std::string(file_name)});
    while (it != index_.end() && it->first.first == item_id &&
           (file_name.empty() || it->first.second == file_name))
      it = index_.erase(it);
  }

  // The attachments the persisted log names.
  void Replay() {
    index_.clear();
    std::ifstream in(PathOf(log_path_), std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      const std::string op = Field(line, "op");
      if (op != "attachment" && op != "attachment-delete" && op != "delete") continue;
      const int64_t id = std::stoll(Field(line, "id"));
      if (op == "attachment") {
        Entry& e = index_[{id, Field(line, "name")}];
        e.info.item_id = id;
        e.info.file_name = Field(line, "name");
        e.info.size = std::stoll(Field(line, "size"));
        e.info.sha256 = Field(line, "sha256");
        e.info.etag = Field(line, "etag");
        e.info.modified = Field(line, "modified");
        e.info.url = Field(line, "url");
        e.file = Field(line, "file");
      } else {
        // "name":null (all of the item) reads as empty, like a delete.
        EraseAttachments(id, op == "delete" ? std::string() : Field(line, "name"));
      }
    }
  }

  // Files no persisted line names: unpersisted, replaced or deleted ones.
  void RemoveUnreferencedFiles() {
    const fs::path root = PathOf(dir_ + "/" + attachments_dir_);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return;
    std::set<fs::path> keep;
    for (const auto& [key, e] : index_) keep.insert(PathOf(dir_ + "/" + e.file));
    std::vector<fs::path> doomed;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file() && keep.count(it->path()) == 0) doomed.push_back(it->path());
    for (const auto& p : doomed) fs::remove(p, ec);
  }

  std::string dir_;
  std::string log_path_;
  std::string state_path_;
  std::string attachments_dir_;  // relative to dir_
  File log_;
  std::map<std::pair<int64_t, std::string>, Entry> index_;
  File open_;  // the attachment being written
  std::string open_rel_;
  uint64_t open_bytes_ = 0;
  std::vector<std::string> unsynced_;  // attachment files to sync at persist
};

}  // namespace

SPSYNC_SINK_PLUGIN(JsonlSink, "jsonl", "1.1.0", "JSON-lines files, one per entity",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST)
