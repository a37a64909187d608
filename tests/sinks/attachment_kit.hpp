// What the attachment tests of every sink share: deterministic file
// contents that can be produced chunk by chunk (so a 200 MB file never
// exists in the test either), SHA-256 as the host computes it, names that
// are hard to store, and peak-memory measurement in a child process.
#pragma once

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::test::attachments {

// File names with a space, '#', '%', non-ASCII (NFC and a decomposed
// accent, so two names that look alike stay apart), a leading dot, and '~'.
inline const std::vector<std::string>& HardNames() {
  static const std::vector<std::string> names = {
      "Q3 report #2 (final) 100%.pdf",
      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab.txt",
      "caf\xc3\xa9.txt",
      "cafe\xcc\x81.txt",
      ".hidden~1",
      "a%20b.txt",
      "a b.txt",
  };
  return names;
}

// Byte `offset` of the file of `seed`: cheap, position-dependent, not
// periodic over short runs, so misplaced chunks show.
inline char PatternByte(uint64_t seed, uint64_t offset) {
  uint64_t x = (offset + 1) * 0x9E3779B97F4A7C15ull ^ (seed * 0xD1B54A32D192ED03ull);
  x ^= x >> 29;
  return static_cast<char>(x & 0xff);
}

// `len` bytes of the file of `seed`, starting at `offset`, into `out`.
inline void PatternChunk(uint64_t seed, uint64_t offset, size_t len, std::string* out) {
  out->resize(len);
  for (size_t i = 0; i < len; ++i) (*out)[i] = PatternByte(seed, offset + i);
}

inline std::string Pattern(uint64_t seed, size_t size) {
  std::string out;
  PatternChunk(seed, 0, size, &out);
  return out;
}

// SHA-256 in pieces, as the host computes it while streaming.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
  std::string Hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, digest, &n);
    static const char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < n; ++i) {
      hex.push_back(kHex[digest[i] >> 4]);
      hex.push_back(kHex[digest[i] & 15]);
    }
    return hex;
  }

 private:
  EVP_MD_CTX* ctx_;
};

inline std::string Sha256Hex(std::string_view bytes) {
  Sha256 h;
  h.Update(bytes);
  return h.Hex();
}

// The SHA-256 of the file of `seed` of `size` bytes, computed in 1 MiB pieces.
inline std::string PatternSha256(uint64_t seed, uint64_t size) {
  Sha256 h;
  std::string chunk;
  for (uint64_t off = 0; off < size; off += 1 << 20) {
    PatternChunk(seed, off, static_cast<size_t>(std::min<uint64_t>(1 << 20, size - off)), &chunk);
    h.Update(chunk);
  }
  return h.Hex();
}

// A line of /proc/self/status in KiB ("VmHWM", "VmRSS"), or -1.
inline long StatusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line))
    if (line.compare(0, prefix.size(), prefix) == 0) return std::stol(line.substr(prefix.size()));
  return -1;
}

// Resets the peak RSS to the current RSS (Linux's clear_refs "5"), so a
// forked child measures only what it does after this point.
inline void ResetPeakRss() {
  int fd = ::open("/proc/self/clear_refs", O_WRONLY);
  if (fd >= 0) {
    if (::write(fd, "5", 1) != 1) {
    }
    ::close(fd);
  }
}

// Runs `work` in a forked child after resetting its peak RSS; `work`
// returns "" on success or an error text. Returns {error, peak growth KiB}.
// The child's result comes back through a pipe; a child that dies is an
// error naming its status. Sanitizer builds, which do not check memory
// (kCheckMemory), run `work` in this process instead: a fork of a process
// with threads (the emulator's) may inherit a lock another thread held, and
// under ASan a child once hung that way for the whole test timeout.
inline std::pair<std::string, long> MeasureInChild(const std::function<std::string()>& work) {
#ifdef SPSYNC_SANITIZED
  ResetPeakRss();
  const long start = StatusKb("VmHWM");
  std::string result;
  try {
    result = work();
  } catch (const std::exception& e) {
    result = e.what();
  }
  return {result, StatusKb("VmHWM") - start};
#endif
  int fds[2];
  if (pipe(fds) != 0) return {"pipe failed", -1};
  pid_t pid = fork();
  if (pid < 0) return {"fork failed", -1};
  if (pid == 0) {
    close(fds[0]);
    ResetPeakRss();
    const long before = StatusKb("VmHWM");
    std::string error;
    try {
      error = work();
    } catch (const std::exception& e) {
      error = e.what();
    }
    const long growth = StatusKb("VmHWM") - before;
    std::string out = std::to_string(growth) + "\n" + error;
    if (::write(fds[1], out.data(), out.size()) < 0) _exit(9);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return {"child died, status " + std::to_string(status) + ": " + out, -1};
  size_t nl = out.find('\n');
  return {out.substr(nl + 1), std::stol(out.substr(0, nl))};
}

// The largest peak-RSS growth the 200 MB tests accept. Sanitizer builds
// keep freed memory in quarantine, so there the growth is only reported.
constexpr long kFlatMemoryKb = 32 * 1024;
#ifdef SPSYNC_SANITIZED
constexpr bool kCheckMemory = false;
#else
constexpr bool kCheckMemory = true;
#endif

// The size of the "200 MB" files. Sanitizer builds, which do not check
// memory, write 40 MB: still past the S3 sink's multipart threshold (16 MiB)
// and forty 1 MiB chunks, in a fifth of the time.
constexpr uint64_t kBigFileBytes = kCheckMemory ? 200ull << 20 : 40ull << 20;

}  // namespace spsync::test::attachments
