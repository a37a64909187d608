// The set of item IDs an export listed, as one bit per ID (125 KB per
// million IDs): the export lists live items in no guaranteed order, so the
// IDs a sink may hold that the export lacks (deletions) are found only once
// every manifest is read.
//
// Thread safety: not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace spsync::engine::exporter {

class IdBitmap {
 public:
  // IDs above `max_id` are refused (a corrupt manifest must not make the
  // bitmap huge): Set returns false for them.
  explicit IdBitmap(int64_t max_id = int64_t{1} << 31) : max_id_(max_id) {}
  bool Set(int64_t id);
  bool Test(int64_t id) const;
  // Calls fn(first, last) for each maximal run of absent IDs in [1, limit].
  void ForEachGap(int64_t limit, const std::function<void(int64_t, int64_t)>& fn) const;
  int64_t count() const { return count_; }
  int64_t highest() const { return highest_; }
  size_t bytes() const { return words_.size() * sizeof(uint64_t); }

 private:
  std::vector<uint64_t> words_;
  int64_t max_id_;
  int64_t count_ = 0, highest_ = 0;
};

}  // namespace spsync::engine::exporter
