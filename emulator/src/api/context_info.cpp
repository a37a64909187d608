// POST _api/contextinfo: the form digest that cookie-authenticated clients
// send with writes (bearer-token clients do not need it).
#include <cstdio>

#include "api/areas.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

Reply ContextInfo(Call& c) {
  const Negotiated& fmt = c.req.fmt;
  const std::string site = c.impl.WebUrl(c.web.site->root()), web = c.WebUrl();
  uint64_t h = Mix(static_cast<uint64_t>(c.impl.NowUnix()));
  std::string digest = "0x";
  for (int i = 0; i < 4; ++i) {
    char buf[20];
    snprintf(buf, sizeof(buf), "%016llX",
             static_cast<unsigned long long>(Mix(h + static_cast<uint64_t>(i))));
    digest += buf;
  }
  digest += "," + FormatIso(c.impl.NowUnix());
  std::vector<Prop> props = {
      {"FormDigestTimeoutSeconds", "1800"},
      {"FormDigestValue", JsonString(digest)},
      {"LibraryVersion", "\"16.0.24817.12008\""},
      {"SiteFullUrl", JsonString(site)},
      {"SupportedSchemaVersions", fmt.format == Format::kVerbose
                                      ? "{\"__metadata\":{\"type\":\"Collection(Edm.String)\"},"
                                        "\"results\":[\"14.0.0.0\",\"15.0.0.0\"]}"
                                      : "[\"14.0.0.0\",\"15.0.0.0\"]"},
      {"WebFullUrl", JsonString(web)},
  };
  Reply r;
  if (fmt.format == Format::kVerbose) {
    std::string obj = "{\"__metadata\":{\"type\":\"SP.ContextWebInformation\"}";
    for (const auto& p : props) obj += "," + JsonString(p.key) + ":" + p.raw;
    r.body = "{\"d\":{\"GetContextWebInformation\":" + obj + "}}}";
  } else {
    r.body = "{";
    if (fmt.format == Format::kMinimal)
      r.body += (fmt.v4 ? "\"@odata.context\":" : "\"odata.metadata\":") +
                JsonString(site + "/_api/$metadata#SP.ContextWebInformation") + ",";
    bool first = true;
    for (const auto& p : props) {
      if (!first) r.body += ",";
      first = false;
      r.body += JsonString(p.key) + ":" + p.raw;
    }
    r.body += "}";
  }
  return r;
}

}  // namespace

void AddContextInfoRoutes(RouteTable& t) {
  t.Add("POST", "contextinfo", RequestKind::kContextInfo, Access::kNone, ContextInfo);
}

}  // namespace spsync::emulator::detail
