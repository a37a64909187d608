// A cursor over a decoded REST path that matches literals case-insensitively,
// as SharePoint matches them. A plain value over a borrowed string.
#pragma once

#include <string>
#include <string_view>

#include "util.hpp"

namespace spsync::emulator::detail {

struct PathCursor {
  std::string_view s;
  size_t p = 0;
  bool Eat(std::string_view lit) {
    if (IStartsWith(s.substr(p), lit)) {
      p += lit.size();
      return true;
    }
    return false;
  }
  bool Done() const { return p == s.size(); }
  // The end of the path, allowing one trailing slash.
  bool End() const { return p == s.size() || (p + 1 == s.size() && s[p] == '/'); }
  bool AtChar(char c) const { return p < s.size() && s[p] == c; }
  // A single-quoted OData string ('' is a quote); false if not one.
  bool Quoted(std::string& out) {
    if (p >= s.size() || s[p] != '\'') return false;
    ++p;
    out.clear();
    while (p < s.size()) {
      if (s[p] == '\'') {
        if (p + 1 < s.size() && s[p + 1] == '\'') {
          out.push_back('\'');
          p += 2;
          continue;
        }
        ++p;
        return true;
      }
      out.push_back(s[p++]);
    }
    return false;
  }
  // The text up to c (not included); the cursor moves past c.
  bool Until(char c, std::string& out) {
    size_t e = s.find(c, p);
    if (e == std::string_view::npos) return false;
    out = std::string(s.substr(p, e - p));
    p = e + 1;
    return true;
  }
};

}  // namespace spsync::emulator::detail
