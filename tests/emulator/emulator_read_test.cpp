// Read endpoints: list addressing and properties, fields, items paging and
// next links, the three formats, the list view threshold, CAML GetItems, gzip.
#include <chrono>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

class EmulatorReadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Options o;
    o.lists = {{"Small", 300}, {"Big", 12000}, {"Tasks", 20}};
    o.seed = 42;
    emu_ = new Emulator(o);
    emu_->Start();
  }
  static void TearDownTestSuite() {
    delete emu_;
    emu_ = nullptr;
  }
  static std::vector<int64_t> LiveIds(const std::string& list) {
    std::vector<int64_t> ids;
    emu_->ForEachLiveItem(list, [&](int64_t id, std::string_view) { ids.push_back(id); });
    return ids;
  }
  static Emulator* emu_;
};
Emulator* EmulatorReadTest::emu_ = nullptr;

const char* kThrottleBody =
    "{\"odata.error\":{\"code\":\"-2147024860, "
    "Microsoft.SharePoint.SPQueryThrottledException\",\"message\":{\"lang\":\"en-US\",\"value\":"
    "\"The attempted operation is prohibited because it exceeds the list view threshold.\"}}}";

TEST_F(EmulatorReadTest, ListAddressedByTitleGuidAndUrlAgree) {
  const std::string id = emu_->ListId("Big");
  ASSERT_EQ(id.size(), 36u);
  const std::string api = emu_->SiteUrl() + "/_api/web/";
  for (const std::string& path : std::vector<std::string>{
           "lists/getbytitle('Big')", "Lists/GetByTitle(%27big%27)", "lists(guid'" + id + "')",
           "lists('" + id + "')", "lists/getbyid('" + id + "')", "GetList('/sites/demo/Lists/Big')",
           "GetList(@a)?@a='%2Fsites%2Fdemo%2FLists%2FBig'"}) {
    auto r = Http(api + path);
    ASSERT_EQ(r.status, 200) << path << " " << r.body;
    auto o = Json(r.body);
    EXPECT_EQ(o->getValue<std::string>("Id"), id) << path;
    EXPECT_EQ(o->getValue<int64_t>("ItemCount"), 12000) << path;
    EXPECT_EQ(o->getValue<std::string>("Title"), "Big");
  }
  auto missing = Http(api + "lists/getbytitle('Nope')");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Json(missing.body)->getObject("odata.error")->getValue<std::string>("code"),
            "-1, System.ArgumentException");
}

TEST_F(EmulatorReadTest, ListPropertiesAndSelect) {
  auto r = Http(ApiList(*emu_, "Tasks") +
                "?$select=Id,Title,ItemCount,LastItemModifiedDate,CurrentChangeToken,"
                "ListItemEntityTypeFullName");
  ASSERT_EQ(r.status, 200);
  auto o = Json(r.body);
  EXPECT_EQ(o->size(), 6u);
  EXPECT_EQ(o->getValue<std::string>("ListItemEntityTypeFullName"), "SP.Data.TasksListItem");
  std::string token = o->getObject("CurrentChangeToken")->getValue<std::string>("StringValue");
  EXPECT_EQ(token.rfind("1;3;" + emu_->ListId("Tasks") + ";", 0), 0u) << token;
  EXPECT_EQ(o->getValue<std::string>("LastItemModifiedDate").size(), 20u);
  auto bad = Http(ApiList(*emu_, "Tasks") + "?$select=Nope");
  EXPECT_EQ(bad.status, 400);
}

TEST_F(EmulatorReadTest, ThreeFormatsAndOdataV4) {
  auto minimal = Http(ApiList(*emu_, "Tasks"), "GET", Accept("application/json"));
  ASSERT_EQ(minimal.status, 200);
  EXPECT_NE(minimal.Header("Content-Type").find("odata=minimalmetadata"), std::string::npos);
  auto m = Json(minimal.body);
  EXPECT_EQ(m->getValue<std::string>("odata.metadata"),
            emu_->SiteUrl() + "/_api/$metadata#SP.ApiData.Lists/@Element");
  EXPECT_EQ(m->getValue<std::string>("odata.type"), "SP.List");

  auto verbose = Http(ApiList(*emu_, "Tasks"), "GET", Accept(kVerbose));
  auto d = Json(verbose.body)->getObject("d");
  EXPECT_EQ(d->getObject("__metadata")->getValue<std::string>("type"), "SP.List");
  EXPECT_EQ(
      d->getObject("CurrentChangeToken")->getObject("__metadata")->getValue<std::string>("type"),
      "SP.ChangeToken");
  EXPECT_TRUE(d->getObject("Fields")->has("__deferred"));

  auto none = Http(ApiList(*emu_, "Tasks"), "GET", Accept(kNoMeta));
  EXPECT_FALSE(Json(none.body)->has("odata.metadata"));
  EXPECT_FALSE(Json(none.body)->has("odata.type"));

  auto v4_refused =
      Http(ApiList(*emu_, "Tasks"), "GET", {{"Accept", kNoMeta}, {"OData-Version", "4.0"}});
  EXPECT_EQ(v4_refused.status, 406);
  auto v4 = Http(ApiList(*emu_, "Tasks") + "/items?$top=1", "GET",
                 {{"Accept", "application/json;odata.metadata=minimal"}, {"OData-Version", "4.0"}});
  ASSERT_EQ(v4.status, 200);
  auto v4o = Json(v4.body);
  EXPECT_TRUE(v4o->has("@odata.context"));
  EXPECT_TRUE(v4o->has("@odata.nextLink"));
  EXPECT_TRUE(v4o->getArray("value")->getObject(0)->has("@odata.etag"));
}

TEST_F(EmulatorReadTest, FieldsSelectAndHiddenFilter) {
  auto all = Json(Http(ApiList(*emu_, "Small") + "/fields").body)->getArray("value");
  auto visible = Json(Http(ApiList(*emu_, "Small") +
                           "/fields?$select=InternalName,TypeAsString,FieldTypeKind,Hidden,"
                           "EntityPropertyName,Indexed&$filter=Hidden eq false")
                          .body)
                     ->getArray("value");
  ASSERT_GT(all->size(), visible->size());
  std::map<std::string, Poco::JSON::Object::Ptr> by_name;
  for (size_t i = 0; i < visible->size(); ++i) {
    auto f = visible->getObject(static_cast<unsigned>(i));
    EXPECT_EQ(f->size(), 6u);
    EXPECT_FALSE(f->getValue<bool>("Hidden"));
    by_name[f->getValue<std::string>("InternalName")] = f;
  }
  EXPECT_EQ(by_name.count("GUID"), 0u);
  EXPECT_EQ(by_name.count("ContentTypeId"), 0u);
  ASSERT_EQ(by_name.count("Customer"), 1u);
  EXPECT_EQ(by_name["Customer"]->getValue<std::string>("TypeAsString"), "Lookup");
  EXPECT_EQ(by_name["Customer"]->getValue<int>("FieldTypeKind"), 7);
  EXPECT_EQ(by_name["_UIVersionString"]->getValue<std::string>("EntityPropertyName"),
            "OData__UIVersionString");
  EXPECT_TRUE(by_name["ID"]->getValue<bool>("Indexed"));
  EXPECT_EQ(by_name["Tags"]->getValue<std::string>("TypeAsString"), "MultiChoice");
}

TEST_F(EmulatorReadTest, DefaultPageAndExactNextLink) {
  auto r = Http(ApiList(*emu_, "Small") + "/items");
  ASSERT_EQ(r.status, 200);
  auto o = Json(r.body);
  auto value = o->getArray("value");
  ASSERT_EQ(value->size(), 100u);
  auto ids = LiveIds("Small");
  ASSERT_EQ(ids.size(), 300u);
  int64_t last = value->getObject(99)->getValue<int64_t>("Id");
  EXPECT_EQ(last, ids[99]);
  EXPECT_EQ(o->getValue<std::string>("odata.nextLink"),
            ApiList(*emu_, "Small") + "/items?%24skiptoken=Paged%3dTRUE%26p_ID%3d" +
                std::to_string(last));
}

TEST_F(EmulatorReadTest, PagingVisitsEveryLiveItemOnce) {
  auto ids = LiveIds("Small");
  std::vector<int64_t> seen;
  std::string url = ApiList(*emu_, "Small") + "/items?$select=Id,Title&$top=70";
  int pages = 0;
  while (!url.empty()) {
    auto o = Json(Http(url).body);
    auto value = o->getArray("value");
    for (size_t i = 0; i < value->size(); ++i) {
      auto item = value->getObject(static_cast<unsigned>(i));
      EXPECT_EQ(item->size(), 3u);  // Id, ID, Title
      seen.push_back(item->getValue<int64_t>("Id"));
    }
    url = o->optValue<std::string>("odata.nextLink", "");
    if (!url.empty() && pages == 0) {
      EXPECT_NE(url.find("&%24select=Id%2cTitle&%24top=70"), std::string::npos) << url;
    }
    ++pages;
  }
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen, ids);
  // Gaps: a 300-item list misses some IDs, so the largest ID exceeds the count.
  EXPECT_GT(ids.back(), 300);
}

TEST_F(EmulatorReadTest, FilterOrderbyAndNextLinkEncoding) {
  auto ids = LiveIds("Small");
  auto r = Json(
      Http(ApiList(*emu_, "Small") +
           "/items?$select=Id&$filter=(ID gt 10 and ID le 40) or ID eq 299&$orderby=ID desc&$top=5")
          .body);
  auto value = r->getArray("value");
  std::vector<int64_t> expected;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it)
    if ((*it > 10 && *it <= 40) || *it == 299) expected.push_back(*it);
  ASSERT_GE(expected.size(), 6u);
  for (size_t i = 0; i < 5; ++i)
    EXPECT_EQ(value->getObject(static_cast<unsigned>(i))->getValue<int64_t>("Id"), expected[i]);
  EXPECT_EQ(r->getValue<std::string>("odata.nextLink"),
            ApiList(*emu_, "Small") + "/items?%24skiptoken=Paged%3dTRUE%26p_ID%3d" +
                std::to_string(expected[4]) +
                "&%24filter=(ID+gt+10+and+ID+le+40)+or+ID+eq+299&%24orderby=ID+desc&%24select=Id&%"
                "24top=5");
  auto next = Json(Http(r->getValue<std::string>("odata.nextLink")).body)->getArray("value");
  EXPECT_EQ(next->getObject(0)->getValue<int64_t>("Id"), expected[5]);

  auto by_date = Json(Http(ApiList(*emu_, "Small") + "/items?$select=Id,Modified&$top=5000&$filter="
                                                     "Modified gt datetime'2023-01-01T00:00:00Z'")
                          .body)
                     ->getArray("value");
  ASSERT_GT(by_date->size(), 0u);
  ASSERT_LT(by_date->size(), 300u);
  for (size_t i = 0; i < by_date->size(); ++i)
    EXPECT_GT(by_date->getObject(static_cast<unsigned>(i))->getValue<std::string>("Modified"),
              "2023-01-01T00:00:00Z");
  auto status = Json(Http(ApiList(*emu_, "Small") +
                          "/items?$select=Id,Status&$top=5000&$filter=Status eq 'Completed'")
                         .body)
                    ->getArray("value");
  ASSERT_GT(status->size(), 0u);
  for (size_t i = 0; i < status->size(); ++i)
    EXPECT_EQ(status->getObject(static_cast<unsigned>(i))->getValue<std::string>("Status"),
              "Completed");
  auto unknown = Http(ApiList(*emu_, "Small") + "/items?$filter=Nope eq 1");
  EXPECT_EQ(unknown.status, 400);
}

TEST_F(EmulatorReadTest, ItemShapesAndSingleItem) {
  const int64_t id = LiveIds("Small")[3];
  auto r = Http(ApiList(*emu_, "Small") + "/items(" + std::to_string(id) + ")");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, emu_->ItemJson("Small", id));
  auto o = Json(r.body);
  EXPECT_EQ(o->getValue<int64_t>("Id"), id);
  EXPECT_EQ(o->getValue<int64_t>("ID"), id);
  EXPECT_TRUE(o->isArray("Tags"));
  EXPECT_TRUE(o->has("CustomerId"));
  EXPECT_TRUE(o->has("OwnerStringId"));
  EXPECT_EQ(r.Header("ETag"),
            "\"" + o->getValue<std::string>("OData__UIVersionString").substr(0, 1) + "\"");
  EXPECT_NE(r.body.find("\\n"), std::string::npos);  // Note fields carry newlines

  auto verbose = Json(Http(ApiList(*emu_, "Small") + "/items?$top=2", "GET", Accept(kVerbose)).body)
                     ->getObject("d");
  auto first = verbose->getArray("results")->getObject(0);
  EXPECT_EQ(first->getObject("__metadata")->getValue<std::string>("type"), "SP.Data.SmallListItem");
  EXPECT_TRUE(first->getObject("Tags")->isArray("results"));
  EXPECT_TRUE(verbose->has("__next"));

  auto minimal =
      Json(Http(ApiList(*emu_, "Small") + "/items?$top=1", "GET", Accept("application/json")).body);
  EXPECT_EQ(minimal->getValue<std::string>("odata.metadata"),
            emu_->SiteUrl() + "/_api/$metadata#SP.ListData.SmallListItems");
  auto item = minimal->getArray("value")->getObject(0);
  EXPECT_EQ(item->getValue<std::string>("odata.editLink"),
            "Web/Lists(guid'" + emu_->ListId("Small") + "')/Items(" +
                std::to_string(LiveIds("Small")[0]) + ")");

  int64_t gap = 0;
  for (int64_t i = 1; i < 300 && !gap; ++i)
    if (emu_->ItemJson("Small", i).empty()) gap = i;
  ASSERT_GT(gap, 0);
  auto missing = Http(ApiList(*emu_, "Small") + "/items(" + std::to_string(gap) + ")");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("-2130575338"), std::string::npos);
}

TEST_F(EmulatorReadTest, ListViewThreshold) {
  const std::string items = ApiList(*emu_, "Big") + "/items";
  for (const std::string q : {"?$top=5001", "?$filter=Title eq 'x'&$top=10", "?$orderby=Title",
                              "?$filter=ID gt 10 and Title eq 'x'",
                              "?$filter=Modified gt datetime'2024-01-01T00:00:00Z'"}) {
    auto r = Http(items + q);
    EXPECT_EQ(r.status, 500) << q;
    EXPECT_EQ(r.body, kThrottleBody) << q;
  }
  auto verbose = Http(items + "?$top=6000", "GET", Accept(kVerbose));
  EXPECT_EQ(verbose.status, 500);
  EXPECT_EQ(Json(verbose.body)->getObject("error")->getValue<std::string>("code"),
            "-2147024860, Microsoft.SharePoint.SPQueryThrottledException");
  for (const std::string q :
       {"?$top=5000&$orderby=ID", "?$orderby=ID desc", "?$filter=ID gt 1000 and ID le 6000",
        "?$filter=ID gt 11000 and Title ne 'x'", "?$filter=ID eq 1 or ID eq 2"}) {
    auto r = Http(items + q);
    EXPECT_EQ(r.status, 200) << q << r.body;
  }
  auto window = Json(Http(items + "?$select=Id&$top=5000&$filter=ID gt 1000 and ID le 6000").body)
                    ->getArray("value");
  EXPECT_EQ(window->getObject(0)->getValue<int64_t>("Id") > 1000, true);
  EXPECT_GT(window->size(), 4800u);
  EXPECT_LE(window->size(), 5000u);
}

TEST_F(EmulatorReadTest, FullCrawlOfBigListAndPageTiming) {
  std::string url = ApiList(*emu_, "Big") + "/items?$top=5000&$orderby=ID";
  size_t total = 0;
  int pages = 0;
  double best_ms = 1e9;
  while (!url.empty()) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = Http(url);
    best_ms = std::min(
        best_ms,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_EQ(r.status, 200);
    auto o = Json(r.body);
    total += o->getArray("value")->size();
    url = o->optValue<std::string>("odata.nextLink", "");
    ++pages;
  }
  EXPECT_EQ(total, 12000u);
  EXPECT_EQ(pages, 3);
  std::cout << "fastest 5000-item page round trip: " << best_ms << " ms\n";
}

TEST_F(EmulatorReadTest, GzipWhenAsked) {
  auto plain = Http(ApiList(*emu_, "Small") + "/items?$top=50");
  auto gz = Http(ApiList(*emu_, "Small") + "/items?$top=50", "GET",
                 {{"Accept", kNoMeta}, {"Accept-Encoding", "gzip, deflate"}});
  EXPECT_EQ(gz.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(plain.Header("Content-Encoding"), "");
  EXPECT_EQ(gz.body, plain.body);
}

TEST_F(EmulatorReadTest, CamlGetItemsWithInAndPosition) {
  auto ids = LiveIds("Big");
  const std::string body =
      "{\"query\":{\"ViewXml\":\"<View Scope='RecursiveAll'><Query><Where><In><FieldRef "
      "Name='ID'/><Values>"
      "<Value Type='Counter'>" +
      std::to_string(ids[0]) + "</Value><Value Type='Counter'>" + std::to_string(ids[1]) +
      "</Value><Value Type='Counter'>" + std::to_string(ids[7]) +
      "</Value><Value Type='Counter'>11999999</Value>"
      "</Values></In></Where></Query><RowLimit Paged='TRUE'>500</RowLimit></View>\"}}";
  auto r =
      Http(ApiList(*emu_, "Big") + "/GetItems?$select=Id,Title", "POST",
           {{"Accept", "application/json"}, {"Content-Type", "application/json;odata=nometadata"}},
           body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = Json(r.body);
  EXPECT_EQ(o->getValue<std::string>("odata.metadata"),
            emu_->SiteUrl() + "/_api/$metadata#SP.ApiData.ListItems");
  EXPECT_FALSE(o->has("odata.nextLink"));
  auto value = o->getArray("value");
  ASSERT_EQ(value->size(), 3u);
  EXPECT_EQ(value->getObject(2)->getValue<int64_t>("Id"), ids[7]);

  const std::string paged =
      "{\"query\":{\"__metadata\":{\"type\":\"SP.CamlQuery\"},\"ViewXml\":\"<View><RowLimit>3</"
      "RowLimit></View>\","
      "\"ListItemCollectionPosition\":{\"__metadata\":{\"type\":\"SP.ListItemCollectionPosition\"},"
      "\"PagingInfo\":\"Paged=TRUE&p_ID=" +
      std::to_string(ids[10]) + "\"}}}";
  auto p = Http(ApiList(*emu_, "Big") + "/GetItems", "POST",
                {{"Accept", kVerbose}, {"Content-Type", "application/json;odata=verbose"}}, paged);
  ASSERT_EQ(p.status, 200) << p.body;
  auto results = Json(p.body)->getObject("d")->getArray("results");
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ(results->getObject(0)->getValue<int64_t>("Id"), ids[11]);
  EXPECT_FALSE(Json(p.body)->getObject("d")->has("__next"));

  auto unbounded =
      Http(ApiList(*emu_, "Big") + "/GetItems", "POST",
           {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
           "{\"query\":{\"ViewXml\":\"<View><Query><Where><Eq><FieldRef Name='Title'/><Value "
           "Type='Text'>x</Value></Eq></Where></Query></View>\"}}");
  EXPECT_EQ(unbounded.status, 500);
  EXPECT_EQ(unbounded.body, kThrottleBody);
}

TEST_F(EmulatorReadTest, ContextInfo) {
  auto v = Http(emu_->SiteUrl() + "/_api/contextinfo", "POST", Accept(kVerbose));
  ASSERT_EQ(v.status, 200);
  auto info = Json(v.body)->getObject("d")->getObject("GetContextWebInformation");
  EXPECT_EQ(info->getValue<int>("FormDigestTimeoutSeconds"), 1800);
  EXPECT_EQ(info->getValue<std::string>("WebFullUrl"), emu_->SiteUrl());
  auto n = Json(Http(emu_->SiteUrl() + "/_api/contextinfo", "POST").body);
  EXPECT_EQ(n->getValue<std::string>("FormDigestValue").rfind("0x", 0), 0u);
}

}  // namespace
}  // namespace spsync::emulator::testing
