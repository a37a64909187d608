#include "spsync/engine/export/id_bitmap.hpp"

namespace spsync::engine::exporter {

bool IdBitmap::Set(int64_t id) {
  if (id <= 0 || id > max_id_) return false;
  size_t word = static_cast<size_t>(id >> 6);
  if (word >= words_.size()) {
    // Grow by half again, so a million ascending IDs reallocate a few dozen times.
    size_t want = std::max(word + 1, words_.size() + words_.size() / 2);
    words_.resize(want, 0);
  }
  uint64_t bit = uint64_t{1} << (id & 63);
  if (!(words_[word] & bit)) {
    words_[word] |= bit;
    ++count_;
    if (id > highest_) highest_ = id;
  }
  return true;
}

bool IdBitmap::Test(int64_t id) const {
  if (id <= 0) return false;
  size_t word = static_cast<size_t>(id >> 6);
  return word < words_.size() && (words_[word] >> (id & 63) & 1);
}

void IdBitmap::ForEachGap(int64_t limit, const std::function<void(int64_t, int64_t)>& fn) const {
  int64_t gap_start = 0;
  for (int64_t id = 1; id <= limit; ++id) {
    size_t word = static_cast<size_t>(id >> 6);
    // Whole words at once where possible.
    if ((id & 63) == 0 && id + 63 <= limit) {
      uint64_t w = word < words_.size() ? words_[word] : 0;
      if (w == 0) {
        if (!gap_start) gap_start = id;
        id += 63;
        continue;
      }
      if (w == ~uint64_t{0}) {
        if (gap_start) fn(gap_start, id - 1), gap_start = 0;
        id += 63;
        continue;
      }
    }
    if (Test(id)) {
      if (gap_start) fn(gap_start, id - 1), gap_start = 0;
    } else if (!gap_start) {
      gap_start = id;
    }
  }
  if (gap_start) fn(gap_start, limit);
}

}  // namespace spsync::engine::exporter
