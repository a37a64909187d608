#include "config_source.hpp"

#include "source_text.hpp"

namespace spsync::engine::config {

namespace {

// Depth-first search for `want`, building each value's path on the way.
// `want` must start with `path` for a subtree to be worth visiting.
const JsonValue* Search(const JsonValue& v, const std::string& path, std::string_view want,
                        const JsonMember** member) {
  if (path == want) return &v;
  if (want.substr(0, path.size()) != path) return nullptr;
  if (v.kind == JsonKind::kObject) {
    for (const auto& m : v.members) {
      if (const JsonValue* found = Search(m.value, JoinKey(path, m.key), want, member)) {
        if (*member == nullptr && found == &m.value) *member = &m;
        return found;
      }
    }
  } else if (v.kind == JsonKind::kArray) {
    for (size_t i = 0; i < v.elements.size(); ++i)
      if (const JsonValue* found = Search(v.elements[i], JoinIndex(path, i), want, member))
        return found;
  }
  return nullptr;
}

}  // namespace

std::string JoinKey(std::string_view parent, std::string_view key) {
  std::string out;
  out.reserve(parent.size() + key.size() + 1);
  out.append(parent);
  if (!parent.empty()) out.push_back('.');
  out.append(key);
  return out;
}

std::string JoinIndex(std::string_view parent, size_t index) {
  std::string out(parent);
  out.push_back('[');
  out.append(std::to_string(index));
  out.push_back(']');
  return out;
}

ConfigSource::ConfigSource(std::string file, std::string text)
    : file_(std::move(file)), text_(std::move(text)), root_(ParseJson(text_)) {}

size_t ConfigSource::Locate(std::string_view key_path, bool at_key) const {
  const JsonMember* member = nullptr;
  const JsonValue* v = Search(root_, "", key_path, &member);
  if (v == nullptr) return std::string::npos;
  return at_key && member != nullptr ? member->key_offset : v->offset;
}

std::string ConfigSource::FormatAt(size_t offset, std::string_view message) const {
  return config::FormatAt(file_, text_, offset, message);
}

std::string ConfigSource::Describe(std::string_view key_path, std::string_view what) const {
  std::string message = "`" + std::string(key_path) + "`: " + std::string(what);
  std::string_view nearest = key_path;
  while (true) {
    size_t at = Locate(nearest);
    if (at != std::string::npos) return FormatAt(at, message);
    if (nearest.empty()) return file_ + ": " + message;
    size_t cut = nearest.find_last_of(".[");
    nearest = cut == std::string_view::npos ? std::string_view() : nearest.substr(0, cut);
  }
}

size_t ConfigSource::LineOf(size_t offset) const {
  return PositionOf(text_, offset).line;
}

}  // namespace spsync::engine::config
