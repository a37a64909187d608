#include "call_collector.hpp"

#include <algorithm>
#include <new>

namespace spsync::plugins::detail {

std::string StatusName(int status) {
  switch (status) {
    case SPSYNC_OK:
      return "OK";
    case SPSYNC_RETRYABLE:
      return "RETRYABLE";
    case SPSYNC_FATAL:
      return "FATAL";
    case SPSYNC_REJECTED:
      return "REJECTED";
    default:
      return std::to_string(status);
  }
}

std::string AbiViolation(const std::string& file, std::string_view callback,
                         std::string_view what) {
  std::string out = "sink plugin " + file + " broke the sink ABI in ";
  out.append(callback);
  out += "(): ";
  out.append(what);
  return out;
}

CallCollector::CallCollector() {
  call_.struct_size = sizeof(spsync_call);
  call_.host_data = this;
  call_.set_message = &CallCollector::SetMessage;
  call_.reject = &CallCollector::Reject;
}

void CallCollector::SetMessage(spsync_call* call, const char* msg, size_t len) noexcept {
  if (call == nullptr || call->host_data == nullptr) return;
  auto* self = static_cast<CallCollector*>(call->host_data);
  try {
    if (msg == nullptr && len > 0) {
      if (self->violation_.empty())
        self->violation_ = "set_message() with a NULL text of length " + std::to_string(len);
      return;
    }
    self->message_.assign(msg == nullptr ? "" : msg, len);
  } catch (const std::bad_alloc&) {
    self->violation_ = "set_message() with a text too large to copy";
  }
}

void CallCollector::Reject(spsync_call* call, size_t index, const char* msg, size_t len) noexcept {
  if (call == nullptr || call->host_data == nullptr) return;
  auto* self = static_cast<CallCollector*>(call->host_data);
  try {
    if (msg == nullptr && len > 0) {
      if (self->violation_.empty())
        self->violation_ = "reject() with a NULL reason of length " + std::to_string(len);
      return;
    }
    self->rejected_.emplace_back(index, std::string(msg == nullptr ? "" : msg, len));
  } catch (const std::bad_alloc&) {
    self->violation_ = "reject() with a reason too large to copy";
  }
}

engine::SinkResult CallCollector::Finish(const std::string& file, std::string_view callback,
                                         int status, size_t batch_size) {
  auto fatal = [&](const std::string& what) {
    std::string text = AbiViolation(file, callback, what);
    if (!message_.empty()) text += " (its message: " + message_ + ")";
    return engine::SinkResult::Fatal(std::move(text));
  };
  if (!violation_.empty()) return fatal(violation_);
  if (status < SPSYNC_OK || status > SPSYNC_REJECTED) {
    return fatal("returned " + std::to_string(status) +
                 ", which is not a status (OK, RETRYABLE, FATAL or REJECTED)");
  }
  if (!rejected_.empty() && batch_size == kNoBatch) {
    return fatal("called reject(), but this callback has no batch of records to reject");
  }
  if (status == SPSYNC_REJECTED) {
    if (batch_size == kNoBatch) return fatal("returned REJECTED, which only upsert and delete may");
    if (rejected_.empty())
      return fatal("returned REJECTED without calling reject() for any record");
    for (const auto& [index, why] : rejected_) {
      if (index >= batch_size) {
        return fatal("rejected record index " + std::to_string(index) + " of a batch of " +
                     std::to_string(batch_size) + " records");
      }
      if (why.empty()) {
        return fatal("rejected record index " + std::to_string(index) + " without a reason");
      }
    }
    engine::SinkResult result;
    result.status = SPSYNC_REJECTED;
    result.message = message_.empty() ? std::to_string(rejected_.size()) + " of " +
                                            std::to_string(batch_size) + " records rejected"
                                      : message_;
    result.rejected = std::move(rejected_);
    return result;
  }
  if (status == SPSYNC_OK && !rejected_.empty()) {
    return fatal("called reject() for " + std::to_string(rejected_.size()) +
                 " record(s) but returned OK instead of REJECTED");
  }
  if (status != SPSYNC_OK && message_.empty()) {
    return fatal("returned " + StatusName(status) + " without a message (set_message)");
  }
  engine::SinkResult result;
  result.status = static_cast<spsync_status>(status);
  result.message = std::move(message_);
  return result;
}

}  // namespace spsync::plugins::detail
