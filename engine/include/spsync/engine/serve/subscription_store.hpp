// The webhook subscriptions `spsync serve` made, kept in the work directory
// (`<workDir>/serve/subscriptions.json`, mode 0600: it holds each
// subscription's clientState, the secret a notification must carry).
//
// Thread safety: none; the owner serialises access.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace spsync::engine::serve {

struct Subscription {
  std::string entity;
  std::string site, web_url;  // the config's site name and the list's web
  std::string list_id;        // lowercase GUID
  std::string id;             // SharePoint's subscription id, lowercase GUID
  std::string client_state;   // secret
  std::string notification_url;
  int64_t expiration_unix = 0;
};

class SubscriptionStore {
 public:
  explicit SubscriptionStore(std::string path) : path_(std::move(path)) {}
  // Reads the file (none yet: empty). Throws std::runtime_error naming the
  // file when it cannot be read or parsed.
  void Load();
  // Writes through a temporary file and a rename, mode 0600.
  void Save() const;
  std::map<std::string, Subscription>& by_entity() { return subs_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, Subscription> subs_;
};

// A fresh clientState: 32 random bytes as hex.
std::string NewClientState();

}  // namespace spsync::engine::serve
