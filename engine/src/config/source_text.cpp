#include "source_text.hpp"

#include "utf8.hpp"

#include <algorithm>
#include <vector>

namespace spsync::engine::config {

namespace {

constexpr size_t kWindow = 160;  // characters of a long line shown around the column

size_t LineStart(std::string_view text, size_t offset) {
  size_t nl = offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  size_t start = nl == std::string_view::npos ? 0 : nl + 1;
  if (start == 0 && text.substr(0, 3) == "\xEF\xBB\xBF") start = std::min<size_t>(3, offset);
  return start;
}

// The characters of one line as shown: each valid character as itself,
// anything that would garble a terminal as '?'.
std::vector<std::string> Characters(std::string_view line) {
  std::vector<std::string> out;
  for (size_t i = 0; i < line.size();) {
    size_t n = Utf8SequenceLength(line, i);
    if (n == 0) {
      out.emplace_back("?");
      ++i;
      continue;
    }
    uint32_t cp = DecodeUtf8(line.substr(i, n));
    bool control = (cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp <= 0x9F);
    out.emplace_back(control ? std::string("?") : std::string(line.substr(i, n)));
    i += n;
  }
  return out;
}

}  // namespace

TextPosition PositionOf(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  TextPosition p;
  p.line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
  size_t start = LineStart(text, offset);
  p.column = 1 + Characters(text.substr(start, offset - start)).size();
  return p;
}

std::string FormatAt(std::string_view file, std::string_view text, size_t offset,
                     std::string_view message) {
  offset = std::min(offset, text.size());
  TextPosition p = PositionOf(text, offset);
  std::string out = std::string(file) + ":" + std::to_string(p.line) + ":" +
                    std::to_string(p.column) + ": " + std::string(message);
  size_t start = LineStart(text, offset);
  size_t end = text.find('\n', offset);
  if (end == std::string_view::npos) end = text.size();
  std::string_view line = text.substr(start, end - start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return out;
  std::vector<std::string> chars = Characters(line);
  size_t caret = p.column - 1;
  size_t first = 0, last = chars.size();
  if (chars.size() > kWindow) {
    first = caret > kWindow / 2 ? std::min(caret - kWindow / 2, chars.size() - kWindow) : 0;
    last = first + kWindow;
  }
  std::string shown = first > 0 ? "..." : "", under = first > 0 ? "   " : "";
  for (size_t i = first; i < last; ++i) {
    shown += chars[i];
    if (i < caret) under += chars[i] == "\t" ? '\t' : ' ';
  }
  if (last < chars.size()) shown += "...";
  return out + "\n  " + shown + "\n  " + under + "^";
}

}  // namespace spsync::engine::config
