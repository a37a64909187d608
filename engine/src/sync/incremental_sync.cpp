// Incremental mode: drain the change log from the stored token, collapsing
// each item's changes in log order and fetching upserted items in bulk.
#include "session_impl.hpp"
#include "spsync/engine/sharepoint/change_page.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

namespace spsync::engine {

namespace {

// What an item's changes in one batch amount to, in log order.
struct Pending {
  bool deleted = false;
  spsync_change_kind kind = SPSYNC_CHANGE_UPDATE;
};

void Collapse(const Change& c, std::map<int64_t, Pending>* pending) {
  if (c.item_id <= 0) return;
  switch (c.type) {
    case kChangeDeleteObject:
    case kChangeMoveAway:
      (*pending)[c.item_id] = Pending{true, SPSYNC_CHANGE_UPDATE};
      break;
    case kChangeAdd:
    case kChangeMoveInto: {
      auto& p = (*pending)[c.item_id];
      p = Pending{false, SPSYNC_CHANGE_ADD};
      break;
    }
    case kChangeRestore: {
      // delete then restore = upsert (the restored item is fetched).
      auto& p = (*pending)[c.item_id];
      p = Pending{false, SPSYNC_CHANGE_RESTORE};
      break;
    }
    case kChangeUpdate:
    case kChangeRename:
    case kChangeSystemUpdate:
    case kChangeDirty: {
      auto it = pending->find(c.item_id);
      if (it == pending->end()) {
        (*pending)[c.item_id] = Pending{false, SPSYNC_CHANGE_UPDATE};
      } else if (it->second.deleted) {
        // An update logged after a delete cannot resurrect it; keep the delete.
      }
      break;
    }
    default:
      break;  // permission, navigation, ... changes do not touch item data
  }
}

// `ID ge a and ID le b` for dense runs, CAML <In> chunks for the rest.
struct FetchPlan {
  std::vector<std::pair<int64_t, int64_t>> ranges;
  std::vector<std::vector<int64_t>> chunks;
};

FetchPlan PlanFetch(const std::vector<int64_t>& ids) {
  constexpr size_t kChunk = 500;      // <In> values per CAML query
  constexpr int64_t kMaxSpan = 5000;  // one page of a range filter
  FetchPlan plan;
  std::vector<int64_t> sparse;
  size_t i = 0;
  while (i < ids.size()) {
    // Extend a run while it stays at least half dense and within one page.
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] - ids[i] < kMaxSpan &&
           static_cast<int64_t>(j + 2 - i) * 2 >= ids[j + 1] - ids[i] + 1)
      ++j;
    size_t run = j - i + 1;
    if (run >= 64) {
      plan.ranges.emplace_back(ids[i], ids[j]);
    } else {
      for (size_t k = i; k <= j; ++k) sparse.push_back(ids[k]);
    }
    i = j + 1;
  }
  for (size_t k = 0; k < sparse.size(); k += kChunk)
    plan.chunks.emplace_back(
        sparse.begin() + static_cast<std::ptrdiff_t>(k),
        sparse.begin() + static_cast<std::ptrdiff_t>(std::min(sparse.size(), k + kChunk)));
  return plan;
}

std::string CamlIn(const std::vector<int64_t>& ids) {
  std::string xml = "<View Scope='RecursiveAll'><Query><Where><In><FieldRef Name='ID'/><Values>";
  for (int64_t id : ids) xml += "<Value Type='Counter'>" + std::to_string(id) + "</Value>";
  xml += "</Values></In></Where></Query><RowLimit>" + std::to_string(ids.size()) +
         "</RowLimit></View>";
  return xml;
}

}  // namespace

void SyncSession::Impl::RunIncremental() {
  constexpr size_t kMaxUpsertsPerBatch = 5000;
  ChangeTokenParts current;
  const bool know_current = ParseChangeToken(list_.current_change_token, &current);
  int64_t total_changes = 0;
  bool drained = false;
  while (!drained) {
    CheckBudget("between change batches");
    // Gather change pages until a batch of upserts is worth a bulk fetch.
    std::map<int64_t, Pending> pending;
    std::string cursor = state_.change_token;
    size_t upserts = 0;
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
        if (e.kind() != ErrorKind::kTokenInvalid) throw;
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
      for (const auto& c : changes) {
        Collapse(c, &pending);
        cursor = c.token;
      }
      total_changes += static_cast<int64_t>(changes.size());
      upserts = 0;
      for (const auto& [id, p] : pending) upserts += p.deleted ? 0 : 1;
      if (changes.size() < static_cast<size_t>(entity_.fetch_limit)) {
        drained = true;
        break;
      }
      if (upserts >= kMaxUpsertsPerBatch || deadline_.expired()) break;
    }
    if (cursor == state_.change_token) break;

    // Fetch the upserted items in bulk; one missing now was deleted since.
    std::vector<int64_t> ids;
    for (const auto& [id, p] : pending)
      if (!p.deleted) ids.push_back(id);
    FetchPlan plan = PlanFetch(ids);
    std::vector<int64_t> found;
    auto apply = [&](ItemPage& page) {
      for (auto& item : page.items) {
        auto it = pending.find(item.id);
        if (it != pending.end()) item.kind = it->second.kind;
        found.push_back(item.id);
        state_.high_water_id = std::max(state_.high_water_id, item.id);
      }
      result_.rejected += caller_.Upsert(page);
      result_.upserted += static_cast<int64_t>(page.size());
      state_.items_upserted += static_cast<int64_t>(page.size());
    };
    ItemPage page;
    for (const auto& [a, b] : plan.ranges) {
      std::string url =
          client_.ListApi(list_.id) +
          "/items?%24select=" + EncodeQueryValue(schema_->SelectClause()) + "&%24filter=" +
          EncodeQueryValue("ID ge " + std::to_string(a) + " and ID le " + std::to_string(b)) +
          "&%24top=5000";
      while (!url.empty()) {
        FetchPage(url, &page, SPSYNC_CHANGE_UPDATE);
        apply(page);
        url = page.next_link;
      }
    }
    for (const auto& chunk : plan.chunks) {
      std::string body = "{\"query\":{\"ViewXml\":\"" + CamlIn(chunk) + "\"}}";
      if (events_.page_requested) events_.page_requested("GetItems");
      client_.Post(
          client_.ListApi(list_.id) +
              "/GetItems?%24select=" + EncodeQueryValue(schema_->SelectClause()),
          body, "fetching changed items of '" + list_.title + "'", deadline_,
          [&](HttpResponse& r) {
            page.body.swap(r.body);
            parser_->Parse(&page, SPSYNC_CHANGE_UPDATE);
          },
          &page.body);
      apply(page);
    }
    std::sort(found.begin(), found.end());
    DeletionWriter deletions(caller_, false, INT64_MAX);
    for (const auto& [id, p] : pending)
      if (p.deleted || !std::binary_search(found.begin(), found.end(), id)) deletions.Add(id);
    deletions.Flush();
    result_.deleted += deletions.count();
    state_.items_deleted += deletions.count();
    if (deletions.count() > 0 && events_.deletions_found)
      events_.deletions_found(deletions.count());
    state_.change_token = cursor;
    result_.pages++;
    Persist();
    if (events_.page_applied)
      events_.page_applied(static_cast<int64_t>(found.size()), deletions.count());
  }
  if (total_changes > 0)
    spdlog::info("[{}/{}] applied {} changes", entity_.name, options_.sink_name, total_changes);
}

}  // namespace spsync::engine
