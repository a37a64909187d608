#include "s3_layout.hpp"

#include <zlib.h>

#include <cstdio>
#include <ctime>

namespace spsync::s3 {

using spsync::sdk::Fatal;

std::string Gzip(std::string_view in) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip wrapper, so `gunzip` and every S3 reader cope.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Fatal("zlib: deflateInit2 failed");
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw Fatal("zlib: deflate failed");
  return out;
}

std::string Gunzip(std::string_view in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw Fatal("zlib: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw Fatal("zlib: corrupt gzip data");
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;
  }
  inflateEnd(&zs);
  return out;
}

std::string Iso8601Now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The sequence number in ".../part-00000042.ndjson[.gz]", or -1.
long long PartSeq(const std::string& key) {
  size_t slash = key.rfind('/');
  std::string_view name = std::string_view(key).substr(slash == std::string::npos ? 0 : slash + 1);
  if (name.substr(0, 5) != "part-") return -1;
  long long seq = 0;
  size_t i = 5;
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) seq = seq * 10 + (name[i] - '0');
  if (i == 5 || name.substr(i, 7) != ".ndjson") return -1;
  return seq;
}

// The records are written by this sink with "op" and "id" first, so the
// snapshot replay reads them from the line head instead of parsing the whole
// item (which is most of the line).
bool RecordHead(std::string_view line, bool* is_delete, long long* id) {
  static constexpr std::string_view kUpsert = "{\"op\":\"upsert\",\"id\":";
  static constexpr std::string_view kDelete = "{\"op\":\"delete\",\"id\":";
  std::string_view rest;
  if (line.substr(0, kUpsert.size()) == kUpsert) {
    *is_delete = false;
    rest = line.substr(kUpsert.size());
  } else if (line.substr(0, kDelete.size()) == kDelete) {
    *is_delete = true;
    rest = line.substr(kDelete.size());
  } else {
    return false;
  }
  long long v = 0;
  size_t i = 0;
  bool neg = !rest.empty() && rest[0] == '-';
  if (neg) ++i;
  size_t digits = i;
  for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i) v = v * 10 + (rest[i] - '0');
  if (i == digits) return false;
  *id = neg ? -v : v;
  return true;
}

std::string Pad8(long long seq) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%08lld", seq);
  return buf;
}

long long SeqAfter(const std::string& key, const std::string& prefix) {
  if (key.compare(0, prefix.size(), prefix) != 0) return -1;
  long long seq = 0;
  size_t i = prefix.size();
  for (; i < key.size() && key[i] >= '0' && key[i] <= '9'; ++i) seq = seq * 10 + (key[i] - '0');
  return i == prefix.size() ? -1 : seq;
}

}  // namespace spsync::s3
