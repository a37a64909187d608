#include "restore_map.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>

namespace spsync::engine::restore {

namespace {

// File names go in one token: percent-encode what would split or hide it.
std::string Encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c <= ' ' || c == '%' || c == 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A record of words separated by spaces (built by appending: GCC 12 warns
// falsely of `"literal" + std::string&&`, bug 105329).
std::string Record(std::initializer_list<std::string> words) {
  std::string line;
  for (const auto& w : words) {
    if (!line.empty()) line += ' ';
    line += w;
  }
  return line;
}

}  // namespace

RestoreMap::RestoreMap(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_);
  if (!in) return;
  std::string line;
  int number = 0;
  bool open = false;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    auto bad = [&] {
      return std::runtime_error(path_ + ":" + std::to_string(number) +
                                ": not a restore record: " + line);
    };
    if (kind == "list") {
      words >> list_id_;
    } else if (kind == "batch") {
      open = true;
      open_batch_.clear();
      words >> open_watermark_;
      for (int64_t id; words >> id;) open_batch_.push_back(id);
    } else if (kind == "map") {
      int64_t a = 0, b = 0;
      if (!(words >> a >> b)) throw bad();
      ids_[a] = b;
    } else if (kind == "recycled") {
      int64_t a = 0;
      if (!(words >> a)) throw bad();
      ids_[a] = a;
    } else if (kind == "failed") {
      int64_t a = 0;
      if (!(words >> a)) throw bad();
      failed_.insert(a);
    } else if (kind == "end") {
      open = false;
    } else if (kind == "file") {
      int64_t a = 0;
      std::string name;
      if (!(words >> a >> name)) throw bad();
      files_.insert({a, Decode(name)});
    } else {
      throw bad();
    }
  }
  // A batch whose outcome was recorded, or whose every item was mapped
  // before the kill, is closed.
  if (open) {
    bool all = true;
    for (int64_t id : open_batch_) all = all && Done(id);
    open = !all;
  }
  if (!open) {
    open_batch_.clear();
    open_watermark_ = 0;
  }
}

RestoreMap::~RestoreMap() {
  if (fd_ >= 0) ::close(fd_);
}

void RestoreMap::Open(const std::string& header) {
  const std::filesystem::path p(path_);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  const bool fresh = !std::filesystem::exists(p);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw std::runtime_error("cannot open the restore map " + path_ + ": " + std::strerror(errno));
  if (fresh) Append(Record({"#", header}));
}

int64_t RestoreMap::NewId(int64_t old_id) const {
  auto it = ids_.find(old_id);
  return it == ids_.end() ? 0 : it->second;
}

void RestoreMap::Append(const std::string& line) {
  if (fd_ < 0) return;  // a dry run writes nothing
  std::string text = line;
  text += '\n';
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw std::runtime_error("cannot write the restore map " + path_ + ": " +
                               std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

void RestoreMap::List(const std::string& id, const std::string& title) {
  list_id_ = id;
  Append(Record({"list", id, title}));
  if (fd_ >= 0) ::fsync(fd_);
}

void RestoreMap::Batch(int64_t watermark, const std::vector<int64_t>& old_ids) {
  std::string line = Record({"batch", std::to_string(watermark)});
  for (int64_t id : old_ids) {
    line += ' ';
    line += std::to_string(id);
  }
  Append(line);
  if (fd_ >= 0) ::fsync(fd_);  // before the batch is sent
}

void RestoreMap::Map(int64_t old_id, int64_t new_id) {
  ids_[old_id] = new_id;
  Append(Record({"map", std::to_string(old_id), std::to_string(new_id)}));
}

void RestoreMap::Recycled(int64_t id) {
  ids_[id] = id;
  Append(Record({"recycled", std::to_string(id)}));
  if (fd_ >= 0) ::fsync(fd_);
}

void RestoreMap::Failed(int64_t old_id, const std::string& why) {
  failed_.insert(old_id);
  std::string one_line = why;
  for (char& c : one_line)
    if (c == '\n' || c == '\r') c = ' ';
  Append(Record({"failed", std::to_string(old_id), one_line}));
}

void RestoreMap::End() {
  open_batch_.clear();
  open_watermark_ = 0;
  Append("end");
  if (fd_ >= 0) ::fsync(fd_);
}

void RestoreMap::File(int64_t old_id, const std::string& file) {
  files_.insert({old_id, file});
  Append(Record({"file", std::to_string(old_id), Encode(file)}));
  if (fd_ >= 0) ::fsync(fd_);
}

}  // namespace spsync::engine::restore
