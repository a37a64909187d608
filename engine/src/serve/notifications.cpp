#include "spsync/engine/serve/notifications.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <stdexcept>

namespace spsync::engine::serve {

namespace {

std::string Lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string Text(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (!o->has(key) || o->isNull(key)) return "";
  return o->get(key).convert<std::string>();
}

}  // namespace

std::vector<Notification> ParseNotifications(std::string_view body) {
  Poco::Dynamic::Var root;
  try {
    Poco::JSON::Parser parser;
    root = parser.parse(std::string(body));
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("not JSON: ") + e.what());
  }
  auto obj = root.type() == typeid(Poco::JSON::Object::Ptr)
                 ? root.extract<Poco::JSON::Object::Ptr>()
                 : nullptr;
  if (!obj || !obj->isArray("value"))
    throw std::invalid_argument("no \"value\" array of notifications");
  auto arr = obj->getArray("value");
  std::vector<Notification> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto e = arr->getObject(static_cast<unsigned>(i));
    if (!e) throw std::invalid_argument("notification " + std::to_string(i) + " is not an object");
    Notification n;
    n.subscription_id = Lower(Text(e, "subscriptionId"));
    n.client_state = Text(e, "clientState");
    n.resource = Lower(Text(e, "resource"));
    n.site_url = Text(e, "siteUrl");
    n.web_id = Lower(Text(e, "webId"));
    n.expiration = Text(e, "expirationDateTime");
    out.push_back(std::move(n));
  }
  return out;
}

bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

}  // namespace spsync::engine::serve
