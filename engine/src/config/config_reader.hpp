// ConfigReader: typed, path-aware access to a parsed config file. Every value
// it hands out is a ConfigNode that knows its key path ("entities[1].sinks[0]")
// and its place in the file, so every check written with it reports
//
//   spsync.json:7:70: `entities[0].pageSize`: must be between 1 and 5000
//       { "name": "orders", "list": "Orders", "sinks": ["db"], "pageSize": 6000 }
//                                                                          ^
//
// without doing anything for it: a new section (a `sites` map, discovery
// rules) reads its keys with Object/Members/Elements/String/Int/Path and
// gets key paths, positions and path resolution for free. Where a key is
// missing, the error points at the object that should hold it; an unknown
// key is shown at the key, a bad value at the value.
//
//   ConfigReader r(text, "spsync.json");
//   ConfigNode run = r.Object(r.root(), "run", /*required=*/false);
//   if (run) r.Allowed(run, {"timeout", "workDir"});
//   int64_t n = r.Int(run, "parallel", 2, 1, 64);        // absent object: the fallback
//   std::string dir = r.Path(run, "workDir", false, ".spsync");   // absolute
//
// Strings are ${VAR}-expanded (config.hpp). Path() resolves relative paths
// against the config file's folder (ResolveConfigPath in config.hpp) and
// collects the upgrade warnings that resolution may give in warnings().
//
// Thread safety: not thread-safe (warnings() grows); one reader per parse.
// Ownership: nodes point into source(), which the reader shares; keep the
// reader (or the source) alive while nodes are used.
#pragma once

#include "config_source.hpp"

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spsync::engine::config {

// A value of the config file, or the place where an absent key would be.
struct ConfigNode {
  const JsonValue* value = nullptr;    // nullptr: the key is absent
  const JsonMember* member = nullptr;  // the object member holding `value`, if any
  const JsonValue* parent = nullptr;   // the object or array holding it
  std::string path;                    // "entities[0].sinks"; "" for the top level

  explicit operator bool() const { return value != nullptr; }
  bool is(JsonKind k) const { return value != nullptr && value->kind == k; }
  // Where errors about it point: the value, or for an absent key its parent.
  size_t offset() const;
};

class ConfigReader {
 public:
  // Parses `text`, at most 4 MiB. Throws ConfigError naming file:line:column.
  ConfigReader(const std::string& text, std::string file);

  const ConfigNode& root() const { return root_; }
  const std::shared_ptr<const ConfigSource>& source() const { return source_; }
  // The absolute folder of the config file: relative paths resolve against it.
  const std::filesystem::path& config_dir() const { return config_dir_; }
  std::vector<std::string>& warnings() { return warnings_; }

  // Throws ConfigError "file:line:column: `path`: what" at the node's value.
  [[noreturn]] void Fail(const ConfigNode& at, const std::string& what) const;
  // The same, pointing at the node's key (for unknown and misplaced keys).
  [[noreturn]] void FailAtKey(const ConfigNode& at, const std::string& what) const;
  // The 1-based line of a node, for messages that name two places.
  size_t LineOf(const ConfigNode& at) const;

  // Navigation. Child of an absent node or of a non-object is absent.
  ConfigNode Child(const ConfigNode& object, std::string_view key) const;
  std::vector<ConfigNode> Members(const ConfigNode& object) const;
  std::vector<ConfigNode> Elements(const ConfigNode& array) const;
  // Fails on the first key of `object` not in `keys`, naming the valid ones.
  void Allowed(const ConfigNode& object, std::initializer_list<std::string_view> keys) const;

  // Typed reads of `parent.key`: absent (or null, for scalars) gives the
  // fallback, or "is required" when `required`; a wrong type fails.
  ConfigNode Object(const ConfigNode& parent, std::string_view key, bool required) const;
  ConfigNode Array(const ConfigNode& parent, std::string_view key, bool required) const;
  std::string String(const ConfigNode& parent, std::string_view key, bool required,
                     const std::string& fallback = "") const;
  // A string that names a file or folder: made absolute (see the top).
  std::string Path(const ConfigNode& parent, std::string_view key, bool required,
                   const std::string& fallback = "");
  int64_t Int(const ConfigNode& parent, std::string_view key, int64_t fallback, int64_t min,
              int64_t max) const;
  std::vector<std::string> Strings(const ConfigNode& parent, std::string_view key) const;
  // true/false, or the strings "true"/"false" (for ${VAR} expansions).
  bool Bool(const ConfigNode& parent, std::string_view key, bool fallback) const;
  std::vector<std::string> Paths(const ConfigNode& parent, std::string_view key);

  // Reads of a node itself: a string (expanded, length-checked); a string,
  // number or boolean as the string a sink option receives.
  std::string String(const ConfigNode& node) const;
  std::string Scalar(const ConfigNode& node) const;
  // Makes `value` (read from `node`) absolute against the config's folder.
  std::string ResolvePath(const ConfigNode& node, const std::string& value);

 private:
  std::shared_ptr<const ConfigSource> source_;
  ConfigNode root_;
  std::filesystem::path config_dir_;
  std::vector<std::string> warnings_;
};

}  // namespace spsync::engine::config
