// Full mode: page through the list by ID, upserting each page and deleting
// the ID gaps inline; the ID-only reconcile pass.
#include "range_scheduler.hpp"
#include "session_impl.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace spsync::engine {

std::string SyncSession::Impl::SelectQuery() const {
  if (!attachments_) return "%24select=" + EncodeQueryValue(Select());
  return "%24select=" + EncodeQueryValue(Select() + ",AttachmentFiles") +
         "&%24expand=AttachmentFiles";
}

std::string SyncSession::Impl::ItemsUrl(int64_t after_id, bool ids_only) const {
  std::string url = client_.ListApi(list_.id) + "/items?" +
                    (ids_only ? std::string("%24select=ID") : SelectQuery()) +
                    "&%24orderby=ID&%24top=" + std::to_string(ids_only ? 5000 : entity_.page_size);
  // SharePoint's own position token: the ID of the last item already read.
  if (after_id > 0)
    url += "&%24skiptoken=" + EncodeQueryValue("Paged=TRUE&p_ID=" + std::to_string(after_id));
  return url;
}

void SyncSession::Impl::FetchPage(const std::string& url, ItemPage* page, spsync_change_kind kind,
                                  int64_t after_id) {
  if (!client_.SameOrigin(url))
    throw SharePointError(ErrorKind::kBadResponse, 0, "",
                          "a next link points to another host (" + url.substr(0, 80) +
                              "); it is not followed with the site's credentials");
  if (events_.page_requested) events_.page_requested(url);
  client_.Get(
      url, "reading items of list '" + list_.title + "'", deadline_,
      [&](HttpResponse& r) {
        page->body.swap(r.body);
        parser_->Parse(page, kind);
        // IDs must ascend: gaps are deletions only if they do.
        for (size_t i = 1; i < page->items.size(); ++i)
          if (page->items[i].id <= page->items[i - 1].id)
            throw MalformedBody("items are not in ascending ID order");
        // A page asked for after an ID starts after it; one that does not
        // would be read again and again.
        if (after_id > 0 && !page->items.empty() && page->items.front().id <= after_id)
          throw MalformedBody("the page after ID " + std::to_string(after_id) + " starts at ID " +
                              std::to_string(page->items.front().id));
      },
      &page->body);
  if (split_ && !page->items.empty()) {
    // The same items' other lookup columns (lookup_split.hpp).
    const std::string window = "ID ge " + std::to_string(page->first_id()) + " and ID le " +
                               std::to_string(page->last_id());
    split_->Merge(page, [&](const std::string& select, std::string* body) {
      std::string more = client_.ListApi(list_.id) +
                         "/items?%24select=" + EncodeQueryValue(select) +
                         "&%24filter=" + EncodeQueryValue(window) + "&%24top=5000";
      if (events_.page_requested) events_.page_requested(more);
      client_.Get(more, "reading more lookup columns of '" + list_.title + "'", deadline_,
                  [&](HttpResponse& r) { body->swap(r.body); });
    });
  }
  if (resolver_) resolver_->Resolve(page);
}

int SyncSession::Impl::Streams() const {
  if (entity_.streams > 0) return entity_.streams;
  // Automatic: one stream up to four pages (a few seconds even at
  // SharePoint's pace), else two to start with; more are added while the
  // session thread waits for pages (StreamCap).
  // With attachments the session thread downloads every file between pages,
  // so it, not the page stream, sets the pace: one stream, more only if it
  // ends up waiting.
  int64_t pages = (list_.item_count + entity_.page_size - 1) / std::max(entity_.page_size, 1);
  return pages <= 4 || entity_.attachments ? 1 : 2;
}

int SyncSession::Impl::StreamCap(uint64_t answer_micros0, uint64_t answered0) const {
  if (entity_.streams > 0) return entity_.streams;
  // By the list's size: one stream for every four pages, at most eight
  // (each holds a page in memory).
  const int64_t pages = (list_.item_count + entity_.page_size - 1) / std::max(entity_.page_size, 1);
  const auto by_size = static_cast<int>(std::min<int64_t>(8, (pages + 3) / 4));
  // Under a request budget the aim is to use it: enough requests in flight
  // that the budget, not SharePoint's latency, sets the pace. That is the
  // budget's rate times the time one page takes to arrive (measured in this
  // session, waits for the budget excluded), with a fifth more to absorb
  // the spread.
  const double rps = client_.BudgetRequestsPerSecond();
  const uint64_t answered = client_.stats().answered - answered0;
  if (rps <= 0 || answered < 2) return by_size;
  const double latency =
      static_cast<double>(client_.stats().answer_micros - answer_micros0) / 1e6 / answered;
  const auto for_budget = static_cast<int>(std::min<double>(
      {std::ceil(rps * latency * 1.2), kMaxBudgetStreams, static_cast<double>(pages / 2)}));
  return std::max(by_size, for_budget);
}

std::vector<IdRange> SyncSession::Impl::PlanRanges(int streams, int64_t* max_id) {
  // One request for the highest ID ($orderby=ID desc is served from the ID
  // index, so the threshold does not apply).
  std::string url = client_.ListApi(list_.id) +
                    "/items?%24select=ID&%24orderby=" + EncodeQueryValue("ID desc") + "&%24top=1";
  EntitySchema ids_only(entity_.name, list_.id, list_.title, {});
  ItemPageParser parser(ids_only);
  ItemPage page;
  if (events_.page_requested) events_.page_requested(url);
  client_.Get(
      url, "reading the highest item ID of '" + list_.title + "'", deadline_,
      [&](HttpResponse& r) {
        page.body.swap(r.body);
        parser.Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
      },
      &page.body);
  *max_id = page.last_id();
  if (*max_id <= 0 || streams <= 1) return {{0, INT64_MAX}};
  std::vector<IdRange> ranges;
  for (int k = 0; k < streams; ++k) {
    int64_t after = *max_id * k / streams;
    int64_t last = k + 1 == streams ? INT64_MAX : *max_id * (k + 1) / streams;
    if (last > after) ranges.push_back({after, last});
  }
  return ranges;
}

void SyncSession::Impl::RecordRanges(const RangeScheduler& sched) {
  auto ranges = sched.Unapplied();
  // One open-ended range left is the classic single-stream position.
  if (ranges.size() == 1 && ranges[0].last == INT64_MAX) {
    state_.page_last_id = ranges[0].after;
    state_.ranges.clear();
  } else if (ranges.empty()) {
    // Every range applied, the end of the full sync not yet committed. No
    // range and position 0 would read as a fresh start and a kill here
    // would re-send the whole list: resume past the highest ID instead (one
    // empty page, and the tail deletion again).
    state_.page_last_id = state_.high_water_id;
    state_.ranges.clear();
  } else {
    state_.page_last_id = ranges.empty() ? 0 : ranges.front().after;
    state_.ranges = std::move(ranges);
  }
}

namespace {

// A page read by a stream, waiting for the session thread.
struct Delivery {
  size_t range = 0;
  ItemPage* page = nullptr;
  int64_t end = 0;         // the range's end when the page was read
  bool exhausted = false;  // the last page of its range
};

// The hand-over between the streams and the session thread: a fixed pool of
// pages (memory stays flat whatever the list's size) and a FIFO of read ones
// (so each range's pages are applied in order).
class PagePipe {
 public:
  explicit PagePipe(size_t pages) : pool_(pages) {
    for (auto& p : pool_) free_.push_back(&p);
  }
  // One more page for one more stream (a deque keeps the others in place).
  void AddPage() {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(&pool_.emplace_back());
    cv_.notify_all();
  }
  // The share of the time since the last call that Next() spent waiting
  // for a page: near 1 when the streams are the bottleneck, near 0 when the
  // sink is.
  double TakeStarvedShare() {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    const double wall = std::chrono::duration<double>(now - window_start_).count();
    const double share = wall > 0 ? starved_seconds_ / wall : 0;
    window_start_ = now;
    starved_seconds_ = 0;
    return share;
  }
  // A free page, or nullptr once stopped.
  ItemPage* Take() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return stop_ || !free_.empty(); });
    if (stop_) return nullptr;
    ItemPage* p = free_.back();
    free_.pop_back();
    return p;
  }
  void Give(ItemPage* p) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(p);
    cv_.notify_all();
  }
  void Deliver(Delivery d) {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.push_back(d);
    cv_.notify_all();
  }
  // The next read page; nullopt when every stream has finished and nothing is left.
  std::optional<Delivery> Next() {
    std::unique_lock<std::mutex> lock(mu_);
    if (ready_.empty()) {
      const auto since = std::chrono::steady_clock::now();
      cv_.wait(lock, [&] { return !ready_.empty() || running_ == 0; });
      starved_seconds_ +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
    }
    if (ready_.empty()) return std::nullopt;
    Delivery d = ready_.front();
    ready_.pop_front();
    return d;
  }
  void Started() {
    std::lock_guard<std::mutex> lock(mu_);
    ++running_;
  }
  void Finished(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    if (error && !error_) error_ = error;
    if (error) stop_ = true;
    cv_.notify_all();
  }
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  // A stream ran out of budget: everyone stops, and the session ends partial.
  void StopForBudget(const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    if (budget_why_.empty()) budget_why_ = why;
    cv_.notify_all();
  }
  std::string budget_why() const {
    std::lock_guard<std::mutex> lock(mu_);
    return budget_why_;
  }
  bool stopped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stop_;
  }
  std::exception_ptr error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ItemPage> pool_;
  std::vector<ItemPage*> free_;
  std::deque<Delivery> ready_;
  std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now();
  double starved_seconds_ = 0;
  int running_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::string budget_why_;
};

}  // namespace

void SyncSession::Impl::RunFull() {
  // fullSync "export" / "auto": the Migration Export API may read the list
  // instead of paging (engine/src/export/).
  if (RunExport()) return FinishFull();
  const int streams = Streams();
  const bool resuming = state_.page_last_id > 0 || !state_.ranges.empty();
  int64_t id_hint = 0;
  std::vector<IdRange> ranges = state_.ranges;
  if (ranges.empty()) {
    if (state_.page_last_id == 0 && streams > 1)
      ranges = PlanRanges(streams, &id_hint);
    else
      ranges = {{state_.page_last_id, INT64_MAX}};
  }
  spdlog::info("[{}/{}] full sync of '{}' ({} items, {} stream{}{}){}", entity_.name,
               options_.sink_name, list_.title, list_.item_count, streams, streams == 1 ? "" : "s",
               entity_.streams > 0 ? "" : " to start", resuming ? " resuming" : "");
  // IDs one page covers, for deciding when a range is worth splitting.
  int64_t page_span = entity_.page_size;
  if (id_hint > 0 && list_.item_count > 0)
    page_span = std::max<int64_t>(page_span, entity_.page_size * id_hint / list_.item_count);
  RangeScheduler sched(ranges, page_span, id_hint);
  RecordRanges(sched);
  CheckBudget("before the first page");

  const bool del_ranges = sink_.info().delete_ranges();
  const uint64_t answer_micros0 = client_.stats().answer_micros;
  const uint64_t answered0 = client_.stats().answered;
  PagePipe pipe(static_cast<size_t>(streams) + 1);
  auto stream = [&] {
    std::exception_ptr error;
    try {
      while (!pipe.stopped()) {
        auto lease = sched.Acquire();
        if (!lease) break;
        int64_t after = lease->after;
        while (true) {
          ItemPage* page = pipe.Take();
          if (page == nullptr) return pipe.Finished(nullptr);
          try {
            FetchPage(ItemsUrl(after, false), page, SPSYNC_CHANGE_FULL_SYNC, after);
          } catch (...) {
            pipe.Give(page);
            throw;
          }
          const int64_t raw_last = page->last_id();
          auto f = sched.Complete(lease->range, raw_last, !page->next_link.empty());
          // Items past the range's end are another range's: drop them here.
          size_t keep = page->items.size();
          while (keep > 0 && page->items[keep - 1].id > f.end) --keep;
          page->items.resize(keep);
          page->pointers.resize(keep);
          pipe.Deliver({lease->range, page, f.end, f.exhausted});
          if (f.exhausted) break;
          after = raw_last;
        }
      }
    } catch (const SharePointError& e) {
      // The budget ran out (or cannot cover a retry's wait): a stop, not a failure.
      if (e.kind() == ErrorKind::kBudget)
        pipe.StopForBudget(e.what());
      else
        error = std::current_exception();
    } catch (...) {
      error = std::current_exception();
    }
    pipe.Finished(error);  // an error stops the other streams too
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < streams; ++i) {
    pipe.Started();
    threads.emplace_back(stream);
  }
  std::exception_ptr failure;
  int64_t done = 0;
  try {
    while (auto d = pipe.Next()) {
      ItemPage& page = *d->page;
      int64_t previous = sched.AppliedOf(d->range);
      result_.rejected += caller_.Upsert(page);
      if (versions_) versions_->Write(page);
      if (attachments_) attachments_->Apply(page);
      DeletionWriter deletions(caller_, del_ranges, state_.prior_high_water_id);
      for (const auto& item : page.items) {
        if (item.id > previous + 1) deletions.AddRange(previous + 1, item.id - 1);
        previous = item.id;
      }
      if (d->exhausted) {
        // The rest of the range is empty; an open end is the list's tail.
        if (d->end == INT64_MAX)
          deletions.AddTail(previous + 1);
        else
          deletions.AddRange(previous + 1, d->end);
      }
      deletions.Flush();
      sched.Applied(d->range, d->exhausted ? d->end : previous, d->exhausted);
      if (!page.items.empty())
        state_.high_water_id = std::max(state_.high_water_id, page.last_id());
      const auto n = static_cast<int64_t>(page.size());
      state_.items_upserted += n;
      state_.items_deleted += deletions.count();
      result_.upserted += n;
      result_.deleted += deletions.count();
      result_.pages++;
      pipe.Give(d->page);
      RecordRanges(sched);
      Persist();
      if (deletions.count() > 0 && events_.deletions_found)
        events_.deletions_found(deletions.count());
      done += n;
      if (events_.page_applied) events_.page_applied(n, deletions.count());
      if (events_.progress) events_.progress(done, list_.item_count);
      if (deadline_.expired()) pipe.Stop();
      // More streams while this thread waits for pages more than a fifth of
      // the time and the cap allows; each takes over half of the largest
      // range left. One at a time by size (a sink that is the bottleneck
      // keeps the streams, and the pages they hold, few); at once up to the
      // budget's need, which the measured latency already tells.
      const auto running = static_cast<int>(threads.size());
      const int cap = StreamCap(answer_micros0, answered0);
      if (running < cap && pipe.TakeStarvedShare() > 0.2) {
        const int add = client_.BudgetRequestsPerSecond() > 0 ? cap - running : 1;
        spdlog::debug("[{}/{}] {} more stream(s), {} in all", entity_.name, options_.sink_name, add,
                      running + add);
        for (int i = 0; i < add; ++i) {
          pipe.AddPage();
          pipe.Started();
          threads.emplace_back(stream);
        }
      }
    }
  } catch (...) {
    failure = std::current_exception();
    pipe.Stop();
    // Unblock and drain: streams waiting for a page see the stop.
    while (pipe.Next()) {
    }
  }
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  if (auto e = pipe.error()) std::rethrow_exception(e);
  if (!sched.AllApplied()) {
    CheckBudget("between pages");  // expired or interrupted (Ctrl-C, SIGTERM)
    if (std::string why = pipe.budget_why(); !why.empty()) throw BudgetReached(why);
    std::string left;
    for (const auto& r : sched.Unapplied())
      left += " (" + std::to_string(r.after) + ", " +
              (r.last == INT64_MAX ? std::string("end") : std::to_string(r.last)) + "]";
    throw std::logic_error("the full sync's streams ended with ranges unread:" + left);
  }
  FinishFull();
}

void SyncSession::Impl::FinishFull() {
  state_.mode = SyncMode::kIncremental;
  state_.export_job = {};
  state_.change_token = state_.full_start_token;
  state_.full_in_progress = false;
  state_.forced_replay = options_.force_full;
  state_.full_start_token.clear();
  state_.page_last_id = 0;
  state_.ranges.clear();
  state_.prior_high_water_id = 0;
  state_.last_full_unix = Now();
  Persist();
  spdlog::info("[{}/{}] full sync done; replaying changes made since it started", entity_.name,
               options_.sink_name);
  // The list's current token was read before the crawl; the replay needs
  // today's, or it would take the log for drained.
  list_ = client_.GetList(list_.id, deadline_);
}

void SyncSession::Impl::RunReconcile() {
  spdlog::info("[{}/{}] reconcile: ID-only pass over '{}'", entity_.name, options_.sink_name,
               list_.title);
  const bool ranges = sink_.info().delete_ranges();
  DeletionWriter deletions(caller_, ranges, state_.high_water_id);
  int64_t previous = 0;
  std::string url = ItemsUrl(0, true);
  // A parser for the ID-only pages: no fields.
  EntitySchema ids_only(entity_.name, list_.id, list_.title, {});
  ItemPageParser parser(ids_only);
  ItemPage page;
  while (!url.empty()) {
    CheckBudget("during the reconcile pass");
    if (!client_.SameOrigin(url))
      throw SharePointError(ErrorKind::kBadResponse, 0, "",
                            "a next link points to another host; not followed");
    if (events_.page_requested) events_.page_requested(url);
    client_.Get(
        url, "reading item IDs of list '" + list_.title + "'", deadline_,
        [&](HttpResponse& r) {
          page.body.swap(r.body);
          parser.Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
        },
        &page.body);
    for (const auto& item : page.items) {
      if (item.id <= previous)
        throw SharePointError(ErrorKind::kBadResponse, 0, "", "IDs are not ascending");
      if (item.id > previous + 1) deletions.AddRange(previous + 1, item.id - 1);
      previous = item.id;
    }
    // Commit each page's deletions before the next request, so the sink's
    // write transaction is never held while SharePoint answers.
    deletions.Flush();
    Persist();
    url = page.next_link;
  }
  deletions.AddTail(previous + 1);
  deletions.Flush();
  result_.deleted += deletions.count();
  state_.items_deleted += deletions.count();
  if (events_.deletions_found) events_.deletions_found(deletions.count());
  spdlog::info("[{}/{}] reconcile sent {} deletions", entity_.name, options_.sink_name,
               deletions.count());
}

}  // namespace spsync::engine
