// Internal: the ID ranges of a parallel full sync and who reads which. The
// list's ID space is split into ranges (after, last]; each stream reads one
// range page by page (`$skiptoken=Paged=TRUE&p_ID=<after>`, ordered by ID,
// no filter, so the list view threshold is not involved). A stream whose
// range is done takes the far half of the busiest remaining range, so a
// list with a dense and a sparse half does not leave one stream doing all
// the work.
//
// Two positions per range: where its reader has fetched up to (`fetched`),
// and where the sink has applied up to (`applied`); the state persists the
// applied one, so a resume re-reads at most the pages that were in flight.
//
// Thread safety: every method locks; streams and the session thread share
// one scheduler.
#pragma once

#include "spsync/engine/sync/state.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace spsync::engine {

class RangeScheduler {
 public:
  // `ranges`: the unapplied ranges (from a plan or a persisted state).
  // `page_span`: about how many IDs one page covers; halves narrower than
  // two pages are not worth stealing. `id_hint`: the highest ID the list is
  // known to have (bounds the open-ended range for stealing; 0 = unknown).
  RangeScheduler(std::vector<IdRange> ranges, int64_t page_span, int64_t id_hint);

  struct Lease {
    size_t range = 0;
    int64_t after = 0;  // fetch the page that follows this ID
  };
  // Work for a free stream: an unclaimed range, else the far half of the
  // range with the most IDs left; nullopt when nothing is left to read.
  std::optional<Lease> Acquire();

  struct Fetched {
    int64_t end = 0;         // the range's end now: items above it belong to others
    bool exhausted = false;  // the range is read to its end
  };
  // The stream read a page of `range` whose last item (after trimming to the
  // end) is `last_id` (0 if none), and SharePoint has more items after it
  // (`more`). Advances the fetch position; releases the range when done.
  Fetched Complete(size_t range, int64_t page_last_id, bool more);

  // The sink applied items of `range` up to `applied` (its end if `done`).
  void Applied(size_t range, int64_t applied, bool done);
  // Where the sink stands in `range`: the next item applied follows this ID.
  int64_t AppliedOf(size_t range) const;

  // What a state must keep: every range not applied to its end, as
  // (applied position, end).
  std::vector<IdRange> Unapplied() const;
  bool AllApplied() const;
  int64_t id_hint() const;

 private:
  struct Slot {
    int64_t applied;
    int64_t fetched;
    int64_t last;
    bool claimed = false;
    bool fetch_done = false;
    bool apply_done = false;
  };
  int64_t EndFor(const Slot& s) const;

  mutable std::mutex mu_;
  std::vector<Slot> slots_;
  int64_t page_span_;
  int64_t id_hint_;
};

}  // namespace spsync::engine
