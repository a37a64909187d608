#include "spsync/engine/export/manifest_parser.hpp"

#include "xml_text.hpp"

#include <expat.h>

#include <exception>

namespace spsync::engine::exporter {

const std::string* ManifestItem::Attr(std::string_view name) const {
  for (const auto& [k, v] : attrs)
    if (k == name) return &v;
  return nullptr;
}

const ManifestField* ManifestItem::Field(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

int64_t ManifestItem::IntId() const {
  const std::string* s = Attr("IntId");
  if (s == nullptr || s->empty()) return 0;
  int64_t v = 0;
  for (char c : *s) {
    if (c < '0' || c > '9' || v > (INT64_MAX - 9) / 10) return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | cp >> 6));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | cp >> 12));
    out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | cp >> 18));
    out.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// _xHHHH_ or _xHHHHHHHH_ at s[i]: its value and length, or 0.
size_t EscapeAt(std::string_view s, size_t i, uint32_t* value) {
  if (i + 7 > s.size() || s[i] != '_' || s[i + 1] != 'x') return 0;
  for (size_t digits : {size_t{4}, size_t{8}}) {
    if (i + 3 + digits > s.size() || s[i + 2 + digits] != '_') continue;
    uint32_t v = 0;
    bool ok = true;
    for (size_t k = 0; k < digits; ++k) {
      int h = HexValue(s[i + 2 + k]);
      if (h < 0) {
        ok = false;
        break;
      }
      v = v << 4 | static_cast<uint32_t>(h);
    }
    if (ok) {
      *value = v;
      return digits + 3;
    }
  }
  return 0;
}

}  // namespace

std::string DecodeXmlEncoded(std::string_view s) {
  if (s.find("_x") == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  uint32_t pending_high = 0;
  for (size_t i = 0; i < s.size();) {
    uint32_t v = 0;
    size_t len = EscapeAt(s, i, &v);
    if (len == 0) {
      if (pending_high) AppendUtf8(out, 0xfffd), pending_high = 0;
      out.push_back(s[i++]);
      continue;
    }
    i += len;
    if (v >= 0xd800 && v < 0xdc00) {
      if (pending_high) AppendUtf8(out, 0xfffd);
      pending_high = v;
    } else if (v >= 0xdc00 && v < 0xe000 && pending_high) {
      AppendUtf8(out, 0x10000 + ((pending_high - 0xd800) << 10) + (v - 0xdc00));
      pending_high = 0;
    } else {
      if (pending_high) AppendUtf8(out, 0xfffd), pending_high = 0;
      AppendUtf8(out, v);
    }
  }
  if (pending_high) AppendUtf8(out, 0xfffd);
  return out;
}

bool EncodeXmlEncoded(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789ABCDEF";
  bool changed = false;
  out->clear();
  auto unit = [&](uint32_t u) {
    *out += "_x";
    for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(u >> shift) & 15]);
    out->push_back('_');
    changed = true;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t ignored = 0;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
        (c == '_' && EscapeAt(s, i, &ignored) != 0)) {
      unit(c);
      continue;
    }
    // U+FFFE / U+FFFF (EF BF BE / EF BF BF) are not XML characters either.
    if (c == 0xef && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xbf &&
        (static_cast<unsigned char>(s[i + 2]) & 0xfe) == 0xbe) {
      unit(static_cast<unsigned char>(s[i + 2]) == 0xbe ? 0xfffe : 0xffff);
      i += 2;
      continue;
    }
    out->push_back(static_cast<char>(c));
  }
  return changed;
}

struct ManifestParser::State {
  XML_Parser xml = nullptr;
  ItemFn on_item;
  std::exception_ptr error;
  int depth = 0;
  int object_depth = -1;  // the SPObject being read (SPListItem only)
  bool object_deleted = false;
  int item_depth = -1;   // its ListItem
  int field_depth = -1;  // a Field being read (for element text)
  ManifestItem item;
  size_t field_count = 0, attr_count = 0;  // in use in `item` (the rest are reused slots)

  ~State() {
    if (xml) XML_ParserFree(xml);
  }

  // The element's attributes, with EncodedAttributes applied.
  static bool Encoded(const XML_Char** attrs, std::string_view name) {
    for (int i = 0; attrs[i]; i += 2) {
      if (LocalName(attrs[i]) != "EncodedAttributes") continue;
      std::string_view list = attrs[i + 1];
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view one = list.substr(0, comma);
        while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
        while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
        if (one == name) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
    return false;
  }
  static std::string Value(const XML_Char** attrs, int i) {
    std::string_view name = LocalName(attrs[i]);
    return Encoded(attrs, name) ? DecodeXmlEncoded(attrs[i + 1]) : std::string(attrs[i + 1]);
  }

  void StartElement(const XML_Char* qname, const XML_Char** attrs) {
    ++depth;
    std::string_view name = LocalName(qname);
    if (object_depth < 0) {
      if (name != "SPObject") return;
      bool list_item = false;
      object_deleted = false;
      for (int i = 0; attrs[i]; i += 2) {
        std::string_view a = LocalName(attrs[i]);
        if (a == "ObjectType") list_item = std::string_view(attrs[i + 1]) == "SPListItem";
        if (a == "IsDeleted")
          object_deleted =
              std::string_view(attrs[i + 1]) == "true" || std::string_view(attrs[i + 1]) == "1";
      }
      if (list_item) object_depth = depth;
      return;
    }
    if (item_depth < 0) {
      if (depth == object_depth + 1 && name == "ListItem") {
        item_depth = depth;
        attr_count = field_count = 0;
        item.deleted = object_deleted;
        item.has_attachments = false;
        for (int i = 0; attrs[i]; i += 2) {
          if (attr_count == item.attrs.size()) item.attrs.emplace_back();
          auto& slot = item.attrs[attr_count++];
          slot.first.assign(LocalName(attrs[i]));
          slot.second = Value(attrs, i);
        }
      }
      return;
    }
    if (depth == item_depth + 2 && name == "Field") {
      if (field_count == item.fields.size()) item.fields.emplace_back();
      ManifestField& f = item.fields[field_count++];
      f.name.clear();
      f.type.clear();
      f.value.clear();
      bool has_value = false;
      for (int i = 0; attrs[i]; i += 2) {
        std::string_view a = LocalName(attrs[i]);
        if (a == "Name") f.name = Value(attrs, i);
        if (a == "Type") f.type = Value(attrs, i);
        if (a == "Value") {
          f.value = Value(attrs, i);
          has_value = true;
        }
      }
      field_depth = has_value ? -1 : depth;  // no Value attribute: the text is the value
    } else if (depth == item_depth + 2 && name == "Attachment") {
      item.has_attachments = true;
    }
  }

  void EndElement() {
    if (depth == field_depth) field_depth = -1;
    if (depth == item_depth) {
      item_depth = -1;
      item.attrs.resize(attr_count);
      item.fields.resize(field_count);
      on_item(item);
    }
    if (depth == object_depth) object_depth = -1;
    --depth;
  }

  void Text(const XML_Char* s, int len) {
    if (field_depth >= 0 && depth == field_depth && field_count > 0)
      item.fields[field_count - 1].value.append(s, static_cast<size_t>(len));
  }
};

ManifestParser::ManifestParser(ItemFn on_item) : s_(std::make_unique<State>()) {
  s_->on_item = std::move(on_item);
  s_->xml = XML_ParserCreate("UTF-8");
  if (s_->xml == nullptr) throw ManifestError("cannot create an XML parser");
  XML_SetUserData(s_->xml, s_.get());
  XML_SetElementHandler(
      s_->xml,
      [](void* ud, const XML_Char* n, const XML_Char** a) {
        auto* s = static_cast<State*>(ud);
        try {
          s->StartElement(n, a);
        } catch (...) {
          s->error = std::current_exception();
          XML_StopParser(s->xml, XML_FALSE);
        }
      },
      [](void* ud, const XML_Char*) {
        auto* s = static_cast<State*>(ud);
        try {
          s->EndElement();
        } catch (...) {
          s->error = std::current_exception();
          XML_StopParser(s->xml, XML_FALSE);
        }
      });
  XML_SetCharacterDataHandler(
      s_->xml, [](void* ud, const XML_Char* t, int len) { static_cast<State*>(ud)->Text(t, len); });
}

ManifestParser::~ManifestParser() = default;

void ManifestParser::Fail(const char* when) {
  if (s_->error) std::rethrow_exception(s_->error);
  throw ManifestError(std::string("manifest XML ") + when + ": " +
                      XML_ErrorString(XML_GetErrorCode(s_->xml)) + " at line " +
                      std::to_string(XML_GetCurrentLineNumber(s_->xml)) + ", column " +
                      std::to_string(XML_GetCurrentColumnNumber(s_->xml)) + " (byte " +
                      std::to_string(XML_GetCurrentByteIndex(s_->xml)) + ")");
}

void ManifestParser::Feed(std::string_view bytes) {
  // expat takes an int length: feed huge inputs in slices.
  while (!bytes.empty()) {
    size_t n = std::min<size_t>(bytes.size(), 1 << 30);
    if (XML_Parse(s_->xml, bytes.data(), static_cast<int>(n), XML_FALSE) != XML_STATUS_OK)
      Fail("is not well-formed");
    bytes_ += n;
    bytes.remove_prefix(n);
  }
}

void ManifestParser::Finish() {
  if (XML_Parse(s_->xml, "", 0, XML_TRUE) != XML_STATUS_OK) Fail("ends early");
}

}  // namespace spsync::engine::exporter
