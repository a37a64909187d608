#include "config_reader.hpp"

#include "env_expansion.hpp"
#include "source_text.hpp"
#include "spsync/engine/config.hpp"

#include <charconv>

namespace spsync::engine::config {

namespace {

constexpr size_t kMaxConfigBytes = 4 * 1024 * 1024;
constexpr size_t kMaxValueBytes = 64 * 1024;

std::filesystem::path FolderOf(const std::string& file) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(file, ec);
  if (ec) abs = file;
  return abs.lexically_normal().parent_path();
}

}  // namespace

size_t ConfigNode::offset() const {
  if (value != nullptr) return value->offset;
  return parent != nullptr ? parent->offset : 0;
}

ConfigReader::ConfigReader(const std::string& text, std::string file)
    : config_dir_(FolderOf(file)) {
  if (text.size() > kMaxConfigBytes)
    throw ConfigError(file + ": the config file is larger than 4 MiB");
  try {
    source_ = std::make_shared<ConfigSource>(file, text);
  } catch (const JsonSyntaxError& e) {
    throw ConfigError(FormatAt(file, text, e.offset(), e.what()));
  }
  root_.value = &source_->root();
  if (!root_.is(JsonKind::kObject))
    Fail(root_, std::string("the top level must be a JSON object, `{ ... }`, not ") +
                    JsonKindName(root_.value->kind));
}

void ConfigReader::Fail(const ConfigNode& at, const std::string& what) const {
  std::string message = at.path.empty() ? what : "`" + at.path + "`: " + what;
  throw ConfigError(source_->FormatAt(at.offset(), message));
}

void ConfigReader::FailAtKey(const ConfigNode& at, const std::string& what) const {
  std::string message = at.path.empty() ? what : "`" + at.path + "`: " + what;
  throw ConfigError(
      source_->FormatAt(at.member != nullptr ? at.member->key_offset : at.offset(), message));
}

size_t ConfigReader::LineOf(const ConfigNode& at) const {
  return source_->LineOf(at.offset());
}

ConfigNode ConfigReader::Child(const ConfigNode& object, std::string_view key) const {
  ConfigNode n;
  n.path = JoinKey(object.path, key);
  n.parent = object.value;
  if (object.is(JsonKind::kObject)) {
    if (const JsonMember* m = object.value->Find(key)) {
      n.member = m;
      n.value = &m->value;
    }
  } else if (object.value == nullptr) {
    n.parent = object.parent;  // point at the nearest object that is there
  }
  return n;
}

std::vector<ConfigNode> ConfigReader::Members(const ConfigNode& object) const {
  std::vector<ConfigNode> out;
  if (!object.is(JsonKind::kObject)) return out;
  out.reserve(object.value->members.size());
  for (const auto& m : object.value->members)
    out.push_back(ConfigNode{&m.value, &m, object.value, JoinKey(object.path, m.key)});
  return out;
}

std::vector<ConfigNode> ConfigReader::Elements(const ConfigNode& array) const {
  std::vector<ConfigNode> out;
  if (!array.is(JsonKind::kArray)) return out;
  out.reserve(array.value->elements.size());
  for (size_t i = 0; i < array.value->elements.size(); ++i)
    out.push_back(
        ConfigNode{&array.value->elements[i], nullptr, array.value, JoinIndex(array.path, i)});
  return out;
}

void ConfigReader::Allowed(const ConfigNode& object,
                           std::initializer_list<std::string_view> keys) const {
  for (const auto& member : Members(object)) {
    bool known = false;
    for (auto k : keys) known = known || member.member->key == k;
    if (known) continue;
    std::string list;
    for (auto k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
    FailAtKey(member, "unknown key (expected one of: " + list + ")");
  }
}

ConfigNode ConfigReader::Object(const ConfigNode& parent, std::string_view key,
                                bool required) const {
  ConfigNode n = Child(parent, key);
  if (!n) {
    if (required) Fail(n, "is required (an object)");
    return n;
  }
  if (!n.is(JsonKind::kObject))
    Fail(n, std::string("must be an object, not ") + JsonKindName(n.value->kind));
  return n;
}

ConfigNode ConfigReader::Array(const ConfigNode& parent, std::string_view key,
                               bool required) const {
  ConfigNode n = Child(parent, key);
  if (!n) {
    if (required) Fail(n, "is required (an array)");
    return n;
  }
  if (!n.is(JsonKind::kArray))
    Fail(n, std::string("must be an array, not ") + JsonKindName(n.value->kind));
  return n;
}

std::string ConfigReader::String(const ConfigNode& node) const {
  if (!node.is(JsonKind::kString))
    Fail(node, std::string("must be a string, not ") +
                   (node ? JsonKindName(node.value->kind) : "absent"));
  const std::string& s = node.value->text;
  if (s.size() > kMaxValueBytes)
    Fail(node, "is longer than " + std::to_string(kMaxValueBytes) + " bytes");
  std::string out, why;
  if (!ExpandEnvInto(s, out, why)) Fail(node, why);
  return out;
}

std::string ConfigReader::String(const ConfigNode& parent, std::string_view key, bool required,
                                 const std::string& fallback) const {
  ConfigNode n = Child(parent, key);
  if (!n || n.is(JsonKind::kNull)) {
    if (required) Fail(n, "is required (a string)");
    return fallback;
  }
  return String(n);
}

std::string ConfigReader::ResolvePath(const ConfigNode& node, const std::string& value) {
  return ResolveConfigPath(value, node.path, config_dir_.string(), &warnings_);
}

std::string ConfigReader::Path(const ConfigNode& parent, std::string_view key, bool required,
                               const std::string& fallback) {
  ConfigNode n = Child(parent, key);
  return ResolvePath(n, String(parent, key, required, fallback));
}

std::string ConfigReader::Scalar(const ConfigNode& node) const {
  if (node.is(JsonKind::kString)) return String(node);
  if (node.is(JsonKind::kBool)) return node.value->boolean ? "true" : "false";
  if (node.is(JsonKind::kNumber)) return node.value->text;
  Fail(node, std::string("must be a string, number or boolean, not ") +
                 (node ? JsonKindName(node.value->kind) : "absent"));
}

int64_t ConfigReader::Int(const ConfigNode& parent, std::string_view key, int64_t fallback,
                          int64_t min, int64_t max) const {
  ConfigNode n = Child(parent, key);
  if (!n) return fallback;
  std::string range = "must be between " + std::to_string(min) + " and " + std::to_string(max);
  int64_t v = 0;
  if (n.is(JsonKind::kNumber)) {
    if (!n.value->is_integer_literal()) Fail(n, "must be an integer, got " + n.value->text);
    const std::string& t = n.value->text;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size()) Fail(n, range);
  } else if (n.is(JsonKind::kString)) {
    std::string s = String(n);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) Fail(n, range);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
      Fail(n, "must be an integer, got \"" + s + "\"");
  } else {
    Fail(n, std::string("must be an integer, not ") + JsonKindName(n.value->kind));
  }
  if (v < min || v > max) Fail(n, range);
  return v;
}

bool ConfigReader::Bool(const ConfigNode& parent, std::string_view key, bool fallback) const {
  ConfigNode n = Child(parent, key);
  if (!n || n.is(JsonKind::kNull)) return fallback;
  if (n.is(JsonKind::kBool)) return n.value->boolean;
  if (n.is(JsonKind::kString)) {
    std::string s = String(n);
    if (s == "true") return true;
    if (s == "false") return false;
    Fail(n, "must be true or false, got \"" + s + "\"");
  }
  Fail(n, std::string("must be true or false, not ") + JsonKindName(n.value->kind));
}

std::vector<std::string> ConfigReader::Strings(const ConfigNode& parent,
                                               std::string_view key) const {
  std::vector<std::string> out;
  ConfigNode n = Child(parent, key);
  if (!n) return out;
  if (!n.is(JsonKind::kArray))
    Fail(n, std::string("must be an array of strings, not ") + JsonKindName(n.value->kind));
  for (const auto& e : Elements(n)) out.push_back(String(e));
  return out;
}

std::vector<std::string> ConfigReader::Paths(const ConfigNode& parent, std::string_view key) {
  std::vector<std::string> out = Strings(parent, key);
  auto elements = Elements(Child(parent, key));
  for (size_t i = 0; i < out.size(); ++i) out[i] = ResolvePath(elements[i], out[i]);
  return out;
}

}  // namespace spsync::engine::config
