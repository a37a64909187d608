// Webs and site collections: web (SP.Web), web/webs (the direct subwebs),
// web/parentweb (SP.WebInformation), site (SP.Site) and site/rootweb, with
// $select, $filter and $expand (ParentWeb, RootWeb) as discovery reads them.
#include "api/areas.hpp"
#include "api/entity_query.hpp"
#include "util.hpp"

namespace spsync::emulator::detail {
namespace {

constexpr const char* kZeroGuid = "00000000-0000-0000-0000-000000000000";

std::string Token(const Negotiated& fmt, const std::string& token) {
  return fmt.format == Format::kVerbose ? "{\"__metadata\":{\"type\":\"SP.ChangeToken\"},"
                                          "\"StringValue\":" +
                                              JsonString(token) + "}"
                                        : "{\"StringValue\":" + JsonString(token) + "}";
}

// Web.Created is written without a zone [obs: sharepoint-rest.md 2.2, CLI samples].
std::string WebCreated(const WebState& w) {
  std::string iso = FormatIso(w.created);
  return JsonString(iso.substr(0, iso.size() - 1));
}

// SP.WebInformation: what ParentWeb shows of a web.
std::string WebInformation(const Call& c, const WebState& w,
                           const std::vector<std::string>& select) {
  const std::string url = c.impl.WebUrl(w);
  std::vector<Prop> props = {
      {"Configuration", "0"},
      {"Created", WebCreated(w)},
      {"Description", JsonString(w.description)},
      {"Id", JsonString(w.id)},
      {"Language", "1033"},
      {"LastItemModifiedDate", JsonString(FormatIso(w.LastItemModified()))},
      {"LastItemUserModifiedDate", JsonString(FormatIso(w.LastItemModified()))},
      {"ServerRelativeUrl", JsonString(w.url)},
      {"Title", JsonString(w.title)},
      {"WebTemplate", "\"STS\""},
      {"WebTemplateId", "0"},
  };
  // [guess: the id of a parent web's information]
  const std::string id = url + "/_api/Web/ParentWeb";
  std::string out;
  AppendEntity(out, c.req.fmt, EntityMeta{"SP.WebInformation", id, id, "Web/ParentWeb", ""}, props,
               select);
  return out;
}

EntityRow WebRow(const Call& c, const WebState& w, const EntityQuery& query) {
  const Negotiated& fmt = c.req.fmt;
  const std::string url = c.impl.WebUrl(w);
  EntityRow row;
  row.meta = EntityMeta{"SP.Web", url + "/_api/Web", url + "/_api/Web", "Web", ""};
  auto& props = row.props;
  if (query.Expanded("ParentWeb"))
    props.push_back({"ParentWeb", w.parent
                                      ? WebInformation(c, *w.parent, query.NavSelect("ParentWeb"))
                                      : "null"});
  const std::string master = (w.url == "/" ? "" : w.url) + "/_catalogs/masterpage/seattle.master";
  props.insert(
      props.end(),
      {
          {"AllowRssFeeds", "true"},
          {"AlternateCssUrl", "\"\""},
          {"AppInstanceId", JsonString(kZeroGuid)},
          {"Configuration", "0"},
          {"Created", WebCreated(w)},
          {"CurrentChangeToken", Token(fmt, c.impl.CurrentToken(w))},
          {"CustomMasterUrl", JsonString(master)},
          {"Description", JsonString(w.description)},
          {"DesignPackageId", JsonString(kZeroGuid)},
          {"DocumentLibraryCalloutOfficeWebAppPreviewersDisabled", "false"},
          {"EnableMinimalDownload", "false"},
          {"HorizontalQuickLaunch", "false"},
          {"Id", JsonString(w.id)},
          {"IsMultilingual", "false"},
          {"Language", "1033"},
          {"LastItemModifiedDate", JsonString(FormatIso(w.LastItemModified()))},
          {"LastItemUserModifiedDate", JsonString(FormatIso(w.LastItemModified()))},
          {"MasterUrl", JsonString(master)},
          {"NoCrawl", "false"},
          {"QuickLaunchEnabled", "true"},
          {"RecycleBinEnabled", "true"},
          {"ResourcePath", (fmt.format == Format::kVerbose
                                ? "{\"__metadata\":{\"type\":\"SP.ResourcePath\"},\"DecodedUrl\":"
                                : "{\"DecodedUrl\":") +
                               JsonString(url) + "}"},
          {"ServerRelativeUrl", JsonString(w.url)},
          {"SiteLogoUrl", "null"},
          {"SyndicationEnabled", "true"},
          {"Title", JsonString(w.title)},
          {"TreeViewEnabled", "false"},
          {"UIVersion", "15"},
          {"UIVersionConfigurationEnabled", "false"},
          {"Url", JsonString(url)},
          {"WebTemplate", "\"STS\""},
          {"WelcomePage", "\"SitePages/Home.aspx\""},
      });
  if (fmt.format == Format::kVerbose && query.select().empty())
    for (const char* nav : {"Lists", "ParentWeb", "RootFolder", "SiteUsers", "Webs"})
      if (!(std::string_view(nav) == "ParentWeb" && query.Expanded("ParentWeb")))
        props.push_back(
            {nav, "{\"__deferred\":{\"uri\":" + JsonString(url + "/_api/Web/" + nav) + "}}"});
  return row;
}

AtomTypeHint NavHint(const char* nav) {
  return [nav](std::string_view key) { return key == nav ? std::string("nav") : ""; };
}

Reply Single(const Call& c, const EntityQuery& query, EntityRow row, const char* context) {
  query.CheckSelect(row.props);
  std::string entity;
  AppendEntity(entity, c.req.fmt, row.meta, row.props, query.select(),
               c.WebUrl() + "/_api/$metadata#" + context);
  Reply r;
  WrapSingle(r.body, c.req.fmt, entity);
  return r;
}

Reply Web(Call& c) {
  EntityQuery query(c.q, "SP.Web", {"ParentWeb"});
  Reply r = Single(c, query, WebRow(c, c.web, query), "SP.ApiData.Webs/@Element");
  r.atom_hint = NavHint("ParentWeb");
  return r;
}

Reply Subwebs(Call& c) {
  EntityQuery query(c.q, "SP.Web", {"ParentWeb"});
  std::vector<EntityRow> rows;
  for (const WebState* w : c.web.subwebs) rows.push_back(WebRow(c, *w, query));
  if (!rows.empty()) query.CheckSelect(rows.front().props);
  Reply r;
  query.WriteCollection(r.body, c.req.fmt, c.WebUrl() + "/_api/$metadata#SP.ApiData.Webs",
                        std::move(rows));
  r.atom_hint = NavHint("ParentWeb");
  return r;
}

Reply ParentWeb(Call& c) {
  Reply r;
  if (!c.web.parent) {
    // A root web has no parent [guess: shape of the null answer].
    r.body = c.req.fmt.format == Format::kVerbose ? "{\"d\":{\"ParentWeb\":null}}"
                                                  : "{\"odata.null\":true}";
    return r;
  }
  WrapSingle(r.body, c.req.fmt, WebInformation(c, *c.web.parent, c.q.select));
  return r;
}

EntityRow SiteRow(const Call& c, const EntityQuery& query) {
  const Negotiated& fmt = c.req.fmt;
  const SiteState& site = *c.web.site;
  const std::string url = c.impl.WebUrl(site.root());
  EntityRow row;
  row.meta = EntityMeta{"SP.Site", url + "/_api/site", url + "/_api/site", "site", ""};
  auto& props = row.props;
  if (query.Expanded("RootWeb")) {
    EntityQuery inner(QueryOptions{}, "SP.Web", {});
    EntityRow root = WebRow(c, site.root(), inner);
    std::string web;
    AppendEntity(web, fmt, root.meta, root.props, query.NavSelect("RootWeb"));
    props.push_back({"RootWeb", web});
  }
  props.insert(props.end(), {
                                {"AllowDesigner", "true"},
                                {"Classification", "\"\""},
                                {"CompatibilityLevel", "15"},
                                // [unconfirmed: SP.Site exposing its scope-1 token over REST]
                                {"CurrentChangeToken", Token(fmt, c.impl.CurrentToken(site))},
                                {"GroupId", JsonString(kZeroGuid)},
                                {"HubSiteId", JsonString(kZeroGuid)},
                                {"Id", JsonString(site.id)},
                                {"IsHubSite", "false"},
                                {"MaxItemsPerThrottledOperation", "5000"},
                                {"PrimaryUri", JsonString(c.impl.BaseUrl() + "/")},
                                {"ReadOnly", "false"},
                                {"ServerRelativeUrl", JsonString(site.url)},
                                {"Url", JsonString(url)},
                            });
  if (fmt.format == Format::kVerbose && query.select().empty() && !query.Expanded("RootWeb"))
    props.push_back(
        {"RootWeb", "{\"__deferred\":{\"uri\":" + JsonString(url + "/_api/site/RootWeb") + "}}"});
  return row;
}

Reply Site(Call& c) {
  EntityQuery query(c.q, "SP.Site", {"RootWeb"});
  Reply r = Single(c, query, SiteRow(c, query), "SP.ApiData.Sites/@Element");
  r.atom_hint = NavHint("RootWeb");
  return r;
}

Reply RootWeb(Call& c) {
  EntityQuery query(c.q, "SP.Web", {"ParentWeb"});
  Reply r = Single(c, query, WebRow(c, c.web.site->root(), query), "SP.ApiData.Webs/@Element");
  r.atom_hint = NavHint("ParentWeb");
  return r;
}

}  // namespace

void AddWebRoutes(RouteTable& t) {
  t.Add("GET", "web", RequestKind::kDiscovery, Access::kShared, Web);
  t.Add("GET", "web/webs", RequestKind::kDiscovery, Access::kShared, Subwebs);
  t.Add("GET", "web/parentweb", RequestKind::kDiscovery, Access::kShared, ParentWeb);
  t.Add("GET", "site", RequestKind::kDiscovery, Access::kShared, Site);
  t.Add("GET", "site/rootweb", RequestKind::kDiscovery, Access::kShared, RootWeb);
}

}  // namespace spsync::emulator::detail
