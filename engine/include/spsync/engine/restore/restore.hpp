// `spsync restore`: puts an entity's items back into SharePoint from a sink
// that reads back (SPSYNC_CAP_READ_BACK): the sync path reversed.
//
//   backup (sink.read_schema / read_items / read_versions / attachment_read)
//     -> items as of now or as of a time, values remapped (people by e-mail
//        through ensureuser, lookups by the looked-up value)
//     -> SharePoint writes: the list and its fields (--to-list), recycle-bin
//        restores (--missing), item creations in `$batch`es of up to 100,
//        attachment uploads
//     -> an ID map (old ID -> new ID), durable after every batch.
//
// Resumable: the map file is the restore's progress. Before a batch is sent,
// the map records which backup items it carries and the target list's
// highest ID; a restore that finds such a record unfinished (a kill or a
// time-out mid-batch) reads the items above that ID, in creation order, and
// maps those that match the batch's items (by title) instead of creating
// them again. So no item is created twice.
//
// Thread safety: Restore() runs on the caller's thread; the client and sink
// must not be used by another thread meanwhile.
#pragma once

#include "spsync/engine/deadline.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sink.hpp"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace spsync::engine {

struct RestoreOptions {
  enum class Mode {
    kToList,   // a new list `to_list` filled with every item the backup holds
    kMissing,  // back into the original list: only the items gone from it
  };
  Mode mode = Mode::kToList;
  std::string to_list;  // kToList: the new list's title
  // > 0: the items as they were at this time (Unix seconds), from the
  // sink's version history; a sink without versions is refused.
  int64_t as_of_unix = 0;
  bool dry_run = false;  // read and compare, write nothing (not even the map)
  // Where the ID map is written (created with its folder); also the
  // restore's progress.
  std::string map_path;
  // The target is the site the backup was taken from: IDs of people and
  // lookup targets are still valid there when no e-mail or value was kept.
  bool same_site = true;
  size_t batch_size = 100;  // item creations per $batch (SharePoint's limit: 100)
  // Dry-run lines ("would create ...") and the report go here (may be null).
  std::ostream* out = nullptr;
};

struct RestoreResult {
  int64_t read = 0;            // items the backup holds (as of the time, with --as-of)
  int64_t created = 0;         // items created in SharePoint by this run
  int64_t resumed = 0;         // items a crashed run had created, found and mapped
  int64_t recycled = 0;        // --missing: restored from the recycle bin (same ID)
  int64_t present = 0;         // --missing: still in the list, left alone
  int64_t already = 0;         // mapped by an earlier run of this restore
  int64_t attachments = 0;     // files uploaded
  int64_t failed = 0;          // items SharePoint refused (in the report)
  int64_t write_requests = 0;  // list, fields, $batches, ensureuser, restores, uploads
  std::string list_id, list_title;
  // Values written empty because they could not be mapped, and refused
  // items: one line each ("item 12: AssignedTo: no user with e-mail ...").
  std::vector<std::string> report;
};

// Throws std::runtime_error (naming the entity, sink and item) for what
// stops the restore: no backup, a sink that cannot read back, a target list
// that exists already (kToList, without this restore's map), SharePoint
// errors the client gave up on.
RestoreResult Restore(SharePointClient& client, Sink& sink, const std::string& entity,
                      const RestoreOptions& options, const Deadline& deadline);

}  // namespace spsync::engine
