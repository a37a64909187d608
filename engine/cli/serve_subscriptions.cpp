#include "serve_subscriptions.hpp"

#include "spsync/engine/sharepoint/item_page.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <set>
#include <sstream>

namespace spsync::cli {

namespace {

using engine::serve::Subscription;
using Type = engine::serve::Metrics::Type;

int64_t Now() {
  return static_cast<int64_t>(std::time(nullptr));
}

std::string Iso(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string JsonString(const std::string& s) {
  std::ostringstream o;
  Poco::JSON::Stringifier::stringify(Poco::Dynamic::Var(s), o);
  return o.str();
}

}  // namespace

SubscriptionManager::SubscriptionManager(Runtime& rt, SpsyncMetrics& metrics)
    : rt_(rt),
      metrics_(metrics),
      cfg_(rt.config.serve),
      store_(rt.config.run.work_dir + "/serve/subscriptions.json") {
  metrics_.metrics().Declare("spsync_webhook_subscription_expiry_timestamp_seconds", Type::kGauge,
                             "Unix time at which the entity's list subscription expires.");
  store_.Load();
  Publish();
}

std::string SubscriptionManager::SubscriptionsUrl(const std::string& web_url,
                                                  const std::string& list_id) const {
  return web_url + "/_api/web/lists('" + list_id + "')/subscriptions";
}

void SubscriptionManager::Create(const SubscriptionTarget& t) {
  auto client = rt_.Client(t.site, t.web_url);
  Subscription s;
  s.entity = t.entity;
  s.site = t.site;
  s.web_url = t.web_url;
  s.list_id = t.list_id;
  s.client_state = engine::serve::NewClientState();
  s.notification_url = cfg_.public_url;
  const int64_t asked = Now() + int64_t{cfg_.subscription_days} * 86400 - 3600;
  std::string body =
      "{\"resource\":" + JsonString(t.web_url + "/_api/web/lists('" + t.list_id + "')") +
      ",\"notificationUrl\":" + JsonString(cfg_.public_url) + ",\"expirationDateTime\":\"" +
      Iso(asked) + "\",\"clientState\":" + JsonString(s.client_state) + "}";
  client->Send("POST", SubscriptionsUrl(t.web_url, t.list_id), body,
               "creating the webhook subscription of entity '" + t.entity + "'",
               engine::Deadline(std::chrono::seconds(60)), [&](engine::HttpResponse& r) {
                 Poco::JSON::Parser p;
                 auto o = p.parse(r.body).extract<Poco::JSON::Object::Ptr>();
                 s.id = Lower(o->optValue<std::string>("id", ""));
                 int64_t exp = 0;
                 s.expiration_unix =
                     engine::ParseIsoUtc(o->optValue<std::string>("expirationDateTime", ""), &exp)
                         ? exp
                         : asked;
               });
  if (s.id.empty()) throw std::runtime_error("SharePoint's answer named no subscription id");
  spdlog::info("[{}] webhook subscription {} created, expires {}", t.entity, s.id,
               Iso(s.expiration_unix));
  store_.by_entity()[t.entity] = std::move(s);
  store_.Save();
  Publish();  // its notifications may come any moment now
}

void SubscriptionManager::Renew(Subscription& s, int64_t now) {
  auto client = rt_.Client(s.site, s.web_url);
  const int64_t asked = now + int64_t{cfg_.subscription_days} * 86400 - 3600;
  client->Send("PATCH", SubscriptionsUrl(s.web_url, s.list_id) + "('" + s.id + "')",
               "{\"expirationDateTime\":\"" + Iso(asked) + "\"}",
               "renewing the webhook subscription of entity '" + s.entity + "'",
               engine::Deadline(std::chrono::seconds(60)), [](engine::HttpResponse&) {});
  s.expiration_unix = asked;
  spdlog::info("[{}] webhook subscription {} renewed until {}", s.entity, s.id, Iso(asked));
  store_.Save();
}

void SubscriptionManager::Delete(const Subscription& s) {
  auto client = rt_.Client(s.site, s.web_url);
  try {
    client->Send("DELETE", SubscriptionsUrl(s.web_url, s.list_id) + "('" + s.id + "')", "",
                 "deleting the webhook subscription of entity '" + s.entity + "'",
                 engine::Deadline(std::chrono::seconds(60)), [](engine::HttpResponse&) {});
  } catch (const engine::SharePointError& e) {
    if (e.kind() != engine::ErrorKind::kNotFound) throw;  // already gone: fine
  }
  spdlog::info("[{}] webhook subscription {} deleted", s.entity, s.id);
}

int SubscriptionManager::Maintain(const std::vector<SubscriptionTarget>& targets, bool verify) {
  int errors = 0;
  const int64_t now = Now();
  std::set<std::string> served;
  for (const auto& t : targets) {
    served.insert(t.entity);
    try {
      auto& subs = store_.by_entity();
      auto it = subs.find(t.entity);
      // A subscription on another list (the list was recreated) or to
      // another URL (the config changed) is replaced.
      if (it != subs.end() &&
          (it->second.list_id != t.list_id || it->second.notification_url != cfg_.public_url ||
           it->second.expiration_unix <= now)) {
        try {
          if (it->second.expiration_unix > now) Delete(it->second);
        } catch (const std::exception& e) {
          spdlog::warn("[{}] the old subscription could not be deleted: {}", t.entity, e.what());
        }
        subs.erase(it);
        it = subs.end();
      }
      if (it != subs.end() && verify) {
        auto client = rt_.Client(it->second.site, it->second.web_url);
        try {
          client->Get(SubscriptionsUrl(it->second.web_url, it->second.list_id) + "('" +
                          it->second.id + "')",
                      "checking the webhook subscription of entity '" + t.entity + "'",
                      engine::Deadline(std::chrono::seconds(60)), [](engine::HttpResponse&) {});
        } catch (const engine::SharePointError& e) {
          if (e.kind() != engine::ErrorKind::kNotFound) throw;
          spdlog::warn("[{}] SharePoint no longer has webhook subscription {}: making it again",
                       t.entity, it->second.id);
          subs.erase(it);
          it = subs.end();
        }
      }
      if (it == subs.end())
        Create(t);
      else if (it->second.expiration_unix - now < cfg_.renew_before.count())
        Renew(it->second, now);
    } catch (const std::exception& e) {
      ++errors;
      spdlog::error("[{}] webhook subscription: {} (the list is still polled every {}s)", t.entity,
                    e.what(), cfg_.poll_every.count());
    }
  }
  auto& subs = store_.by_entity();
  for (auto it = subs.begin(); it != subs.end();) {
    if (served.count(it->first)) {
      ++it;
      continue;
    }
    try {
      Delete(it->second);
    } catch (const std::exception& e) {
      spdlog::warn("[{}] no longer served; its subscription could not be deleted: {}", it->first,
                   e.what());
    }
    it = subs.erase(it);
  }
  store_.Save();
  Publish();
  return errors;
}

int SubscriptionManager::RemoveAll() {
  int failed = 0;
  auto& subs = store_.by_entity();
  for (auto it = subs.begin(); it != subs.end();) {
    try {
      Delete(it->second);
      it = subs.erase(it);
    } catch (const std::exception& e) {
      ++failed;
      spdlog::error("[{}] could not delete subscription {}: {}", it->first, it->second.id,
                    e.what());
      ++it;
    }
  }
  store_.Save();
  Publish();
  return failed;
}

void SubscriptionManager::Publish() {
  std::map<std::string, std::pair<std::string, std::string>> index;
  auto& m = metrics_.metrics();
  m.Clear("spsync_webhook_subscription_expiry_timestamp_seconds");
  for (const auto& [entity, s] : store_.by_entity()) {
    index[s.id] = {entity, s.client_state};
    m.Set("spsync_webhook_subscription_expiry_timestamp_seconds", {{"entity", entity}},
          static_cast<double>(s.expiration_unix));
  }
  std::lock_guard<std::mutex> lock(mu_);
  index_ = std::move(index);
}

std::optional<std::string> SubscriptionManager::Match(const engine::serve::Notification& n) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(n.subscription_id);
  if (it == index_.end()) return std::nullopt;
  if (!engine::serve::SameSecret(n.client_state, it->second.second)) return std::nullopt;
  return it->second.first;
}

}  // namespace spsync::cli
