// Lists created, renamed and deleted as a client does it over REST (and
// through the in-process API), the list properties kept true as items and
// fields change, and the web and site collection change logs that carry
// list and web ids.
#include <chrono>
#include <ctime>
#include <set>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

Options Sales() {
  Options o;
  o.seed = 11;
  o.sites = {
      SiteSpec{
          "/sites/sales",
          {WebSpec{"/sites/sales", "Sales", {{"Orders", 120}}},
           WebSpec{"/sites/sales/emea", "EMEA", {{"Leads", 30}, ListSpec{"Contracts", 5, 101}}},
           WebSpec{"/sites/sales/emea/north", "North", {{"Tasks", 10}}}}},
      SiteSpec{"/sites/hr", {WebSpec{"/sites/hr", "", {{"Tasks", 10}}}}},
  };
  return o;
}

const Headers kVerboseWrite = {{"Accept", kVerbose},
                               {"Content-Type", "application/json;odata=verbose"}};
const Headers kLightWrite = {{"Accept", kNoMeta},
                             {"Content-Type", "application/json;odata=nometadata"}};

std::string Api(const Emulator& e, const std::string& web, const std::string& rest) {
  return e.BaseUrl() + web + "/_api/" + rest;
}

std::string FormatTime(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string FormatNow(const Emulator& e) {
  return FormatTime(e.Now());
}

// Whether `stamp` is the emulator's now, in whole seconds. Its clock is real
// time plus the test's offsets, so the second may have ticked between the
// write that took the stamp and this check (seen once under ASan).
::testing::AssertionResult IsNow(const Emulator& e, const std::string& stamp) {
  const auto now = e.Now();
  if (stamp == FormatTime(now) || stamp == FormatTime(now - std::chrono::seconds(1)))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << stamp << " is not now (" << FormatTime(now) << ")";
}

std::set<std::string> ListTitles(const Emulator& e, const std::string& web) {
  std::set<std::string> out;
  auto values = Json(Http(Api(e, web, "web/lists?$select=Title")).body)->getArray("value");
  for (size_t i = 0; i < values->size(); ++i)
    out.insert(values->getObject(static_cast<unsigned>(i))->getValue<std::string>("Title"));
  return out;
}

TEST(EmulatorListAdmin, CreateListOverRestVerboseAndJsonLight) {
  Emulator e(Sales());
  e.Start();
  const std::string emea = "/sites/sales/emea";
  auto created = Http(Api(e, emea, "web/lists"), "POST", kVerboseWrite,
                      "{\"__metadata\":{\"type\":\"SP.List\"},\"AllowContentTypes\":true,"
                      "\"BaseTemplate\":100,\"ContentTypesEnabled\":true,\"Description\":\"Open "
                      "quotes\",\"Title\":\"Quotes\"}");
  ASSERT_EQ(created.status, 201) << created.body;
  auto d = Json(created.body)->getObject("d");
  EXPECT_EQ(d->getObject("__metadata")->getValue<std::string>("type"), "SP.List");
  const std::string quotes_id = d->getValue<std::string>("Id");
  EXPECT_EQ(quotes_id, e.ListId({emea, "Quotes"}));
  EXPECT_EQ(d->getValue<int>("ItemCount"), 0);
  EXPECT_EQ(d->getValue<std::string>("Description"), "Open quotes");
  EXPECT_EQ(d->getValue<std::string>("ParentWebUrl"), emea);
  EXPECT_TRUE(IsNow(e, d->getValue<std::string>("Created")));
  EXPECT_EQ(d->getValue<std::string>("ListItemEntityTypeFullName"), "SP.Data.QuotesListItem");

  auto library = Http(Api(e, emea, "web/lists"), "POST", kLightWrite,
                      "{\"Title\":\"Invoices\",\"BaseTemplate\":101}");
  ASSERT_EQ(library.status, 201) << library.body;
  auto lib = Json(library.body);
  EXPECT_EQ(lib->getValue<int>("BaseType"), 1);
  EXPECT_EQ(lib->getValue<std::string>("EntityTypeName"), "Invoices");
  EXPECT_TRUE(ListTitles(e, emea).count("Quotes"));
  EXPECT_TRUE(ListTitles(e, emea).count("Invoices"));
  EXPECT_FALSE(ListTitles(e, "/sites/sales").count("Quotes"));

  // A new list has its template's fields (Title and the system ones), none of
  // the columns the seeded lists were given, and takes items.
  auto fields = [&](const std::string& list) {
    std::set<std::string> names;
    auto all =
        Json(Http(Api(e, emea, "web/lists/getbytitle('" + list + "')/fields?$select=InternalName"))
                 .body)
            ->getArray("value");
    for (size_t i = 0; i < all->size(); ++i)
      names.insert(all->getObject(static_cast<unsigned>(i))->getValue<std::string>("InternalName"));
    return names;
  };
  const auto fresh = fields("Quotes"), seeded = fields("Leads");
  for (const char* standard : {"Title", "ID", "Modified", "Created", "Author", "Editor", "GUID",
                               "Attachments", "ContentType"})
    EXPECT_TRUE(fresh.count(standard)) << standard;
  for (const char* own : {"Amount", "Customer", "Owner", "Status"}) {
    EXPECT_FALSE(fresh.count(own)) << own;
    EXPECT_TRUE(seeded.count(own)) << own;
  }
  const std::string token = e.CurrentChangeToken({emea, "Quotes"});
  auto item = Http(Api(e, emea, "web/lists(guid'" + quotes_id + "')/items"), "POST", kLightWrite,
                   "{\"Title\":\"Q-1\"}");
  ASSERT_EQ(item.status, 201) << item.body;
  EXPECT_EQ(Json(item.body)->getValue<int64_t>("Id"), 1);
  EXPECT_EQ(e.ItemCount({emea, "Quotes"}), 1);
  auto changes =
      Http(Api(e, emea, "web/lists(guid'" + quotes_id + "')/GetChanges"), "POST", kLightWrite,
           "{\"query\":{\"Item\":true,\"Add\":true,\"ChangeTokenStart\":{\"StringValue\":"
           "\"" +
               token + "\"}}}");
  EXPECT_EQ(Json(changes.body)->getArray("value")->size(), 1u) << changes.body;

  // SharePoint's refusals.
  auto duplicate = Http(Api(e, emea, "web/lists"), "POST", kLightWrite, "{\"Title\":\"quotes\"}");
  EXPECT_EQ(duplicate.status, 500);
  EXPECT_NE(duplicate.body.find("already exists in this Web site"), std::string::npos);
  EXPECT_EQ(Http(Api(e, emea, "web/lists"), "POST", kLightWrite,
                 "{\"__metadata\":{\"type\":\"SP.List\"},\"Title\":\"X\"}")
                .status,
            400);
  EXPECT_EQ(
      Http(Api(e, emea, "web/lists"), "POST", kLightWrite, "{\"Title\":\"X\",\"Nope\":1}").status,
      400);
  EXPECT_EQ(Http(Api(e, emea, "web/lists"), "POST", kLightWrite,
                 "{\"Title\":\"X\",\"BaseTemplate\":\"100\"}")
                .status,
            400);
  EXPECT_EQ(Http(Api(e, emea, "web/lists"), "POST", kLightWrite, "{\"Description\":\"x\"}").status,
            400);
  EXPECT_FALSE(ListTitles(e, emea).count("X"));

  // Deleted and created again: a new list, a new GUID.
  ASSERT_EQ(Http(Api(e, emea, "web/lists(guid'" + quotes_id + "')"), "DELETE",
                 {{"Accept", kNoMeta}, {"If-Match", "*"}})
                .status,
            200);
  auto again = Http(Api(e, emea, "web/lists"), "POST", kLightWrite, "{\"Title\":\"Quotes\"}");
  ASSERT_EQ(again.status, 201);
  EXPECT_NE(Json(again.body)->getValue<std::string>("Id"), quotes_id);
  EXPECT_EQ(Json(again.body)->getValue<int>("ItemCount"), 0);

  // The in-process API makes the same checks, and may seed items.
  const std::string id = e.CreateList("/sites/hr", ListSpec{"Payroll", 250});
  EXPECT_EQ(id, e.ListId({"/sites/hr", "Payroll"}));
  EXPECT_EQ(e.ItemCount({"/sites/hr", "Payroll"}), 250);
  EXPECT_THROW(e.CreateList("/sites/hr", ListSpec{"payroll", 1}), std::invalid_argument);
  EXPECT_THROW(e.CreateList("/sites/nope", ListSpec{"X", 1}), std::invalid_argument);
}

TEST(EmulatorListAdmin, RenameKeepsGuidUrlAndItems) {
  Emulator e(Sales());
  e.Start();
  const std::string emea = "/sites/sales/emea";
  const std::string id = e.ListId({emea, "Leads"});
  const std::string item3 = e.ItemJson({emea, "Leads"}, 3);
  const std::string list = Api(e, emea, "web/lists(guid'" + id + "')");
  const std::string select =
      "?$select=Id,Title,EntityTypeName,LastItemModifiedDate,RootFolder/ServerRelativeUrl&$expand="
      "RootFolder";
  auto before = Json(Http(list + select).body);
  e.AdvanceClock(std::chrono::hours(2));
  auto renamed = Http(list, "POST",
                      {{"Accept", kVerbose},
                       {"Content-Type", "application/json;odata=verbose"},
                       {"X-HTTP-Method", "MERGE"},
                       {"If-Match", "*"}},
                      "{\"__metadata\":{\"type\":\"SP.List\"},\"Title\":\"Leads 2024\"}");
  ASSERT_EQ(renamed.status, 204) << renamed.body;
  auto after = Json(Http(list + select).body);
  EXPECT_EQ(after->getValue<std::string>("Title"), "Leads 2024");
  EXPECT_EQ(after->getValue<std::string>("Id"), id);
  EXPECT_EQ(after->getValue<std::string>("EntityTypeName"), "LeadsList");
  EXPECT_EQ(after->getObject("RootFolder")->getValue<std::string>("ServerRelativeUrl"),
            "/sites/sales/emea/Lists/Leads");
  EXPECT_GT(after->getValue<std::string>("LastItemModifiedDate"),
            before->getValue<std::string>("LastItemModifiedDate"));
  EXPECT_EQ(Http(Api(e, emea, "web/lists/getbytitle('Leads')")).status, 404);
  EXPECT_EQ(Http(Api(e, emea, "web/lists/getbytitle('Leads 2024')")).status, 200);
  EXPECT_EQ(e.ItemJson({emea, "Leads 2024"}, 3), item3);

  // PATCH (JSON light) onto a taken title; a stale etag.
  auto taken = Http(list, "PATCH", {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
                    "{\"Title\":\"contracts\"}");
  EXPECT_EQ(taken.status, 500) << taken.body;
  auto stale = Http(list, "POST",
                    {{"Accept", kNoMeta},
                     {"Content-Type", "application/json"},
                     {"X-HTTP-Method", "MERGE"},
                     {"If-Match", "\"1\""}},
                    "{\"Title\":\"Other\"}");
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(e.ListId({emea, "Leads 2024"}), id);

  e.RenameList({emea, "Leads 2024"}, "Leads");
  EXPECT_EQ(e.ListId({emea, "Leads"}), id);
  EXPECT_THROW(e.RenameList({emea, "Leads"}, "Contracts"), std::invalid_argument);
}

TEST(EmulatorListAdmin, DeleteMovesTheListToTheRecycleBin) {
  Emulator e(Sales());
  e.Start();
  const std::string emea = "/sites/sales/emea";
  const std::string leads = e.ListId({emea, "Leads"});
  auto del = Http(Api(e, emea, "web/lists(guid'" + leads + "')"), "DELETE",
                  {{"Accept", kNoMeta}, {"If-Match", "*"}});
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(Http(Api(e, emea, "web/lists(guid'" + leads + "')")).status, 404);
  EXPECT_FALSE(ListTitles(e, emea).count("Leads"));
  EXPECT_THROW(e.ItemCount({emea, "Leads"}), std::invalid_argument);

  const std::string contracts = e.ListId({emea, "Contracts"});
  auto tunnelled = Http(Api(e, emea, "web/lists/getbytitle('Contracts')"), "POST",
                        {{"Accept", kNoMeta}, {"X-HTTP-Method", "DELETE"}, {"If-Match", "*"}});
  EXPECT_EQ(tunnelled.status, 200);
  EXPECT_EQ(e.ListId({emea, "Contracts"}), "");

  // recycle() answers the recycle bin id; restoring brings back the same list.
  const ListRef tasks{"/sites/sales/emea/north", "Tasks"};
  const std::string tasks_id = e.ListId(tasks);
  const std::string item5 = e.ItemJson(tasks, 5);
  auto recycled =
      Http(Api(e, tasks.web, "web/lists/getbytitle('Tasks')/recycle()"), "POST", Accept(kNoMeta));
  ASSERT_EQ(recycled.status, 200) << recycled.body;
  const std::string rid = Json(recycled.body)->getValue<std::string>("value");
  EXPECT_EQ(e.ListId(tasks), "");
  // Another site collection's recycle bin does not have it.
  EXPECT_EQ(Http(Api(e, "/sites/hr", "web/recyclebin('" + rid + "')/restore()"), "POST").status,
            404);
  auto restored = Http(Api(e, "/sites/sales", "site/recyclebin('" + rid + "')/restore()"), "POST");
  EXPECT_EQ(restored.status, 200) << restored.body;
  EXPECT_EQ(e.ListId(tasks), tasks_id);
  EXPECT_EQ(e.ItemJson(tasks, 5), item5);
  EXPECT_EQ(e.ItemCount(tasks), 10);

  // The in-process API: delete, a same-title list in the way, restore.
  const std::string orders = e.ListId({"/sites/sales", "Orders"});
  const std::string orders_rid = e.DeleteList({"/sites/sales", "Orders"});
  e.CreateList("/sites/sales", ListSpec{"Orders", 1});
  EXPECT_THROW(e.RestoreList(orders_rid), std::invalid_argument);
  e.DeleteList({"/sites/sales", "Orders"});
  e.RestoreList(orders_rid);
  EXPECT_EQ(e.ListId({"/sites/sales", "Orders"}), orders);
  EXPECT_EQ(e.ItemCount({"/sites/sales", "Orders"}), 120);
  EXPECT_THROW(e.RestoreList(orders_rid), std::invalid_argument);

  // Lists the site needs cannot be deleted.
  auto users = Http(Api(e, "/sites/sales", "web/lists/getbytitle('User Information List')"),
                    "DELETE", {{"Accept", kNoMeta}});
  EXPECT_EQ(users.status, 500);
  EXPECT_NE(e.ListId({"/sites/sales", "User Information List"}), "");
}

struct ListDates {
  int64_t count;
  std::string modified, deleted, created;
};

ListDates Dates(const Emulator& e, const std::string& web, const std::string& title) {
  // Read the way discovery reads them: from the lists collection.
  auto values = Json(Http(Api(e, web,
                              "web/lists?$select=ItemCount,LastItemModifiedDate,"
                              "LastItemDeletedDate,Created&$filter=Title eq '" +
                                  title + "'"))
                         .body)
                    ->getArray("value");
  EXPECT_EQ(values->size(), 1u);
  auto l = values->getObject(0);
  return {l->getValue<int64_t>("ItemCount"), l->getValue<std::string>("LastItemModifiedDate"),
          l->getValue<std::string>("LastItemDeletedDate"), l->getValue<std::string>("Created")};
}

TEST(EmulatorListAdmin, ListPropertiesFollowEveryMutation) {
  Emulator e(Sales());
  e.Start();
  const std::string north = "/sites/sales/emea/north";
  const ListRef tasks{north, "Tasks"};
  ListDates d0 = Dates(e, north, "Tasks");
  EXPECT_EQ(d0.count, 10);
  EXPECT_EQ(d0.deleted, d0.created);  // no deletion yet
  auto step = [&] { e.AdvanceClock(std::chrono::hours(1)); };

  step();
  const int64_t added = e.AddItem(tasks, "{\"Title\":\"new\"}");
  ListDates d1 = Dates(e, north, "Tasks");
  EXPECT_EQ(d1.count, 11);
  EXPECT_TRUE(IsNow(e, d1.modified));
  EXPECT_EQ(d1.deleted, d0.deleted);

  step();
  e.UpdateItem(tasks, 2, "{\"Title\":\"changed\"}");
  EXPECT_TRUE(IsNow(e, Dates(e, north, "Tasks").modified));

  step();
  e.RecycleItem(tasks, 3);
  ListDates d3 = Dates(e, north, "Tasks");
  EXPECT_EQ(d3.count, 10);
  EXPECT_TRUE(IsNow(e, d3.deleted));
  EXPECT_LT(d3.modified, FormatNow(e));  // a deletion is not a modification

  step();
  e.DeleteItem(tasks, added);
  EXPECT_TRUE(IsNow(e, Dates(e, north, "Tasks").deleted));
  EXPECT_EQ(Dates(e, north, "Tasks").count, 9);

  step();
  e.RestoreItem(tasks, 3);
  ListDates d5 = Dates(e, north, "Tasks");
  EXPECT_EQ(d5.count, 10);
  EXPECT_TRUE(IsNow(e, d5.modified));

  step();
  e.AddField(tasks, "Region", "Text");
  EXPECT_TRUE(IsNow(e, Dates(e, north, "Tasks").modified));

  step();
  auto indexed = Http(Api(e, north,
                          "web/lists/getbytitle('Tasks')/fields/"
                          "getbyinternalnameortitle('Status')"),
                      "PATCH", {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
                      "{\"Indexed\":true}");
  ASSERT_EQ(indexed.status, 204);
  EXPECT_TRUE(IsNow(e, Dates(e, north, "Tasks").modified));

  // REST writes move the same dates, seen in every format.
  step();
  ASSERT_EQ(Http(Api(e, north, "web/lists/getbytitle('Tasks')/items(4)/recycle()"), "POST").status,
            200);
  auto verbose = Json(Http(Api(e, north,
                               "web/lists/getbytitle('Tasks')?$select="
                               "LastItemDeletedDate,ItemCount"),
                           "GET", Accept(kVerbose))
                          .body)
                     ->getObject("d");
  EXPECT_TRUE(IsNow(e, verbose->getValue<std::string>("LastItemDeletedDate")));
  EXPECT_EQ(verbose->getValue<int64_t>("ItemCount"), 9);

  // The web's date is its newest list's; other webs did not move.
  auto web = Json(Http(Api(e, north, "web?$select=LastItemModifiedDate")).body);
  EXPECT_EQ(web->getValue<std::string>("LastItemModifiedDate"), Dates(e, north, "Tasks").modified);
  EXPECT_LT(Json(Http(Api(e, "/sites/hr", "web?$select=LastItemModifiedDate")).body)
                ->getValue<std::string>("LastItemModifiedDate"),
            FormatNow(e));
}

struct SiteChange {
  std::string type, list_id, web_id, title;
  int change_type;
  int64_t item;
};

std::vector<SiteChange> ScopeChanges(const Emulator& e, const std::string& web,
                                     const std::string& scope, const std::string& token,
                                     int* status = nullptr) {
  auto r = Http(Api(e, web, scope + "/getchanges"), "POST", kVerboseWrite,
                "{\"query\":{\"__metadata\":{\"type\":\"SP.ChangeQuery\"},\"Item\":true,\"List\":"
                "true,\"Add\":true,\"Update\":true,\"DeleteObject\":true,\"ChangeTokenStart\":{"
                "\"__metadata\":{\"type\":\"SP.ChangeToken\"},\"StringValue\":\"" +
                    token + "\"}}}");
  if (status) *status = r.status;
  std::vector<SiteChange> out;
  if (r.status != 200) return out;
  auto results = Json(r.body)->getObject("d")->getArray("results");
  for (size_t i = 0; i < results->size(); ++i) {
    auto c = results->getObject(static_cast<unsigned>(i));
    out.push_back({c->getObject("__metadata")->getValue<std::string>("type"),
                   c->getValue<std::string>("ListId"), c->getValue<std::string>("WebId"),
                   c->optValue<std::string>("Title", ""), c->getValue<int>("ChangeType"),
                   c->optValue<int64_t>("ItemId", 0)});
  }
  return out;
}

TEST(EmulatorListAdmin, WebAndSiteChangeLogsCarryListAndWebIds) {
  Emulator e(Sales());
  e.Start();
  const std::string root = "/sites/sales", emea = "/sites/sales/emea",
                    north = "/sites/sales/emea/north";
  auto token_of = [&](const std::string& web, const std::string& what) {
    return Json(Http(Api(e, web, what + "?$select=CurrentChangeToken")).body)
        ->getObject("CurrentChangeToken")
        ->getValue<std::string>("StringValue");
  };
  const std::string site_token = token_of(root, "site");
  const std::string root_token = token_of(root, "web");
  const std::string emea_token = token_of(emea, "web");
  ASSERT_EQ(site_token.rfind("1;1;", 0), 0u);

  const int64_t order = e.AddItem({root, "Orders"}, "{\"Title\":\"o\"}");
  const int64_t lead = e.AddItem({emea, "Leads"}, "{\"Title\":\"l\"}");
  ASSERT_EQ(Http(Api(e, north, "web/lists"), "POST", kLightWrite, "{\"Title\":\"Risks\"}").status,
            201);
  e.RenameList({north, "Tasks"}, "Chores");
  const std::string contracts = e.ListId({emea, "Contracts"});
  e.DeleteList({emea, "Contracts"});
  e.AddItem({"/sites/hr", "Tasks"}, "{\"Title\":\"elsewhere\"}");

  auto site = ScopeChanges(e, root, "site", site_token);
  ASSERT_EQ(site.size(), 5u);
  EXPECT_EQ(site[0].type, "SP.ChangeItem");
  EXPECT_EQ(site[0].list_id, e.ListId({root, "Orders"}));
  EXPECT_EQ(site[0].web_id, e.WebId(root));
  EXPECT_EQ(site[0].item, order);
  EXPECT_EQ(site[1].web_id, e.WebId(emea));
  EXPECT_EQ(site[1].item, lead);
  EXPECT_EQ(site[2].type, "SP.ChangeList");
  EXPECT_EQ(site[2].change_type, 1);
  EXPECT_EQ(site[2].title, "Risks");
  EXPECT_EQ(site[2].list_id, e.ListId({north, "Risks"}));
  EXPECT_EQ(site[2].web_id, e.WebId(north));
  EXPECT_EQ(site[3].change_type, 2);
  EXPECT_EQ(site[3].title, "Chores");
  EXPECT_EQ(site[4].change_type, 3);
  EXPECT_EQ(site[4].list_id, contracts);
  EXPECT_EQ(site[4].title, "Contracts");
  // The same log from any web of the site collection.
  EXPECT_EQ(ScopeChanges(e, north, "site", site_token).size(), 5u);

  // A web's log has its own changes only (not its subwebs').
  auto root_changes = ScopeChanges(e, root, "web", root_token);
  ASSERT_EQ(root_changes.size(), 1u);
  EXPECT_EQ(root_changes[0].item, order);
  auto emea_changes = ScopeChanges(e, emea, "web", emea_token);
  ASSERT_EQ(emea_changes.size(), 2u);
  EXPECT_EQ(emea_changes[1].list_id, contracts);

  // Tokens of another scope or object are refused.
  int status = 0;
  ScopeChanges(e, root, "site", root_token, &status);
  EXPECT_EQ(status, 500);
  ScopeChanges(e, emea, "web", root_token, &status);
  EXPECT_EQ(status, 500);
  ScopeChanges(e, root, "site", e.CurrentChangeToken({root, "Orders"}), &status);
  EXPECT_EQ(status, 500);
  ScopeChanges(e, "/sites/hr", "site", site_token, &status);
  EXPECT_EQ(status, 500);
  EXPECT_GE(e.GetStats().get_changes, 8u);
}

}  // namespace
}  // namespace spsync::emulator::testing
