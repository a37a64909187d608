// The site's people as SP.User: _api/web/siteusers (with getbyid,
// getbyemail, getbyloginname), getuserbyid, currentuser (the app principal
// of app-only calls) and ensureuser. They are the rows of the hidden User
// Information List, so a user added by ensureuser is a new item there.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>

#include "api/areas.hpp"
#include "model/site_users.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

RestError UserNotFound() {
  // [unconfirmed: status and code]
  return RestError(404, "-2146232832, Microsoft.SharePoint.SPException", "User cannot be found.");
}

ListState& Users(const Call& c) {
  // The site collection's people, whichever of its webs is asked.
  ListState* users = c.web.site->UserList();
  if (!users) throw UserNotFound();
  return *users;
}

// The SP.User properties of a User Information List row.
std::vector<Prop> UserProps(const ListState& users, const Negotiated& fmt, int64_t id,
                            const std::vector<std::string>& v) {
  auto col = [&](const char* key) { return v[static_cast<size_t>(users.ColumnIndex(key))]; };
  const std::string login = col("Name");
  const std::string email = col("EMail");
  const bool person = login.find("membership|") != std::string::npos;
  // NameId: the person's directory PUID (16 hex digits), here derived from the login.
  std::string user_id = "null";
  if (person) {
    char puid[17];
    snprintf(puid, sizeof(puid), "%016llx",
             static_cast<unsigned long long>(Hash(0x5017, login) & 0x10037fffffffffffULL));
    user_id =
        std::string(fmt.format == Format::kVerbose ? "{\"__metadata\":{\"type\":\"SP.UserIdInfo\"},"
                                                   : "{") +
        "\"NameId\":\"" + puid + "\",\"NameIdIssuer\":\"urn:federation:microsoftonline\"}";
  }
  return {
      {"Id", std::to_string(id)},
      {"IsHiddenInUI", "false"},
      {"LoginName", login == "null" ? "\"\"" : login},
      {"Title", col("Title")},
      {"PrincipalType", "1"},
      {"Email", email == "null" ? "\"\"" : email},
      {"Expiration", "\"\""},
      {"IsEmailAuthenticationGuestUser", "false"},
      {"IsShareByEmailGuestUser", "false"},
      {"IsSiteAdmin", col("IsSiteAdmin") == "true" ? "true" : "false"},
      {"UserId", user_id},
      {"UserPrincipalName", person ? email : "null"},
  };
}

void AppendUser(std::string& out, const Call& c, int64_t id, const std::vector<Prop>& props,
                std::string_view context = {}) {
  const std::string site = c.WebUrl();
  const std::string edit = "Web/GetUserById(" + std::to_string(id) + ")";
  std::vector<Prop> all = props;
  if (c.req.fmt.format == Format::kVerbose && c.q.select.empty())
    all.push_back({"Groups", "{\"__deferred\":{\"uri\":" +
                                 JsonString(site + "/_api/" + edit + "/Groups") + "}}"});
  AppendEntity(out, c.req.fmt,
               EntityMeta{"SP.User", site + "/_api/" + edit, site + "/_api/" + edit, edit, ""}, all,
               c.q.select, context);
}

Reply OneUser(const Call& c, int64_t id) {
  ListState& users = Users(c);
  std::vector<std::string> values;
  if (!users.Values(id, values)) throw UserNotFound();
  auto props = UserProps(users, c.req.fmt, id, values);
  std::string unknown = UnknownSelect(props, c.q.select);
  if (!unknown.empty())
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "The property '" + unknown + "' does not exist on type 'SP.User'.");
  std::string entity;
  AppendUser(entity, c, id, props, c.WebUrl() + "/_api/$metadata#SP.ApiData.Users/@Element");
  Reply r;
  WrapSingle(r.body, c.req.fmt, entity);
  return r;
}

// The live row whose column `key` equals `value` (ignoring case); 0 if none.
int64_t FindUser(const ListState& users, const char* key, std::string_view value) {
  const auto col = static_cast<size_t>(users.ColumnIndex(key));
  std::vector<std::string> values;
  auto matches = [&](int64_t id) {
    if (!users.Values(id, values)) return false;
    auto text = UnescapeJsonString(values[col]);
    return text && IEquals(*text, value);
  };
  for (int64_t id = users.NextLive(1, 1, users.max_id(), true); id;
       id = users.NextLive(id + 1, 1, users.max_id(), true))
    if (matches(id)) return id;
  return matches(kSystemAccountId) ? kSystemAccountId : 0;
}

Reply SiteUsers(Call& c) {
  ListState& users = Users(c);
  const std::string site = c.WebUrl();
  Reply r;
  BeginCollection(r.body, c.req.fmt, site + "/_api/$metadata#SP.ApiData.Users");
  bool first = true;
  std::vector<std::string> values;
  for (int64_t id = users.NextLive(1, 1, users.max_id(), true); id;
       id = users.NextLive(id + 1, 1, users.max_id(), true)) {
    users.Values(id, values);
    auto props = UserProps(users, c.req.fmt, id, values);
    std::string unknown = UnknownSelect(props, c.q.select);
    if (!unknown.empty())
      throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                      "The property '" + unknown + "' does not exist on type 'SP.User'.");
    if (c.q.filter) {
      bool keep = false;
      try {
        keep =
            EvalFilter(*c.q.filter, [&](std::string_view name) -> std::optional<std::string_view> {
              for (const auto& p : props)
                if (IEquals(p.key, name)) return std::string_view(p.raw);
              return std::nullopt;
            });
      } catch (const std::out_of_range& e) {
        throw RestError(
            400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
            "The property '" + std::string(e.what()) + "' does not exist on type 'SP.User'.");
      }
      if (!keep) continue;
    }
    if (!first) r.body += ",";
    first = false;
    AppendUser(r.body, c, id, props);
  }
  EndCollection(r.body, c.req.fmt, "");
  return r;
}

Reply UserById(Call& c) {
  return OneUser(c, c.captures.ids[0]);
}

Reply UserByEmail(Call& c) {
  int64_t id = FindUser(Users(c), "EMail", c.captures.strings[0]);
  if (!id) throw UserNotFound();
  return OneUser(c, id);
}

Reply UserByLoginName(Call& c) {
  int64_t id = FindUser(Users(c), "Name", c.captures.strings[0]);
  if (!id) throw UserNotFound();
  return OneUser(c, id);
}

// siteusers('!@v::i:0#.f|membership|…'): PnPjs's getByLoginName, an inline alias.
Reply UserByInlineLogin(Call& c) {
  std::string login = c.captures.strings[0];
  if (login.rfind("!@v::", 0) == 0) login = login.substr(5);
  int64_t id = FindUser(Users(c), "Name", login);
  if (!id) throw UserNotFound();
  return OneUser(c, id);
}

Reply CurrentUser(Call& c) {
  return OneUser(c, kAppPrincipalId);
}

Reply EnsureUser(Call& c) {
  Poco::JSON::Object::Ptr obj;
  try {
    obj = Poco::JSON::Parser().parse(c.req.body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Invalid JSON. A token was not recognized in the JSON content.");
  }
  std::string logon = obj->optValue<std::string>("logonName", "");
  if (logon.empty())
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "The parameter logonName does not exist in method EnsureUser.");
  ListState& users = Users(c);
  int64_t id = FindUser(users, "Name", logon);
  if (!id) id = FindUser(users, "EMail", logon);
  if (!id) {
    auto person = TenantUser(logon);
    if (!person)
      // [unconfirmed: status]
      throw RestError(500, "-2146232832, Microsoft.SharePoint.SPException",
                      "The specified user " + logon + " could not be found.");
    id = FindUser(users, "Name", person->login_name);
    if (!id) {
      std::vector<std::pair<int, std::string>> row;
      auto set = [&](const char* key, const std::string& value) {
        if (!value.empty()) row.emplace_back(users.ColumnIndex(key), JsonString(value));
      };
      set("Title", person->title);
      set("Name", person->login_name);
      set("EMail", person->email);
      set("UserName", person->email);
      set("FirstName", person->first_name);
      set("LastName", person->last_name);
      id = users.Add(row, c.impl.NowUnix());
      c.impl.RecordItem(users, 1, id);
    }
  }
  return OneUser(c, id);
}

}  // namespace

void AddUserRoutes(RouteTable& t) {
  t.Add("GET", "web/siteusers", RequestKind::kOther, Access::kShared, SiteUsers);
  t.Add("GET", "web/siteusers/getbyid({id})", RequestKind::kOther, Access::kShared, UserById);
  t.Add("GET", "web/siteusers({id})", RequestKind::kOther, Access::kShared, UserById);
  t.Add("GET", "web/getuserbyid({id})", RequestKind::kOther, Access::kShared, UserById);
  t.Add("GET", "web/siteusers/getbyemail({str})", RequestKind::kOther, Access::kShared,
        UserByEmail);
  t.Add("GET", "web/siteusers/getbyloginname({str})", RequestKind::kOther, Access::kShared,
        UserByLoginName);
  t.Add("GET", "web/siteusers({str})", RequestKind::kOther, Access::kShared, UserByInlineLogin);
  t.Add("GET", "web/currentuser", RequestKind::kOther, Access::kShared, CurrentUser);
  t.Add("POST", "web/ensureuser", RequestKind::kWrites, Access::kExclusive, EnsureUser);
}

}  // namespace spsync::emulator::detail
