// The webhook subscriptions of `spsync serve`: one per served entity, on the
// list it syncs, made at start, checked and renewed on a schedule, made
// again when SharePoint no longer has them, kept in the work directory
// (serve/subscriptions.json) and removed by `serve --unsubscribe`.
//
// Thread safety: Match() may be called from any thread (the webhook
// handler) while Maintain() runs; Maintain() and RemoveAll() are called from
// one thread at a time.
#pragma once

#include "runtime.hpp"
#include "spsync/engine/config.hpp"
#include "spsync/engine/serve/notifications.hpp"
#include "spsync/engine/serve/subscription_store.hpp"
#include "spsync_metrics.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace spsync::cli {

// A list to keep a subscription on.
struct SubscriptionTarget {
  std::string entity, site, web_url, list_id;  // web_url: absolute
};

class SubscriptionManager {
 public:
  SubscriptionManager(Runtime& rt, SpsyncMetrics& metrics);

  // Makes the served lists' subscriptions true: creates missing ones (the
  // handshake needs the listener up), renews those within renewBefore of
  // expiry, and with `verify` asks SharePoint for each (one request each)
  // and makes again those it no longer has. Subscriptions of entities no
  // longer served are deleted. Errors are logged per entity; returns their
  // count.
  int Maintain(const std::vector<SubscriptionTarget>& targets, bool verify);
  // The entity a notification is for, when its subscription is one of ours
  // and its clientState is that subscription's; nullopt otherwise.
  std::optional<std::string> Match(const engine::serve::Notification& n) const;
  // Deletes every stored subscription from SharePoint and the store; returns
  // how many could not be deleted.
  int RemoveAll();

 private:
  void Create(const SubscriptionTarget& t);
  void Renew(engine::serve::Subscription& s, int64_t now);
  void Delete(const engine::serve::Subscription& s);
  std::string SubscriptionsUrl(const std::string& web_url, const std::string& list_id) const;
  void Publish();  // rebuilds the Match index and the expiry gauges; mu_ not held

  Runtime& rt_;
  SpsyncMetrics& metrics_;
  const engine::ServeConfig& cfg_;
  engine::serve::SubscriptionStore store_;
  mutable std::mutex mu_;
  // subscription id -> (entity, clientState)
  std::map<std::string, std::pair<std::string, std::string>> index_;
};

}  // namespace spsync::cli
