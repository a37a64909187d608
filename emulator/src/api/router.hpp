// The route table: every SharePoint area registers its URL patterns here
// (api/routes.cpp lists the areas), and the front end asks it which route a
// request takes before it counts, authenticates and fault-injects it.
//
// A pattern is the path after "{web}/_api/", matched case-insensitively, with
// placeholders:
//   {list}  a list address: web/lists/getbytitle('T'), web/lists(guid'G'),
//           web/lists('G'), web/lists/getbyid('G'), web/getlist('/url') or
//           web/getlist(@alias) with @alias='/url' in the query
//   {id}    a decimal integer
//   {str}   a single-quoted OData string, optionally prefixed by guid
// One trailing slash is accepted after any pattern.
//
// RouteTable is immutable once built, so it is shared by every thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/list_address.hpp"
#include "api/request.hpp"
#include "impl.hpp"
#include "odata/query.hpp"

namespace spsync::emulator::detail {

// What the placeholders of a matched pattern captured, in pattern order.
struct Captures {
  ListAddress list;  // {list}; by == kNone without one
  std::vector<int64_t> ids;
  std::vector<std::string> strings;
};

// How a handler uses the shared state; the router takes Impl::mu accordingly
// (and resolves {list} under it) before the handler runs. With kNone the
// handler takes Impl::mu itself, and resolves {list} itself (Call::list is
// nullptr): for handlers that wait on something else, such as the webhook
// validation handshake, without holding the lock.
enum class Access { kNone, kShared, kExclusive };

// Everything a handler gets. `web` is the web the URL names ({web}/_api/...),
// `list` the resolved {list} in it (or nullptr); the handler may use them,
// and the shared state, only while the call lasts.
struct Call {
  Emulator::Impl& impl;
  const Request& req;
  const QueryOptions& q;
  const Captures& captures;
  WebState& web;
  ListState* list;
  std::string WebUrl() const { return impl.WebUrl(web); }  // absolute
};

using RouteHandler = Reply (*)(Call& call);

class RouteTable {
 public:
  // methods: space-separated, e.g. "GET" or "MERGE PATCH PUT".
  void Add(std::string_view methods, std::string_view pattern, RequestKind kind, Access access,
           RouteHandler handler);

  struct Route;
  struct Match {
    const Route* route = nullptr;  // nullptr: no route for this path and method
    bool path_known = false;       // some route has this path (another method: 405)
    RequestKind kind = RequestKind::kOther;
    Captures captures;
  };
  // `aliases` are the query's @name=value pairs (values decoded), for GetList(@a).
  Match Find(std::string_view path, std::string_view method,
             const std::vector<std::pair<std::string, std::string>>& aliases) const;

  struct Piece {
    enum Kind { kLiteral, kList, kId, kString } kind;
    std::string text;
  };
  struct Route {
    std::vector<std::string> methods;
    std::vector<Piece> pattern;
    RequestKind kind;
    Access access;
    RouteHandler handler;
  };

 private:
  std::vector<Route> routes_;
};

// The @name=value aliases of a raw query (values decoded), for Find.
std::vector<std::pair<std::string, std::string>> QueryAliases(std::string_view raw_query);

// Runs a found route on `web`: parses the query options, takes the lock,
// resolves the list and calls the handler; every error becomes SharePoint's
// error reply.
Reply Serve(Emulator::Impl& impl, WebState& web, const RouteTable::Match& match,
            const Request& req);

// The table of every area (built once).
const RouteTable& ApiRoutes();

}  // namespace spsync::emulator::detail
