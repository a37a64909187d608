// SharePoint's list webhook notifications (sharepoint-rest.md section 9):
// `POST {notificationUrl}` with {"value":[{subscriptionId, clientState,
// expirationDateTime, resource, tenantId, siteUrl, webId}, ...]}. They carry
// no item data: the receiver reads the change log itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace spsync::engine::serve {

struct Notification {
  std::string subscription_id;  // lowercase GUID
  std::string client_state;
  std::string resource;  // the list's GUID, lowercase
  std::string site_url, web_id, expiration;
};

// Parses a notification body. Throws std::invalid_argument when it is not
// JSON of that shape (the entries' string fields may be missing: "").
std::vector<Notification> ParseNotifications(std::string_view body);

// Compares two secrets in time independent of where they differ.
bool SameSecret(std::string_view a, std::string_view b);

}  // namespace spsync::engine::serve
