// Incremental mode: drain the change log from the stored token, collapsing
// each item's changes in log order and fetching upserted items in bulk.
//
// A batch of changes is applied in fetch units (one bulk request each), and
// after every unit the state is persisted with the token of the longest
// prefix of the batch's log whose items are all applied. So a time budget
// shorter than a whole batch still moves the token forward on every run, and
// the sink's write transaction never stays open across a network request.
#include "session_impl.hpp"
#include "spsync/engine/sharepoint/change_page.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <unordered_map>
#include <unordered_set>

namespace spsync::engine {

namespace {

// What an item's changes in one batch amount to, in log order.
struct Pending {
  bool deleted = false;
  spsync_change_kind kind = SPSYNC_CHANGE_UPDATE;
  size_t first = 0;   // index of the item's first change in the batch
  bool done = false;  // its final state is in the sink
};

void Collapse(const Change& c, size_t index, std::unordered_map<int64_t, Pending>* pending) {
  auto [it, added] = pending->try_emplace(c.item_id);
  Pending& p = it->second;
  if (added) p.first = index;
  switch (c.type) {
    case kChangeDeleteObject:
    case kChangeMoveAway:
      p.deleted = true;
      p.kind = SPSYNC_CHANGE_UPDATE;
      break;
    case kChangeAdd:
    case kChangeMoveInto:
      p.deleted = false;
      p.kind = SPSYNC_CHANGE_ADD;
      break;
    case kChangeRestore:
      // delete then restore = upsert (the restored item is fetched).
      p.deleted = false;
      p.kind = SPSYNC_CHANGE_RESTORE;
      break;
    case kChangeUpdate:
    case kChangeRename:
    case kChangeSystemUpdate:
    case kChangeDirty:
      // An update logged after a delete cannot resurrect the item: keep the delete.
      break;
    default:
      break;  // permission, navigation, ... changes do not touch item data
  }
}

bool TouchesItem(const Change& c) {
  return c.item_id > 0;
}

// Plans the bulk fetch of `ids` (ascending): dense runs as ranges, the rest
// as <In> chunks. `rank(id)` is the item's first position in the change log:
// chunks are cut in that order and all units are returned in order of their
// earliest item, so every unit fetched extends the applied prefix of the log.
// The first chunk holds `first_chunk` values and each next one twice as many,
// up to the usual 500: a small first unit comes back (and is applied and
// persisted) even when little of the time budget is left.
std::vector<FetchUnit> PlanFetch(const std::vector<int64_t>& ids,
                                 const std::function<size_t(int64_t)>& rank, size_t first_chunk) {
  constexpr size_t kChunk = 500;      // <In> values per CAML query
  constexpr int64_t kMaxSpan = 5000;  // one page of a range filter
  std::vector<FetchUnit> units;
  std::vector<int64_t> sparse;
  size_t i = 0;
  while (i < ids.size()) {
    // Extend a run while it stays at least half dense and within one page.
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] - ids[i] < kMaxSpan &&
           static_cast<int64_t>(j + 2 - i) * 2 >= ids[j + 1] - ids[i] + 1)
      ++j;
    if (j - i + 1 >= 64) {
      units.push_back({ids[i], ids[j], {}});
    } else {
      for (size_t k = i; k <= j; ++k) sparse.push_back(ids[k]);
    }
    i = j + 1;
  }
  std::sort(sparse.begin(), sparse.end(), [&](int64_t a, int64_t b) { return rank(a) < rank(b); });
  size_t chunk = std::clamp<size_t>(first_chunk, 1, kChunk);
  for (size_t k = 0; k < sparse.size(); k += chunk, chunk = std::min(kChunk, chunk * 2))
    units.push_back({0, 0,
                     std::vector<int64_t>(sparse.begin() + static_cast<std::ptrdiff_t>(k),
                                          sparse.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                               sparse.size(), k + chunk)))});
  auto earliest = [&](const FetchUnit& u) {
    size_t best = SIZE_MAX;
    if (u.ids.empty()) {
      for (auto it = std::lower_bound(ids.begin(), ids.end(), u.first);
           it != ids.end() && *it <= u.last; ++it)
        best = std::min(best, rank(*it));
    } else {
      for (int64_t id : u.ids) best = std::min(best, rank(id));
    }
    return best;
  };
  std::vector<std::pair<size_t, size_t>> order;  // (earliest, unit index)
  for (size_t u = 0; u < units.size(); ++u) order.emplace_back(earliest(units[u]), u);
  std::sort(order.begin(), order.end());
  std::vector<FetchUnit> sorted;
  for (const auto& [r, u] : order) sorted.push_back(std::move(units[u]));
  return sorted;
}

}  // namespace

size_t SyncSession::Impl::IncrementalStreams(size_t units) const {
  size_t wanted = entity_.streams > 0 ? static_cast<size_t>(entity_.streams) : 8;
  return std::max<size_t>(1, std::min(wanted, units));
}

std::vector<ItemPage> SyncSession::Impl::FetchUnitPages(const FetchUnit& unit) {
  std::vector<ItemPage> pages;
  if (unit.ids.empty()) {
    std::string url = client_.ListApi(list_.id) + "/items?" + SelectQuery() + "&%24filter=" +
                      EncodeQueryValue("ID ge " + std::to_string(unit.first) + " and ID le " +
                                       std::to_string(unit.last)) +
                      "&%24top=5000";
    while (!url.empty()) {
      pages.emplace_back();
      FetchPage(url, &pages.back(), SPSYNC_CHANGE_UPDATE);
      url = pages.back().next_link;
    }
    return pages;
  }
  std::string body = "{\"query\":{\"ViewXml\":\"" + CamlIdIn(unit.ids) + "\"}}";
  if (events_.page_requested) events_.page_requested("GetItems");
  ItemPage& page = pages.emplace_back();
  client_.Post(
      client_.ListApi(list_.id) + "/GetItems?" + SelectQuery(), body,
      "fetching changed items of '" + list_.title + "'", deadline_,
      [&](HttpResponse& r) {
        page.body.swap(r.body);
        parser_->Parse(&page, SPSYNC_CHANGE_UPDATE);
      },
      &page.body);
  if (split_)
    split_->Merge(&page, [&](const std::string& select, std::string* out) {
      if (events_.page_requested) events_.page_requested("GetItems");
      client_.Post(client_.ListApi(list_.id) + "/GetItems?%24select=" + EncodeQueryValue(select),
                   body, "fetching more lookup columns of '" + list_.title + "'", deadline_,
                   [&](HttpResponse& r) { out->swap(r.body); });
    });
  if (resolver_) resolver_->Resolve(&page);
  return pages;
}

// Applies one batch of changes (`log`, in log order) and persists the token
// of the longest applied prefix after every unit. Throws what the fetches
// throw, after persisting the prefix applied so far.
void SyncSession::Impl::ApplyChanges(const std::vector<Change>& log) {
  std::unordered_map<int64_t, Pending> pending;
  for (size_t i = 0; i < log.size(); ++i)
    if (TouchesItem(log[i])) Collapse(log[i], i, &pending);

  size_t prefix = 0;  // log[0, prefix) is applied
  // Persists the token after the longest applied prefix of the log. Being
  // ahead of the token is harmless: the next session replays from it and
  // converges on the same final state.
  auto commit = [&] {
    while (prefix < log.size() &&
           (!TouchesItem(log[prefix]) || pending.at(log[prefix].item_id).done))
      ++prefix;
    if (prefix > 0) state_.change_token = log[prefix - 1].token;
    Persist();
  };

  // Deletions need no request: apply them all first.
  DeletionWriter deletions(caller_, false, INT64_MAX);
  std::vector<int64_t> upserts;
  for (auto& [id, p] : pending) {
    if (p.deleted) {
      deletions.Add(id);
      p.done = true;
    } else {
      upserts.push_back(id);
    }
  }
  deletions.Flush();
  int64_t deleted = deletions.count();
  if (deleted > 0) {
    commit();
    if (events_.deletions_found) events_.deletions_found(deleted);
  }

  // Fetch in order of first appearance in the log, so each unit extends the
  // applied prefix as far as it can; within a window, dense runs become ranges.
  std::sort(upserts.begin(), upserts.end(),
            [&](int64_t a, int64_t b) { return pending.at(a).first < pending.at(b).first; });
  constexpr size_t kWindow = 5000;
  int64_t upserted = 0;
  try {
    for (size_t w = 0; w < upserts.size(); w += kWindow) {
      std::vector<int64_t> window(
          upserts.begin() + static_cast<std::ptrdiff_t>(w),
          upserts.begin() + static_cast<std::ptrdiff_t>(std::min(upserts.size(), w + kWindow)));
      std::sort(window.begin(), window.end());
      // Under a short budget the chunks start small (50, 100, 200, ...), so
      // a run advances even where one 500-ID fetch outlasts the budget; this
      // costs about three more requests per window, so only then.
      const size_t first_chunk = deadline_.remaining() < std::chrono::seconds(60) ? 50 : 500;
      auto units = PlanFetch(
          window, [&](int64_t id) -> size_t { return pending.at(id).first; }, first_chunk);
      // Up to `streams` units in flight; applied strictly in unit order.
      const size_t streams = IncrementalStreams(units.size());
      std::deque<std::future<std::vector<ItemPage>>> inflight;
      size_t launched = 0;
      auto launch = [&] {
        while (launched < units.size() && inflight.size() < streams && !deadline_.expired()) {
          const FetchUnit* u = &units[launched++];
          inflight.push_back(
              std::async(std::launch::async, [this, u] { return FetchUnitPages(*u); }));
        }
      };
      for (const auto& unit : units) {
        launch();
        if (inflight.empty()) CheckBudget("between bulk fetches");
        std::vector<ItemPage> pages = inflight.front().get();
        inflight.pop_front();
        launch();
        std::vector<int64_t> found;
        for (auto& p : pages) {
          for (auto& item : p.items) {
            auto it = pending.find(item.id);
            if (it != pending.end()) item.kind = it->second.kind;
            found.push_back(item.id);
            state_.high_water_id = std::max(state_.high_water_id, item.id);
          }
          result_.rejected += caller_.Upsert(p);
          if (versions_) versions_->Write(p);
          if (attachments_) attachments_->Apply(p);
          upserted += static_cast<int64_t>(p.size());
        }
        // Asked for but not returned: deleted since the change was logged.
        std::sort(found.begin(), found.end());
        DeletionWriter gone(caller_, false, INT64_MAX);
        auto mark = [&](int64_t id) {
          pending.at(id).done = true;
          if (!std::binary_search(found.begin(), found.end(), id)) gone.Add(id);
        };
        if (unit.ids.empty()) {
          for (int64_t id : window)
            if (id >= unit.first && id <= unit.last) mark(id);
        } else {
          for (int64_t id : unit.ids) mark(id);
        }
        gone.Flush();
        deleted += gone.count();
        if (gone.count() > 0 && events_.deletions_found) events_.deletions_found(gone.count());
        result_.pages++;
        commit();
        if (events_.page_applied)
          events_.page_applied(static_cast<int64_t>(found.size()), gone.count());
      }
    }
  } catch (const SinkFailure&) {
    throw;  // the sink cannot take a persist now
  } catch (...) {
    // Keep what was applied: the next session starts after it.
    result_.upserted += upserted;
    state_.items_upserted += upserted;
    result_.deleted += deleted;
    state_.items_deleted += deleted;
    commit();
    throw;
  }
  result_.upserted += upserted;
  state_.items_upserted += upserted;
  result_.deleted += deleted;
  state_.items_deleted += deleted;
  if (prefix < log.size()) commit();
}

void SyncSession::Impl::RunIncremental() {
  // Items gathered before the bulk fetches; bounds memory and the batch size.
  constexpr size_t kMaxItemsPerBatch = 5000;
  ChangeTokenParts current;
  const bool know_current = ParseChangeToken(list_.current_change_token, &current);
  int64_t total_changes = 0;
  bool drained = false;
  while (!drained) {
    CheckBudget("between change batches");
    std::vector<Change> log;
    std::string cursor = state_.change_token;
    std::unordered_set<int64_t> items;  // distinct items in `log`
    while (true) {
      ChangeTokenParts at;
      if (know_current && ParseChangeToken(cursor, &at) &&
          at.change_number >= current.change_number && current.change_number > 0) {
        drained = true;  // already at the position read with the list: no need to ask
        break;
      }
      std::string body =
          "{\"query\":{\"Item\":true,\"Add\":true,\"Update\":true,\"DeleteObject\":true,"
          "\"Restore\":true,\"Rename\":true,\"Move\":true,\"SystemUpdate\":true,"
          "\"ChangeTokenStart\":{\"StringValue\":\"" +
          cursor + "\"},\"FetchLimit\":\"" + std::to_string(entity_.fetch_limit) + "\"}}";
      std::vector<Change> changes;
      if (events_.page_requested) events_.page_requested("GetChanges");
      try {
        client_.PostChangeLog(client_.ListApi(list_.id) + "/GetChanges", body,
                              "reading the change log of '" + list_.title + "'", deadline_,
                              [&](HttpResponse& r) { changes = ParseChangePage(r.body); });
      } catch (const SharePointError& e) {
        if (e.kind() != ErrorKind::kTokenInvalid) {
          // Changes already read are worth applying before giving up.
          if (!log.empty() && (e.kind() == ErrorKind::kBudget || deadline_.expired())) break;
          throw;
        }
        // Not an error to retry: the log no longer reaches back to our token.
        result_.fell_back_to_full = true;
        std::string why =
            std::string("the change log rejected the stored token (") + e.what() + ")";
        if (events_.fallback_to_full) events_.fallback_to_full(why);
        list_ = client_.GetList(list_.id, deadline_);
        StartBlankFull(why);
        Persist();
        RunFull();
        RunIncremental();
        return;
      }
      for (auto& c : changes) {
        if (TouchesItem(c)) items.insert(c.item_id);
        cursor = c.token;
        log.push_back(std::move(c));
      }
      total_changes += static_cast<int64_t>(changes.size());
      if (changes.size() < static_cast<size_t>(entity_.fetch_limit)) {
        drained = true;
        break;
      }
      if (items.size() >= kMaxItemsPerBatch || deadline_.expired()) break;
    }
    if (!log.empty()) ApplyChanges(log);
  }
  // Drained: nothing is left between the stored token and the list's token
  // read at the start of the session. Moving to that token keeps an idle
  // list's token young; otherwise it would age out of the 60-day log and
  // force a full resync although nothing changed.
  ChangeTokenParts at;
  if (know_current && ParseChangeToken(state_.change_token, &at) &&
      current.change_number >= at.change_number &&
      state_.change_token != list_.current_change_token) {
    state_.change_token = list_.current_change_token;
    Persist();
  }
  if (total_changes > 0)
    spdlog::info("[{}/{}] applied {} changes", entity_.name, options_.sink_name, total_changes);
}

}  // namespace spsync::engine
