#include "json_document.hpp"

#include "utf8.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace spsync::engine::config {

const JsonMember* JsonValue::Find(std::string_view key) const {
  for (const auto& m : members)
    if (m.key == key) return &m;
  return nullptr;
}

bool JsonValue::is_integer_literal() const {
  return kind == JsonKind::kNumber && text.find_first_of(".eE") == std::string::npos;
}

const char* JsonKindName(JsonKind kind) {
  switch (kind) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kBool:
      return "a boolean";
    case JsonKind::kNumber:
      return "a number";
    case JsonKind::kString:
      return "a string";
    case JsonKind::kArray:
      return "an array";
    case JsonKind::kObject:
      return "an object";
  }
  return "a value";
}

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
// Characters of a bare word: an unquoted key, `NaN`, `True`, `10m`...
bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '$' ||
         c == '-';
}
bool IsWordStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  JsonValue Document() {
    if (s_.size() >= 3 && std::memcmp(s_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
    size_t start = pos_;
    SkipSpace();
    if (pos_ == s_.size()) Fail(start, "the file is empty: a config is a JSON object, `{ ... }`");
    JsonValue v = Value(0);
    size_t end = pos_;
    SkipSpace();
    if (pos_ != s_.size())
      Fail(pos_, "unexpected " + Found(pos_) +
                     " after the end of the JSON document (it ended at line " +
                     std::to_string(LineOf(end)) + ")");
    return v;
  }

 private:
  [[noreturn]] void Fail(size_t offset, const std::string& message) const {
    throw JsonSyntaxError(offset, message);
  }

  size_t LineOf(size_t offset) const {
    return 1 + static_cast<size_t>(
                   std::count(s_.begin(), s_.begin() + std::min(offset, s_.size()), '\n'));
  }

  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }

  // What is at `offset`, for "found ..." in messages.
  std::string Found(size_t offset) const {
    if (offset >= s_.size()) return "end of file";
    unsigned char c = static_cast<unsigned char>(s_[offset]);
    if (c < 0x20 || c == 0x7f) return "control character " + CodePointName(c);
    if (c < 0x80) return "`" + std::string(1, static_cast<char>(c)) + "`";
    size_t n = Utf8SequenceLength(s_, offset);
    if (n == 0) return "invalid UTF-8 (byte " + HexByte(c) + "; save the file as UTF-8)";
    return "`" + std::string(s_.substr(offset, n)) + "` (" +
           CodePointName(DecodeUtf8(s_.substr(offset, n))) + ")";
  }

  std::string_view WordAt(size_t offset) const {
    size_t end = offset;
    while (end < s_.size() && end - offset < 40 && IsWordChar(s_[end])) ++end;
    return s_.substr(offset, end - offset);
  }

  // The next offset that is not JSON whitespace, from `from` (comments are not skipped).
  size_t NextToken(size_t from) const {
    while (from < s_.size() && IsSpace(s_[from])) ++from;
    return from;
  }

  void SkipSpace() {
    pos_ = NextToken(pos_);
    if (AtEnd()) return;
    char c = s_[pos_];
    if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/')
      Fail(pos_, "JSON has no comments: remove this `//` comment");
    if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '*')
      Fail(pos_, "JSON has no comments: remove this `/* */` comment");
    if (c == '#') Fail(pos_, "JSON has no comments: remove this `#` comment");
  }

  JsonValue Value(int depth) {
    if (depth >= kMaxJsonDepth)
      Fail(pos_, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    if (++values_ > kMaxJsonValues)
      Fail(pos_, "more than " + std::to_string(kMaxJsonValues) +
                     " values: far more than any config holds (is this the right file?)");
    JsonValue v;
    v.offset = static_cast<uint32_t>(pos_);
    char c = Peek();
    if (c == '{') {
      v.kind = JsonKind::kObject;
      Object(v, depth);
    } else if (c == '[') {
      v.kind = JsonKind::kArray;
      Array(v, depth);
    } else if (c == '"') {
      v.kind = JsonKind::kString;
      v.text = String();
    } else if (c == '\'') {
      Fail(pos_, "strings take double quotes (\"...\"), not single quotes");
    } else if (c == '-' || c == '.' || c == '+' || IsDigit(c)) {
      v.kind = JsonKind::kNumber;
      v.text = Number();
    } else if (IsWordStart(c)) {
      Word(v);
    } else if (AtEnd()) {
      Fail(pos_, "unexpected end of file: expected a value");
    } else {
      Fail(pos_,
           "expected a value (an object, array, string, number, true, false or null), found " +
               Found(pos_));
    }
    return v;
  }

  void Word(JsonValue& v) {
    std::string_view w = WordAt(pos_);
    if (w == "true" || w == "false") {
      v.kind = JsonKind::kBool;
      v.boolean = w == "true";
    } else if (w == "null") {
      v.kind = JsonKind::kNull;
    } else if (w == "NaN" || w == "Infinity") {
      Fail(pos_, "NaN and Infinity are not JSON numbers");
    } else if (Lower(w) == "true" || Lower(w) == "false" || Lower(w) == "null") {
      Fail(pos_, "`" + std::string(w) + "`: JSON's true, false and null are lowercase: write `" +
                     Lower(w) + "`");
    } else if (w == "None" || w == "nil" || w == "undefined") {
      Fail(pos_, "`" + std::string(w) + "` is not JSON: write `null`");
    } else {
      Fail(pos_, "`" + std::string(w) + "` is not a JSON value: text takes double quotes (\"" +
                     std::string(w) + "\")");
    }
    pos_ += w.size();
  }

  std::string Number() {
    size_t start = pos_;
    if (Peek() == '+') Fail(pos_, "a JSON number takes no `+` sign");
    if (Peek() == '-') ++pos_;
    if (Peek() == '.')
      Fail(start,
           "a number needs a digit before the `.`: write 0" +
               std::string(WordAt(pos_ + 1).empty() ? "." : "." + std::string(WordAt(pos_ + 1))));
    if (Peek() == 'I' || Peek() == 'N') Fail(start, "NaN and Infinity are not JSON numbers");
    if (!IsDigit(Peek())) Fail(pos_, "expected a digit after `-`, found " + Found(pos_));
    if (Peek() == '0' && pos_ + 1 < s_.size()) {
      char next = s_[pos_ + 1];
      if (IsDigit(next))
        Fail(start, "a JSON number cannot start with 0 (`" + std::string(WordAt(start)) +
                        "`): drop the zero, or quote it if it is a code (\"" +
                        std::string(WordAt(start)) + "\")");
      if (next == 'x' || next == 'X')
        Fail(start, "hexadecimal numbers are not JSON: write it in decimal");
    }
    while (IsDigit(Peek())) ++pos_;
    if (Peek() == '.') {
      ++pos_;
      if (!IsDigit(Peek())) Fail(pos_, "a digit must follow the `.` of a number");
      while (IsDigit(Peek())) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!IsDigit(Peek())) Fail(pos_, "the exponent of a number needs digits");
      while (IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && (IsWordChar(Peek()) || Peek() == '.')) {
      size_t end = pos_;
      while (end < s_.size() && end - start < 40 && (IsWordChar(s_[end]) || s_[end] == '.')) ++end;
      std::string literal(s_.substr(start, end - start));
      Fail(start, "`" + literal +
                      "` is not a JSON number: text such as a duration takes double quotes (\"" +
                      literal + "\")");
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  // At the opening quote; leaves pos_ after the closing one.
  std::string String() {
    size_t open = pos_++;
    std::string out;
    while (true) {
      if (AtEnd()) Fail(open, "unterminated string: the closing `\"` is missing");
      size_t run = pos_;
      while (run < s_.size()) {
        unsigned char b = static_cast<unsigned char>(s_[run]);
        if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80) break;
        ++run;
      }
      out.append(s_.substr(pos_, run - pos_));
      pos_ = run;
      if (AtEnd()) Fail(open, "unterminated string: the closing `\"` is missing");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        Escape(out);
      } else if (c == '\n' || c == '\r') {
        Fail(open,
             "unterminated string: the closing `\"` is missing on this line (a line break "
             "inside a string is written \\n)");
      } else if (c < 0x20) {
        Fail(pos_, "control character " + CodePointName(c) +
                       " in a string: write it as an escape (\\t, \\u00XX)");
      } else {
        size_t n = Utf8SequenceLength(s_, pos_);
        if (n == 0) Fail(pos_, "invalid UTF-8 (byte " + HexByte(c) + "; save the file as UTF-8)");
        out.append(s_.substr(pos_, n));
        pos_ += n;
      }
    }
  }

  void Escape(std::string& out) {
    size_t at = pos_++;
    if (AtEnd()) Fail(at, "unterminated string: the file ends after a `\\`");
    char e = s_[pos_++];
    switch (e) {
      case '"':
        out += '"';
        return;
      case '\\':
        out += '\\';
        return;
      case '/':
        out += '/';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'u':
        break;
      default: {
        std::string shown =
            static_cast<unsigned char>(e) < 0x20 || static_cast<unsigned char>(e) >= 0x7f
                ? "\\"
                : "\\" + std::string(1, e);
        Fail(at, "bad escape `" + shown +
                     "` in a string: JSON knows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX "
                     "(a Windows path needs `\\\\` or `/`)");
      }
    }
    uint32_t cp = Hex4(at);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (pos_ + 1 < s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u') {
        size_t low_at = pos_;
        pos_ += 2;
        uint32_t low = Hex4(low_at);
        if (low < 0xDC00 || low > 0xDFFF)
          Fail(at, "a UTF-16 high surrogate (\\u" + Hex4Text(cp) +
                       ") must be followed by a low one (\\uDC00-\\uDFFF)");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      } else {
        Fail(at, "a UTF-16 high surrogate (\\u" + Hex4Text(cp) +
                     ") must be followed by a low one (\\uDC00-\\uDFFF)");
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      Fail(at, "a UTF-16 low surrogate (\\u" + Hex4Text(cp) + ") without a high one before it");
    } else if (cp == 0) {
      Fail(at, "`\\u0000` (NUL) is not allowed in a config string");
    }
    AppendUtf8(out, cp);
  }

  // Four hex digits at pos_ (the escape started at `at`).
  uint32_t Hex4(size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = Peek();
      int d = (h >= '0' && h <= '9')   ? h - '0'
              : (h >= 'a' && h <= 'f') ? h - 'a' + 10
              : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                       : -1;
      if (d < 0) Fail(at, "bad escape: `\\u` needs four hex digits (like \\u00e9)");
      v = v * 16 + static_cast<uint32_t>(d);
      ++pos_;
    }
    return v;
  }

  static std::string Hex4Text(uint32_t v) {
    static const char* digits = "0123456789ABCDEF";
    std::string s(4, '0');
    for (int i = 3; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = digits[v & 15];
    return s;
  }

  void Object(JsonValue& v, int depth) {
    size_t open = pos_++;
    std::unordered_map<std::string, uint32_t> seen;
    size_t last_comma = std::string::npos;
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
      return;
    }
    while (true) {
      SkipSpace();
      char c = Peek();
      if (AtEnd())
        Fail(open, "unexpected end of file: this `{` is never closed (expected a key or `}`)");
      if (c == '}' && last_comma != std::string::npos)
        Fail(last_comma, "trailing comma before `}`: JSON allows none; remove it");
      if (c == ',') {
        if (v.members.empty() && NextToken(pos_ + 1) < s_.size() && s_[NextToken(pos_ + 1)] == '}')
          Fail(pos_, "trailing comma in an empty object: JSON allows none; write `{}`");
        Fail(pos_, v.members.empty() ? "expected a key in double quotes or `}`, found `,`"
                                     : "expected a key in double quotes, found a second `,`");
      }
      if (c == '\'') Fail(pos_, "keys take double quotes (\"...\"), not single quotes");
      if (IsWordStart(c)) {
        std::string w(WordAt(pos_));
        Fail(pos_, "the key `" + w + "` must be in double quotes: \"" + w + "\"");
      }
      if (c != '"') Fail(pos_, "expected a key in double quotes, found " + Found(pos_));
      JsonMember m;
      m.key_offset = static_cast<uint32_t>(pos_);
      m.key = String();
      auto [it, fresh] = seen.emplace(m.key, m.key_offset);
      if (!fresh)
        Fail(m.key_offset, "duplicate key \"" + m.key + "\": it is at line " +
                               std::to_string(LineOf(it->second)) + " and again at line " +
                               std::to_string(LineOf(m.key_offset)) + "; keep one");
      SkipSpace();
      if (Peek() != ':') {
        if (AtEnd()) Fail(open, "unexpected end of file: this `{` is never closed");
        Fail(pos_, "expected `:` after the key \"" + m.key + "\", found " + Found(pos_));
      }
      ++pos_;
      SkipSpace();
      if (Peek() == '}' || Peek() == ',')
        Fail(pos_, "expected a value for the key \"" + m.key + "\", found " + Found(pos_));
      if (AtEnd()) Fail(open, "unexpected end of file: this `{` is never closed");
      m.value = Value(depth + 1);
      v.members.push_back(std::move(m));
      size_t end = pos_;
      SkipSpace();
      c = Peek();
      if (c == ',') {
        last_comma = pos_++;
        continue;
      }
      if (c == '}') {
        ++pos_;
        v.members.shrink_to_fit();  // a document is kept while the config lives
        return;
      }
      const std::string& key = v.members.back().key;
      if (AtEnd())
        Fail(open, "unexpected end of file: this `{` is never closed (expected `,` or `}`)");
      if (c == '"' || c == '\'' || IsWordStart(c))
        Fail(end, "missing comma after the value of \"" + key + "\" (expected `,` or `}`)");
      if (c == ']')
        Fail(pos_, "expected `,` or `}` to close the object opened at line " +
                       std::to_string(LineOf(open)) + ", found `]`");
      Fail(pos_, "expected `,` or `}` after the value of \"" + key + "\", found " + Found(pos_));
    }
  }

  void Array(JsonValue& v, int depth) {
    size_t open = pos_++;
    size_t last_comma = std::string::npos;
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      return;
    }
    while (true) {
      SkipSpace();
      char c = Peek();
      if (AtEnd())
        Fail(open, "unexpected end of file: this `[` is never closed (expected a value or `]`)");
      if (c == ']' && last_comma != std::string::npos)
        Fail(last_comma, "trailing comma before `]`: JSON allows none; remove it");
      if (c == ',') {
        if (v.elements.empty() && NextToken(pos_ + 1) < s_.size() && s_[NextToken(pos_ + 1)] == ']')
          Fail(pos_, "trailing comma in an empty array: JSON allows none; write `[]`");
        Fail(pos_, v.elements.empty() ? "expected a value or `]`, found `,`"
                                      : "expected a value, found a second `,`");
      }
      v.elements.push_back(Value(depth + 1));
      size_t end = pos_;
      SkipSpace();
      c = Peek();
      if (c == ',') {
        last_comma = pos_++;
        continue;
      }
      if (c == ']') {
        ++pos_;
        v.elements.shrink_to_fit();
        return;
      }
      if (AtEnd())
        Fail(open, "unexpected end of file: this `[` is never closed (expected `,` or `]`)");
      if (c == '"' || c == '{' || c == '[' || c == '-' || IsDigit(c) || IsWordStart(c))
        Fail(end, "missing comma after this element (expected `,` or `]`)");
      if (c == '}')
        Fail(pos_, "expected `,` or `]` to close the array opened at line " +
                       std::to_string(LineOf(open)) + ", found `}`");
      Fail(pos_, "expected `,` or `]` after an element, found " + Found(pos_));
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  size_t values_ = 0;
};

}  // namespace

JsonValue ParseJson(std::string_view text) {
  return Parser(text).Document();
}

}  // namespace spsync::engine::config
