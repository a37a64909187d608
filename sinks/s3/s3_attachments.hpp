// The S3 sink's attachments of one entity. Each file's bytes are streamed to
// its own object, attachments/files/<seq>/<id>/<EncodeFileName(name)>, where
// <seq> is the sequence number the next persist commits (single PUT up to
// multipartBytes, a multipart upload in parts of multipartBytes above; the
// sink never holds more than one part). What the entity holds is a log of
// NDJSON records, written as attachments/log/part-<seq> parts by persist:
//
//   {"op":"put","id":7,"name":"a b.pdf","key":"<object key>","size":N,
//    "sha256":"...","etag":"...","modified":"...","modifiedUnix":N,"url":"..."}
//   {"op":"delete","id":7,"name":"a b.pdf"}
//
// Replaying the committed log parts (seq <= committedSeq) gives the current
// files: readers that follow _state.json never see a file of a session that
// did not persist, and load_state deletes such objects. Objects a committed
// replacement or deletion made unreachable are deleted after the commit.
//
// Ownership: borrows the Client. Thread safety: one thread at a time.
#ifndef SPSYNC_SINKS_S3_S3_ATTACHMENTS_HPP_
#define SPSYNC_SINKS_S3_S3_ATTACHMENTS_HPP_

#include <spsync/sink.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3_client.hpp"

namespace spsync::s3 {

class AttachmentStore {
 public:
  // `base` is "<prefix><entity>/"; `part_bytes` the multipart part size.
  AttachmentStore(Client& client, std::string base, size_t part_bytes, bool gzip);
  ~AttachmentStore();
  AttachmentStore(const AttachmentStore&) = delete;
  AttachmentStore& operator=(const AttachmentStore&) = delete;

  // `txn_seq`: the sequence number the next persist commits.
  void Begin(const spsync::sdk::Attachment& attachment, long long txn_seq);
  void Write(std::string_view bytes);
  void Commit(const spsync::sdk::Attachment& attachment);
  void Abort();  // never throws
  // One file, or all files of the item when `file_name` is empty.
  void Delete(int64_t item_id, std::string_view file_name, long long committed_seq);

  // The log records of this transaction (NDJSON), for persist's log part.
  std::string& log() { return log_; }
  // After the state committed: unreachable objects go, pending files count
  // as committed.
  void Committed();

  void List(spsync::sdk::Ids item_ids, long long committed_seq,
            std::vector<spsync::sdk::AttachmentInfo>& out);
  size_t Read(int64_t item_id, std::string_view file_name, uint64_t offset, void* buffer,
              size_t capacity, long long committed_seq);

 private:
  struct Entry {
    spsync::sdk::AttachmentInfo info;
    std::string key;
    bool committed = true;
  };
  using Key = std::pair<int64_t, std::string>;

  // Replays the committed log parts once per binding.
  void Load(long long committed_seq);
  // `entry` leaves the index: its object goes now (uncommitted) or after
  // the commit (committed), unless `keep_key` still names it.
  void Drop(const Entry& entry, const std::string& keep_key);

  Client& client_;
  std::string base_;
  size_t part_bytes_;
  bool gzip_;
  bool loaded_ = false;
  std::map<Key, Entry> index_;
  std::vector<Key> pending_;          // put in this transaction
  std::vector<std::string> garbage_;  // delete once committed
  std::string log_;

  // The open file.
  bool open_ = false;
  std::string key_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  uint64_t written_ = 0;
};

}  // namespace spsync::s3

#endif  // SPSYNC_SINKS_S3_S3_ATTACHMENTS_HPP_
