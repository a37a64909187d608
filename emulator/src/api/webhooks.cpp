// List webhooks over REST (sharepoint-rest.md section 9):
//   POST   {list}/subscriptions             create (validation handshake first), 201
//   GET    {list}/subscriptions             {"value":[...]}
//   GET    {list}/subscriptions('{id}')     one
//   PATCH  {list}/subscriptions('{id}')     expirationDateTime, notificationUrl, clientState; 204
//   DELETE {list}/subscriptions('{id}')     204
// The handlers take Impl::mu only to resolve the list (Access::kNone): the
// handshake waits on the receiver for up to the validation timeout, and
// must not hold up every other request meanwhile. The subscriptions live in
// the WebhookHub (model/webhook_hub.hpp), which delivers the notifications.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <mutex>
#include <shared_mutex>

#include "api/areas.hpp"
#include "model/webhook_client.hpp"
#include "model/webhook_hub.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

constexpr int64_t kMaxLifetime = 180 * 86400;  // [doc] 180 days
constexpr int64_t kGrace = 90 * 60;            // [obs PnP-Sites-Core] about 90 minutes
constexpr const char* kType = "Microsoft.SharePoint.Webhooks.Subscription";

// What a subscription needs to know of its list, read under Impl::mu.
struct ListFacts {
  std::string list_id, web_id, site_url;
};

ListFacts Facts(const Call& c) {
  std::shared_lock lock(c.impl.mu);
  const ListState& l = ResolveList(c.impl, c.web, c.captures.list);
  return {l.id(), c.web.id, c.web.site->url};
}

// The members a create or update body may carry (all optional here; each
// handler says which it requires).
struct Body {
  std::optional<std::string> resource, notification_url, expiration, client_state;
};

Body ParseBody(const Call& c) {
  Poco::JSON::Object::Ptr obj;
  try {
    obj = Poco::JSON::Parser().parse(c.req.body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
  }
  if (!obj)
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Invalid JSON. A token was not recognized in the JSON content.");
  Body b;
  for (const auto& [key, value] : *obj) {
    std::optional<std::string>* slot = key == "resource"             ? &b.resource
                                       : key == "notificationUrl"    ? &b.notification_url
                                       : key == "expirationDateTime" ? &b.expiration
                                       : key == "clientState"        ? &b.client_state
                                                                     : nullptr;
    if (key == "__metadata" && c.req.verbose_body) continue;
    // [guess: wording and type name] as SharePoint words unknown properties (section 1.5).
    if (!slot)
      throw RestError(400, "-1, Microsoft.Data.OData.ODataException",
                      "The property '" + key + "' does not exist on type '" + kType +
                          "'. Make sure to only use property names that are defined by the type.");
    if (value.isEmpty()) continue;  // null: as if absent [guess]
    if (!value.isString())
      throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                      "Cannot convert a primitive value to the expected type 'Edm.String'.");
    *slot = value.extract<std::string>();
  }
  return b;
}

// The expiration as SharePoint checks it: in the future, within 180 days
// (plus its grace). Unix seconds.
int64_t CheckExpiration(const std::string& text, int64_t now) {
  std::optional<int64_t> t = ParseIso(text);
  if (!t)  // [guess: wording]
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Cannot convert a primitive value to the expected type 'Edm.DateTime'. "
                    "See the inner exception for more details.");
  if (*t <= now || *t > now + kMaxLifetime + kGrace)
    // [obs] message; [guess] code and status.
    throw RestError(400, "-1, System.ArgumentException",
                    "The specified expiration date is invalid. Should be greater than today and "
                    "within 6 months");
  return *t;
}

void CheckNotificationUrl(const Call& c, const std::string& url) {
  if (!AcceptableNotificationUrl(url))  // [guess: wording] SharePoint wants https
    throw RestError(400, "-1, System.ArgumentException",
                    "The notification URL '" + url + "' is invalid. It must be an HTTPS URL.");
  // [doc] the handshake, synchronously, before the subscription exists.
  if (!c.impl.webhooks->Validate(url))
    throw RestError(400, "-1, System.InvalidOperationException",
                    "Failed to validate the notification URL '" + url + "'.");
}

[[noreturn]] void NoSuchSubscription(std::string_view id) {
  // [guess: code and wording]
  throw RestError(404, "-1, System.IO.FileNotFoundException",
                  "The subscription '" + std::string(id) + "' does not exist.");
}

void AppendSubscription(std::string& out, const Call& c, const Subscription& s,
                        std::string_view context) {
  const std::string path = "web/lists('" + s.list_id + "')/subscriptions('" + s.id + "')";
  const std::string uri = c.WebUrl() + "/_api/" + path;
  std::vector<Prop> props;
  // [doc] clientState is echoed when set.
  if (!s.client_state.empty()) props.push_back({"clientState", JsonString(s.client_state)});
  props.push_back({"expirationDateTime", JsonString(FormatIso(s.expiration))});
  props.push_back({"id", JsonString(s.id)});
  props.push_back({"notificationUrl", JsonString(s.notification_url)});
  props.push_back({"resource", JsonString(s.list_id)});
  AppendEntity(out, c.req.fmt, EntityMeta{kType, uri, uri, path, ""}, props, {}, context);
}

std::string SingleContext(const Call& c) {
  return c.WebUrl() + "/_api/$metadata#SP.ApiData.Subscriptions/@Element";  // [guess]
}

Reply Create(Call& c) {
  Body b = ParseBody(c);
  ListFacts list = Facts(c);
  if (!b.notification_url)  // [guess: wording]
    throw RestError(400, "-1, System.ArgumentNullException",
                    "Value cannot be null.\r\nParameter name: notificationUrl");
  const int64_t now = c.impl.NowUnix();
  // [doc] 180 days when omitted. `resource` is not compared with the URL's
  // list [guess]: PnPjs sends the subscriptions collection's own URL.
  const int64_t expiration =
      b.expiration ? CheckExpiration(*b.expiration, now) : now + kMaxLifetime;
  CheckNotificationUrl(c, *b.notification_url);
  Subscription s;
  s.list_id = list.list_id;
  s.web_id = list.web_id;
  s.site_url = list.site_url;
  s.notification_url = *b.notification_url;
  s.client_state = b.client_state.value_or("");
  s.expiration = expiration;
  s = c.impl.webhooks->Add(std::move(s));
  Reply r;
  r.status = 201;
  std::string entity;
  AppendSubscription(entity, c, s, SingleContext(c));
  WrapSingle(r.body, c.req.fmt, entity);
  return r;
}

Reply List(Call& c) {
  ListFacts list = Facts(c);
  Reply r;
  BeginCollection(r.body, c.req.fmt, c.WebUrl() + "/_api/$metadata#SP.ApiData.Subscriptions");
  bool first = true;
  for (const auto& s : c.impl.webhooks->ForList(list.list_id)) {
    if (!first) r.body.push_back(',');
    first = false;
    AppendSubscription(r.body, c, s, {});
  }
  EndCollection(r.body, c.req.fmt, {});
  return r;
}

Reply GetOne(Call& c) {
  ListFacts list = Facts(c);
  const std::string& id = c.captures.strings.at(0);
  auto s = c.impl.webhooks->Get(list.list_id, id);
  if (!s) NoSuchSubscription(id);
  Reply r;
  std::string entity;
  AppendSubscription(entity, c, *s, SingleContext(c));
  WrapSingle(r.body, c.req.fmt, entity);
  return r;
}

Reply Update(Call& c) {
  Body b = ParseBody(c);
  ListFacts list = Facts(c);
  const std::string& id = c.captures.strings.at(0);
  auto current = c.impl.webhooks->Get(list.list_id, id);
  if (!current) NoSuchSubscription(id);
  const int64_t now = c.impl.NowUnix();
  std::optional<int64_t> expiration;
  if (b.expiration) expiration = CheckExpiration(*b.expiration, now);
  // A new notification URL is validated like a new subscription's [guess].
  if (b.notification_url && *b.notification_url != current->notification_url)
    CheckNotificationUrl(c, *b.notification_url);
  const bool found = c.impl.webhooks->Update(list.list_id, id, [&](Subscription& s) {
    if (expiration) s.expiration = *expiration;
    if (b.notification_url) s.notification_url = *b.notification_url;
    if (b.client_state) s.client_state = *b.client_state;
  });
  if (!found) NoSuchSubscription(id);  // deleted or expired during the handshake
  Reply r;
  r.status = 204;
  return r;
}

Reply Delete(Call& c) {
  ListFacts list = Facts(c);
  const std::string& id = c.captures.strings.at(0);
  if (!c.impl.webhooks->Remove(list.list_id, id)) NoSuchSubscription(id);
  Reply r;
  r.status = 204;
  return r;
}

}  // namespace

void AddWebhookRoutes(RouteTable& t) {
  t.Add("POST", "{list}/subscriptions", RequestKind::kWrites, Access::kNone, Create);
  t.Add("GET", "{list}/subscriptions", RequestKind::kOther, Access::kNone, List);
  t.Add("GET", "{list}/subscriptions({str})", RequestKind::kOther, Access::kNone, GetOne);
  t.Add("MERGE PATCH PUT", "{list}/subscriptions({str})", RequestKind::kWrites, Access::kNone,
        Update);
  t.Add("DELETE", "{list}/subscriptions({str})", RequestKind::kWrites, Access::kNone, Delete);
}

}  // namespace spsync::emulator::detail
