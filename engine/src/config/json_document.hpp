// A JSON document as the config reader needs it: every value and every key
// keeps its byte offset in the text, so an error found at any later stage can
// point at its line and column.
//
//   JsonValue root = ParseJson(text);          // throws JsonSyntaxError
//   if (const JsonMember* m = root.Find("sinks")) ... m->key_offset, m->value.offset
//
// Strict RFC 8259: no comments, no trailing commas, no single quotes, no
// unquoted keys, no NaN, no leading zeros, no duplicate keys, valid UTF-8 only.
// Each of those habits (from JavaScript, JSON5, YAML, Python) gets its own
// message saying what to write instead. A UTF-8 byte order mark is skipped.
// Hardened for hostile input: nesting is bounded (kMaxJsonDepth), so is the
// number of values (kMaxJsonValues: a hostile 4 MiB file peaks near 150 MB),
// the text is bounded by the caller (offsets are 32-bit; the config limit is
// 4 MiB), and `\u0000` is refused so no string can be cut short by a C API.
//
// Thread safety: ParseJson is reentrant; a parsed JsonValue is immutable and
// may be read from any thread. Ownership: values own their children.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::engine::config {

enum class JsonKind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

struct JsonMember;

struct JsonValue {
  JsonKind kind = JsonKind::kNull;
  bool boolean = false;  // kBool
  uint32_t offset = 0;   // byte offset of the value's first character in the text
  // kString: the decoded string (valid UTF-8, no NUL). kNumber: the literal as
  // written (so "5" stays "5" when it becomes a sink option string).
  std::string text;
  std::vector<JsonValue> elements;  // kArray
  std::vector<JsonMember> members;  // kObject, in file order; keys are unique

  // The member named `key`, or nullptr (also for non-objects).
  const JsonMember* Find(std::string_view key) const;
  bool is_integer_literal() const;  // a kNumber without fraction or exponent
};

struct JsonMember {
  std::string key;
  uint32_t key_offset = 0;  // byte offset of the key's opening quote
  JsonValue value;
};

// "an object", "a string", ... for messages like "must be an object, not a string".
const char* JsonKindName(JsonKind kind);

// A syntax error at byte `offset` of the text; what() says what was expected
// there (without any position: the caller formats file:line:column).
class JsonSyntaxError : public std::runtime_error {
 public:
  JsonSyntaxError(size_t offset, const std::string& message)
      : std::runtime_error(message), offset_(offset) {}
  size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

// Deeper than any sane config (they nest about five levels); bounds the
// recursion on hostile input.
constexpr int kMaxJsonDepth = 64;
// Far above any real config (a thousand entities of fifty fields is 60,000 values).
constexpr size_t kMaxJsonValues = 500000;

// Parses one JSON value filling the whole of `text` (at most 4 GiB; callers
// limit it far lower). Throws JsonSyntaxError.
JsonValue ParseJson(std::string_view text);

}  // namespace spsync::engine::config
