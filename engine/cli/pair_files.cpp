#include "pair_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

namespace spsync::cli {

namespace {

constexpr size_t kMaxComponent = 200;

bool Kept(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c >= 0x80;
}

// FNV-1a, 64 bits: stable across runs and builds (std::hash is not).
uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

std::string PathComponent(const std::string& name) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    // A leading dot would make "." / ".." or a hidden file: encode it.
    if (Kept(c) && !(i == 0 && c == '.')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out.empty()) return "%";  // "" alone maps here; no encoded name is a lone '%'
  if (out.size() <= kMaxComponent) return out;
  // Too long for a file name: a prefix (cut at a UTF-8 and %XX boundary) and
  // a hash of the whole name, joined by '~', which encoding never emits.
  size_t cut = kMaxComponent - 17;
  while (cut > 0 && ((static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80 ||
                     (cut >= 1 && out[cut - 1] == '%') || (cut >= 2 && out[cut - 2] == '%')))
    --cut;
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(Fnv1a(name)));
  return out.substr(0, cut) + "~" + hash;
}

std::filesystem::path LockFile(const std::string& work_dir, const std::string& entity,
                               const std::string& sink) {
  return std::filesystem::path(work_dir) / "locks" / PathComponent(entity) /
         (PathComponent(sink) + ".lock");
}

std::filesystem::path DeadLetterFile(const std::string& work_dir, const std::string& entity,
                                     const std::string& sink) {
  return std::filesystem::path(work_dir) / "dead-letter" / PathComponent(entity) /
         (PathComponent(sink) + ".ndjson");
}

PairLock::PairLock(const std::string& work_dir, const std::string& entity,
                   const std::string& sink) {
  auto file = LockFile(work_dir, entity, sink);
  // Several workers may create the same folders at once: one racing another
  // to "locks/" is not a failure, a folder that still is not there is.
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec && !std::filesystem::is_directory(file.parent_path()))
    throw std::filesystem::filesystem_error("cannot create the lock folder", file.parent_path(),
                                            ec);
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return;
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

PairLock::~PairLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace spsync::cli
