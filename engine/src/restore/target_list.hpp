// What a restore asks of and writes to SharePoint: the target list and its
// fields, its IDs, the recycle bin, people and lookup targets, and the
// writes themselves (item creations in OData `$batch`es, attachment
// uploads). Every write request is counted.
//
// Thread safety: one per restore, used from one thread.
#pragma once

#include "backup_reader.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace spsync::engine::restore {

// The outcome of one operation of a $batch, in the order sent.
struct PartResult {
  int status = 0;
  int64_t id = 0;     // the created item's ID (2xx)
  std::string error;  // SharePoint's message otherwise
};

// Builds the multipart body of a $batch whose one changeset POSTs each of
// `bodies` (JSON-light item objects) to `items_url`; `boundary` names it.
std::string BatchBody(const std::string& items_url, const std::vector<std::string>& bodies,
                      const std::string& boundary);
// Parses a $batch answer: one PartResult per operation, in order. Throws
// MalformedBody when it is not a multipart answer.
std::vector<PartResult> ParseBatchAnswer(const std::string& body);

class TargetList {
 public:
  TargetList(SharePointClient& client, const Deadline& deadline);

  // nullopt when the site has no list of that title (or GUID).
  std::optional<ListInfo> Find(const std::string& ref);
  // Creates a list titled `title` with the backup's list properties
  // (BaseTemplate, Description); returns it.
  ListInfo Create(const std::string& title, const BackupSchema& schema);
  // Creates the backup's plain fields the list lacks (by internal name),
  // from their definitions; returns the keys of fields that could not be
  // created, with why (their values are then left out).
  std::map<std::string, std::string> CreateMissingFields(const BackupSchema& schema);
  // The item JSON keys the list accepts values for (its writable fields).
  const std::set<std::string>& writable() const { return writable_; }

  void Use(const ListInfo& list);
  const ListInfo& list() const { return list_; }
  int64_t HighestId();
  std::set<int64_t> LiveIds();
  // (ID, Title) of the items above `watermark`, ascending.
  std::vector<std::pair<int64_t, std::string>> ItemsAbove(int64_t watermark);
  // This list's items in the site's recycle bin: item ID -> recycle bin item ID.
  std::map<int64_t, std::string> Recycled();
  void RestoreRecycled(const std::string& recycle_id);

  // One $batch creating an item per body.
  std::vector<PartResult> CreateItems(const std::vector<std::string>& bodies);
  // The user's ID in this site, made known by ensureuser; 0 when the
  // directory has nobody with that e-mail.
  int64_t EnsureUser(const std::string& email);
  // The ID of the item of list `list_id` whose `field` equals `value`; 0
  // when there is none (or no such list).
  int64_t FindLookup(const std::string& list_id, const std::string& field,
                     const std::string& value);
  // Uploads an attachment; a file of that name already there (a resumed
  // run whose upload went through) counts as done.
  void Upload(int64_t item_id, const std::string& name, const std::string& bytes);

  int64_t write_requests() const { return writes_; }

 private:
  void ReadFields();

  SharePointClient& client_;
  const Deadline& deadline_;
  ListInfo list_;
  std::set<std::string> writable_, internal_names_;
  std::map<std::string, int64_t> users_;
  std::map<std::string, int64_t> lookups_;  // list|field|value -> ID
  int64_t writes_ = 0;
  int batches_ = 0;
};

}  // namespace spsync::engine::restore
