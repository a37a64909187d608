// People and lookups resolved (`resolve` in the config, sink ABI 1.2 field
// roles): a person field gets the person's display name and e-mail, a lookup
// field the looked-up value, as extra fields next to the ID field.
//
// Item pages are NOT read with $expand: SharePoint refuses a query with more
// than 12 lookup-type columns (the lookup column threshold), and an expansion
// repeats the same few names on thousands of rows. Instead each target (the
// site's User Information List for people, the looked-up list for a lookup)
// is read once per session on first use, paged by ID with only ID and the
// shown field (and EMail for people), and IDs are resolved locally. An ID
// the cache does not know (a person added, an item looked up created since)
// costs one targeted request per target and page (CAML <In> on GetItems);
// an ID not found there either is remembered as absent for the session.
// People missing from the User Information List (the system account) are
// read with web/getuserbyid, a bounded number of times per session.
//
// Memory is bounded: a target larger than the cache's share is not read
// whole; its IDs are then fetched per page as they appear, and the cache is
// emptied when it reaches its bound.
//
// Thread safety: Resolve() may be called from several threads (the full
// sync's streams); calls are serialised.
#pragma once

#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/item_page.hpp"
#include "spsync/engine/sharepoint/schema.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace spsync::engine {

class SharePointClient;

// A list values are looked up in.
struct LookupTarget {
  std::string list_id;  // lowercase GUID
  std::string shown;    // the JSON key of the shown field (people: Title)
  bool people = false;  // a person's Title and EMail
};

// Which fields are resolved and from where: the entity's fields with the
// resolved ones inserted right after the ID field each resolves.
struct ResolvePlan {
  struct Column {
    size_t id_field = 0;   // index of the ID field in `fields`
    size_t out_field = 0;  // index of the resolved field
    size_t target = 0;     // index in `targets`
    bool email = false;    // a person's EMail rather than the shown value
    bool multi = false;    // the IDs and the values are JSON arrays
  };
  std::vector<SchemaField> fields;
  std::vector<LookupTarget> targets;
  std::vector<Column> columns;
};

// Plans the resolved fields. `selected[i]` was mapped from `sources[i]`
// (read with lookup details). `all`: every person and lookup field; else
// those named in `names` (internal name, entity name or title). Throws
// std::invalid_argument naming a field in `names` that is not a selected
// person or lookup field.
ResolvePlan PlanResolve(const std::vector<SchemaField>& selected,
                        const std::vector<ListField>& sources, bool all,
                        const std::vector<std::string>& names);

class Resolver {
 public:
  struct Options {
    size_t max_entries = 200000;   // cached values over all targets
    size_t max_user_lookups = 50;  // web/getuserbyid calls per session
    // Called before every request (the session's page_requested event).
    std::function<void(const std::string&)> requested;
  };
  Resolver(SharePointClient& client, ResolvePlan plan, const Deadline& deadline, Options options);
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  ~Resolver();

  const ResolvePlan& plan() const { return plan_; }
  // Fills the resolved fields of every item of `page` (parsed with the
  // plan's fields); their strings live in page->resolved. Throws what the
  // client throws.
  void Resolve(ItemPage* page);
  // Requests made so far (whole reads, targeted reads, user reads).
  int64_t requests() const;

 private:
  struct Target;
  void Load(Target& t);
  void Fetch(Target& t, const std::vector<int64_t>& ids);
  void FetchUser(Target& t, int64_t id);
  void Remember(Target& t, int64_t id, std::string value, std::string email);
  // Parses a page of target rows (taking `body`) into the cache.
  void ReadRows(Target& t, std::string& body, std::vector<int64_t>* found, std::string* next);

  SharePointClient& client_;
  ResolvePlan plan_;
  const Deadline& deadline_;
  Options options_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Target>> targets_;
  size_t entries_ = 0;
  size_t user_lookups_ = 0;
  int64_t requests_ = 0;
};

}  // namespace spsync::engine
