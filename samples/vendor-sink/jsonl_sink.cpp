// jsonl: an spsync sink that writes each entity to a JSON-lines file.
//
// <dir>/<entity>.jsonl is an append-only change log, one JSON object per
// line: {"op":"upsert","id":7,...,"item":<the item's raw JSON>} or
// {"op":"delete","id":7}. Replaying it and keeping the last line per ID gives
// the list's current contents.
//
// <dir>/<entity>.state holds the engine's opaque state and the length of the
// .jsonl file at the last persist(). persist() fsyncs the log, then replaces
// the state file atomically (write a temporary, fsync, rename, fsync the
// folder). load_state() truncates the log back to the recorded length, so
// lines written after the last persist (which the engine will send again)
// are dropped: data and state commit together, hence
// SPSYNC_CAP_TRANSACTIONAL_PERSIST.
#include <spsync/sink.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using spsync::sdk::AppendJsonString;
using spsync::sdk::Fatal;
using spsync::sdk::Retryable;

// First line of the state file: magic, format version, log length, state length.
constexpr const char* kStateMagic = "spsync-jsonl-state 1";

std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

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

// Writes all of `data`, or throws. An I/O error may be a full disk that
// clears, so it is retryable: nothing written since the last persist counts.
void WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Retryable(ErrnoText("cannot write", path));
    }
    done += static_cast<size_t>(n);
  }
}

bool ReadFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    throw Retryable(ErrnoText("cannot open", path));
  }
  out->clear();
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      throw Retryable(ErrnoText("cannot read", path));
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

class JsonlSink : public spsync::sdk::Sink {
 public:
  explicit JsonlSink(const spsync::sdk::Config& config) : dir_(config.Require("dir")) {
    struct stat st;
    if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      throw Fatal("option 'dir': " + dir_ + " is not a folder");
    }
  }
  ~JsonlSink() override { CloseLog(); }

  std::string LoadState(std::string_view entity) override {
    if (entity.empty()) throw Fatal("empty entity name");
    for (char c : entity) {
      // The entity becomes a file name: keep it to one plain path component.
      if (c == '/' || c == '\0')
        throw Fatal("entity name '" + std::string(entity) + "' contains '/'");
    }
    if (entity == "." || entity == "..")
      throw Fatal("entity name '" + std::string(entity) + "' is not a file name");
    CloseLog();
    log_path_ = dir_ + "/" + std::string(entity) + ".jsonl";
    state_path_ = dir_ + "/" + std::string(entity) + ".state";

    std::string state;
    off_t committed = 0;
    std::string raw;
    if (ReadFile(state_path_, &raw)) {
      size_t eol = raw.find('\n');
      unsigned long long log_len = 0, state_len = 0;
      const std::string header = std::string(kStateMagic) + " ";
      if (eol == std::string::npos || raw.compare(0, header.size(), header) != 0 ||
          std::sscanf(raw.c_str() + header.size(), "%llu %llu", &log_len, &state_len) != 2 ||
          raw.size() - eol - 1 != state_len) {
        throw Fatal("state file " + state_path_ + " is damaged");
      }
      committed = static_cast<off_t>(log_len);
      state = raw.substr(eol + 1);
    }
    log_fd_ = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (log_fd_ < 0) throw Retryable(ErrnoText("cannot open", log_path_));
    // Drop whatever was written after the last persist: the engine resends it.
    if (::ftruncate(log_fd_, committed) != 0)
      throw Retryable(ErrnoText("cannot truncate", log_path_));
    if (::lseek(log_fd_, committed, SEEK_SET) < 0)
      throw Retryable(ErrnoText("cannot seek", log_path_));
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
    WriteAll(log_fd_, out, log_path_);
  }

  void Delete(spsync::sdk::Ids ids, spsync::sdk::Call&) override {
    RequireBound();
    std::string out;
    for (int64_t id : ids) out += "{\"op\":\"delete\",\"id\":" + std::to_string(id) + "}\n";
    WriteAll(log_fd_, out, log_path_);
  }

  void Persist(std::string_view state) override {
    RequireBound();
    if (::fsync(log_fd_) != 0) throw Retryable(ErrnoText("cannot fsync", log_path_));
    off_t length = ::lseek(log_fd_, 0, SEEK_CUR);
    if (length < 0) throw Retryable(ErrnoText("cannot tell the length of", log_path_));

    std::string tmp = state_path_ + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Retryable(ErrnoText("cannot create", tmp));
    std::string content = std::string(kStateMagic) + " " + std::to_string(length) + " " +
                          std::to_string(state.size()) + "\n";
    content.append(state);
    try {
      WriteAll(fd, content, tmp);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::fsync(fd) != 0) {
      ::close(fd);
      throw Retryable(ErrnoText("cannot fsync", tmp));
    }
    ::close(fd);
    // rename() is the commit: readers see the old state file or the new one.
    if (::rename(tmp.c_str(), state_path_.c_str()) != 0)
      throw Retryable(ErrnoText("cannot rename", tmp));
    int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
  }

  void Check(spsync::sdk::Call& call) override {
    if (::access(dir_.c_str(), W_OK) != 0) throw Fatal(ErrnoText("cannot write to", dir_));
    call.Message("jsonl: " + dir_ + " is writable");
  }

  static const std::vector<spsync_option>& Options() {
    static const std::vector<spsync_option> options = {
        spsync::sdk::Option("dir", SPSYNC_OPTION_PATH, true, nullptr,
                            "folder for <entity>.jsonl and <entity>.state (must exist)"),
    };
    return options;
  }

 private:
  void RequireBound() const {
    if (log_fd_ < 0) throw Fatal("jsonl: load_state() was not called first");
  }
  void CloseLog() {
    if (log_fd_ >= 0) ::close(log_fd_);
    log_fd_ = -1;
  }

  std::string dir_;
  std::string log_path_;
  std::string state_path_;
  int log_fd_ = -1;
};

}  // namespace

SPSYNC_SINK_PLUGIN(JsonlSink, "jsonl", "1.0.0", "JSON-lines files, one per entity",
                   SPSYNC_CAP_TRANSACTIONAL_PERSIST)
