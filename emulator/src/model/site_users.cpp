// Built-in people: names from fixed tables (a few with non-ASCII letters, as
// real directories have), ASCII mail addresses on the tenant domain, and
// membership claims as SharePoint Online writes them.
#include "model/site_users.hpp"

#include <cctype>

#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

struct Name {
  const char* display;
  const char* ascii;  // for the mail address
};

const Name kFirst[] = {{"Adele", "adele"},
                       {"Alex", "alex"},
                       {"Diego", "diego"},
                       {"Grady", "grady"},
                       {"Henrietta", "henrietta"},
                       {"Isaiah", "isaiah"},
                       {"Johanna", "johanna"},
                       {"Joni", "joni"},
                       {"Lee", "lee"},
                       {"Lidia", "lidia"},
                       {"Lynne", "lynne"},
                       {"Megan", "megan"},
                       {"Miriam", "miriam"},
                       {"Nestor", "nestor"},
                       {"Patti", "patti"},
                       {"Pradeep", "pradeep"},
                       {"Zoë", "zoe"},
                       {"Björn", "bjorn"},
                       {"Søren", "soren"},
                       {"Chloé", "chloe"}};
const Name kLast[] = {{"Vance", "vance"},       {"Wilber", "wilber"},   {"Siciliani", "siciliani"},
                      {"Archie", "archie"},     {"Mueller", "mueller"}, {"Langer", "langer"},
                      {"Lorenz", "lorenz"},     {"Sherman", "sherman"}, {"Gu", "gu"},
                      {"Holloway", "holloway"}, {"Robbins", "robbins"}, {"Bowen", "bowen"},
                      {"Graham", "graham"},     {"Wilke", "wilke"},     {"Fernandez", "fernandez"},
                      {"Gupta", "gupta"},       {"Åkesson", "akesson"}, {"Nuñez", "nunez"},
                      {"Kowalski", "kowalski"}, {"Tanaka", "tanaka"}};
const char* kJobs[] = {"Sales Manager",   "Account Executive", "Engineer",
                       "Product Manager", "Analyst",           "Buyer"};
const char* kDepartments[] = {"Sales", "Engineering", "Finance", "Operations", "Marketing"};

std::string Claim(std::string_view email) {
  return "i:0#.f|membership|" + std::string(email);
}

}  // namespace

std::optional<UserRecord> BuiltInUser(int64_t id) {
  UserRecord u;
  u.id = id;
  if (id == kSystemAccountId) {
    u.title = "System Account";
    u.login_name = "SHAREPOINT\\system";
    return u;
  }
  if (id < 1 || id > kBuiltInUsers) return std::nullopt;
  if (id == kAppPrincipalId) {
    u.title = "SharePoint App";
    u.login_name = "i:0i.t|ms.sp.ext|" + MakeGuid(Hash(7, "spsync-app"), Hash(8, "spsync-app")) +
                   "@" + MakeGuid(Hash(7, "tenant"), Hash(8, "tenant"));
    return u;
  }
  const auto i = static_cast<size_t>(id - 1);
  const size_t n = std::size(kFirst);
  const Name& first = kFirst[i % n];
  const Name& last = kLast[(i * 7 + i / n) % std::size(kLast)];
  u.first_name = first.display;
  u.last_name = last.display;
  u.title = u.first_name + " " + u.last_name;
  u.email = std::string(first.ascii) + "." + last.ascii + "@" + std::string(kTenantDomain);
  u.login_name = Claim(u.email);
  u.job_title = kJobs[i % std::size(kJobs)];
  u.department = kDepartments[(i / 2) % std::size(kDepartments)];
  u.site_admin = id == 1;
  return u;
}

std::optional<UserRecord> TenantUser(std::string_view logon) {
  std::string email(logon);
  size_t bar = email.rfind('|');
  if (bar != std::string::npos) {
    if (!IStartsWith(email, "i:0#.f|membership|")) return std::nullopt;
    email = email.substr(bar + 1);
  }
  email = Lower(email);
  size_t at = email.find('@');
  if (at == 0 || at == std::string::npos || email.substr(at + 1) != kTenantDomain)
    return std::nullopt;
  UserRecord u;
  u.email = email;
  u.login_name = Claim(email);
  // "jane.doe" -> "Jane Doe", as the directory would show a new colleague.
  bool upper = true;
  for (char c : email.substr(0, at)) {
    if (c == '.' || c == '_') {
      u.title.push_back(' ');
      upper = true;
      continue;
    }
    u.title.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  size_t space = u.title.find(' ');
  u.first_name = u.title.substr(0, space);
  u.last_name = space == std::string::npos ? "" : u.title.substr(space + 1);
  return u;
}

}  // namespace spsync::emulator::detail
