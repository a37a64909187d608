// The CSV sink: an append-only change log per entity, exactly-once.
//
// Layout under `dir`: one folder per entity (name made safe, see SafeName),
// holding changes-000001.csv, changes-000002.csv, ... (each with its schema
// in schema-00000N.ndjson), versions-00000N.csv (the item versions
// written while changes-00000N.csv was current), attachments.csv and
// attachments/<id>/<name> (csv_attachments.hpp), and state.json. Each change
// file starts with the header `_op,_seq,_at,id,<fields...>` and holds one
// row per upsert or delete. state.json records, at the last persist, the
// current file, its byte length, the length of its versions file and of
// attachments.csv, the attachment file operations of that transaction and
// the next sequence numbers, together with the engine's opaque state.
// load_state() cuts every byte written after that point (truncating the
// current files, removing later ones, emptying attachments/.incoming), so
// whatever a killed session wrote but did not persist disappears and the
// engine replays it once: SPSYNC_CAP_TRANSACTIONAL_PERSIST holds.
//
// Delete ranges are not declared: a change log cannot expand "IDs 10..20"
// into rows without knowing which IDs exist, so the engine sends IDs.

#include <spsync/sink.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "csv_attachments.hpp"
#include "csv_format.hpp"
#include "csv_read.hpp"
#include "csv_snapshot.hpp"

namespace {

namespace fs = std::filesystem;
using spsync::csv::AppendCell;
using spsync::csv::AppendValue;
using spsync::csv::Errno;
using spsync::csv::FieldsFileName;
using spsync::csv::FileIndex;
using spsync::csv::FileName;
using spsync::csv::FsyncPath;
using spsync::csv::IsoUtc;
using spsync::csv::JsonString;
using spsync::csv::kFlushBytes;
using spsync::csv::VersionsFileName;
using spsync::csv::WriteAll;
using spsync::sdk::Base64Decode;
using spsync::sdk::Base64Encode;
using spsync::sdk::Call;
using spsync::sdk::Config;
using spsync::sdk::Fatal;
using spsync::sdk::Ids;
using spsync::sdk::Items;
using spsync::sdk::Retryable;
using spsync::sdk::Schema;
using spsync::sdk::View;

std::string Now() {
  return IsoUtc(static_cast<int64_t>(std::time(nullptr)));
}

// An append-only file written through a buffer, whose length (buffered
// bytes included) is what state.json records.
struct Appender {
  std::string path;
  int fd = -1;
  uint64_t offset = 0;
  std::string buffer;

  void Flush() {
    if (buffer.empty()) return;
    if (fd < 0) throw Fatal("csv sink: " + path + " is not open");
    WriteAll(fd, buffer, path);
    buffer.clear();
  }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    buffer.clear();
  }
  // Creates (truncating) or reopens `p` at `at`.
  void Open(const std::string& p, uint64_t at, bool create) {
    Close();
    path = p;
    fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0644);
    if (fd < 0) throw Fatal(Errno("csv sink: cannot open " + path));
    if (::lseek(fd, static_cast<off_t>(at), SEEK_SET) < 0)
      throw Fatal(Errno("csv sink: seeking in " + path));
    offset = at;
  }
};

// Cuts `path` back to `length` bytes (removing it when 0 and `remove_empty`).
void CutBack(const std::string& path, uint64_t length, bool remove_empty) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (length > 0) throw Fatal("csv sink: " + path + " is missing but state.json names it");
    return;
  }
  if (static_cast<uint64_t>(st.st_size) < length)
    throw Fatal("csv sink: " + path + " is shorter (" + std::to_string(st.st_size) +
                " bytes) than the persisted offset " + std::to_string(length));
  if (length == 0 && remove_empty) {
    ::unlink(path.c_str());
    return;
  }
  if (static_cast<uint64_t>(st.st_size) > length) {
    spsync::sdk::Log(SPSYNC_LOG_INFO, "csv sink: discarding " +
                                          std::to_string(st.st_size - length) +
                                          " unpersisted bytes of " + path);
    if (::truncate(path.c_str(), static_cast<off_t>(length)) != 0)
      throw Fatal(Errno("csv sink: truncating " + path));
    FsyncPath(path, false);
  }
}

class CsvSink : public spsync::sdk::Sink {
 public:
  explicit CsvSink(const Config& config)
      : dir_(config.Require("dir")),
        rotate_bytes_(config.GetInt("rotateBytes", 64ll << 20)),
        formula_escape_(config.GetBool("formulaEscape", true)) {
    std::string d = config.Get("delimiter", ",");
    if (d == "\\t" || d == "tab") d = "\t";
    if (d.size() != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n' || d[0] == '\'')
      throw Fatal("option 'delimiter' must be one character other than a quote or line break");
    delim_ = d[0];
    if (rotate_bytes_ <= 0) throw Fatal("option 'rotateBytes' must be positive");
  }

  ~CsvSink() override {
    // Unpersisted rows are discarded on the next load_state anyway; writing
    // them now would only waste the disk.
    changes_.Close();
    versions_.Close();
    attachments_.reset();
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  static const std::vector<spsync_option>& Options() {
    using spsync::sdk::Option;
    static const std::vector<spsync_option> options = {
        Option("dir", SPSYNC_OPTION_PATH, true, nullptr,
               "root folder; each entity gets a sub-folder"),
        Option("delimiter", SPSYNC_OPTION_STRING, false, ",",
               "one-character cell separator (\"tab\" for a tab)"),
        Option("rotateBytes", SPSYNC_OPTION_INTEGER, false, "67108864",
               "start a new change file once the current one reaches this size"),
        Option("formulaEscape", SPSYNC_OPTION_BOOLEAN, false, "true",
               "prefix text cells starting with = + - @ with ' so spreadsheets do not run them"),
    };
    return options;
  }

  std::string LoadState(std::string_view entity) override {
    changes_.Close();
    versions_.Close();
    reader_.reset();
    begun_ = false;
    folder_ = (fs::path(dir_) / spsync::csv::SafeName(entity)).string();
    std::error_code ec;
    fs::create_directories(folder_, ec);
    if (ec) throw Fatal("csv sink: cannot create " + folder_ + ": " + ec.message());
    Lock();

    // The persisted point; without state.json nothing was ever persisted.
    std::string state;
    file_index_ = 0;
    changes_.offset = 0;
    versions_.offset = 0;
    seq_ = 0;
    header_.clear();
    fingerprint_.clear();
    spsync::csv::AttachmentLog::Committed attachments;
    const std::string state_path = folder_ + "/state.json";
    fs::remove(state_path + ".tmp", ec);
    const bool persisted = fs::exists(state_path);
    if (persisted) {
      auto kv = spsync::csv::ParseFlatJson(spsync::csv::ReadWholeFile(state_path));
      auto num = [&](const char* key, bool required) -> uint64_t {
        auto it = kv.find(key);
        uint64_t v = 0;
        if (it == kv.end() && !required) return 0;  // written before the key existed
        if (it == kv.end() ||
            std::from_chars(it->second.data(), it->second.data() + it->second.size(), v).ec !=
                std::errc())
          throw Fatal(std::string("csv sink: state.json lacks a valid '") + key + "'");
        return v;
      };
      if (num("format", true) != 1) throw Fatal("csv sink: state.json has an unknown format");
      file_index_ = static_cast<uint32_t>(num("fileIndex", true));
      changes_.offset = num("offset", true);
      seq_ = num("seq", true);
      versions_.offset = num("versionsOffset", false);
      attachments.offset = num("attachmentsOffset", false);
      attachments.seq = num("attachmentsSeq", false);
      attachments.ops = kv["attachmentOps"];
      header_ = kv["header"];
      fingerprint_ = kv["fingerprint"];
      state = Base64Decode(kv["state"], "state.json: state");
    }

    // Cut everything written after the persisted point.
    bool changed = false;
    for (const auto& entry : fs::directory_iterator(folder_)) {
      const std::string name = entry.path().filename().string();
      uint32_t idx = std::max({FileIndex(name), FileIndex(name, "versions-", ".csv"),
                               FileIndex(name, "schema-", ".ndjson")});
      if (idx > file_index_) {
        fs::remove(entry.path());
        changed = true;
      }
    }
    if (file_index_ > 0) {
      CutBack(CurrentPath(), changes_.offset, false);
      CutBack(folder_ + "/" + VersionsFileName(file_index_), versions_.offset, true);
    }
    if (changed) FsyncPath(folder_, true);
    attachments_ = std::make_unique<spsync::csv::AttachmentLog>(folder_);
    attachments_->Recover(persisted, attachments);
    bound_ = true;
    return state;
  }

  void Begin(const Schema& schema) override {
    if (!bound_) throw Fatal("csv sink: begin() before load_state()");
    reader_.reset();
    std::string header;
    for (const char* c : {"_op", "_seq", "_at", "id"}) {
      if (!header.empty()) header += delim_;
      header += c;
    }
    std::string field_names;
    types_.clear();
    for (size_t i = 0; i < schema.size(); ++i) {
      const spsync_field& f = schema.field(i);
      field_names += delim_;
      AppendCell(field_names, View(f.name), delim_, formula_escape_);
      types_.push_back(f.value_type);
    }
    header += field_names + "\r\n";
    versions_header_ = std::string("_at") + delim_ + "item_id" + delim_ + "version_id" + delim_ +
                       "label" + delim_ + "modified" + delim_ + "editor_id" + delim_ +
                       "editor_name" + delim_ + "editor_email" + field_names + "\r\n";
    fields_content_ = spsync::csv::FieldsFileContent(schema, formula_escape_);
    std::string fingerprint(schema.fingerprint());
    if (file_index_ > 0 && header == header_ && fingerprint == fingerprint_) {
      OpenCurrent();
    } else {
      // A new schema (or the first one): a new file with the new header.
      StartFile(file_index_ + 1, header);
      fingerprint_ = fingerprint;
    }
    // The schema file follows the schema (a definition may change without
    // the fingerprint), replaced atomically.
    WriteFieldsFile();
    begun_ = true;
  }

  void Upsert(Items items, Call& call) override {
    RequireBegun();
    reader_.reset();
    const std::string at = Now();
    for (size_t i = 0; i < items.size(); ++i) {
      const spsync_item* item = items[i];
      if (item == nullptr || item->struct_size < sizeof(spsync_item)) {
        call.Reject(i, "malformed item (NULL or struct too small)");
        continue;
      }
      if (item->value_count != types_.size() ||
          (item->value_count != 0 && item->values == nullptr)) {
        call.Reject(i, "item " + std::to_string(item->id) + " has " +
                           std::to_string(item->value_count) + " values; the schema has " +
                           std::to_string(types_.size()) + " fields");
        continue;
      }
      bool bad = false;
      for (size_t f = 0; f < item->value_count; ++f)
        if (item->values[f].type < SPSYNC_VALUE_NULL || item->values[f].type > SPSYNC_VALUE_JSON)
          bad = true;
      if (bad) {
        call.Reject(i, "item " + std::to_string(item->id) + " has a value of unknown type");
        continue;
      }
      MaybeRotate();
      std::string& out = changes_.buffer;
      const size_t before = out.size();
      out += "upsert";
      out += delim_;
      out += std::to_string(++seq_);
      out += delim_;
      out += at;
      out += delim_;
      out += std::to_string(item->id);
      for (size_t f = 0; f < item->value_count; ++f) {
        out += delim_;
        AppendValue(out, item->values[f], delim_, formula_escape_);
      }
      out += "\r\n";
      changes_.offset += out.size() - before;
      if (out.size() >= kFlushBytes) changes_.Flush();
    }
  }

  void Delete(Ids ids, Call& /*call*/) override {
    RequireBegun();
    reader_.reset();
    const std::string at = Now();
    for (int64_t id : ids) {
      MaybeRotate();
      std::string& out = changes_.buffer;
      const size_t before = out.size();
      out += "delete";
      out += delim_;
      out += std::to_string(++seq_);
      out += delim_;
      out += at;
      out += delim_;
      out += std::to_string(id);
      // Empty cells keep every row as wide as the header (RFC 4180).
      out.append(types_.size(), delim_);
      out += "\r\n";
      changes_.offset += out.size() - before;
      if (out.size() >= kFlushBytes) changes_.Flush();
      // A deleted item has no attachments.
      attachments_->Delete(id, std::string_view());
    }
  }

  void Persist(std::string_view state) override {
    if (!bound_) throw Fatal("csv sink: persist() before load_state()");
    changes_.Flush();
    versions_.Flush();
    if (changes_.fd >= 0 && ::fdatasync(changes_.fd) != 0)
      throw Retryable(Errno("csv sink: fdatasync"));
    if (versions_.fd >= 0 && ::fdatasync(versions_.fd) != 0)
      throw Retryable(Errno("csv sink: fdatasync"));
    const auto attachments = attachments_->Prepare();
    std::string json = "{\n  \"format\": 1,\n  \"file\": " +
                       JsonString(file_index_ == 0 ? "" : FileName(file_index_)) +
                       ",\n  \"fileIndex\": " + std::to_string(file_index_) +
                       ",\n  \"offset\": " + std::to_string(changes_.offset) +
                       ",\n  \"seq\": " + std::to_string(seq_) +
                       ",\n  \"header\": " + JsonString(header_) +
                       ",\n  \"fingerprint\": " + JsonString(fingerprint_) +
                       ",\n  \"versionsOffset\": " + std::to_string(versions_.offset) +
                       ",\n  \"attachmentsOffset\": " + std::to_string(attachments.offset) +
                       ",\n  \"attachmentsSeq\": " + std::to_string(attachments.seq) +
                       ",\n  \"attachmentOps\": " + JsonString(attachments.ops) +
                       ",\n  \"persistedAt\": " + JsonString(Now()) +
                       ",\n  \"state\": " + JsonString(Base64Encode(state)) + "\n}\n";
    const std::string path = folder_ + "/state.json", tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Retryable(Errno("csv sink: creating " + tmp));
    try {
      WriteAll(fd, json, tmp);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::fsync(fd) != 0) {
      ::close(fd);
      throw Retryable(Errno("csv sink: fsync " + tmp));
    }
    ::close(fd);
    // The commit point: rename is atomic, and the directory fsync makes both
    // it and any file created since the last persist durable.
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw Retryable(Errno("csv sink: renaming " + tmp));
    FsyncPath(folder_, true);
    // Committed: the attachment files move into place (redone by
    // load_state if this is cut short).
    attachments_->Apply();
  }

  void Snapshot(Call& call) override {
    if (!bound_) throw Fatal("csv sink: snapshot() before load_state()");
    changes_.Flush();
    call.Message(spsync::csv::WriteSnapshot(folder_, file_index_, changes_.offset, delim_));
  }

  // For `spsync validate --connect`: `dir` exists (or can be created) and
  // files can be created in it.
  void Check(Call& call) override {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw Fatal("csv sink: cannot create " + dir_ + ": " + ec.message());
    const std::string probe = (fs::path(dir_) / ".spsync-check").string();
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Fatal(Errno("csv sink: cannot create files in " + dir_));
    ::close(fd);
    ::unlink(probe.c_str());
    call.Message(dir_ + " is writable");
  }

  // ---- Attachments (csv_attachments.hpp) ----

  void AttachmentBegin(const spsync::sdk::Attachment& a) override {
    RequireBound();
    attachments_->Begin(a);
  }
  void AttachmentWrite(std::string_view bytes) override { attachments_->Write(bytes); }
  void AttachmentCommit(const spsync::sdk::Attachment& a) override { attachments_->Commit(a); }
  void AttachmentAbort() override {
    if (attachments_) attachments_->Abort();
  }
  void AttachmentDelete(int64_t item_id, std::string_view file_name) override {
    RequireBound();
    attachments_->Delete(item_id, file_name);
  }
  void ListAttachments(Ids item_ids, std::vector<spsync::sdk::AttachmentInfo>& out) override {
    RequireBound();
    attachments_->List(item_ids, out);
  }

  // ---- Versions (versions-00000N.csv) ----

  void WriteVersions(spsync::sdk::Versions versions, Call& call) override {
    RequireBegun();
    reader_.reset();
    if (versions_.fd < 0) OpenVersions();
    const std::string at = Now();
    for (size_t i = 0; i < versions.size(); ++i) {
      const spsync_version* v = versions[i];
      if (v == nullptr || v->struct_size < sizeof(spsync_version)) {
        call.Reject(i, "malformed version (NULL or struct too small)");
        continue;
      }
      if ((v->value_count != 0 && v->value_count != types_.size()) ||
          (v->value_count != 0 && v->values == nullptr)) {
        call.Reject(i, "version of item " + std::to_string(v->item_id) + " has " +
                           std::to_string(v->value_count) + " values; the schema has " +
                           std::to_string(types_.size()) + " fields");
        continue;
      }
      std::string& out = versions_.buffer;
      const size_t before = out.size();
      out += at;
      out += delim_;
      out += std::to_string(v->item_id);
      out += delim_;
      out += std::to_string(v->version_id);
      out += delim_;
      AppendCell(out, View(v->label), delim_, formula_escape_);
      out += delim_;
      AppendCell(out, View(v->modified), delim_, false);
      out += delim_;
      out += std::to_string(v->editor_id);
      out += delim_;
      AppendCell(out, View(v->editor_name), delim_, formula_escape_);
      out += delim_;
      AppendCell(out, View(v->editor_email), delim_, formula_escape_);
      for (size_t f = 0; f < types_.size(); ++f) {
        out += delim_;
        if (v->value_count != 0) AppendValue(out, v->values[f], delim_, formula_escape_);
      }
      out += "\r\n";
      versions_.offset += out.size() - before;
      if (out.size() >= kFlushBytes) versions_.Flush();
    }
  }

  // ---- Reading back (csv_read.hpp) ----

  bool ReadSchema(spsync::sdk::StoredSchema& out) override { return Reader().Schema(out); }
  void ReadItems(int64_t after_id, size_t max_count,
                 std::vector<spsync::sdk::StoredItem>& out) override {
    Reader().Items(after_id, max_count, out);
  }
  void ReadVersions(int64_t after_item_id, int64_t after_version_id, size_t max_count,
                    std::vector<spsync::sdk::StoredVersion>& out) override {
    Reader().Versions(after_item_id, after_version_id, max_count, out);
  }
  size_t ReadAttachment(int64_t item_id, std::string_view file_name, uint64_t offset, void* buffer,
                        size_t capacity) override {
    RequireBound();
    return attachments_->Read(item_id, file_name, offset, buffer, capacity);
  }

 private:
  std::string CurrentPath() const { return folder_ + "/" + FileName(file_index_); }

  void RequireBound() const {
    if (!bound_) throw Fatal("csv sink: load_state() must come first");
  }
  void RequireBegun() const {
    if (!begun_) throw Fatal("csv sink: upsert/delete before begin()");
  }

  // What this instance wrote so far (flushed first), read back.
  spsync::csv::Reader& Reader() {
    RequireBound();
    if (!reader_) {
      changes_.Flush();
      versions_.Flush();
      reader_ = std::make_unique<spsync::csv::Reader>(folder_, file_index_, changes_.offset,
                                                      versions_.offset);
    }
    return *reader_;
  }

  // One process per entity folder: a second instance would interleave its
  // rows and truncate the other's. flock is released by the kernel when the
  // process dies, so a killed session never leaves a stale lock.
  void Lock() {
    if (lock_fd_ >= 0) {
      ::close(lock_fd_);
      lock_fd_ = -1;
    }
    const std::string path = folder_ + "/.lock";
    lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) throw Fatal(Errno("csv sink: cannot open " + path));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      int saved = errno;
      ::close(lock_fd_);
      lock_fd_ = -1;
      if (saved == EWOULDBLOCK)
        throw Retryable("csv sink: " + folder_ + " is in use by another sink instance");
      errno = saved;
      throw Fatal(Errno("csv sink: locking " + path));
    }
  }

  void OpenCurrent() {
    if (changes_.fd >= 0) return;
    changes_.Open(CurrentPath(), changes_.offset, false);
  }

  void StartFile(uint32_t index, const std::string& header) {
    changes_.Flush();
    versions_.Flush();
    // Finished files must be durable by the next persist, which only syncs
    // the current ones.
    for (auto* f : {&changes_, &versions_}) {
      if (f->fd >= 0 && ::fdatasync(f->fd) != 0) throw Retryable(Errno("csv sink: fdatasync"));
      f->Close();
    }
    file_index_ = index;
    changes_.Open(CurrentPath(), 0, true);
    header_ = header;
    changes_.buffer = header;
    changes_.offset = header.size();
    versions_.offset = 0;  // the new file's versions file is created on demand
    if (!fields_content_.empty()) WriteFieldsFile();
  }

  // schema-00000N.ndjson for the current file, if it differs.
  void WriteFieldsFile() {
    const std::string path = folder_ + "/" + FieldsFileName(file_index_);
    std::error_code ec;
    if (fs::exists(path, ec) && spsync::csv::ReadWholeFile(path) == fields_content_) return;
    spsync::csv::WriteFileDurably(path + ".tmp", fields_content_);
    if (::rename((path + ".tmp").c_str(), path.c_str()) != 0)
      throw Fatal(Errno("csv sink: renaming " + path + ".tmp"));
  }

  void OpenVersions() {
    const std::string path = folder_ + "/" + VersionsFileName(file_index_);
    if (versions_.offset == 0) {
      versions_.Open(path, 0, true);
      versions_.buffer = versions_header_;
      versions_.offset = versions_header_.size();
    } else {
      versions_.Open(path, versions_.offset, false);
    }
  }

  void MaybeRotate() {
    if (changes_.offset >= static_cast<uint64_t>(rotate_bytes_) && changes_.offset > header_.size())
      StartFile(file_index_ + 1, header_);
  }

  std::string dir_;
  long long rotate_bytes_;
  bool formula_escape_;
  char delim_ = ',';
  std::string folder_;
  int lock_fd_ = -1;
  bool bound_ = false;
  bool begun_ = false;
  uint32_t file_index_ = 0;  // current change file; 0 before the first
  Appender changes_;         // the current change file
  Appender versions_;        // its versions file (opened on the first version)
  uint64_t seq_ = 0;         // the last _seq written
  std::string header_;       // the current file's header line
  std::string versions_header_;
  std::string fingerprint_;     // the schema fingerprint it was written for
  std::string fields_content_;  // its schema-00000N.ndjson
  std::vector<int32_t> types_;
  std::unique_ptr<spsync::csv::AttachmentLog> attachments_;
  std::unique_ptr<spsync::csv::Reader> reader_;
};

}  // namespace

SPSYNC_SINK_PLUGIN(CsvSink, "csv", "1.2.0",
                   "CSV change log per entity (exactly-once), with snapshot.csv on demand",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_SNAPSHOT | SPSYNC_CAP_THREAD_SAFE)
