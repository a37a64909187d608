// The SP.ChangeQuery body of GetChanges in its verbose and JSON-light forms
// (booleans also as strings, FetchLimit as a string or a number).
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdlib>

#include "odata/change_query.hpp"
#include "rest_error.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {

namespace {

bool AsBool(const Poco::Dynamic::Var& v) {
  if (v.isBoolean()) return v.extract<bool>();
  if (v.isString()) return IEquals(v.extract<std::string>(), "true");
  if (v.isNumeric()) return v.convert<double>() != 0;
  return false;
}

std::optional<std::string> TokenString(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return std::nullopt;
  if (v.isString()) return v.extract<std::string>();
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto obj = v.extract<Poco::JSON::Object::Ptr>();
    if (!obj->has("StringValue") || obj->get("StringValue").isEmpty()) return std::nullopt;
    return obj->get("StringValue").convert<std::string>();
  }
  throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                  "A value of type SP.ChangeToken was expected.");
}

}  // namespace

ChangeQuery ParseChangeQuery(std::string_view body, bool verbose_content_type) {
  Poco::JSON::Object::Ptr root;
  try {
    root = Poco::JSON::Parser().parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "Invalid JSON. A token was not recognized in the JSON content.");
  }
  if (root->has("d"))
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "The parameter d does not exist in method GetChanges.");
  if (!root->has("query") || root->get("query").type() != typeid(Poco::JSON::Object::Ptr))
    throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                    "The parameter query does not exist in method GetChanges.");
  auto query = root->getObject("query");
  ChangeQuery q;
  for (const auto& [key, value] : *query) {
    if (key == "__metadata") {
      if (!verbose_content_type)
        throw RestError(400, "-1, Microsoft.Data.OData.ODataException",
                        "The property '__metadata' does not exist on type 'SP.ChangeQuery'. Make "
                        "sure to only use property names that are defined by the type.");
      continue;
    }
    bool b = false;
    struct Flag {
      const char* name;
      bool* target;
    };
    const Flag flags[] = {{"Item", &q.item},
                          {"List", &q.list},
                          {"Field", &q.field},
                          {"Add", &q.add},
                          {"Update", &q.update},
                          {"DeleteObject", &q.delete_object},
                          {"Restore", &q.restore},
                          {"Rename", &q.rename},
                          {"Move", &q.move},
                          {"SystemUpdate", &q.system_update},
                          {"LatestFirst", &q.latest_first}};
    for (const auto& f : flags)
      if (key == f.name) {
        *f.target = AsBool(value);
        b = true;
      }
    if (b) continue;
    if (key == "ChangeTokenStart") {
      q.start = TokenString(value);
    } else if (key == "ChangeTokenEnd") {
      q.end = TokenString(value);
    } else if (key == "FetchLimit") {
      int64_t limit = -1;
      if (value.isString()) {
        std::string t = value.extract<std::string>();
        char* end = nullptr;
        limit = std::strtoll(t.c_str(), &end, 10);
        if (t.empty() || *end) limit = -1;
      } else if (value.isNumeric()) {
        limit = value.convert<int64_t>();
      }
      if (limit < 0)
        throw RestError(400, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
                        "Cannot convert a primitive value to the expected type 'Edm.Int64'.");
      q.fetch_limit = limit == 0 ? 1000 : std::min<int64_t>(limit, 2000);
    } else {
      // Other SP.ChangeQuery members (Web, Site, File, RoleAssignmentAdd, RecursiveAll, ...)
      // are accepted; they select change classes this emulator never records.
      static const char* kKnown[] = {"Web",
                                     "Site",
                                     "File",
                                     "Folder",
                                     "ContentType",
                                     "View",
                                     "User",
                                     "Group",
                                     "Alert",
                                     "Navigation",
                                     "SecurityPolicy",
                                     "Activity",
                                     "RoleAssignmentAdd",
                                     "RoleAssignmentDelete",
                                     "RoleDefinitionAdd",
                                     "RoleDefinitionDelete",
                                     "RoleDefinitionUpdate",
                                     "GroupMembershipAdd",
                                     "GroupMembershipDelete",
                                     "RecursiveAll",
                                     "IgnoreStartTokenNotFoundError",
                                     "RequireSecurityTrim",
                                     "FetchLimit"};
      bool known = false;
      for (const char* k : kKnown)
        if (key == k) known = true;
      if (!known)
        throw RestError(400, "-1, Microsoft.Data.OData.ODataException",
                        "The property '" + key +
                            "' does not exist on type 'SP.ChangeQuery'. Make "
                            "sure to only use property names that are defined by the type.");
    }
  }
  return q;
}

}  // namespace spsync::emulator::detail
