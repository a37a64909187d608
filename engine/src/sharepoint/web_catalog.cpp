#include "spsync/engine/sharepoint/web_catalog.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>

namespace spsync::engine {

namespace {

Poco::JSON::Array::Ptr ValueArray(const std::string& body, const char* what) {
  Poco::JSON::Object::Ptr o;
  try {
    Poco::JSON::Parser parser;
    o = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    throw MalformedBody(std::string(what) + " is not JSON: " + e.what());
  }
  if (o.isNull() || o->getArray("value").isNull())
    throw MalformedBody(std::string(what) + " without a value array");
  return o->getArray("value");
}

std::string Text(const Poco::JSON::Object::Ptr& o, const char* key) {
  if (!o->has(key) || o->isNull(key)) return "";
  return o->get(key).toString();
}

}  // namespace

std::vector<WebSummary> ReadSubwebs(SharePointClient& web, const Deadline& deadline) {
  std::string url = web.site_url() + "/_api/web/webs?%24select=Id,Title,Url,ServerRelativeUrl";
  std::vector<WebSummary> out;
  web.Get(url, "reading the subwebs of " + web.site_url(), deadline, [&](HttpResponse& r) {
    out.clear();
    auto arr = ValueArray(r.body, "the subwebs collection");
    for (size_t i = 0; i < arr->size(); ++i) {
      auto w = arr->getObject(static_cast<unsigned>(i));
      if (w.isNull()) throw MalformedBody("a subweb that is not an object");
      WebSummary s;
      s.id = Poco::toLower(Text(w, "Id"));
      s.title = Text(w, "Title");
      s.url = Text(w, "Url");
      s.server_relative_url = Text(w, "ServerRelativeUrl");
      while (!s.url.empty() && s.url.back() == '/') s.url.pop_back();
      // Only a web on the site's own host is followed with its credentials.
      if (s.url.empty() || !web.SameOrigin(s.url))
        throw MalformedBody("a subweb URL that is not on the site's host: " + s.url.substr(0, 80));
      out.push_back(std::move(s));
    }
  });
  return out;
}

std::vector<ListSummary> ReadLists(SharePointClient& web, const Deadline& deadline) {
  std::string url = web.site_url() +
                    "/_api/web/lists?%24select=Id,Title,BaseTemplate,Hidden,IsSystemList,ItemCount,"
                    "LastItemModifiedDate,LastItemDeletedDate,RootFolder%2fServerRelativeUrl"
                    "&%24expand=RootFolder";
  std::vector<ListSummary> out;
  web.Get(url, "reading the lists of " + web.site_url(), deadline, [&](HttpResponse& r) {
    out.clear();
    auto arr = ValueArray(r.body, "the lists collection");
    for (size_t i = 0; i < arr->size(); ++i) {
      auto l = arr->getObject(static_cast<unsigned>(i));
      if (l.isNull()) throw MalformedBody("a list that is not an object");
      ListSummary s;
      s.id = Poco::toLower(Text(l, "Id"));
      if (s.id.empty()) throw MalformedBody("a list without Id");
      s.title = Text(l, "Title");
      s.base_template = l->optValue<int>("BaseTemplate", 100);
      s.hidden = l->optValue<bool>("Hidden", false);
      s.system = l->optValue<bool>("IsSystemList", false);
      s.item_count = l->optValue<int64_t>("ItemCount", 0);
      s.last_modified = Text(l, "LastItemModifiedDate");
      s.last_deleted = Text(l, "LastItemDeletedDate");
      if (auto root = l->getObject("RootFolder"); !root.isNull())
        s.server_relative_url = Text(root, "ServerRelativeUrl");
      out.push_back(std::move(s));
    }
  });
  return out;
}

}  // namespace spsync::engine
