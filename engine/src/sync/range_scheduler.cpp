#include "range_scheduler.hpp"

#include <algorithm>

namespace spsync::engine {

RangeScheduler::RangeScheduler(std::vector<IdRange> ranges, int64_t page_span, int64_t id_hint)
    : page_span_(std::max<int64_t>(page_span, 1)), id_hint_(id_hint) {
  for (const auto& r : ranges) {
    Slot s;
    s.applied = s.fetched = r.after;
    s.last = r.last;
    s.fetch_done = s.apply_done = r.after >= r.last;
    slots_.push_back(s);
    if (r.last != INT64_MAX) id_hint_ = std::max(id_hint_, r.last);
  }
}

int64_t RangeScheduler::EndFor(const Slot& s) const {
  return s.last == INT64_MAX ? std::max(id_hint_, s.fetched) : s.last;
}

std::optional<RangeScheduler::Lease> RangeScheduler::Acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < slots_.size(); ++i)
    if (!slots_[i].claimed && !slots_[i].fetch_done) {
      slots_[i].claimed = true;
      return Lease{i, slots_[i].fetched};
    }
  // Steal: the claimed range with the most IDs left to fetch. The reader may
  // have a page in flight that covers about page_span IDs past its position,
  // so the split is at least that far out.
  size_t best = slots_.size();
  int64_t best_left = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.fetch_done) continue;
    int64_t left = EndFor(s) - s.fetched;
    if (left > best_left) {
      best_left = left;
      best = i;
    }
  }
  if (best == slots_.size() || best_left < 2 * page_span_) return std::nullopt;
  Slot& victim = slots_[best];
  int64_t end = EndFor(victim);
  int64_t mid = std::max(victim.fetched + page_span_, victim.fetched + (end - victim.fetched) / 2);
  if (mid >= end) return std::nullopt;
  Slot stolen;
  stolen.applied = stolen.fetched = mid;
  stolen.last = victim.last;  // an open end moves to the new range
  stolen.claimed = true;
  victim.last = mid;
  slots_.push_back(stolen);
  return Lease{slots_.size() - 1, mid};
}

RangeScheduler::Fetched RangeScheduler::Complete(size_t range, int64_t page_last_id, bool more) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& s = slots_.at(range);
  Fetched f;
  f.end = s.last;
  if (page_last_id > 0) {
    s.fetched = std::max(s.fetched, std::min(page_last_id, s.last));
    if (s.last == INT64_MAX) id_hint_ = std::max(id_hint_, page_last_id);
  }
  // Done when SharePoint has nothing after this page, or the page reached
  // the range's end (an item at or past it was seen).
  f.exhausted = !more || page_last_id == 0 || page_last_id >= s.last || s.fetched >= s.last;
  if (f.exhausted) {
    s.fetch_done = true;
    s.claimed = false;
  }
  return f;
}

void RangeScheduler::Applied(size_t range, int64_t applied, bool done) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& s = slots_.at(range);
  s.applied = std::max(s.applied, applied);
  if (done) s.apply_done = true;
}

int64_t RangeScheduler::AppliedOf(size_t range) const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.at(range).applied;
}

std::vector<IdRange> RangeScheduler::Unapplied() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<IdRange> out;
  for (const auto& s : slots_)
    if (!s.apply_done) out.push_back({s.applied, s.last});
  std::sort(out.begin(), out.end(),
            [](const IdRange& a, const IdRange& b) { return a.after < b.after; });
  return out;
}

bool RangeScheduler::AllApplied() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::all_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.apply_done; });
}

int64_t RangeScheduler::id_hint() const {
  std::lock_guard<std::mutex> lock(mu_);
  return id_hint_;
}

}  // namespace spsync::engine
