// Verbose JSON to Atom/XML: a small order-preserving JSON reader (numbers
// keep their text), then entries, feeds and service-operation results in
// the shapes WCF Data Services (SharePoint's OData v3 stack) writes.
#include "odata/atom.hpp"

#include <cctype>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

constexpr const char* kAtomNs = "http://www.w3.org/2005/Atom";
constexpr const char* kDataNs = "http://schemas.microsoft.com/ado/2007/08/dataservices";
constexpr const char* kMetaNs = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata";
constexpr const char* kRelated = "http://schemas.microsoft.com/ado/2007/08/dataservices/related/";
constexpr const char* kScheme = "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme";

struct Node {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  std::string text;  // bool/number: as written; string: decoded
  // Object members in document order (two vectors: a pair would need Node complete).
  std::vector<std::string> keys;
  std::vector<Node> values;
  std::vector<Node> items;
  const Node* Get(std::string_view key) const {
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &values[i];
    return nullptr;
  }
};

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  Node Document() {
    Node n = Value();
    Space();
    if (p_ != s_.size()) Fail();
    return n;
  }

 private:
  [[noreturn]] void Fail() { throw std::invalid_argument("not JSON"); }
  void Space() {
    while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
  }
  std::string String() {
    size_t start = p_;
    if (s_[p_] != '"') Fail();
    for (++p_; p_ < s_.size() && s_[p_] != '"'; ++p_)
      if (s_[p_] == '\\') ++p_;
    if (p_ >= s_.size()) Fail();
    ++p_;
    auto text = UnescapeJsonString(s_.substr(start, p_ - start));
    if (!text) Fail();
    return *text;
  }
  Node Value() {
    Space();
    if (p_ >= s_.size()) Fail();
    Node n;
    char c = s_[p_];
    if (c == '{') {
      n.kind = Node::kObject;
      ++p_;
      Space();
      if (p_ < s_.size() && s_[p_] == '}') {
        ++p_;
        return n;
      }
      while (true) {
        Space();
        std::string key = String();
        Space();
        if (p_ >= s_.size() || s_[p_++] != ':') Fail();
        n.keys.push_back(std::move(key));
        n.values.push_back(Value());
        Space();
        if (p_ >= s_.size()) Fail();
        if (s_[p_] == ',') {
          ++p_;
          continue;
        }
        if (s_[p_++] != '}') Fail();
        return n;
      }
    }
    if (c == '[') {
      n.kind = Node::kArray;
      ++p_;
      Space();
      if (p_ < s_.size() && s_[p_] == ']') {
        ++p_;
        return n;
      }
      while (true) {
        n.items.push_back(Value());
        Space();
        if (p_ >= s_.size()) Fail();
        if (s_[p_] == ',') {
          ++p_;
          continue;
        }
        if (s_[p_++] != ']') Fail();
        return n;
      }
    }
    if (c == '"') {
      n.kind = Node::kString;
      n.text = String();
      return n;
    }
    size_t start = p_;
    while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '-' ||
                              s_[p_] == '+' || s_[p_] == '.'))
      ++p_;
    n.text = std::string(s_.substr(start, p_ - start));
    if (n.text == "null")
      n.kind = Node::kNull;
    else if (n.text == "true" || n.text == "false")
      n.kind = Node::kBool;
    else if (!n.text.empty())
      n.kind = Node::kNumber;
    else
      Fail();
    return n;
  }
  std::string_view s_;
  size_t p_ = 0;
};

void Escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
}

bool LooksLikeGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool LooksLikeDate(std::string_view s) {
  return s.size() >= 19 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && ParseIso(s).has_value();
}

// The EDM type of a primitive with no hint.
std::string Infer(const Node& v) {
  switch (v.kind) {
    case Node::kBool:
      return "Edm.Boolean";
    case Node::kNumber:
      return v.text.find_first_of(".eE") == std::string::npos ? "Edm.Int32" : "Edm.Double";
    case Node::kString:
      if (LooksLikeGuid(v.text)) return "Edm.Guid";
      if (LooksLikeDate(v.text)) return "Edm.DateTime";
      return "";
    default:
      return "";
  }
}

class Writer {
 public:
  Writer(std::string_view root, std::string_view updated, const AtomTypeHint& hint)
      : root_(root), updated_(updated), hint_(hint) {}

  void Namespaces(std::string& out, bool base) const {
    if (base) {
      out += " xml:base=\"";
      Escape(out, root_);
      out += "\"";
    }
    out += std::string(" xmlns=\"") + kAtomNs + "\" xmlns:d=\"" + kDataNs + "\" xmlns:m=\"" +
           kMetaNs +
           "\" xmlns:georss=\"http://www.georss.org/georss\" xmlns:gml=\"http://www.opengis.net/"
           "gml\"";
  }

  std::string Relative(std::string_view uri) const {
    if (uri.substr(0, root_.size()) == root_) return std::string(uri.substr(root_.size()));
    return std::string(uri);
  }

  // One entity (an object with __metadata) as <entry>; `top` adds namespaces.
  void Entry(std::string& out, const Node& e, bool top, bool typed_hints) const {
    const Node* meta = e.Get("__metadata");
    auto meta_text = [&](const char* key) -> std::string {
      const Node* v = meta ? meta->Get(key) : nullptr;
      return v && v->kind == Node::kString ? v->text : "";
    };
    const std::string id = meta_text("id"), uri = meta_text("uri"), etag = meta_text("etag"),
                      type = meta_text("type");
    out += "<entry";
    if (top) Namespaces(out, true);
    if (!etag.empty()) {
      out += " m:etag=\"";
      Escape(out, etag);
      out += "\"";
    }
    out += "><id>";
    Escape(out, id.empty() ? uri : id);
    out += "</id><category term=\"";
    Escape(out, type);
    out += std::string("\" scheme=\"") + kScheme + "\" />";
    const std::string edit = Relative(uri.empty() ? id : uri);
    if (!uri.empty()) {
      out += "<link rel=\"edit\" href=\"";
      Escape(out, edit);
      out += "\" />";
    }
    std::string props;
    for (size_t i = 0; i < e.keys.size(); ++i) {
      const std::string& key = e.keys[i];
      const Node& v = e.values[i];
      if (key == "__metadata") continue;
      const Node* deferred = v.kind == Node::kObject ? v.Get("__deferred") : nullptr;
      std::string h = typed_hints && hint_ ? hint_(key) : "";
      if (deferred || h == "nav") {
        Link(out, key, edit, v, deferred);
        continue;
      }
      Property(props, key, v, h);
    }
    out += "<title /><updated>";
    out += updated_;
    out += "</updated><author><name /></author><content type=\"application/xml\"><m:properties>";
    out += props;
    out += "</m:properties></content></entry>";
  }

  // A navigation property: a link, with the expanded entity or feed inline.
  void Link(std::string& out, const std::string& name, const std::string& edit, const Node& v,
            const Node* deferred) const {
    const Node* results = v.kind == Node::kObject ? v.Get("results") : nullptr;
    const bool feed = results || (!name.empty() && name.back() == 's' && deferred);
    std::string href =
        deferred && deferred->Get("uri") ? Relative(deferred->Get("uri")->text) : edit + "/" + name;
    out += std::string("<link rel=\"") + kRelated;
    Escape(out, name);
    out += feed ? "\" type=\"application/atom+xml;type=feed\" title=\""
                : "\" type=\"application/atom+xml;type=entry\" title=\"";
    Escape(out, name);
    out += "\" href=\"";
    Escape(out, href);
    if (deferred) {
      out += "\" />";
      return;
    }
    out += "\">";
    if (results) {
      out += "<m:inline><feed><id>";
      Escape(out, href);
      out += "</id><title /><updated>" + updated_ + "</updated>";
      for (const auto& item : results->items) Entry(out, item, false, false);
      out += "</feed></m:inline>";
    } else if (v.kind == Node::kObject) {
      out += "<m:inline>";
      Entry(out, v, false, false);
      out += "</m:inline>";
    } else {
      out += "<m:inline />";
    }
    out += "</link>";
  }

  // <d:Key m:type="…">value</d:Key>, for primitives, complex values and collections.
  void Property(std::string& out, const std::string& key, const Node& v,
                const std::string& hint) const {
    out += "<d:" + key;
    if (v.kind == Node::kNull) {
      out += " m:null=\"true\" />";
      return;
    }
    if (v.kind == Node::kObject) {
      const Node* meta = v.Get("__metadata");
      const Node* type = meta ? meta->Get("type") : nullptr;
      const Node* results = v.Get("results");
      if (type) {
        out += " m:type=\"";
        Escape(out, type->text);
        out += "\"";
      }
      out += ">";
      if (results) {
        for (const auto& item : results->items) Property(out, "element", item, "");
      } else {
        for (size_t i = 0; i < v.keys.size(); ++i)
          if (v.keys[i] != "__metadata") Property(out, v.keys[i], v.values[i], "");
      }
      out += "</d:" + key + ">";
      return;
    }
    if (v.kind == Node::kArray) {
      out += " m:type=\"Collection(Edm.String)\">";
      for (const auto& item : v.items) Property(out, "element", item, "");
      out += "</d:" + key + ">";
      return;
    }
    std::string type = hint.empty() ? Infer(v) : hint;
    if (!type.empty() && type != "Edm.String") {
      out += " m:type=\"" + type + "\"";
    }
    out += ">";
    Escape(out, v.text);
    out += "</d:" + key + ">";
  }

 private:
  std::string root_;
  std::string updated_;
  const AtomTypeHint& hint_;
};

}  // namespace

AtomDocument VerboseToAtom(std::string_view verbose_json, std::string_view service_root,
                           std::string_view updated, const AtomTypeHint& hint) {
  Node doc = Reader(verbose_json).Document();
  const Node* d = doc.Get("d");
  if (!d) throw std::invalid_argument("not a verbose answer");
  Writer w(service_root, updated, hint);
  AtomDocument out;
  out.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
  if (const Node* results = d->Get("results"); results && results->kind == Node::kArray) {
    out.content_type = "application/atom+xml;type=feed;charset=utf-8";
    out.body += "<feed";
    w.Namespaces(out.body, true);
    out.body += "><id>" + MakeGuid(Hash(0xa70, verbose_json), Hash(0xa71, updated)) +
                "</id><title /><updated>" + std::string(updated) + "</updated>";
    for (const auto& e : results->items) w.Entry(out.body, e, false, true);
    if (const Node* next = d->Get("__next"); next && next->kind == Node::kString) {
      out.body += "<link rel=\"next\" href=\"";
      Escape(out.body, next->text);
      out.body += "\" />";
    }
    out.body += "</feed>";
    return out;
  }
  if (d->Get("__metadata")) {
    const Node* meta = d->Get("__metadata");
    if (meta->Get("uri")) {
      out.content_type = "application/atom+xml;type=entry;charset=utf-8";
      w.Entry(out.body, *d, true, true);
      return out;
    }
  }
  // A service operation's result, named by the operation: {"d":{"Recycle":"…"}}
  // or a complex value {"d":{"GetContextWebInformation":{…}}}.
  out.content_type = "application/xml;charset=utf-8";
  if (d->keys.size() == 1) {
    const std::string& name = d->keys.front();
    const Node& value = d->values.front();
    std::string element;
    w.Property(element, name, value, "");
    // The namespaces go on the root element.
    size_t after_name = 3 + name.size();  // "<d:" + name
    out.body += element.substr(0, after_name) + " xmlns:d=\"" + kDataNs + "\" xmlns:m=\"" +
                kMetaNs + "\"" + element.substr(after_name);
    return out;
  }
  std::string props;
  for (size_t i = 0; i < d->keys.size(); ++i) w.Property(props, d->keys[i], d->values[i], "");
  out.body += std::string("<m:properties xmlns:d=\"") + kDataNs + "\" xmlns:m=\"" + kMetaNs +
              "\">" + props + "</m:properties>";
  return out;
}

std::string AtomError(std::string_view code, std::string_view message) {
  std::string out = std::string("<?xml version=\"1.0\" encoding=\"utf-8\"?><m:error xmlns:m=\"") +
                    kMetaNs + "\"><m:code>";
  Escape(out, code);
  out += "</m:code><m:message xml:lang=\"en-US\">";
  Escape(out, message);
  out += "</m:message></m:error>";
  return out;
}

}  // namespace spsync::emulator::detail
