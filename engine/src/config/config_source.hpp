// A parsed config file kept for error messages: its name, its text and the
// document with every key's position. Any stage that finds a problem with a
// key after parsing (a sink option a plugin refuses, a token file that cannot
// be read) asks it where that key is, by key path, and so points at the line
// like the parser does:
//
//   source.ErrorAt("sinks.db.path", "cannot open the file")
//   // spsync.json:4:30: `sinks.db.path`: cannot open the file  + the line + a caret
//
// Key paths join object keys with '.' and array indexes with [i]:
// "entities[1].sinks[0]". A key whose name contains '.' is still found: paths
// are compared whole, in document order.
//
// Thread safety: immutable after construction; share it freely (Config holds
// it by shared_ptr<const>).
#pragma once

#include "json_document.hpp"

#include <string>
#include <string_view>

namespace spsync::engine::config {

class ConfigSource {
 public:
  // Parses `text`. Throws JsonSyntaxError (use FormatAt with its offset).
  ConfigSource(std::string file, std::string text);

  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }
  const JsonValue& root() const { return root_; }

  // The byte offset of the value named by `key_path` (with `at_key`, of its
  // key), or npos if the file has no such key.
  size_t Locate(std::string_view key_path, bool at_key = false) const;

  // "file:line:column: message" + the line + a caret, at byte `offset`.
  std::string FormatAt(size_t offset, std::string_view message) const;

  // "file:line:column: `key_path`: what" + the line + a caret, at the key's
  // value; a key the file does not have (a default) is shown at the nearest
  // enclosing object it has (at worst the top-level one).
  std::string Describe(std::string_view key_path, std::string_view what) const;

  // The 1-based line of byte `offset`.
  size_t LineOf(size_t offset) const;

 private:
  std::string file_;
  std::string text_;
  JsonValue root_;
};

// Joins key paths: ("", "site") -> "site", ("site", "url") -> "site.url".
std::string JoinKey(std::string_view parent, std::string_view key);
// ("entities", 1) -> "entities[1]".
std::string JoinIndex(std::string_view parent, size_t index);

}  // namespace spsync::engine::config
