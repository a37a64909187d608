// The few file operations the jsonl sink needs, on POSIX and on Windows:
// append and truncate a file, sync it to the disk, replace a file
// atomically. Everything else uses std::filesystem. Paths are UTF-8.
//
// Errors: an I/O error throws spsync::sdk::Retryable naming the file (a full
// disk may clear; nothing written since the last persist counts).
//
// Thread safety: a File is used by one thread at a time.
#ifndef JSONL_PORTABLE_FILE_HPP_
#define JSONL_PORTABLE_FILE_HPP_

#include <spsync/sink.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

namespace jsonl {

inline std::filesystem::path PathOf(const std::string& utf8) {
  return std::filesystem::u8path(utf8);
}

inline std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// A file opened for writing (created if missing), positioned at its end.
class File {
 public:
  File() = default;
  explicit File(const std::string& path) : path_(path) {
#if defined(_WIN32)
    fd_ = ::_wopen(PathOf(path).wstring().c_str(), _O_WRONLY | _O_CREAT | _O_BINARY,
                   _S_IREAD | _S_IWRITE);
#else
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
#endif
    if (fd_ < 0) throw spsync::sdk::Retryable(ErrnoText("cannot open", path));
    Seek(Size());
  }
  ~File() {
    Close();
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  File(File&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
    other.fd_ = -1;
  }
  File& operator=(File&& other) noexcept {
    Close();
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    other.fd_ = -1;
    return *this;
  }

  bool open() const {
    return fd_ >= 0;
  }
  const std::string& path() const {
    return path_;
  }

  void Write(std::string_view data) {
    while (!data.empty()) {
#if defined(_WIN32)
      int n = ::_write(fd_, data.data(), static_cast<unsigned>(data.size()));
#else
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
#endif
      if (n < 0) throw spsync::sdk::Retryable(ErrnoText("cannot write", path_));
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Makes what was written durable.
  void Sync() {
#if defined(_WIN32)
    int rc = ::_commit(fd_);
#else
    int rc = ::fsync(fd_);
#endif
    if (rc != 0) throw spsync::sdk::Retryable(ErrnoText("cannot sync", path_));
  }

  uint64_t Size() {
#if defined(_WIN32)
    long long end = ::_lseeki64(fd_, 0, SEEK_END);
#else
    off_t end = ::lseek(fd_, 0, SEEK_END);
#endif
    if (end < 0) throw spsync::sdk::Retryable(ErrnoText("cannot tell the length of", path_));
    return static_cast<uint64_t>(end);
  }

  // Cuts the file to `size` bytes and writes on from there.
  void Truncate(uint64_t size) {
#if defined(_WIN32)
    int rc = ::_chsize_s(fd_, static_cast<long long>(size));
#else
    int rc = ::ftruncate(fd_, static_cast<off_t>(size));
#endif
    if (rc != 0) throw spsync::sdk::Retryable(ErrnoText("cannot truncate", path_));
    Seek(size);
  }

  void Close() {
#if defined(_WIN32)
    if (fd_ >= 0) ::_close(fd_);
#else
    if (fd_ >= 0) ::close(fd_);
#endif
    fd_ = -1;
  }

 private:
  void Seek(uint64_t at) {
#if defined(_WIN32)
    long long rc = ::_lseeki64(fd_, static_cast<long long>(at), SEEK_SET);
#else
    off_t rc = ::lseek(fd_, static_cast<off_t>(at), SEEK_SET);
#endif
    if (rc < 0) throw spsync::sdk::Retryable(ErrnoText("cannot seek in", path_));
  }

  std::string path_;
  int fd_ = -1;
};

// Writes `content` to `path` durably and atomically: a temporary file,
// synced, then renamed over `path` (readers see the old file or the new one).
inline void ReplaceFile(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  std::filesystem::remove(PathOf(tmp), ec);
  {
    File f(tmp);
    f.Write(content);
    f.Sync();
  }
#if defined(_WIN32)
  if (!::MoveFileExW(PathOf(tmp).wstring().c_str(), PathOf(path).wstring().c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
    throw spsync::sdk::Retryable("cannot replace " + path + " (error " +
                                 std::to_string(::GetLastError()) + ")");
#else
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw spsync::sdk::Retryable(ErrnoText("cannot rename", tmp));
  // The rename itself must survive a power loss too.
  int dir = ::open(PathOf(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
#endif
}

}  // namespace jsonl

#endif  // JSONL_PORTABLE_FILE_HPP_
