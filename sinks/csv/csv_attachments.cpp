#include "csv_attachments.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>
#include <set>

#include "csv_format.hpp"

namespace spsync::csv {

namespace fs = std::filesystem;
using spsync::sdk::AttachmentInfo;
using spsync::sdk::Fatal;
using spsync::sdk::Retryable;

namespace {

constexpr const char* kLog = "attachments.csv";
constexpr const char* kIncoming = "attachments/.incoming";
constexpr const char* kHeader =
    "_op,_seq,_at,id,file_name,path,size,sha256,etag,modified,modified_unix,url\r\n";

}  // namespace

AttachmentLog::AttachmentLog(std::string folder) : folder_(std::move(folder)) {}

AttachmentLog::~AttachmentLog() {
  Abort();
  if (log_fd_ >= 0) ::close(log_fd_);
}

void AttachmentLog::Recover(bool persisted, const Committed& committed) {
  Abort();
  if (log_fd_ >= 0) ::close(log_fd_);
  log_fd_ = -1;
  buffer_.clear();
  ops_.clear();
  index_.clear();
  const std::string log = Abs(kLog);
  std::error_code ec;
  if (!persisted) {
    // Nothing was ever persisted: no attachment either.
    fs::remove(log, ec);
    fs::remove_all(Abs("attachments"), ec);
    seq_ = 0;
    offset_ = 0;
    return;
  }
  seq_ = committed.seq;
  offset_ = committed.offset;
  struct stat st {};
  if (::stat(log.c_str(), &st) == 0) {
    if (static_cast<uint64_t>(st.st_size) < offset_)
      throw Fatal("csv sink: " + log + " is shorter (" + std::to_string(st.st_size) +
                  " bytes) than the persisted offset " + std::to_string(offset_));
    if (static_cast<uint64_t>(st.st_size) > offset_) {
      if (::truncate(log.c_str(), static_cast<off_t>(offset_)) != 0)
        throw Fatal(Errno("csv sink: truncating " + log));
      FsyncPath(log, false);
    }
  } else if (offset_ > 0) {
    throw Fatal("csv sink: " + log + " is missing but state.json names it");
  }
  RedoOps(committed.ops);
  // Whatever is still incoming was written after the last persist.
  fs::remove_all(Abs(kIncoming), ec);
  Replay();
}

void AttachmentLog::RedoOps(std::string_view ops) {
  std::set<std::string> dirs;
  size_t pos = 0;
  while (pos < ops.size()) {
    size_t end = ops.find('\n', pos);
    if (end == std::string_view::npos) end = ops.size();
    std::string_view line = ops.substr(pos, end - pos);
    pos = end + 1;
    std::vector<std::string> parts;
    size_t p = 0;
    while (p <= line.size()) {
      size_t tab = line.find('\t', p);
      if (tab == std::string_view::npos) tab = line.size();
      parts.emplace_back(line.substr(p, tab - p));
      p = tab + 1;
    }
    std::error_code ec;
    if (parts.size() == 3 && parts[0] == "put") {
      if (!fs::exists(Abs(parts[1]), ec)) continue;  // done before the crash
      fs::path final_path = Abs(parts[2]);
      fs::create_directories(final_path.parent_path(), ec);
      if (::rename(Abs(parts[1]).c_str(), final_path.c_str()) != 0)
        throw Fatal(Errno("csv sink: moving " + parts[1] + " to " + parts[2]));
      dirs.insert(final_path.parent_path().string());
    } else if (parts.size() == 2 && parts[0] == "del") {
      fs::path final_path = Abs(parts[1]);
      if (fs::remove(final_path, ec)) dirs.insert(final_path.parent_path().string());
      // An item folder left empty goes too.
      if (fs::is_empty(final_path.parent_path(), ec) && !ec)
        fs::remove(final_path.parent_path(), ec);
    } else if (!line.empty()) {
      throw Fatal("csv sink: state.json has an unknown attachment operation");
    }
  }
  std::error_code ec;
  for (const auto& d : dirs)
    if (fs::exists(d, ec)) FsyncPath(d, true);
  if (!dirs.empty() && fs::exists(Abs("attachments"), ec)) FsyncPath(Abs("attachments"), true);
}

void AttachmentLog::Replay() {
  const std::string log = Abs(kLog);
  std::error_code ec;
  if (!fs::exists(log, ec) || offset_ == 0) return;
  Mapped m(log);
  std::string_view d = m.view().substr(0, offset_);
  std::vector<std::string> cells;
  size_t pos = ParseRecord(d, 0, ',', cells);  // the header
  while (pos < d.size()) {
    pos = ParseRecord(d, pos, ',', cells);
    if (cells.size() < 12) continue;
    for (auto& c : cells) c = std::string(UnescapeCell(c, true));
    Key key{ToInt(cells[3]), cells[4]};
    if (cells[0] == "delete") {
      index_.erase(key);
      continue;
    }
    Entry e;
    e.info.item_id = key.first;
    e.info.file_name = key.second;
    e.path = cells[5];
    e.info.size = ToInt(cells[6]);
    e.info.sha256 = cells[7];
    e.info.etag = cells[8];
    e.info.modified = cells[9];
    e.info.modified_unix = ToInt(cells[10]);
    e.info.url = cells[11];
    index_[key] = std::move(e);
  }
}

void AttachmentLog::Append(const char* op, const Entry& e, uint64_t seq) {
  if (offset_ == 0) {
    buffer_ += kHeader;
    offset_ += std::string_view(kHeader).size();
  }
  const size_t before = buffer_.size();
  // The log is always formula-escaped (it is read back, so the escape is
  // undone exactly), whatever the sink's formulaEscape option says.
  buffer_ += op;
  buffer_ += ',' + std::to_string(seq) + ',' + IsoUtc(static_cast<int64_t>(std::time(nullptr))) +
             ',' + std::to_string(e.info.item_id) + ',';
  AppendCell(buffer_, e.info.file_name, ',', true);
  buffer_ += ',';
  AppendCell(buffer_, e.path, ',', true);
  buffer_ += ',';
  if (std::string_view(op) == "put") {
    buffer_ += std::to_string(e.info.size) + ',' + e.info.sha256 + ',';
    AppendCell(buffer_, e.info.etag, ',', true);
    buffer_ += ',';
    AppendCell(buffer_, e.info.modified, ',', true);
    buffer_ += ',' + std::to_string(e.info.modified_unix) + ',';
    AppendCell(buffer_, e.info.url, ',', true);
  } else {
    buffer_ += ",,,,,";
  }
  buffer_ += "\r\n";
  offset_ += buffer_.size() - before;
}

void AttachmentLog::FlushLog() {
  if (buffer_.empty()) return;
  if (log_fd_ < 0) {
    const std::string log = Abs(kLog);
    log_fd_ = ::open(log.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (log_fd_ < 0) throw Fatal(Errno("csv sink: cannot open " + log));
  }
  // Written at the position the buffer starts: the committed length plus
  // what was flushed since.
  const uint64_t at = offset_ - buffer_.size();
  if (::lseek(log_fd_, static_cast<off_t>(at), SEEK_SET) < 0)
    throw Fatal(Errno("csv sink: seeking in " + Abs(kLog)));
  WriteAll(log_fd_, buffer_, Abs(kLog));
  buffer_.clear();
}

void AttachmentLog::Begin(const spsync::sdk::Attachment& a) {
  if (open_) throw Fatal("csv sink: an attachment is already open");
  std::error_code ec;
  fs::create_directories(Abs(kIncoming), ec);
  if (ec) throw Fatal("csv sink: cannot create " + Abs(kIncoming) + ": " + ec.message());
  open_seq_ = ++seq_;  // the put row's _seq, and a name never used before
  incoming_ = std::string(kIncoming) + "/" + std::to_string(open_seq_) + ".part";
  fd_ = ::open(Abs(incoming_).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Fatal(Errno("csv sink: cannot create " + Abs(incoming_)));
  (void)a;
  written_ = 0;
  open_ = true;
}

void AttachmentLog::Write(std::string_view bytes) {
  if (!open_) throw Fatal("csv sink: attachment_write without attachment_begin");
  WriteAll(fd_, bytes, Abs(incoming_));
  written_ += bytes.size();
}

void AttachmentLog::Commit(const spsync::sdk::Attachment& a) {
  if (!open_) throw Fatal("csv sink: attachment_commit without attachment_begin");
  if (a.size() < 0 || static_cast<uint64_t>(a.size()) != written_)
    throw Fatal("csv sink: attachment '" + std::string(a.file_name()) + "' of item " +
                std::to_string(a.item_id()) + " committed with size " + std::to_string(a.size()) +
                " after " + std::to_string(written_) + " bytes");
  // Durable before any state can name it.
  if (::fsync(fd_) != 0) throw Retryable(Errno("csv sink: fsync " + Abs(incoming_)));
  ::close(fd_);
  fd_ = -1;
  open_ = false;
  Entry e;
  e.info = AttachmentInfo::From(a);
  e.path = "attachments/" + std::to_string(a.item_id()) + "/" +
           spsync::sdk::EncodeFileName(a.file_name());
  e.incoming = incoming_;
  // A put of the same file earlier in this transaction is superseded.
  auto op = ops_.find(e.path);
  if (op != ops_.end() && !op->second.empty()) ::unlink(Abs(op->second).c_str());
  ops_[e.path] = e.incoming;
  Append("put", e, open_seq_);
  index_[Key{a.item_id(), std::string(a.file_name())}] = std::move(e);
  if (buffer_.size() >= kFlushBytes) FlushLog();
}

void AttachmentLog::Abort() {
  if (!open_) return;
  ::close(fd_);
  fd_ = -1;
  ::unlink(Abs(incoming_).c_str());
  open_ = false;
}

void AttachmentLog::Delete(int64_t item_id, std::string_view file_name) {
  auto first = index_.lower_bound(Key{item_id, std::string(file_name)});
  auto last = file_name.empty() ? index_.lower_bound(Key{item_id + 1, std::string()})
                                : (first != index_.end() && first->first.first == item_id &&
                                           first->first.second == file_name
                                       ? std::next(first)
                                       : first);
  for (auto it = first; it != last;) {
    Entry& e = it->second;
    auto op = ops_.find(e.path);
    if (op != ops_.end() && !op->second.empty()) ::unlink(Abs(op->second).c_str());
    ops_[e.path] = std::string();  // delete
    Append("delete", e, ++seq_);
    it = index_.erase(it);
  }
  if (buffer_.size() >= kFlushBytes) FlushLog();
}

AttachmentLog::Committed AttachmentLog::Prepare() {
  FlushLog();
  if (log_fd_ >= 0 && ::fdatasync(log_fd_) != 0)
    throw Retryable(Errno("csv sink: fdatasync " + Abs(kLog)));
  Committed c;
  c.offset = offset_;
  c.seq = seq_;
  bool puts = false;
  for (const auto& [final_path, incoming] : ops_) {
    if (incoming.empty()) {
      c.ops += "del\t" + final_path + "\n";
    } else {
      c.ops += "put\t" + incoming + "\t" + final_path + "\n";
      puts = true;
    }
  }
  // The incoming files' names must be durable before a state names them.
  if (puts) FsyncPath(Abs(kIncoming), true);
  return c;
}

void AttachmentLog::Apply() {
  std::string ops;
  for (const auto& [final_path, incoming] : ops_)
    ops += incoming.empty() ? "del\t" + final_path + "\n"
                            : "put\t" + incoming + "\t" + final_path + "\n";
  RedoOps(ops);
  ops_.clear();
  for (auto& [key, e] : index_) e.incoming.clear();
}

void AttachmentLog::List(spsync::sdk::Ids item_ids, std::vector<AttachmentInfo>& out) const {
  for (int64_t id : item_ids)
    for (auto it = index_.lower_bound(Key{id, std::string()});
         it != index_.end() && it->first.first == id; ++it)
      out.push_back(it->second.info);
}

size_t AttachmentLog::Read(int64_t item_id, std::string_view file_name, uint64_t offset,
                           void* buffer, size_t capacity) const {
  auto it = index_.find(Key{item_id, std::string(file_name)});
  if (it == index_.end())
    throw Fatal("csv sink: no attachment '" + std::string(file_name) + "' of item " +
                std::to_string(item_id));
  const std::string path = Abs(it->second.incoming.empty() ? it->second.path : it->second.incoming);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Fatal(Errno("csv sink: cannot open " + path));
  ssize_t n;
  do {
    n = ::pread(fd, buffer, capacity, static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (n < 0) throw Fatal(Errno("csv sink: reading " + path));
  return static_cast<size_t>(n);
}

}  // namespace spsync::csv
