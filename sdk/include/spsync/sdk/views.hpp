// spsync sink SDK: read-only views of what the host passes a sink (part of
// sink.hpp; include that). Everything here borrows the host's memory, valid
// for the call it was passed to: copy what you keep.
#ifndef SPSYNC_SDK_VIEWS_HPP_
#define SPSYNC_SDK_VIEWS_HPP_

#include <spsync/sink.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spsync {
namespace sdk {

// ---- Views ------------------------------------------------------------------

inline std::string_view View(spsync_str s) {
  return s.len == 0 ? std::string_view() : std::string_view(s.data, s.len);
}
inline spsync_str Str(std::string_view s) {
  return spsync_str{s.data(), s.size()};
}

// A borrowed array, valid for the call it was passed to.
template <typename T>
class Span {
 public:
  Span(const T* data, size_t size) : data_(data), size_(size) {}
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  const T* data_;
  size_t size_;
};

using Items = Span<const spsync_item*>;
using Ids = Span<int64_t>;
using Ranges = Span<spsync_id_range>;
using Versions = Span<const spsync_version*>;

// True if a struct of `struct_size` bytes holds the member ending at
// `end_offset`: members appended by a later minor are read only then.
inline bool Covers(uint32_t struct_size, size_t end_offset) {
  return struct_size >= end_offset;
}

// The ABI 1.2 members of a field, read only when the host's struct has them
// (a 1.0 / 1.1 host passes smaller fields: PLAIN, no resolves, no definition).
inline spsync_field_role FieldRole(const spsync_field& f) {
  if (!Covers(f.struct_size, offsetof(spsync_field, role) + sizeof(f.role)))
    return SPSYNC_FIELD_PLAIN;
  // A role from a newer minor is treated as a plain value.
  return f.role >= SPSYNC_FIELD_PLAIN && f.role <= SPSYNC_FIELD_LOOKUP_VALUE
             ? static_cast<spsync_field_role>(f.role)
             : SPSYNC_FIELD_PLAIN;
}
inline std::string_view FieldResolves(const spsync_field& f) {
  return Covers(f.struct_size, offsetof(spsync_field, resolves) + sizeof(spsync_str))
             ? View(f.resolves)
             : std::string_view();
}
inline std::string_view FieldDefinition(const spsync_field& f) {
  return Covers(f.struct_size, offsetof(spsync_field, definition) + sizeof(spsync_str))
             ? View(f.definition)
             : std::string_view();
}

// The schema passed to Begin(). Borrowed: copy what you keep.
struct Schema {
  const spsync_schema* raw;
  std::string_view entity() const { return View(raw->entity); }
  std::string_view list_id() const { return View(raw->list_id); }
  std::string_view list_title() const { return View(raw->list_title); }
  std::string_view fingerprint() const { return View(raw->fingerprint); }
  // The list's definition JSON (ABI 1.2); empty from older hosts.
  std::string_view definition() const {
    return Covers(raw->struct_size, offsetof(spsync_schema, definition) + sizeof(spsync_str))
               ? View(raw->definition)
               : std::string_view();
  }
  size_t size() const { return raw->field_count; }
  const spsync_field& field(size_t i) const { return *raw->fields[i]; }
};

// The attachment passed to AttachmentBegin() / AttachmentCommit(). Borrowed.
struct Attachment {
  const spsync_attachment* raw;
  int64_t item_id() const { return raw->item_id; }
  std::string_view file_name() const { return View(raw->file_name); }
  int64_t size() const { return raw->size; }  // -1 at begin when unknown
  std::string_view sha256() const { return View(raw->sha256); }
  std::string_view etag() const { return View(raw->etag); }
  std::string_view modified() const { return View(raw->modified); }
  int64_t modified_unix() const { return raw->modified_unix; }
  std::string_view url() const { return View(raw->url); }
};

}  // namespace sdk
}  // namespace spsync

#endif  // SPSYNC_SDK_VIEWS_HPP_
