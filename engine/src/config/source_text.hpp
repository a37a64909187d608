// Positions in a config file and compiler-style error messages:
//
//   sales.json:3:13: trailing comma before `}`: JSON allows none; remove it
//     "sinks": {"db": {"plugin": "sqlite"},},
//                                         ^
//
// Lines count from 1 at each '\n' (a "\r\n" file has the same lines); columns
// count characters (UTF-8 code points) from 1, so the caret sits under the
// right character whatever the bytes before it. A byte order mark takes no
// column; tabs are copied into the caret line so the caret lines up however
// the terminal expands them; control characters and invalid bytes show as
// '?'; a very long line (a minified config) is cut to a window around the column.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spsync::engine::config {

struct TextPosition {
  size_t line = 1;
  size_t column = 1;
};

// The line and column of byte `offset` of `text` (offsets past the end mean the end).
TextPosition PositionOf(std::string_view text, size_t offset);

// "file:line:column: message", then the line and a caret under the column.
std::string FormatAt(std::string_view file, std::string_view text, size_t offset,
                     std::string_view message);

}  // namespace spsync::engine::config
