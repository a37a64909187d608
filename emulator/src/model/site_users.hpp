// The site's built-in people: a deterministic directory that the hidden
// User Information List is generated from, so every user field of every
// synthetic item names a real user. Pure functions over constants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spsync::emulator::detail {

// SharePoint's own account (SHAREPOINT\system); not a row of the list.
constexpr int64_t kSystemAccountId = 1073741823;
// Built-in users have IDs 1..kBuiltInUsers; the last one is the app
// principal that every write through the API is made by (app-only tokens).
constexpr int64_t kBuiltInUsers = 40;
constexpr int64_t kAppPrincipalId = kBuiltInUsers;
constexpr std::string_view kTenantDomain = "contoso.com";

struct UserRecord {
  int64_t id = 0;
  std::string title;  // display name
  std::string first_name, last_name, email, login_name, job_title, department;
  bool site_admin = false;
};

// The built-in user with this ID (1..kBuiltInUsers, or the system account).
std::optional<UserRecord> BuiltInUser(int64_t id);

// A person of the tenant's directory named by a logon name as ensureuser
// takes it ("i:0#.f|membership|jane.doe@contoso.com" or "jane.doe@contoso.com");
// nullopt if the name is not a member of the tenant domain. `id` is left 0.
std::optional<UserRecord> TenantUser(std::string_view logon_name);

}  // namespace spsync::emulator::detail
