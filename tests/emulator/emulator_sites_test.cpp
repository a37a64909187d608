// Several site collections and subwebs on one emulator: every web answers
// under its own URL (web, site, web/webs, web/lists with $select, $filter,
// $orderby, $top and $expand=RootFolder), SharePoint's own lists in every
// web, list endpoints that address only their web's lists, lookups that stay
// in their web, the Options and CLI that declare the webs, and the
// synthetic estate of the discovery benchmarks.
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <map>
#include <set>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

// Two site collections; the first with a subweb and a sub-subweb (declared
// deepest first: the order of declaration does not matter).
Options TwoSites() {
  Options o;
  o.seed = 7;
  o.sites = {
      SiteSpec{
          "/sites/sales",
          {WebSpec{"/sites/sales/emea/north", "North", {{"Tasks", 10}}},
           WebSpec{"/sites/sales", "Sales", {{"Orders", 120}}},
           WebSpec{"/sites/sales/emea", "EMEA", {{"Leads", 30}, ListSpec{"Contracts", 5, 101}}}}},
      SiteSpec{"/sites/hr",
               {WebSpec{"/sites/hr", "", {{"Tasks", 10}, ListSpec{"Secret", 3, 100, true}}}}},
  };
  return o;
}

class EmulatorSites : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emu_ = new Emulator(TwoSites());
    emu_->Start();
  }
  static void TearDownTestSuite() {
    delete emu_;
    emu_ = nullptr;
  }
  static std::string Api(const std::string& web, const std::string& rest) {
    return emu_->BaseUrl() + web + "/_api/" + rest;
  }
  static Poco::JSON::Array::Ptr Values(const std::string& url) {
    auto r = Http(url);
    EXPECT_EQ(r.status, 200) << url << "\n" << r.body;
    if (r.status != 200) return new Poco::JSON::Array;
    return Json(r.body)->getArray("value");
  }
  static std::set<std::string> Titles(const Poco::JSON::Array::Ptr& values) {
    std::set<std::string> out;
    for (size_t i = 0; i < values->size(); ++i)
      out.insert(values->getObject(static_cast<unsigned>(i))->getValue<std::string>("Title"));
    return out;
  }
  static Emulator* emu_;
};
Emulator* EmulatorSites::emu_ = nullptr;

const std::vector<std::string> kWebs = {"/sites/sales", "/sites/sales/emea",
                                        "/sites/sales/emea/north", "/sites/hr"};

TEST_F(EmulatorSites, EveryWebAnswersUnderItsOwnUrl) {
  EXPECT_EQ(emu_->SiteUrl(), emu_->BaseUrl() + "/sites/sales");
  std::set<std::string> ids;
  for (const auto& web : kWebs) {
    auto r = Http(Api(web,
                      "web?$select=Id,Title,Url,ServerRelativeUrl,Created,"
                      "LastItemModifiedDate,CurrentChangeToken"));
    ASSERT_EQ(r.status, 200) << web << " " << r.body;
    auto o = Json(r.body);
    EXPECT_EQ(o->size(), 7u) << r.body;
    EXPECT_EQ(o->getValue<std::string>("ServerRelativeUrl"), web);
    EXPECT_EQ(o->getValue<std::string>("Url"), emu_->BaseUrl() + web);
    EXPECT_EQ(o->getValue<std::string>("Id"), emu_->WebId(web));
    // Web.Created comes without a zone, LastItemModifiedDate with one.
    EXPECT_EQ(o->getValue<std::string>("Created").size(), 19u);
    EXPECT_EQ(o->getValue<std::string>("LastItemModifiedDate").back(), 'Z');
    EXPECT_EQ(o->getObject("CurrentChangeToken")
                  ->getValue<std::string>("StringValue")
                  .rfind("1;2;" + emu_->WebId(web) + ";", 0),
              0u);
    ids.insert(o->getValue<std::string>("Id"));
  }
  EXPECT_EQ(ids.size(), kWebs.size());
  EXPECT_EQ(Json(Http(Api("/sites/sales", "web")).body)->getValue<std::string>("Title"), "Sales");
  EXPECT_EQ(Json(Http(Api("/sites/hr", "web")).body)->getValue<std::string>("Title"), "hr");
  // Case and a trailing slash do not matter; an unknown web is not found.
  EXPECT_EQ(Http(emu_->BaseUrl() + "/SITES/Sales/EMEA/_api/web/").status, 200);
  EXPECT_EQ(Http(Api("/sites/nope", "web")).status, 404);
  EXPECT_EQ(Http(Api("/sites/sales/nope", "web")).status, 404);
  EXPECT_THROW(emu_->WebUrl("/sites/nope"), std::invalid_argument);
}

TEST_F(EmulatorSites, SubwebsAreDirectChildrenOnly) {
  auto root = Values(Api("/sites/sales", "web/webs"));
  ASSERT_EQ(root->size(), 1u);
  EXPECT_EQ(root->getObject(0)->getValue<std::string>("ServerRelativeUrl"), "/sites/sales/emea");
  auto emea = Values(Api("/sites/sales/emea", "web/webs?$select=Title,ServerRelativeUrl"));
  ASSERT_EQ(emea->size(), 1u);
  EXPECT_EQ(emea->getObject(0)->size(), 2u);
  EXPECT_EQ(emea->getObject(0)->getValue<std::string>("Title"), "North");
  EXPECT_EQ(Values(Api("/sites/sales/emea/north", "web/webs"))->size(), 0u);
  EXPECT_EQ(Values(Api("/sites/hr", "web/webs"))->size(), 0u);
  EXPECT_EQ(Values(Api("/sites/sales", "web/webs?$filter=Title eq 'EMEA'"))->size(), 1u);
  EXPECT_EQ(Values(Api("/sites/sales", "web/webs?$filter=Title eq 'North'"))->size(), 0u);

  auto child = Json(Http(Api("/sites/sales/emea",
                             "web?$select=Title,ParentWeb/ServerRelativeUrl&$expand=ParentWeb"))
                        .body);
  EXPECT_EQ(child->getObject("ParentWeb")->getValue<std::string>("ServerRelativeUrl"),
            "/sites/sales");
  EXPECT_EQ(child->getObject("ParentWeb")->size(), 1u);
  EXPECT_TRUE(Json(Http(Api("/sites/sales", "web?$expand=ParentWeb")).body)->isNull("ParentWeb"));
  EXPECT_EQ(Json(Http(Api("/sites/sales/emea/north", "web/parentweb")).body)
                ->getValue<std::string>("Title"),
            "EMEA");
  // A projection needs its $expand.
  EXPECT_EQ(Http(Api("/sites/sales/emea", "web?$select=ParentWeb/Title")).status, 400);

  // Verbose: results, deferred navigation properties.
  auto verbose = Http(Api("/sites/sales", "web/webs"), "GET", Accept(kVerbose));
  auto d = Json(verbose.body)->getObject("d")->getArray("results")->getObject(0);
  EXPECT_EQ(d->getObject("__metadata")->getValue<std::string>("type"), "SP.Web");
  EXPECT_TRUE(d->getObject("Lists")->has("__deferred"));
}

TEST_F(EmulatorSites, SiteIsTheSiteCollectionFromAnyOfItsWebs) {
  auto from_root = Json(Http(Api("/sites/sales", "site?$select=Id,Url,ServerRelativeUrl")).body);
  auto from_deep =
      Json(Http(Api("/sites/sales/emea/north", "site?$select=Id,Url,ServerRelativeUrl")).body);
  EXPECT_EQ(from_root->getValue<std::string>("Id"), from_deep->getValue<std::string>("Id"));
  EXPECT_EQ(from_deep->getValue<std::string>("Url"), emu_->BaseUrl() + "/sites/sales");
  EXPECT_EQ(from_deep->getValue<std::string>("ServerRelativeUrl"), "/sites/sales");
  auto hr = Json(Http(Api("/sites/hr", "site")).body);
  EXPECT_NE(hr->getValue<std::string>("Id"), from_root->getValue<std::string>("Id"));
  EXPECT_EQ(hr->getObject("CurrentChangeToken")
                ->getValue<std::string>("StringValue")
                .rfind("1;1;" + hr->getValue<std::string>("Id") + ";", 0),
            0u);
  auto expanded =
      Json(Http(Api("/sites/sales/emea", "site?$select=Id,RootWeb/Title&$expand=RootWeb")).body);
  EXPECT_EQ(expanded->getObject("RootWeb")->getValue<std::string>("Title"), "Sales");
  EXPECT_EQ(Json(Http(Api("/sites/sales/emea/north", "site/rootweb")).body)
                ->getValue<std::string>("ServerRelativeUrl"),
            "/sites/sales");
}

TEST_F(EmulatorSites, ListsCollectionShowsUserAndSystemLists) {
  auto all = Values(Api("/sites/sales",
                        "web/lists?$select=Title,Hidden,BaseTemplate,BaseType,"
                        "IsSystemList,IsCatalog,ItemCount"));
  std::map<std::string, Poco::JSON::Object::Ptr> by_title;
  for (size_t i = 0; i < all->size(); ++i) {
    auto l = all->getObject(static_cast<unsigned>(i));
    EXPECT_EQ(l->size(), 7u);
    by_title[l->getValue<std::string>("Title")] = l;
  }
  for (const char* title : {"Orders", "Customers", "Documents", "Site Pages", "Style Library",
                            "Form Templates", "User Information List", "TaxonomyHiddenList",
                            "Theme Gallery", "Composed Looks", "appdata"})
    EXPECT_TRUE(by_title.count(title)) << title;
  EXPECT_TRUE(by_title["User Information List"]->getValue<bool>("Hidden"));
  EXPECT_EQ(by_title["User Information List"]->getValue<int>("BaseTemplate"), 112);
  EXPECT_EQ(by_title["User Information List"]->getValue<int>("ItemCount"), 40);
  EXPECT_EQ(by_title["Documents"]->getValue<int>("BaseType"), 1);
  EXPECT_FALSE(by_title["Documents"]->getValue<bool>("IsSystemList"));
  EXPECT_TRUE(by_title["Style Library"]->getValue<bool>("IsSystemList"));
  EXPECT_TRUE(by_title["Theme Gallery"]->getValue<bool>("IsCatalog"));
  EXPECT_EQ(by_title["Orders"]->getValue<int>("ItemCount"), 120);
  // IsSystemList is sent only when asked for.
  EXPECT_FALSE(Values(Api("/sites/sales", "web/lists"))->getObject(0)->has("IsSystemList"));

  // What discovery asks: visible generic lists.
  EXPECT_EQ(Titles(Values(Api("/sites/sales",
                              "web/lists?$select=Title&$filter=Hidden eq false and "
                              "BaseTemplate eq 100"))),
            (std::set<std::string>{"Customers", "Orders"}));
  // A subweb has no User Information List, no galleries and no Customers list.
  auto emea = Titles(Values(Api("/sites/sales/emea", "web/lists?$select=Title")));
  EXPECT_FALSE(emea.count("User Information List"));
  EXPECT_FALSE(emea.count("Style Library"));
  EXPECT_FALSE(emea.count("Customers"));
  EXPECT_TRUE(emea.count("appdata"));
  EXPECT_EQ(Titles(Values(Api("/sites/sales/emea",
                              "web/lists?$select=Title&$filter=BaseTemplate eq 101 and Hidden eq "
                              "false"))),
            (std::set<std::string>{"Contracts", "Documents", "Form Templates", "Site Assets"}));
  EXPECT_EQ(Titles(Values(Api("/sites/sales/emea",
                              "web/lists?$select=Title&$filter=IsSystemList eq false and Hidden "
                              "eq false"))),
            (std::set<std::string>{"Contracts", "Documents", "Leads", "Site Assets"}));
  // A hidden generic list is found only by asking for hidden ones.
  EXPECT_EQ(Titles(Values(Api("/sites/hr",
                              "web/lists?$select=Title&$filter=Hidden eq true and "
                              "BaseTemplate eq 100"))),
            (std::set<std::string>{"Secret", "TaxonomyHiddenList"}));
  // $orderby and $top.
  auto sorted = Values(Api("/sites/sales", "web/lists?$select=Title&$orderby=Title desc&$top=3"));
  ASSERT_EQ(sorted->size(), 3u);
  EXPECT_EQ(sorted->getObject(0)->getValue<std::string>("Title"), "Web Part Gallery");
  EXPECT_EQ(Http(Api("/sites/sales", "web/lists?$select=Nope")).status, 400);
  EXPECT_EQ(Http(Api("/sites/sales", "web/lists?$filter=Nope eq 1")).status, 400);
  EXPECT_EQ(Http(Api("/sites/sales", "web/lists?$expand=Nope")).status, 400);
}

TEST_F(EmulatorSites, RootFolderGivesEachListItsUrl) {
  auto lists = Values(Api("/sites/sales/emea",
                          "web/lists?$select=Title,EntityTypeName,ListItemEntityTypeFullName,"
                          "ParentWebUrl,RootFolder/ServerRelativeUrl&$expand=RootFolder&$filter="
                          "Hidden eq false"));
  std::map<std::string, std::vector<std::string>> got;
  for (size_t i = 0; i < lists->size(); ++i) {
    auto l = lists->getObject(static_cast<unsigned>(i));
    EXPECT_EQ(l->getObject("RootFolder")->size(), 1u);
    EXPECT_EQ(l->getValue<std::string>("ParentWebUrl"), "/sites/sales/emea");
    got[l->getValue<std::string>("Title")] = {
        l->getObject("RootFolder")->getValue<std::string>("ServerRelativeUrl"),
        l->getValue<std::string>("EntityTypeName"),
        l->getValue<std::string>("ListItemEntityTypeFullName")};
  }
  EXPECT_EQ(got["Leads"], (std::vector<std::string>{"/sites/sales/emea/Lists/Leads", "LeadsList",
                                                    "SP.Data.LeadsListItem"}));
  EXPECT_EQ(got["Contracts"], (std::vector<std::string>{"/sites/sales/emea/Contracts", "Contracts",
                                                        "SP.Data.ContractsItem"}));
  EXPECT_EQ(got["Documents"], (std::vector<std::string>{"/sites/sales/emea/Shared Documents",
                                                        "Shared_x0020_Documents",
                                                        "SP.Data.Shared_x0020_DocumentsItem"}));
  EXPECT_EQ(Http(Api("/sites/sales", "web/lists?$select=RootFolder/ServerRelativeUrl")).status,
            400);

  // The expanded folder in the other formats: an SP.Folder entity, and in
  // Atom an inline entry of a navigation link.
  const std::string one = Api("/sites/sales", "web/lists/getbytitle('Orders')?$expand=RootFolder");
  auto verbose = Json(Http(one, "GET", Accept(kVerbose)).body)->getObject("d");
  EXPECT_EQ(
      verbose->getObject("RootFolder")->getObject("__metadata")->getValue<std::string>("type"),
      "SP.Folder");
  EXPECT_EQ(verbose->getObject("RootFolder")->getValue<std::string>("ServerRelativeUrl"),
            "/sites/sales/Lists/Orders");
  auto minimal = Json(Http(one, "GET", Accept("application/json")).body);
  EXPECT_EQ(minimal->getObject("RootFolder")->getValue<std::string>("odata.type"), "SP.Folder");
  auto atom = Http(one, "GET", {});
  ASSERT_EQ(atom.status, 200);
  EXPECT_NE(atom.body.find("title=\"RootFolder\""), std::string::npos) << atom.body;
  EXPECT_NE(atom.body.find("<m:inline><entry>"), std::string::npos) << atom.body;
  EXPECT_NE(atom.body.find("<d:ServerRelativeUrl>/sites/sales/Lists/Orders</d:ServerRelativeUrl>"),
            std::string::npos);
}

TEST_F(EmulatorSites, ListEndpointsAddressOnlyTheirWebsLists) {
  EXPECT_EQ(Http(Api("/sites/sales/emea", "web/lists/getbytitle('Orders')")).status, 404);
  EXPECT_EQ(Http(Api("/sites/sales", "web/lists/getbytitle('Orders')")).status, 200);
  const std::string leads_id = emu_->ListId({"/sites/sales/emea", "Leads"});
  ASSERT_EQ(leads_id.size(), 36u);
  EXPECT_EQ(Http(Api("/sites/sales", "web/lists(guid'" + leads_id + "')")).status, 404);
  EXPECT_EQ(Http(Api("/sites/sales/emea", "web/lists(guid'" + leads_id + "')")).status, 200);
  EXPECT_EQ(Http(Api("/sites/sales/emea", "web/GetList('/sites/sales/emea/Lists/Leads')")).status,
            200);
  EXPECT_EQ(Http(Api("/sites/sales", "web/GetList('/sites/sales/emea/Lists/Leads')")).status, 404);

  auto page = Http(Api("/sites/sales/emea", "web/lists/getbytitle('Leads')/items?$top=5"));
  ASSERT_EQ(page.status, 200);
  auto o = Json(page.body);
  EXPECT_EQ(o->getArray("value")->size(), 5u);
  EXPECT_EQ(
      o->getValue<std::string>("odata.nextLink")
          .rfind(emu_->BaseUrl() + "/sites/sales/emea/_api/web/lists/getbytitle('Leads')/items", 0),
      0u);
  EXPECT_EQ(Http(o->getValue<std::string>("odata.nextLink")).status, 200);
  EXPECT_EQ(Http(Api("/sites/sales/emea", "web/lists/getbytitle('Contracts')/fields")).status, 200);

  // Lists of the same title in two webs are different lists.
  const ListRef north{"/sites/sales/emea/north", "Tasks"}, hr{"/sites/hr", "Tasks"};
  EXPECT_NE(emu_->ListId(north), emu_->ListId(hr));
  EXPECT_NE(emu_->ItemJson(north, 1), emu_->ItemJson(hr, 1));
  EXPECT_EQ(emu_->ListId({"/sites/hr", "Leads"}), "");
  EXPECT_THROW(emu_->ItemCount({"/sites/hr", "Leads"}), std::invalid_argument);

  // The site's people from any of its webs; contextinfo names web and site.
  EXPECT_EQ(Values(Api("/sites/sales/emea/north", "web/siteusers"))->size(),
            Values(Api("/sites/sales", "web/siteusers"))->size());
  auto info = Json(Http(Api("/sites/sales/emea", "contextinfo"), "POST").body);
  EXPECT_EQ(info->getValue<std::string>("WebFullUrl"), emu_->BaseUrl() + "/sites/sales/emea");
  EXPECT_EQ(info->getValue<std::string>("SiteFullUrl"), emu_->BaseUrl() + "/sites/sales");
}

TEST_F(EmulatorSites, LookupsStayInTheirWeb) {
  auto lookup_list = [&](const std::string& web, const std::string& list,
                         const std::string& field) {
    auto r =
        Http(Api(web, "web/lists/getbytitle('" + list + "')/fields/getbyinternalnameortitle('" +
                          field + "')?$select=LookupList"));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? Json(r.body)->getValue<std::string>("LookupList") : "";
  };
  EXPECT_EQ(lookup_list("/sites/sales", "Orders", "Customer"),
            "{" + emu_->ListId({"/sites/sales", "Customers"}) + "}");
  // No Customers list in the subweb: the lookup points at the list itself.
  EXPECT_EQ(lookup_list("/sites/sales/emea", "Leads", "Customer"),
            "{" + emu_->ListId({"/sites/sales/emea", "Leads"}) + "}");
  EXPECT_EQ(lookup_list("/sites/sales/emea/north", "Tasks", "Owner"),
            "{" + emu_->ListId({"/sites/sales", "User Information List"}) + "}");
  EXPECT_EQ(lookup_list("/sites/hr", "Tasks", "Owner"),
            "{" + emu_->ListId({"/sites/hr", "User Information List"}) + "}");

  auto page = Values(Api("/sites/sales/emea",
                         "web/lists/getbytitle('Leads')/items?$select=Id,CustomerId,Customer/"
                         "Title,Owner/Title&$expand=Customer,Owner&$top=30"));
  int resolved = 0;
  for (size_t i = 0; i < page->size(); ++i) {
    auto item = page->getObject(static_cast<unsigned>(i));
    if (item->isNull("CustomerId")) continue;
    auto target =
        Json(emu_->ItemJson({"/sites/sales/emea", "Leads"}, item->getValue<int64_t>("CustomerId")));
    EXPECT_EQ(item->getObject("Customer")->getValue<std::string>("Title"),
              target->getValue<std::string>("Title"));
    ++resolved;
  }
  EXPECT_GE(resolved, 10);
  // A new lookup may point only at a list of its own web.
  const Headers json = {{"Accept", kNoMeta}, {"Content-Type", "application/json;odata=nometadata"}};
  auto foreign =
      Http(Api("/sites/sales/emea", "web/lists/getbytitle('Leads')/fields"), "POST", json,
           "{\"Title\":\"Order\",\"FieldTypeKind\":7,\"LookupList\":\"" +
               emu_->ListId({"/sites/sales", "Orders"}) + "\"}");
  EXPECT_EQ(foreign.status, 400) << foreign.body;
}

TEST(EmulatorSitesOptions, AreValidatedWithTheUrlInTheMessage) {
  auto fails = [](Options o, const std::string& needle) {
    try {
      Emulator e(std::move(o));
    } catch (const std::invalid_argument& err) {
      EXPECT_NE(std::string(err.what()).find(needle), std::string::npos) << err.what();
      return;
    }
    ADD_FAILURE() << "no error for " << needle;
  };
  Options o;
  o.sites = {SiteSpec{"/sites/a", {WebSpec{"/sites/b/x"}}}};
  fails(o, "/sites/b/x");
  o.sites = {SiteSpec{"/sites/a", {WebSpec{"/sites/a/x/y"}}}};
  fails(o, "/sites/a/x");
  o.sites = {SiteSpec{"/sites/a"}, SiteSpec{"/sites/a/"}};
  fails(o, "/sites/a");
  o.sites = {SiteSpec{"sites/a"}};
  fails(o, "sites/a");
  o.sites = {SiteSpec{"/sites/a/_api"}};
  fails(o, "_api");
  o.sites = {SiteSpec{"/sites/a", {WebSpec{"/sites/a", "", {{"X", 1}, {"x", 2}}}}}};
  fails(o, "duplicate list 'x'");
  o.sites = {SiteSpec{"/sites/a"}};
  o.lists = {{"Orders", 5}};
  fails(o, "not both");
  Options fields;
  fields.sites = {SiteSpec{"/sites/a", {WebSpec{"/sites/a/x", "", {{"Orders", 5}}}}}};
  fields.fields = {{"Orders", "Region", "Text", "/sites/a/y"}};
  fails(fields, "/sites/a/y");
  // The root web is added when only subwebs are declared; a field lands in its web.
  fields.fields = {{"Orders", "Region", "Text", "/sites/a/x"}};
  Emulator e(fields);
  e.Start();
  EXPECT_EQ(Http(e.BaseUrl() + "/sites/a/_api/web/webs").status, 200);
  EXPECT_EQ(Http(e.BaseUrl() + "/sites/a/x/_api/web/lists/getbytitle('Orders')/fields/"
                               "getbyinternalnameortitle('Region')")
                .status,
            200);
}

TEST(EmulatorSitesOptions, TheSingleSiteShorthandIsUnchanged) {
  Options o;
  o.lists = {{"Orders", 10}};
  Emulator e(o);
  e.Start();
  EXPECT_EQ(e.SiteUrl(), e.BaseUrl() + "/sites/demo");
  EXPECT_EQ(e.ItemCount("Orders"), 10);
  EXPECT_EQ(e.ListId("Orders"), e.ListId({"/sites/demo", "Orders"}));
  auto users = Http(e.SiteUrl() + "/_api/web/lists/getbytitle('User Information List')");
  EXPECT_EQ(users.status, 200);
  // A tenant root site at "/".
  Options root;
  root.site = "/";
  root.lists = {{"Orders", 3}};
  Emulator r(root);
  r.Start();
  EXPECT_EQ(r.SiteUrl(), r.BaseUrl());
  auto lists = Http(r.BaseUrl() +
                    "/_api/web/lists/getbytitle('Orders')?$select=ParentWebUrl,"
                    "RootFolder/ServerRelativeUrl&$expand=RootFolder");
  ASSERT_EQ(lists.status, 200) << lists.body;
  EXPECT_EQ(Json(lists.body)->getValue<std::string>("ParentWebUrl"), "/");
  EXPECT_EQ(Json(lists.body)->getObject("RootFolder")->getValue<std::string>("ServerRelativeUrl"),
            "/Lists/Orders");
}

// Discovery as a client does it: web/webs recursively, then each web's
// visible generic lists.
TEST(EmulatorSitesEstate, DiscoveryFindsEveryDeclaredList) {
  auto estate = SyntheticEstate(20, 40, 500, 1000);
  ASSERT_EQ(estate.size(), 20u);
  size_t webs = 0, lists = 0, deepest = 0;
  for (const auto& site : estate) {
    webs += site.webs.size();
    for (const auto& w : site.webs) {
      lists += w.lists.size();
      deepest = std::max<size_t>(deepest,
                                 static_cast<size_t>(std::count(w.url.begin(), w.url.end(), '/')));
      for (const auto& l : w.lists) EXPECT_EQ(l.item_count, 1000);
    }
  }
  EXPECT_EQ(webs, 40u);
  EXPECT_EQ(lists, 500u);
  EXPECT_EQ(deepest, 4u);  // /sites/siteNN/webNN/webNN

  Options o;
  o.sites = SyntheticEstate(3, 7, 25, 10);
  Emulator e(o);
  e.Start();
  std::vector<std::string> queue;
  for (const auto& site : o.sites) queue.push_back(site.url);
  size_t found = 0, visited = 0;
  while (!queue.empty()) {
    std::string web = queue.back();
    queue.pop_back();
    ++visited;
    auto subwebs = Json(Http(e.BaseUrl() + web + "/_api/web/webs?$select=ServerRelativeUrl").body)
                       ->getArray("value");
    for (size_t i = 0; i < subwebs->size(); ++i)
      queue.push_back(
          subwebs->getObject(static_cast<unsigned>(i))->getValue<std::string>("ServerRelativeUrl"));
    found += Json(Http(e.BaseUrl() + web +
                       "/_api/web/lists?$select=Id&$filter=Hidden eq false and BaseTemplate eq 100")
                      .body)
                 ->getArray("value")
                 ->size();
  }
  EXPECT_EQ(visited, 7u);
  EXPECT_EQ(found, 25u);
  EXPECT_EQ(e.GetStats().discovery, 14u);
}

// The CLI declares webs with --web: a URL under a declared web is a subweb,
// any other a new site collection; --list and --library go to the last one.
TEST(EmulatorSitesCli, WebsAndLibrariesFromTheCommandLine) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(SPSYNC_EMULATOR_BIN, SPSYNC_EMULATOR_BIN, "--site", "/sites/a", "--list", "A=5", "--web",
          "/sites/a/sub", "--list", "B=3", "--library", "Docs=2", "--web", "/sites/b", "--list",
          "C=1", "--field", "/sites/a/sub:B:Region=Text", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  std::array<char, 256> line{};
  ASSERT_NE(fgets(line.data(), line.size(), f), nullptr);
  std::string first(line.data());
  ASSERT_EQ(first.rfind("listening on http://127.0.0.1:", 0), 0u) << first;
  const std::string site = first.substr(13, first.size() - 14);  // .../sites/a
  const std::string base = site.substr(0, site.size() - 8);
  auto titles = [&](const std::string& url) {
    std::set<std::string> t;
    auto values = Json(Http(url).body)->getArray("value");
    for (size_t i = 0; i < values->size(); ++i)
      t.insert(values->getObject(static_cast<unsigned>(i))->getValue<std::string>("Title"));
    return t;
  };
  EXPECT_EQ(titles(site + "/_api/web/webs"), (std::set<std::string>{"sub"}));
  EXPECT_EQ(titles(base + "/sites/a/sub/_api/web/lists?$filter=Hidden eq false and (BaseTemplate "
                          "eq 100 or Title eq 'Docs')"),
            (std::set<std::string>{"B", "Docs"}));
  EXPECT_EQ(
      titles(base + "/sites/b/_api/web/lists?$filter=BaseTemplate eq 100 and Hidden eq false"),
      (std::set<std::string>{"C", "Customers"}));
  EXPECT_EQ(Http(base + "/sites/a/sub/_api/web/lists/getbytitle('B')/fields/"
                        "getbyinternalnameortitle('Region')")
                .status,
            200);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  fclose(f);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace spsync::emulator::testing
