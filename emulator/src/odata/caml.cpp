// CAML for POST .../GetItems: a small XML reader and the View/Query subset a
// sync client uses (<In> on ID, comparisons, And/Or, OrderBy, RowLimit) plus
// ListItemCollectionPosition paging.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cctype>
#include <cstdlib>

#include "odata/caml.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

struct XNode {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::vector<XNode> children;
  std::string text;
  std::string Attr(std::string_view n) const {
    for (const auto& [k, v] : attrs)
      if (IEquals(k, n)) return v;
    return "";
  }
  const XNode* Child(std::string_view n) const {
    for (const auto& c : children)
      if (IEquals(c.name, n)) return &c;
    return nullptr;
  }
};

RestError CamlError(const std::string& what) {
  return RestError(400, "-2130575340, Microsoft.SharePoint.SPException",
                   "Cannot complete this action.\n\nPlease try again. (" + what + ")");
}

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) throw CamlError("bad entity");
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out.push_back('&');
    else if (ent == "lt")
      out.push_back('<');
    else if (ent == "gt")
      out.push_back('>');
    else if (ent == "quot")
      out.push_back('"');
    else if (ent == "apos")
      out.push_back('\'');
    else if (!ent.empty() && ent[0] == '#')
      out.push_back(static_cast<char>(std::atoi(std::string(ent.substr(1)).c_str())));
    else
      throw CamlError("bad entity");
    i = semi;
  }
  return out;
}

class XmlReader {
 public:
  explicit XmlReader(std::string_view s) : s_(s) {}
  XNode ParseDocument() {
    SkipMisc();
    XNode root = Element();
    return root;
  }

 private:
  void SkipWs() {
    while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
  }
  void SkipMisc() {
    while (true) {
      SkipWs();
      if (s_.compare(p_, 2, "<?") == 0) {
        p_ = s_.find("?>", p_);
        if (p_ == std::string_view::npos) throw CamlError("bad XML");
        p_ += 2;
      } else if (s_.compare(p_, 4, "<!--") == 0) {
        p_ = s_.find("-->", p_);
        if (p_ == std::string_view::npos) throw CamlError("bad XML");
        p_ += 3;
      } else {
        return;
      }
    }
  }
  std::string Name() {
    size_t start = p_;
    while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '_' ||
                              s_[p_] == ':' || s_[p_] == '-' || s_[p_] == '.'))
      ++p_;
    if (start == p_) throw CamlError("bad XML name");
    return std::string(s_.substr(start, p_ - start));
  }
  XNode Element() {
    if (p_ >= s_.size() || s_[p_] != '<') throw CamlError("expected an element");
    ++p_;
    XNode node;
    node.name = Name();
    while (true) {
      SkipWs();
      if (p_ >= s_.size()) throw CamlError("unterminated element");
      if (s_[p_] == '/') {
        if (s_.compare(p_, 2, "/>") != 0) throw CamlError("bad XML");
        p_ += 2;
        return node;
      }
      if (s_[p_] == '>') {
        ++p_;
        break;
      }
      std::string key = Name();
      SkipWs();
      if (p_ >= s_.size() || s_[p_] != '=') throw CamlError("bad attribute");
      ++p_;
      SkipWs();
      char q = p_ < s_.size() ? s_[p_] : 0;
      if (q != '\'' && q != '"') throw CamlError("bad attribute");
      size_t end = s_.find(q, p_ + 1);
      if (end == std::string_view::npos) throw CamlError("bad attribute");
      node.attrs.emplace_back(key, Unescape(s_.substr(p_ + 1, end - p_ - 1)));
      p_ = end + 1;
    }
    while (true) {
      size_t lt = s_.find('<', p_);
      if (lt == std::string_view::npos) throw CamlError("unterminated element");
      node.text += Unescape(s_.substr(p_, lt - p_));
      p_ = lt;
      if (s_.compare(p_, 2, "</") == 0) {
        p_ += 2;
        std::string closing = Name();
        if (closing != node.name) throw CamlError("mismatched </" + closing + ">");
        SkipWs();
        if (p_ >= s_.size() || s_[p_] != '>') throw CamlError("bad closing tag");
        ++p_;
        return node;
      }
      if (s_.compare(p_, 4, "<!--") == 0) {
        SkipMisc();
        continue;
      }
      node.children.push_back(Element());
    }
  }

  std::string_view s_;
  size_t p_ = 0;
};

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

Literal ValueLiteral(const XNode& value) {
  std::string type = value.Attr("Type");
  std::string text = Trim(value.text);
  Literal lit;
  if (IEquals(type, "Counter") || IEquals(type, "Integer") || IEquals(type, "Number") ||
      IEquals(type, "Currency") || IEquals(type, "Lookup") || IEquals(type, "User")) {
    char* end = nullptr;
    lit.kind = Literal::kNumber;
    lit.number = std::strtod(text.c_str(), &end);
    if (text.empty() || *end) throw CamlError("invalid number '" + text + "'");
  } else if (IEquals(type, "DateTime")) {
    auto t = ParseIso(text);
    if (!t) throw CamlError("invalid DateTime '" + text + "'");
    lit.kind = Literal::kDateTime;
    lit.number = static_cast<double>(*t);
    lit.text = FormatIso(*t);
  } else if (IEquals(type, "Boolean")) {
    lit.kind = Literal::kBool;
    lit.boolean = text == "1" || IEquals(text, "true");
  } else {
    lit.kind = Literal::kString;
    lit.text = text;
  }
  return lit;
}

FilterPtr Combine(FilterNode::Kind kind, FilterPtr a, FilterPtr b) {
  auto n = std::make_shared<FilterNode>();
  n->kind = kind;
  n->left = std::move(a);
  n->right = std::move(b);
  return n;
}

FilterPtr Condition(const XNode& node) {
  if (IEquals(node.name, "And") || IEquals(node.name, "Or")) {
    if (node.children.size() < 2) throw CamlError("<" + node.name + "> needs two conditions");
    FilterPtr acc = Condition(node.children[0]);
    for (size_t i = 1; i < node.children.size(); ++i)
      acc = Combine(IEquals(node.name, "And") ? FilterNode::kAnd : FilterNode::kOr, acc,
                    Condition(node.children[i]));
    return acc;
  }
  const XNode* ref = node.Child("FieldRef");
  if (!ref || ref->Attr("Name").empty()) throw CamlError("<" + node.name + "> without FieldRef");
  std::string field = ref->Attr("Name");
  if (IEquals(ref->Attr("LookupId"), "TRUE")) field += "Id";
  auto leaf = [&](const char* op, Literal lit) {
    auto n = std::make_shared<FilterNode>();
    n->kind = FilterNode::kCompare;
    n->field = field;
    n->op = op;
    n->value = std::move(lit);
    return n;
  };
  if (IEquals(node.name, "In")) {
    const XNode* values = node.Child("Values");
    if (!values || values->children.empty()) throw CamlError("<In> without Values");
    FilterPtr acc;
    for (const auto& v : values->children)
      acc = acc ? Combine(FilterNode::kOr, acc, leaf("eq", ValueLiteral(v)))
                : leaf("eq", ValueLiteral(v));
    return acc;
  }
  if (IEquals(node.name, "IsNull")) return leaf("eq", Literal{});
  if (IEquals(node.name, "IsNotNull")) return leaf("ne", Literal{});
  static const std::pair<const char*, const char*> kOps[] = {
      {"Eq", "eq"}, {"Neq", "ne"}, {"Lt", "lt"}, {"Leq", "le"}, {"Gt", "gt"}, {"Geq", "ge"}};
  for (const auto& [caml, op] : kOps) {
    if (!IEquals(node.name, caml)) continue;
    const XNode* value = node.Child("Value");
    if (!value) throw CamlError("<" + node.name + "> without Value");
    return leaf(op, ValueLiteral(*value));
  }
  if (IEquals(node.name, "BeginsWith") || IEquals(node.name, "Contains")) {
    const XNode* value = node.Child("Value");
    if (!value) throw CamlError("<" + node.name + "> without Value");
    auto n = std::make_shared<FilterNode>();
    n->kind = IEquals(node.name, "BeginsWith") ? FilterNode::kStartsWith : FilterNode::kSubstringOf;
    n->field = field;
    n->value.kind = Literal::kString;
    n->value.text = Trim(value->text);
    return n;
  }
  throw CamlError("unsupported CAML element <" + node.name + ">");
}

}  // namespace

CamlQuery ParseCamlBody(std::string_view body, bool verbose_content_type) {
  Poco::JSON::Object::Ptr root;
  try {
    root = Poco::JSON::Parser().parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Invalid JSON. A token was not recognized in the JSON content.");
  }
  if (!root->has("query") || root->get("query").type() != typeid(Poco::JSON::Object::Ptr))
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "The parameter query does not exist in method GetItems.");
  auto query = root->getObject("query");
  if (query->has("__metadata") && !verbose_content_type)
    throw RestError(400, "-1, Microsoft.Data.OData.ODataException",
                    "The property '__metadata' does not exist on type 'SP.CamlQuery'. Make sure to "
                    "only use property names that are defined by the type.");
  CamlQuery q;
  std::string view_xml = query->optValue<std::string>("ViewXml", "");
  if (query->has("ListItemCollectionPosition") &&
      query->get("ListItemCollectionPosition").type() == typeid(Poco::JSON::Object::Ptr)) {
    std::string paging =
        query->getObject("ListItemCollectionPosition")->optValue<std::string>("PagingInfo", "");
    if (!paging.empty()) q.position = ParsePagingToken(paging);
  }
  if (Trim(view_xml).empty()) return q;
  XNode view = XmlReader(view_xml).ParseDocument();
  if (!IEquals(view.name, "View")) throw CamlError("ViewXml must be a <View>");
  if (const XNode* rl = view.Child("RowLimit")) {
    std::string t = Trim(rl->text);
    char* end = nullptr;
    q.row_limit = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end || q.row_limit < 0) throw CamlError("invalid RowLimit");
  }
  if (view.Child("Aggregations")) q.aggregations = true;
  if (const XNode* query_node = view.Child("Query")) {
    if (query_node->Child("GroupBy")) q.group_by = true;
    if (const XNode* where = query_node->Child("Where")) {
      if (where->children.size() != 1) throw CamlError("<Where> needs one condition");
      q.where = Condition(where->children[0]);
    }
    if (const XNode* order = query_node->Child("OrderBy")) {
      if (const XNode* ref = order->Child("FieldRef")) {
        q.orderby_field = ref->Attr("Name");
        q.orderby_desc = IEquals(ref->Attr("Ascending"), "FALSE");
      }
    }
  }
  return q;
}

}  // namespace spsync::emulator::detail
