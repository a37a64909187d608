// The subscriptions store and the delivery thread (model/webhook_hub.hpp).
#include "model/webhook_hub.hpp"

#include <Poco/Net/HTTPClientSession.h>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "model/webhook_client.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {

using Clock = std::chrono::steady_clock;

WebhookHub::WebhookHub(WebhookSpec spec, std::string tenant_id, std::function<int64_t()> now_unix)
    : tenant_id_(std::move(tenant_id)), now_unix_(std::move(now_unix)), spec_(spec) {}

WebhookHub::~WebhookHub() {
  Stop();
}

void WebhookHub::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  {
    std::lock_guard flight(in_flight_mu_);
    stopping_ = false;
  }
  nudged_ = false;
  next_delivery_ = Clock::now() + spec_.delivery_interval;
  thread_ = std::thread([this] { Run(); });
}

void WebhookHub::Stop() {
  {
    std::lock_guard lock(mu_);
    std::lock_guard flight(in_flight_mu_);
    stopping_ = true;
    // Abandon the POST in flight: its blocked read returns at once.
    if (in_flight_) try {
        in_flight_->socket().shutdown();
      } catch (const std::exception&) {  // not connected yet: it will see stopping_
      }
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookHub::Track(Poco::Net::HTTPClientSession* session) {
  std::lock_guard flight(in_flight_mu_);
  in_flight_ = session;
  if (session && stopping_) throw std::runtime_error("the emulator is stopping");
}

WebhookSpec WebhookHub::spec() const {
  std::lock_guard lock(mu_);
  return spec_;
}

void WebhookHub::SetSpec(WebhookSpec spec) {
  {
    std::lock_guard lock(mu_);
    spec_ = spec;
    next_delivery_ = Clock::now() + spec_.delivery_interval;
    nudged_ = true;
  }
  wake_.notify_all();
}

bool WebhookHub::Validate(const std::string& url) {
  const bool ok = ValidateNotificationUrl(url, spec().validation_timeout);
  std::lock_guard lock(mu_);
  ++(ok ? stats_.validations : stats_.validation_failures);
  return ok;
}

Subscription WebhookHub::Add(Subscription s) {
  // SharePoint's subscription ids are random GUIDs.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mu_);
  s.id = MakeGuid(rng(), rng());
  s.list_id = Lower(s.list_id);
  s.queued = false;
  subscriptions_[s.id] = s;
  return s;
}

void WebhookHub::PurgeExpired() {
  const int64_t now = now_unix_();
  // SharePoint removes an expired subscription: no more notifications, gone from GET.
  std::erase_if(subscriptions_, [now](const auto& kv) { return kv.second.expiration <= now; });
}

std::optional<Subscription> WebhookHub::Get(std::string_view list_id, std::string_view id) {
  std::lock_guard lock(mu_);
  PurgeExpired();
  auto it = subscriptions_.find(Lower(id));
  if (it == subscriptions_.end() || it->second.list_id != Lower(list_id)) return std::nullopt;
  return it->second;
}

std::vector<Subscription> WebhookHub::ForList(std::string_view list_id) {
  std::lock_guard lock(mu_);
  PurgeExpired();
  std::vector<Subscription> out;
  const std::string key = Lower(list_id);
  for (const auto& [id, s] : subscriptions_)
    if (s.list_id == key) out.push_back(s);
  return out;
}

bool WebhookHub::Update(std::string_view list_id, std::string_view id,
                        const std::function<void(Subscription&)>& change) {
  std::lock_guard lock(mu_);
  PurgeExpired();
  auto it = subscriptions_.find(Lower(id));
  if (it == subscriptions_.end() || it->second.list_id != Lower(list_id)) return false;
  change(it->second);
  return true;
}

bool WebhookHub::Remove(std::string_view list_id, std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = subscriptions_.find(Lower(id));
  if (it == subscriptions_.end()) return false;
  if (!list_id.empty() && it->second.list_id != Lower(list_id)) return false;
  subscriptions_.erase(it);
  return true;
}

void WebhookHub::OnItemChange(std::string_view list_id) {
  std::lock_guard lock(mu_);
  if (subscriptions_.empty()) return;
  const std::string key = Lower(list_id);
  // Many changes before the next delivery are one event per subscription.
  for (auto& [id, s] : subscriptions_)
    if (s.list_id == key) s.queued = true;
}

WebhookStats WebhookHub::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void WebhookHub::DeliverNow() {
  Round(true);
}

void WebhookHub::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    Clock::time_point due = next_delivery_;
    for (const auto& n : retries_) due = std::min(due, n.due);
    wake_.wait_until(lock, due, [&] { return stopping_ || nudged_; });
    if (stopping_) break;
    nudged_ = false;
    lock.unlock();
    Round(false);
    lock.lock();
  }
}

std::string WebhookHub::Body(const Notification& n, size_t& entries) {
  // sharepoint-rest.md section 9: no item data and no change type.
  std::string body = "{\"value\":[";
  entries = 0;
  for (const auto& id : n.subscription_ids) {
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) continue;  // deleted or expired meanwhile [guess]
    const Subscription& s = it->second;
    std::string expiration = FormatIso(s.expiration);
    expiration.insert(expiration.size() - 1,
                      ".0000000");  // ...:00.0000000Z as SharePoint writes it
    if (entries++) body += ',';
    body += "{\"subscriptionId\":" + JsonString(s.id) + ",\"clientState\":" +
            (s.client_state.empty() ? std::string("null") : JsonString(s.client_state)) +
            ",\"expirationDateTime\":" + JsonString(expiration) +
            ",\"resource\":" + JsonString(s.list_id) + ",\"tenantId\":" + JsonString(tenant_id_) +
            ",\"siteUrl\":" + JsonString(s.site_url) + ",\"webId\":" + JsonString(s.web_id) + "}";
  }
  body += "]}";
  return body;
}

void WebhookHub::Round(bool flush) {
  std::lock_guard round(round_mu_);
  std::vector<Notification> batch;
  {
    std::lock_guard lock(mu_);
    PurgeExpired();
    const Clock::time_point now = Clock::now();
    if (flush || now >= next_delivery_) {
      // One POST per notification URL; a subscription once in it however
      // many changes it had.
      std::map<std::string, Notification> by_url;
      for (auto& [id, s] : subscriptions_) {
        if (!s.queued) continue;
        s.queued = false;
        Notification& n = by_url[s.notification_url];
        n.url = s.notification_url;
        n.subscription_ids.push_back(id);
      }
      for (auto& [url, n] : by_url) batch.push_back(std::move(n));
      if (!flush) next_delivery_ = now + spec_.delivery_interval;
    }
    for (auto it = retries_.begin(); it != retries_.end();) {
      if (flush || it->due > now) {
        ++it;
        continue;
      }
      batch.push_back(std::move(*it));
      it = retries_.erase(it);
    }
  }
  bool retry_added = false;
  for (auto& n : batch) {
    std::string body;
    size_t entries = 0;
    WebhookSpec spec;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      body = Body(n, entries);
      spec = spec_;
    }
    if (entries == 0) continue;  // every subscription in it is gone
    PostOutcome r = PostTo(n.url, "application/json", body, spec.answer_timeout,
                           [this](Poco::Net::HTTPClientSession* s) { Track(s); });
    std::lock_guard lock(mu_);
    if (r.status >= 200 && r.status < 300) {
      ++stats_.deliveries;
      stats_.notifications += entries;
      continue;
    }
    ++stats_.delivery_failures;
    if (++n.failures > spec.max_retries) {
      ++stats_.dropped;  // SharePoint gives up; GetChanges still has the changes
      continue;
    }
    n.due = Clock::now() + spec.retry_interval;
    retries_.push_back(std::move(n));
    retry_added = true;
  }
  if (retry_added) {
    std::lock_guard lock(mu_);
    nudged_ = true;
    wake_.notify_all();
  }
}

}  // namespace spsync::emulator::detail
