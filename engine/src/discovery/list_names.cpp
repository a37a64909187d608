#include "spsync/engine/discovery/list_names.hpp"

#include <cstdint>
#include <cstdio>

namespace spsync::engine {

namespace {

constexpr size_t kMaxName = 80;

char Fold(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

uint32_t Fnv1a32(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string Part(std::string_view raw) {
  std::string out;
  bool gap = false;
  for (char c : raw) {
    char f = Fold(c);
    if ((f >= 'a' && f <= 'z') || (f >= '0' && f <= '9')) {
      if (gap && !out.empty()) out += '_';
      out += f;
      gap = false;
    } else {
      gap = true;
    }
  }
  if (out.empty() && !raw.empty()) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "l%08x", Fnv1a32(raw));
    out = buf;
  }
  return out;
}

}  // namespace

std::string DiscoveredEntityName(std::string_view site, std::string_view web_path,
                                 std::string_view list_url_name) {
  std::string name = Part(site);
  size_t start = 0;
  while (start <= web_path.size()) {
    size_t end = web_path.find('/', start);
    if (end == std::string_view::npos) end = web_path.size();
    std::string p = Part(web_path.substr(start, end - start));
    if (!p.empty()) name += "_" + p;
    start = end + 1;
  }
  std::string list = Part(list_url_name);
  if (!list.empty()) name += "_" + list;
  if (name.size() > kMaxName) name.resize(kMaxName);
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name;
}

std::string WithListIdSuffix(std::string_view name, std::string_view list_id) {
  std::string hex;
  for (char c : list_id)
    if (hex.size() < 8 && ((c >= '0' && c <= '9') || (Fold(c) >= 'a' && Fold(c) <= 'f')))
      hex += Fold(c);
  return std::string(name) + "_" + hex;
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matcher with one backtrack point for the last '*'.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || Fold(pattern[p]) == Fold(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace spsync::engine
