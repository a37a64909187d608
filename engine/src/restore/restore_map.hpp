// A restore's ID map and progress, one text file the operator keeps:
//
//   # spsync restore of entity 'orders' from sink 'db'
//   list 3f2a...-guid Orders (restored)
//   batch 120 14 15 17            <- about to create backup items 14, 15, 17;
//                                    the target's highest ID was 120
//   map 14 121                    <- backup item 14 is item 121 now
//   map 15 122
//   end                           <- the batch's outcome is recorded
//   recycled 30                   <- --missing: item 30 restored from the recycle bin
//   file 14 Invoice%20A.pdf       <- an attachment of backup item 14 uploaded
//   failed 17 <reason>            <- SharePoint refused item 17 (reported)
//
// Every record is appended and flushed to disk (fsync) before the restore
// goes on, so a kill loses at most the outcome of the batch in flight, which
// the next run finds from its `batch` record (restore.hpp).
//
// Thread safety: one per restore, used from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace spsync::engine::restore {

class RestoreMap {
 public:
  // Reads `path` if it exists (creating nothing: see Open). Throws
  // std::runtime_error naming the file and line of a record it cannot read.
  explicit RestoreMap(std::string path);
  ~RestoreMap();
  RestoreMap(const RestoreMap&) = delete;
  RestoreMap& operator=(const RestoreMap&) = delete;

  // Opens the file for appending (creating it and its folder), writing
  // `header` as a comment if it is new.
  void Open(const std::string& header);

  const std::string& path() const { return path_; }
  const std::string& list_id() const { return list_id_; }
  bool Mapped(int64_t old_id) const { return ids_.count(old_id) != 0; }
  int64_t NewId(int64_t old_id) const;  // 0 if not mapped
  bool Done(int64_t old_id) const {     // mapped, recycled or refused
    return ids_.count(old_id) != 0 || failed_.count(old_id) != 0;
  }
  bool Uploaded(int64_t old_id, const std::string& file) const {
    return files_.count({old_id, file}) != 0;
  }
  size_t mapped() const { return ids_.size(); }
  // The batch a killed run left without its outcome: its watermark and
  // backup IDs (empty when none).
  int64_t open_watermark() const { return open_watermark_; }
  const std::vector<int64_t>& open_batch() const { return open_batch_; }

  void List(const std::string& id, const std::string& title);
  void Batch(int64_t watermark, const std::vector<int64_t>& old_ids);
  void Map(int64_t old_id, int64_t new_id);
  void Recycled(int64_t id);
  void Failed(int64_t old_id, const std::string& why);
  void End();
  void File(int64_t old_id, const std::string& file);

 private:
  void Append(const std::string& line);

  std::string path_;
  int fd_ = -1;
  std::string list_id_;
  std::map<int64_t, int64_t> ids_;
  std::set<int64_t> failed_;
  std::set<std::pair<int64_t, std::string>> files_;
  int64_t open_watermark_ = 0;
  std::vector<int64_t> open_batch_;
};

}  // namespace spsync::engine::restore
