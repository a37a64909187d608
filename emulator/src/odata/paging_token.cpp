// Reading and writing paging tokens.
#include "odata/paging_token.hpp"

#include <cstdlib>
#include <stdexcept>

#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

bool Unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-_.!~*'()").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string Escape(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (Unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

PagingToken ParsePagingToken(std::string_view text) {
  PagingToken t;
  t.present = true;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    start = end + 1;
    size_t eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string value(eq == std::string_view::npos ? "" : part.substr(eq + 1));
    if (IEquals(key, "p_ID")) {
      char* stop = nullptr;
      long long id = std::strtoll(value.c_str(), &stop, 10);
      if (value.empty() || *stop) throw std::invalid_argument("invalid p_ID in $skiptoken");
      t.id = id;
    } else if (IEquals(key, "PagedPrev")) {
      t.prev = IEquals(value, "TRUE");
    } else if (IStartsWith(key, "p_") && key.size() > 2) {
      t.field = std::string(key.substr(2));
      t.value = UrlDecode(value, false);
    }
  }
  return t;
}

std::string FormatPagingToken(std::string_view field, std::string_view value, int64_t id) {
  std::string token = "Paged=TRUE";
  if (!field.empty()) {
    token += "&p_";
    token += field;
    token += "=";
    token += Escape(value);
  }
  token += "&p_ID=" + std::to_string(id);
  return token;
}

}  // namespace spsync::emulator::detail
