#include "session_impl.hpp"

#include <Poco/JSON/Object.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <thread>

namespace spsync::engine {

SinkCaller::SinkCaller(Sink& sink, const SessionOptions& options, const std::string& entity)
    : sink_(sink), options_(options), entity_(entity) {}

SinkResult SinkCaller::Call(const char* what, const std::function<SinkResult()>& fn) {
  auto backoff = options_.sink_backoff;
  for (int attempt = 1;; ++attempt) {
    SinkResult r = fn();
    if (r.status == SPSYNC_OK || r.status == SPSYNC_REJECTED) return r;
    std::string msg = std::string("sink '") + options_.sink_name + "' " + what +
                      " failed: " + (r.message.empty() ? "(no message)" : r.message);
    if (r.status != SPSYNC_RETRYABLE || attempt >= options_.sink_attempts) {
      if (r.status == SPSYNC_RETRYABLE)
        msg += " (still retryable after " + std::to_string(attempt) + " attempts)";
      throw SinkFailure(msg);
    }
    spdlog::warn("{} (attempt {} of {}; retrying in {} ms)", msg, attempt, options_.sink_attempts,
                 backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

void SinkCaller::DeadLetter(const std::string& op, const std::string& record,
                            const std::string& why) {
  spdlog::warn("sink '{}' rejected a record of entity '{}': {}", options_.sink_name, entity_, why);
  if (options_.dead_letter_file.empty()) return;
  if (!dead_letter_) {
    std::filesystem::path p(options_.dead_letter_file);
    if (p.has_parent_path()) {
      std::error_code ec;  // a concurrent session may be creating the same folders
      std::filesystem::create_directories(p.parent_path(), ec);
    }
    dead_letter_ = std::make_unique<std::ofstream>(p, std::ios::app | std::ios::binary);
  }
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("at", static_cast<int64_t>(std::time(nullptr)));
  o.set("entity", entity_);
  o.set("sink", options_.sink_name);
  o.set("op", op);
  o.set("reason", why);
  o.set("record", record);
  std::ostringstream line;
  o.stringify(line);
  *dead_letter_ << line.str() << '\n';
  dead_letter_->flush();
}

void SinkCaller::Begin(const spsync_schema& schema) {
  Call("begin", [&] { return sink_.Begin(schema); });
}

int64_t SinkCaller::Upsert(const spsync_item* const* items, size_t count) {
  if (count == 0) return 0;
  SinkResult r = Call("upsert", [&] { return sink_.Upsert(items, count); });
  for (const auto& [index, why] : r.rejected) {
    const spsync_item* item = index < count ? items[index] : nullptr;
    DeadLetter("upsert", item ? std::string(item->raw_json.data, item->raw_json.len) : "", why);
  }
  return static_cast<int64_t>(r.rejected.size());
}

int64_t SinkCaller::Upsert(const ItemPage& page) {
  return Upsert(page.pointers.data(), page.pointers.size());
}

int64_t SinkCaller::WriteVersions(const spsync_version* const* versions, size_t count) {
  if (count == 0) return 0;
  SinkResult r = Call("write versions", [&] { return sink_.WriteVersions(versions, count); });
  for (const auto& [index, why] : r.rejected) {
    const spsync_version* v = index < count ? versions[index] : nullptr;
    DeadLetter("version", v ? std::string(v->raw_json.data, v->raw_json.len) : "", why);
  }
  return static_cast<int64_t>(r.rejected.size());
}

void SinkCaller::ListAttachments(const int64_t* item_ids, size_t count,
                                 const spsync_attachment* const** out, size_t* out_count) {
  Call("attachment list", [&] { return sink_.ListAttachments(item_ids, count, out, out_count); });
}

void SinkCaller::AttachmentDelete(int64_t item_id, std::string_view file_name) {
  Call("attachment delete", [&] { return sink_.AttachmentDelete(item_id, file_name); });
}

void SinkCaller::Delete(const std::vector<int64_t>& ids) {
  if (ids.empty()) return;
  SinkResult r = Call("delete", [&] { return sink_.Delete(ids.data(), ids.size()); });
  for (const auto& [index, why] : r.rejected)
    DeadLetter("delete", index < ids.size() ? std::to_string(ids[index]) : "", why);
}

void SinkCaller::DeleteRanges(const std::vector<spsync_id_range>& ranges) {
  if (ranges.empty()) return;
  Call("delete ranges", [&] { return sink_.DeleteRanges(ranges.data(), ranges.size()); });
}

void SinkCaller::Persist(const SyncState& state) {
  PersistBytes(EncodeState(state));
}

void SinkCaller::PersistBytes(std::string_view bytes) {
  Call("persist", [&] { return sink_.Persist(bytes); });
}

std::string SinkCaller::LoadState() {
  std::string state;
  Call("load_state", [&] { return sink_.LoadState(entity_, &state); });
  return state;
}

DeletionWriter::DeletionWriter(SinkCaller& caller, bool ranges, int64_t limit)
    : caller_(caller), ranges_(ranges), limit_(limit) {}

void DeletionWriter::AddRange(int64_t first, int64_t last) {
  // Bounded batches keep memory flat however large a gap is.
  constexpr size_t kMaxRanges = 1000;
  constexpr size_t kMaxIds = 5000;
  if (first < 1) first = 1;
  if (last > limit_) last = limit_;
  if (first > last) return;
  count_ += last - first + 1;
  if (ranges_) {
    pending_ranges_.push_back({first, last});
    if (pending_ranges_.size() >= kMaxRanges) Flush();
    return;
  }
  for (int64_t id = first;; ++id) {
    pending_ids_.push_back(id);
    if (pending_ids_.size() >= kMaxIds) Flush();
    if (id == last) break;
  }
}

void DeletionWriter::AddTail(int64_t first) {
  if (first < 1) first = 1;
  // Nothing the sink may hold lies at or above `first` (a first full sync has
  // limit 0): no deletion at all, not even an open range.
  if (limit_ < first) return;
  if (!ranges_) return AddRange(first, limit_);
  if (limit_ >= first) count_ += limit_ - first + 1;
  pending_ranges_.push_back({first, INT64_MAX});
}

void DeletionWriter::Flush() {
  if (!pending_ranges_.empty()) caller_.DeleteRanges(pending_ranges_);
  if (!pending_ids_.empty()) caller_.Delete(pending_ids_);
  pending_ranges_.clear();
  pending_ids_.clear();
}

}  // namespace spsync::engine
