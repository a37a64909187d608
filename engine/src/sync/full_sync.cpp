// Full mode: page through the list by ID, upserting each page and deleting
// the ID gaps inline; the ID-only reconcile pass.
#include "prefetcher.hpp"
#include "session_impl.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <spdlog/spdlog.h>

namespace spsync::engine {

std::string SyncSession::Impl::ItemsUrl(int64_t after_id, bool ids_only) const {
  std::string url = client_.ListApi(list_.id) + "/items?%24select=" +
                    (ids_only ? std::string("ID") : EncodeQueryValue(schema_->SelectClause())) +
                    "&%24orderby=ID&%24top=" + std::to_string(ids_only ? 5000 : entity_.page_size);
  // SharePoint's own position token: the ID of the last item already read.
  if (after_id > 0)
    url += "&%24skiptoken=" + EncodeQueryValue("Paged=TRUE&p_ID=" + std::to_string(after_id));
  return url;
}

void SyncSession::Impl::FetchPage(const std::string& url, ItemPage* page, spsync_change_kind kind) {
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
      },
      &page->body);
}

void SyncSession::Impl::RunFull() {
  spdlog::info(
      "[{}/{}] full sync of '{}' ({} items){}", entity_.name, options_.sink_name, list_.title,
      list_.item_count,
      state_.page_last_id > 0 ? " resuming after ID " + std::to_string(state_.page_last_id) : "");
  const bool ranges = sink_.info().delete_ranges();
  // Two pages: the session applies one while a helper thread fetches the next.
  ItemPage pages[2];
  int current = 0;
  std::string url = ItemsUrl(state_.page_last_id, false);
  CheckBudget("before the first page");
  FetchPage(url, &pages[current], SPSYNC_CHANGE_FULL_SYNC);
  int64_t done = 0;
  Prefetcher prefetcher;
  while (true) {
    ItemPage& page = pages[current];
    bool fetching = false;
    const std::string next_url = page.next_link;
    if (!next_url.empty() && !deadline_.expired()) {
      ItemPage* target = &pages[1 - current];
      prefetcher.Start(
          [this, next_url, target] { FetchPage(next_url, target, SPSYNC_CHANGE_FULL_SYNC); });
      fetching = true;
    }
    try {
      // Upserts first, then the gaps before and between this page's IDs.
      result_.rejected += caller_.Upsert(page);
      DeletionWriter deletions(caller_, ranges, state_.prior_high_water_id);
      int64_t previous = state_.page_last_id;
      for (const auto& item : page.items) {
        if (item.id > previous + 1) deletions.AddRange(previous + 1, item.id - 1);
        previous = item.id;
      }
      deletions.Flush();
      if (!page.items.empty()) {
        state_.page_last_id = page.last_id();
        state_.high_water_id = std::max(state_.high_water_id, page.last_id());
      }
      state_.items_upserted += static_cast<int64_t>(page.size());
      state_.items_deleted += deletions.count();
      result_.upserted += static_cast<int64_t>(page.size());
      result_.deleted += deletions.count();
      result_.pages++;
      if (deletions.count() > 0 && events_.deletions_found)
        events_.deletions_found(deletions.count());
      Persist();
      done += static_cast<int64_t>(page.size());
      if (events_.page_applied)
        events_.page_applied(static_cast<int64_t>(page.size()), deletions.count());
      if (events_.progress) events_.progress(done, list_.item_count);
    } catch (...) {
      if (fetching) prefetcher.Wait(false);
      throw;
    }
    if (next_url.empty()) break;
    if (!fetching) CheckBudget("between pages");
    prefetcher.Wait();  // rethrows a fetch failure
    current = 1 - current;
    CheckBudget("between pages");
  }

  // The tail: nothing exists above the last ID read, so anything the sink
  // holds there is deleted.
  DeletionWriter tail(caller_, ranges, state_.prior_high_water_id);
  tail.AddTail(state_.page_last_id + 1);
  tail.Flush();
  state_.items_deleted += tail.count();
  result_.deleted += tail.count();
  if (tail.count() > 0 && events_.deletions_found) events_.deletions_found(tail.count());

  state_.mode = SyncMode::kIncremental;
  state_.change_token = state_.full_start_token;
  state_.full_in_progress = false;
  state_.full_start_token.clear();
  state_.page_last_id = 0;
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
