// OData query options as SharePoint understands them for /items and /fields:
// $select, $filter (eq ne lt le gt ge, and/or, parentheses, startswith,
// substringof, year/month/day/hour/minute/second), $orderby, $top,
// $skiptoken, and the next link SharePoint emits.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "odata/query.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

struct Token {
  enum Kind { kIdent, kNumber, kString, kDateTime, kLParen, kRParen, kComma, kEnd } kind;
  std::string text;
};

std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(') {
      out.push_back({Token::kLParen, "("});
      ++i;
    } else if (c == ')') {
      out.push_back({Token::kRParen, ")"});
      ++i;
    } else if (c == ',') {
      out.push_back({Token::kComma, ","});
      ++i;
    } else if (c == '\'') {
      std::string text;
      ++i;
      while (true) {
        if (i >= s.size()) throw std::invalid_argument("unterminated string literal");
        if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            text.push_back('\'');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        text.push_back(s[i++]);
      }
      out.push_back({Token::kString, text});
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < s.size() &&
                std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t start = i++;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      // OData type suffixes (1L, 1.5M, 2d) are accepted and ignored.
      if (i < s.size() && std::strchr("LlMmDdFf", s[i])) ++i;
      out.push_back({Token::kNumber, std::string(s.substr(start, i - start))});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = i;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' ||
                              s[i] == '/' || s[i] == '.'))
        ++i;
      std::string word(s.substr(start, i - start));
      if (IEquals(word, "datetime") && i < s.size() && s[i] == '\'') {
        size_t end = s.find('\'', i + 1);
        if (end == std::string_view::npos) throw std::invalid_argument("unterminated datetime");
        out.push_back({Token::kDateTime, std::string(s.substr(i + 1, end - i - 1))});
        i = end + 1;
      } else {
        out.push_back({Token::kIdent, word});
      }
    } else {
      throw std::invalid_argument(std::string("unexpected character '") + c + "' in $filter");
    }
  }
  out.push_back({Token::kEnd, ""});
  return out;
}

bool IsDateFunction(std::string_view name) {
  for (const char* f : {"year", "month", "day", "hour", "minute", "second"})
    if (IEquals(name, f)) return true;
  return false;
}

// The part of an ISO-8601 UTC value (2024-05-06T07:08:09Z) a date function
// names; nullopt if the value is not a date.
std::optional<double> DatePart(std::string_view function, std::string_view raw) {
  auto text = UnescapeJsonString(raw);
  if (!text) return std::nullopt;
  auto t = ParseIso(*text);
  if (!t) return std::nullopt;
  std::string iso = FormatIso(*t);
  auto number = [&](size_t at, size_t len) { return std::stod(iso.substr(at, len)); };
  if (function == "year") return number(0, 4);
  if (function == "month") return number(5, 2);
  if (function == "day") return number(8, 2);
  if (function == "hour") return number(11, 2);
  if (function == "minute") return number(14, 2);
  return number(17, 2);
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}
  FilterPtr Parse() {
    FilterPtr node = Or();
    if (t_[pos_].kind != Token::kEnd)
      throw std::invalid_argument("unexpected '" + t_[pos_].text + "' in $filter");
    return node;
  }

 private:
  const Token& Next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }
  const Token& Peek() const { return t_[pos_]; }
  bool PeekWord(const char* w) const {
    return Peek().kind == Token::kIdent && IEquals(Peek().text, w);
  }
  void Expect(Token::Kind kind, const char* what) {
    if (Next().kind != kind) throw std::invalid_argument(std::string("expected ") + what);
  }
  FilterPtr Or() {
    FilterPtr left = And();
    while (PeekWord("or")) {
      Next();
      auto node = std::make_shared<FilterNode>();
      node->kind = FilterNode::kOr;
      node->left = left;
      node->right = And();
      left = node;
    }
    return left;
  }
  FilterPtr And() {
    FilterPtr left = Primary();
    while (PeekWord("and")) {
      Next();
      auto node = std::make_shared<FilterNode>();
      node->kind = FilterNode::kAnd;
      node->left = left;
      node->right = Primary();
      left = node;
    }
    return left;
  }
  Literal ParseLiteral() {
    const Token& tok = Next();
    Literal lit;
    switch (tok.kind) {
      case Token::kNumber: {
        lit.kind = Literal::kNumber;
        std::string digits = tok.text;
        if (!digits.empty() && std::isalpha(static_cast<unsigned char>(digits.back())))
          digits.pop_back();
        lit.number = std::strtod(digits.c_str(), nullptr);
        return lit;
      }
      case Token::kString:
        lit.kind = Literal::kString;
        lit.text = tok.text;
        return lit;
      case Token::kDateTime: {
        auto t = ParseIso(tok.text);
        if (!t) throw std::invalid_argument("invalid datetime literal '" + tok.text + "'");
        lit.kind = Literal::kDateTime;
        lit.number = static_cast<double>(*t);
        lit.text = FormatIso(*t);
        return lit;
      }
      case Token::kIdent:
        if (IEquals(tok.text, "null")) return lit;
        if (IEquals(tok.text, "true") || IEquals(tok.text, "false")) {
          lit.kind = Literal::kBool;
          lit.boolean = IEquals(tok.text, "true");
          return lit;
        }
        [[fallthrough]];
      default:
        throw std::invalid_argument("expected a literal, found '" + tok.text + "'");
    }
  }
  FilterPtr Primary() {
    if (Peek().kind == Token::kLParen) {
      Next();
      FilterPtr inner = Or();
      Expect(Token::kRParen, "')'");
      return inner;
    }
    const Token& tok = Next();
    if (tok.kind != Token::kIdent) throw std::invalid_argument("expected a field name in $filter");
    auto node = std::make_shared<FilterNode>();
    if ((IEquals(tok.text, "startswith") || IEquals(tok.text, "substringof")) &&
        Peek().kind == Token::kLParen) {
      bool starts = IEquals(tok.text, "startswith");
      Next();
      node->kind = starts ? FilterNode::kStartsWith : FilterNode::kSubstringOf;
      if (starts) {
        const Token& f = Next();
        if (f.kind != Token::kIdent) throw std::invalid_argument("expected a field name");
        node->field = f.text;
        Expect(Token::kComma, "','");
        node->value = ParseLiteral();
      } else {
        node->value = ParseLiteral();
        Expect(Token::kComma, "','");
        const Token& f = Next();
        if (f.kind != Token::kIdent) throw std::invalid_argument("expected a field name");
        node->field = f.text;
      }
      Expect(Token::kRParen, "')'");
      if (node->value.kind != Literal::kString) throw std::invalid_argument("expected a string");
      return node;
    }
    node->kind = FilterNode::kCompare;
    node->field = tok.text;
    if (IsDateFunction(tok.text) && Peek().kind == Token::kLParen) {
      Next();
      const Token& f = Next();
      if (f.kind != Token::kIdent) throw std::invalid_argument("expected a field name");
      node->function = Lower(tok.text);
      node->field = f.text;
      Expect(Token::kRParen, "')'");
    }
    const Token& op = Next();
    static const char* kOps[] = {"eq", "ne", "lt", "le", "gt", "ge"};
    bool ok = false;
    for (const char* o : kOps)
      if (op.kind == Token::kIdent && IEquals(op.text, o)) ok = true;
    if (!ok) throw std::invalid_argument("unsupported operator '" + op.text + "' in $filter");
    node->op = Lower(op.text);
    node->value = ParseLiteral();
    if (!node->function.empty() && node->value.kind != Literal::kNumber)
      throw std::invalid_argument(node->function + "() compares with a number");
    return node;
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
};

template <typename T>
bool Compare(const std::string& op, const T& a, const T& b) {
  if (op == "eq") return a == b;
  if (op == "ne") return !(a == b);
  if (op == "lt") return a < b;
  if (op == "le") return a < b || a == b;
  if (op == "gt") return b < a;
  return b < a || a == b;
}

Intervals Normalize(Intervals v) {
  std::sort(v.begin(), v.end());
  Intervals out;
  for (auto& iv : v) {
    if (iv.first > iv.second) continue;
    if (!out.empty() && iv.first <= out.back().second + 1)
      out.back().second = std::max(out.back().second, iv.second);
    else
      out.push_back(iv);
  }
  return out;
}

}  // namespace

FilterPtr ParseFilter(std::string_view text) {
  return Parser(Tokenize(text)).Parse();
}

bool EvalFilter(const FilterNode& n, const FieldLookup& lookup) {
  switch (n.kind) {
    case FilterNode::kAnd:
      return EvalFilter(*n.left, lookup) && EvalFilter(*n.right, lookup);
    case FilterNode::kOr:
      return EvalFilter(*n.left, lookup) || EvalFilter(*n.right, lookup);
    default:
      break;
  }
  auto raw_opt = lookup(n.field);
  if (!raw_opt) throw std::out_of_range(n.field);
  std::string_view raw = *raw_opt;
  if (n.kind == FilterNode::kStartsWith || n.kind == FilterNode::kSubstringOf) {
    auto s = UnescapeJsonString(raw);
    if (!s) return false;
    return n.kind == FilterNode::kStartsWith ? s->rfind(n.value.text, 0) == 0
                                             : s->find(n.value.text) != std::string::npos;
  }
  const Literal& lit = n.value;
  if (!n.function.empty()) {
    // A null date has no parts: no comparison holds for it [unconfirmed for ne].
    auto part = DatePart(n.function, raw);
    return part && Compare(n.op, *part, lit.number);
  }
  if (lit.kind == Literal::kNull) {
    if (n.op == "eq") return raw == "null";
    if (n.op == "ne") return raw != "null";
    return false;
  }
  if (raw == "null") return n.op == "ne";
  switch (lit.kind) {
    case Literal::kNumber:
    case Literal::kBool: {
      double v;
      if (raw == "true" || raw == "false")
        v = raw == "true" ? 1 : 0;
      else if (raw.front() == '"')
        return false;
      else
        v = std::strtod(std::string(raw).c_str(), nullptr);
      double l = lit.kind == Literal::kBool ? (lit.boolean ? 1 : 0) : lit.number;
      return Compare(n.op, v, l);
    }
    case Literal::kString: {
      auto s = UnescapeJsonString(raw);
      if (!s) return Compare(n.op, std::string(raw), lit.text);
      return Compare(n.op, *s, lit.text);
    }
    case Literal::kDateTime: {
      auto s = UnescapeJsonString(raw);
      if (!s) return false;
      auto t = ParseIso(*s);
      if (!t) return false;
      return Compare(n.op, static_cast<double>(*t), lit.number);
    }
    default:
      return false;
  }
}

void FilterFields(const FilterNode& n, std::vector<std::string>& out) {
  if (n.kind == FilterNode::kAnd || n.kind == FilterNode::kOr) {
    FilterFields(*n.left, out);
    FilterFields(*n.right, out);
  } else {
    out.push_back(n.field);
  }
}

const FilterNode* FirstLeaf(const FilterNode& n) {
  if (n.kind == FilterNode::kAnd || n.kind == FilterNode::kOr) return FirstLeaf(*n.left);
  return &n;
}

Intervals IdCandidates(const FilterNode& n, int64_t max_id) {
  Intervals all{{1, max_id}};
  if (n.kind == FilterNode::kOr) {
    Intervals a = IdCandidates(*n.left, max_id), b = IdCandidates(*n.right, max_id);
    a.insert(a.end(), b.begin(), b.end());
    return Normalize(std::move(a));
  }
  if (n.kind == FilterNode::kAnd) {
    Intervals a = IdCandidates(*n.left, max_id), b = IdCandidates(*n.right, max_id), out;
    for (auto& x : a)
      for (auto& y : b) {
        int64_t lo = std::max(x.first, y.first), hi = std::min(x.second, y.second);
        if (lo <= hi) out.emplace_back(lo, hi);
      }
    return Normalize(std::move(out));
  }
  if (n.kind != FilterNode::kCompare || !n.function.empty() || !IEquals(n.field, "ID") ||
      n.value.kind != Literal::kNumber)
    return all;
  double v = n.value.number;
  auto fl = static_cast<int64_t>(std::floor(v)), ce = static_cast<int64_t>(std::ceil(v));
  Intervals out;
  if (n.op == "eq") {
    if (fl == ce) out.emplace_back(fl, fl);
  } else if (n.op == "ne") {
    out.emplace_back(1, ce - 1);
    out.emplace_back(fl + 1, max_id);
  } else if (n.op == "lt") {
    out.emplace_back(1, ce - 1);
  } else if (n.op == "le") {
    out.emplace_back(1, fl);
  } else if (n.op == "gt") {
    out.emplace_back(fl + 1, max_id);
  } else {
    out.emplace_back(ce, max_id);
  }
  for (auto& iv : out) {
    iv.first = std::max<int64_t>(iv.first, 1);
    iv.second = std::min(iv.second, max_id);
  }
  return Normalize(std::move(out));
}

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(start, end - start);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front())))
      part.remove_prefix(1);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back())))
      part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

QueryOptions ParseQueryOptions(std::string_view raw) {
  QueryOptions q;
  std::string pending_skiptoken;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view part = raw.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = UrlDecode(part.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : UrlDecode(part.substr(eq + 1), true);
    if (IEquals(key, "$select")) {
      q.select_text = value;
      q.select = SplitList(value);
    } else if (IEquals(key, "$filter")) {
      q.filter_text = value;
      if (!value.empty()) q.filter = ParseFilter(value);
    } else if (IEquals(key, "$orderby")) {
      q.orderby_text = value;
      auto parts = SplitList(value);
      if (!parts.empty()) {
        std::string first = parts[0];
        size_t sp = first.find(' ');
        q.orderby_field = first.substr(0, sp);
        if (sp != std::string::npos) {
          std::string dir = first.substr(sp + 1);
          while (!dir.empty() && dir.front() == ' ') dir.erase(0, 1);
          if (IEquals(dir, "desc"))
            q.orderby_desc = true;
          else if (!IEquals(dir, "asc"))
            throw std::invalid_argument("invalid $orderby direction '" + dir + "'");
        }
      }
    } else if (IEquals(key, "$top")) {
      char* endp = nullptr;
      long long top = std::strtoll(value.c_str(), &endp, 10);
      if (value.empty() || *endp || top < 0)
        throw std::invalid_argument("The value '" + value + "' is not a valid $top.");
      q.top_text = value;
      q.has_top = true;
      q.top = top;
    } else if (IEquals(key, "$skiptoken")) {
      pending_skiptoken = value;
    } else if (IEquals(key, "$expand")) {
      q.expand_text = value;
    } else if (IStartsWith(key, "p_") || IEquals(key, "PagedPrev") || IEquals(key, "Paged")) {
      // A client that did not encode its token split it into separate parameters.
      pending_skiptoken += "&" + key + "=" + value;
    } else if (key == "$skip") {
      // SharePoint ignores $skip on items.
    } else {
      q.other.emplace_back(key, value);
    }
  }
  if (!pending_skiptoken.empty()) q.skiptoken = ParsePagingToken(pending_skiptoken);
  return q;
}

std::string NextLink(std::string_view base, const QueryOptions& q, std::string_view sort_field,
                     std::string_view last_sort_value, int64_t last_id) {
  std::string token = FormatPagingToken(sort_field, last_sort_value, last_id);
  std::string url(base);
  url += "?%24skiptoken=" + UrlEncodeDotNet(token);
  auto add = [&](const char* name, const std::string& value, bool present) {
    if (!present) return;
    url += "&%24";
    url += name;
    url += "=" + UrlEncodeDotNet(value);
  };
  add("expand", q.expand_text, !q.expand_text.empty());
  add("filter", q.filter_text, !q.filter_text.empty());
  add("orderby", q.orderby_text, !q.orderby_text.empty());
  add("select", q.select_text, !q.select_text.empty());
  add("top", q.top_text, q.has_top);
  for (const auto& [k, v] : q.other) url += "&" + UrlEncodeDotNet(k) + "=" + UrlEncodeDotNet(v);
  return url;
}

}  // namespace spsync::emulator::detail
