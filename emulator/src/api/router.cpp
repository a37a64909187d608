// Route matching and the common part of serving a route: query options,
// locking, list resolution, and SharePoint's error replies.
#include "api/router.hpp"

#include <mutex>
#include <shared_mutex>

#include "api/path_cursor.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

bool MatchPattern(const std::vector<RouteTable::Piece>& pattern, std::string_view path,
                  const std::vector<std::pair<std::string, std::string>>& aliases, Captures& out) {
  out = Captures{};
  PathCursor c{path};
  for (const auto& piece : pattern) {
    switch (piece.kind) {
      case RouteTable::Piece::kLiteral:
        if (!c.Eat(piece.text)) return false;
        break;
      case RouteTable::Piece::kList:
        if (!ParseListAddress(c, aliases, out.list)) return false;
        break;
      case RouteTable::Piece::kId: {
        size_t start = c.p;
        while (c.p < path.size() && path[c.p] >= '0' && path[c.p] <= '9') ++c.p;
        if (c.p == start || c.p - start > 18) return false;
        out.ids.push_back(std::stoll(std::string(path.substr(start, c.p - start))));
        break;
      }
      case RouteTable::Piece::kString: {
        c.Eat("guid");
        std::string s;
        if (!c.Quoted(s)) return false;
        out.strings.push_back(std::move(s));
        break;
      }
    }
  }
  return c.End();
}

bool HasMethod(const RouteTable::Route& r, std::string_view method) {
  for (const auto& m : r.methods)
    if (m == method) return true;
  return false;
}

}  // namespace

Reply ErrorReply(const Negotiated& fmt, int status, std::string_view code,
                 std::string_view message) {
  Reply r;
  r.status = status;
  r.content_type = fmt.atom ? "application/xml;charset=utf-8" : ContentTypeFor(fmt);
  r.body = ErrorBody(fmt, code, message);
  return r;
}

void RouteTable::Add(std::string_view methods, std::string_view pattern, RequestKind kind,
                     Access access, RouteHandler handler) {
  Route r{{}, {}, kind, access, handler};
  for (size_t start = 0; start < methods.size();) {
    size_t end = methods.find(' ', start);
    if (end == std::string_view::npos) end = methods.size();
    if (end > start) r.methods.emplace_back(methods.substr(start, end - start));
    start = end + 1;
  }
  static const std::pair<const char*, Piece::Kind> kPlaceholders[] = {
      {"{list}", Piece::kList}, {"{id}", Piece::kId}, {"{str}", Piece::kString}};
  std::string literal;
  for (size_t i = 0; i < pattern.size();) {
    bool placeholder = false;
    for (const auto& [name, kind_of] : kPlaceholders) {
      if (pattern.substr(i).rfind(name, 0) != 0) continue;
      if (!literal.empty()) r.pattern.push_back({Piece::kLiteral, std::move(literal)});
      literal.clear();
      r.pattern.push_back({kind_of, ""});
      i += std::string_view(name).size();
      placeholder = true;
      break;
    }
    if (!placeholder) literal.push_back(pattern[i++]);
  }
  if (!literal.empty()) r.pattern.push_back({Piece::kLiteral, std::move(literal)});
  routes_.push_back(std::move(r));
}

RouteTable::Match RouteTable::Find(
    std::string_view path, std::string_view method,
    const std::vector<std::pair<std::string, std::string>>& aliases) const {
  Match m;
  const Route* other_method = nullptr;
  Captures captures;
  for (const auto& r : routes_) {
    if (!MatchPattern(r.pattern, path, aliases, captures)) continue;
    if (HasMethod(r, method)) {
      m.route = &r;
      m.path_known = true;
      m.kind = r.kind;
      m.captures = std::move(captures);
      return m;
    }
    // For the counters, a refused method counts as a read or a write like a
    // route of this path that reads or writes as it would.
    const bool wants_read = method == "GET";
    if (!other_method ||
        (HasMethod(r, "GET") == wants_read && HasMethod(*other_method, "GET") != wants_read))
      other_method = &r;
  }
  if (other_method) {
    m.path_known = true;
    m.kind = other_method->kind;
  }
  return m;
}

std::vector<std::pair<std::string, std::string>> QueryAliases(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> aliases;
  for (size_t start = 0; start < raw_query.size();) {
    size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    std::string_view part = raw_query.substr(start, end - start);
    size_t eq = part.find('=');
    if (!part.empty() && part[0] == '@' && eq != std::string_view::npos)
      aliases.emplace_back(part.substr(0, eq), UrlDecode(part.substr(eq + 1), true));
    start = end + 1;
  }
  return aliases;
}

Reply Serve(Emulator::Impl& impl, WebState& web, const RouteTable::Match& match,
            const Request& req) {
  Reply reply;
  try {
    QueryOptions q = ParseQueryOptions(req.raw_query);
    if (!match.route)
      throw RestError(405, "-1, System.NotSupportedException",
                      "The HTTP method '" + req.method + "' is not allowed here.");
    const RouteTable::Route& route = *match.route;
    std::shared_lock<std::shared_mutex> read_lock(impl.mu, std::defer_lock);
    std::unique_lock<std::shared_mutex> write_lock(impl.mu, std::defer_lock);
    if (route.access == Access::kShared) read_lock.lock();
    if (route.access == Access::kExclusive) write_lock.lock();
    ListState* list = match.captures.list.by == ListAddress::kNone || route.access == Access::kNone
                          ? nullptr
                          : &ResolveList(impl, web, match.captures.list);
    Call call{impl, req, q, match.captures, web, list};
    reply = route.handler(call);
    if (req.fmt.atom && reply.content_type.empty() && !reply.body.empty()) {
      // Converted while the lock is held: hints may read the list.
      AtomDocument atom = VerboseToAtom(reply.body, impl.WebUrl(web) + "/_api/",
                                        FormatIso(impl.NowUnix()), reply.atom_hint);
      reply.body = std::move(atom.body);
      reply.content_type = std::move(atom.content_type);
    }
  } catch (const RestError& e) {
    reply = ErrorReply(req.fmt, e.status, e.code, e.what());
  } catch (const std::out_of_range&) {
    reply = ErrorReply(req.fmt, 404, "-2130575338, Microsoft.SharePoint.SPException",
                       "Item does not exist. It may have been deleted by another user.");
  } catch (const std::invalid_argument& e) {
    reply = ErrorReply(req.fmt, 400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                       e.what());
  }
  if (reply.content_type.empty()) reply.content_type = ContentTypeFor(req.fmt);
  return reply;
}

}  // namespace spsync::emulator::detail
