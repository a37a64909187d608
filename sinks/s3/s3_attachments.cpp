#include "s3_attachments.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstring>

#include "s3_layout.hpp"

namespace spsync::s3 {

using spsync::sdk::AppendJsonString;
using spsync::sdk::AttachmentInfo;
using spsync::sdk::Fatal;
using spsync::sdk::Retryable;

AttachmentStore::AttachmentStore(Client& client, std::string base, size_t part_bytes, bool gzip)
    : client_(client), base_(std::move(base)), part_bytes_(part_bytes), gzip_(gzip) {}

AttachmentStore::~AttachmentStore() {
  Abort();
}

void AttachmentStore::Load(long long committed_seq) {
  if (loaded_) return;
  std::vector<std::pair<long long, std::string>> parts;
  const std::string prefix = base_ + "attachments/log/";
  for (auto& key : client_.List(prefix)) {
    long long seq = SeqAfter(key, prefix + "part-");
    if (seq > 0 && seq <= committed_seq) parts.emplace_back(seq, std::move(key));
  }
  std::sort(parts.begin(), parts.end());
  for (const auto& [seq, key] : parts) {
    auto body = client_.Get(key);
    if (!body) throw Retryable(client_.Url(key) + " disappeared while reading attachments");
    const std::string text = key.size() > 3 && key.compare(key.size() - 3, 3, ".gz") == 0
                                 ? Gunzip(*body)
                                 : std::move(*body);
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      if (end > pos) {
        try {
          Poco::JSON::Parser parser;
          auto rec = parser.parse(text.substr(pos, end - pos)).extract<Poco::JSON::Object::Ptr>();
          Key k{rec->getValue<int64_t>("id"), rec->getValue<std::string>("name")};
          if (rec->getValue<std::string>("op") == "delete") {
            index_.erase(k);
          } else {
            Entry e;
            e.info.item_id = k.first;
            e.info.file_name = k.second;
            e.info.size = rec->getValue<int64_t>("size");
            e.info.sha256 = rec->getValue<std::string>("sha256");
            e.info.etag = rec->optValue<std::string>("etag", "");
            e.info.modified = rec->optValue<std::string>("modified", "");
            e.info.modified_unix = rec->optValue<int64_t>("modifiedUnix", 0);
            e.info.url = rec->optValue<std::string>("url", "");
            e.key = rec->getValue<std::string>("key");
            index_[k] = std::move(e);
          }
        } catch (const Poco::Exception& e) {
          throw Fatal(client_.Url(key) +
                      " holds a record that is not an attachment record: " + e.displayText());
        }
      }
      pos = end + 1;
    }
  }
  loaded_ = true;
}

void AttachmentStore::Begin(const spsync::sdk::Attachment& a, long long txn_seq) {
  if (open_) throw Fatal("s3: an attachment is already open");
  Load(txn_seq - 1);  // the index first: the commit replaces what it holds
  key_ = base_ + "attachments/files/" + Pad8(txn_seq) + "/" + std::to_string(a.item_id()) + "/" +
         spsync::sdk::EncodeFileName(a.file_name());
  buffer_.clear();
  upload_id_.clear();
  etags_.clear();
  written_ = 0;
  open_ = true;
}

void AttachmentStore::Write(std::string_view bytes) {
  if (!open_) throw Fatal("s3: attachment_write without attachment_begin");
  buffer_.append(bytes);
  written_ += bytes.size();
  // Whole parts go up as they fill: at most one part is ever held.
  while (buffer_.size() >= part_bytes_) {
    if (upload_id_.empty()) upload_id_ = client_.CreateMultipart(key_, "application/octet-stream");
    etags_.push_back(client_.UploadPart(key_, upload_id_, static_cast<int>(etags_.size() + 1),
                                        std::string_view(buffer_).substr(0, part_bytes_)));
    buffer_.erase(0, part_bytes_);
  }
}

void AttachmentStore::Commit(const spsync::sdk::Attachment& a) {
  if (!open_) throw Fatal("s3: attachment_commit without attachment_begin");
  if (a.size() < 0 || static_cast<uint64_t>(a.size()) != written_)
    throw Fatal("s3: attachment '" + std::string(a.file_name()) + "' of item " +
                std::to_string(a.item_id()) + " committed with size " + std::to_string(a.size()) +
                " after " + std::to_string(written_) + " bytes");
  if (upload_id_.empty()) {
    client_.Put(key_, buffer_, "application/octet-stream");
  } else {
    if (!buffer_.empty())
      etags_.push_back(
          client_.UploadPart(key_, upload_id_, static_cast<int>(etags_.size() + 1), buffer_));
    client_.CompleteMultipart(key_, upload_id_, etags_);
    upload_id_.clear();
  }
  std::string().swap(buffer_);  // give the part's memory back
  open_ = false;

  Entry e;
  e.info = AttachmentInfo::From(a);
  e.key = key_;
  e.committed = false;
  Key k{a.item_id(), std::string(a.file_name())};
  auto it = index_.find(k);
  if (it != index_.end()) Drop(it->second, e.key);
  log_ += "{\"op\":\"put\",\"id\":" + std::to_string(k.first) + ",\"name\":";
  AppendJsonString(log_, k.second);
  log_ += ",\"key\":";
  AppendJsonString(log_, e.key);
  log_ += ",\"size\":" + std::to_string(e.info.size) + ",\"sha256\":";
  AppendJsonString(log_, e.info.sha256);
  log_ += ",\"etag\":";
  AppendJsonString(log_, e.info.etag);
  log_ += ",\"modified\":";
  AppendJsonString(log_, e.info.modified);
  log_ += ",\"modifiedUnix\":" + std::to_string(e.info.modified_unix) + ",\"url\":";
  AppendJsonString(log_, e.info.url);
  log_ += "}\n";
  index_[k] = std::move(e);
  pending_.push_back(k);
}

void AttachmentStore::Abort() {
  if (!open_) return;
  open_ = false;
  std::string().swap(buffer_);
  if (upload_id_.empty()) return;
  try {
    client_.AbortMultipart(key_, upload_id_);
  } catch (...) {
    // Abort cannot fail; an upload left behind costs storage until a
    // lifecycle rule (AbortIncompleteMultipartUpload) removes it.
  }
  upload_id_.clear();
}

void AttachmentStore::Drop(const Entry& entry, const std::string& keep_key) {
  if (entry.key == keep_key) return;
  if (entry.committed) {
    garbage_.push_back(entry.key);
    return;
  }
  // Written in this transaction and never committed: nobody can see it.
  try {
    client_.Delete(entry.key);
  } catch (...) {
    garbage_.push_back(entry.key);
  }
}

void AttachmentStore::Delete(int64_t item_id, std::string_view file_name, long long committed_seq) {
  Load(committed_seq);
  auto first = index_.lower_bound(Key{item_id, std::string(file_name)});
  for (auto it = first; it != index_.end() && it->first.first == item_id;) {
    if (!file_name.empty() && it->first.second != file_name) break;
    Drop(it->second, std::string());
    log_ += "{\"op\":\"delete\",\"id\":" + std::to_string(item_id) + ",\"name\":";
    AppendJsonString(log_, it->first.second);
    log_ += "}\n";
    it = index_.erase(it);
  }
}

void AttachmentStore::Committed() {
  for (const auto& k : pending_) {
    auto it = index_.find(k);
    if (it != index_.end()) it->second.committed = true;
  }
  pending_.clear();
  for (const auto& key : garbage_) {
    try {
      client_.Delete(key);
    } catch (const std::exception& e) {
      spsync::sdk::Log(SPSYNC_LOG_WARN, std::string("s3: could not remove ") + client_.Url(key) +
                                            ", which nothing refers to any more: " + e.what());
    }
  }
  garbage_.clear();
}

void AttachmentStore::List(spsync::sdk::Ids item_ids, long long committed_seq,
                           std::vector<AttachmentInfo>& out) {
  Load(committed_seq);
  for (int64_t id : item_ids)
    for (auto it = index_.lower_bound(Key{id, std::string()});
         it != index_.end() && it->first.first == id; ++it)
      out.push_back(it->second.info);
}

size_t AttachmentStore::Read(int64_t item_id, std::string_view file_name, uint64_t offset,
                             void* buffer, size_t capacity, long long committed_seq) {
  Load(committed_seq);
  auto it = index_.find(Key{item_id, std::string(file_name)});
  if (it == index_.end())
    throw Fatal("s3: no attachment '" + std::string(file_name) + "' of item " +
                std::to_string(item_id));
  auto bytes = client_.GetRange(it->second.key, offset, capacity);
  if (!bytes) throw Fatal(client_.Url(it->second.key) + " is missing");
  const size_t n = std::min(bytes->size(), capacity);
  std::memcpy(buffer, bytes->data(), n);
  return n;
}

}  // namespace spsync::s3
