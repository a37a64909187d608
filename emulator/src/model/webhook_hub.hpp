// List webhooks (sharepoint-rest.md section 9): the subscriptions SharePoint
// holds, the changes queued for them, and the thread that delivers them to
// the notification URLs on an interval, retries failed deliveries and drops
// them after the last retry.
//
// Thread-safety: WebhookHub is thread-safe. `mu_` guards the subscriptions,
// the queue, the retries, the spec and the counters; it is never held
// during an outgoing POST, and never taken before Impl::mu (OnItemChange is
// called with Impl::mu held; the hub never takes Impl::mu). `round_mu_`
// serializes delivery rounds (the thread's and DeliverNow's).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "spsync/emulator/emulator.hpp"

namespace Poco::Net {
class HTTPClientSession;
}

namespace spsync::emulator::detail {

struct Subscription {
  std::string id, list_id, notification_url, client_state;
  std::string web_id, site_url;  // the list's web, its site collection's server-relative URL
  int64_t expiration = 0;        // unix seconds on the emulator's clock
  bool queued = false;           // a change waits for the next delivery
};

class WebhookHub {
 public:
  // `now_unix` is the emulator's clock (it decides expiry); `tenant_id` goes
  // into every notification.
  WebhookHub(WebhookSpec spec, std::string tenant_id, std::function<int64_t()> now_unix);
  ~WebhookHub();  // stops
  WebhookHub(const WebhookHub&) = delete;
  WebhookHub& operator=(const WebhookHub&) = delete;

  void Start();  // the delivery thread
  void Stop();   // abandons a POST in flight; returns when the thread has ended

  WebhookSpec spec() const;
  void SetSpec(WebhookSpec spec);

  // The handshake for `url` with the spec's validation_timeout, counted.
  bool Validate(const std::string& url);

  // Stores a new subscription (its id is made here) and returns it.
  Subscription Add(Subscription s);
  // Unexpired subscriptions: one of the list (nullopt if none), all of it.
  std::optional<Subscription> Get(std::string_view list_id, std::string_view id);
  std::vector<Subscription> ForList(std::string_view list_id);
  // Applies `change` to the subscription; false if the list has none of that id.
  bool Update(std::string_view list_id, std::string_view id,
              const std::function<void(Subscription&)>& change);
  // Removes it; false if there was none. An empty list_id matches any list.
  bool Remove(std::string_view list_id, std::string_view id);

  // An item of the list changed: one event queued per subscription of it.
  void OnItemChange(std::string_view list_id);

  // Delivers the queued events now (retries keep their schedule).
  void DeliverNow();
  WebhookStats stats() const;

 private:
  // One POST's worth for a notification URL: the subscriptions it notifies.
  struct Notification {
    std::string url;
    std::vector<std::string> subscription_ids;
    int failures = 0;
    std::chrono::steady_clock::time_point due{};
  };

  void Run();
  // Takes the due notifications (the queue when `flush` or the interval is
  // up; the retries that are due) and POSTs them.
  void Round(bool flush);
  void PurgeExpired();                                       // mu_ held
  std::string Body(const Notification& n, size_t& entries);  // mu_ held
  void Track(Poco::Net::HTTPClientSession* session);

  const std::string tenant_id_;
  const std::function<int64_t()> now_unix_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  WebhookSpec spec_;
  std::map<std::string, Subscription> subscriptions_;  // by lowercase id
  std::vector<Notification> retries_;
  std::chrono::steady_clock::time_point next_delivery_;
  WebhookStats stats_;
  bool stopping_ = false, nudged_ = false;
  std::thread thread_;
  std::mutex round_mu_;
  std::mutex in_flight_mu_;  // guards in_flight_ (Stop shuts its socket down)
  Poco::Net::HTTPClientSession* in_flight_ = nullptr;
};

}  // namespace spsync::emulator::detail
