// Writes as real clients send them, and the change log that records them:
// GetChanges request forms, exclusive start, end token, FetchLimit, shared
// change numbers, and expired / foreign / malformed tokens.
#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

Options TwoLists() {
  Options o;
  o.lists = {{"Orders", 50}, {"Other", 10}};
  return o;
}

struct Change {
  int type;
  int64_t item;
  std::string token;
  int64_t number;
};

std::vector<Change> GetChanges(const Emulator& e, const std::string& list,
                               const std::string& query_members, bool verbose = false,
                               int* status = nullptr, std::string* body_out = nullptr) {
  std::string body =
      verbose ? "{\"query\":{\"__metadata\":{\"type\":\"SP.ChangeQuery\"}," + query_members + "}}"
              : "{\"query\":{" + query_members + "}}";
  auto r = Http(ApiList(e, list) + "/GetChanges", "POST",
                {{"Accept", verbose ? kVerbose : kNoMeta},
                 {"Content-Type", verbose ? "application/json;odata=verbose"
                                          : "application/json;odata=nometadata"}},
                body);
  if (status) *status = r.status;
  if (body_out) *body_out = r.body;
  std::vector<Change> out;
  if (r.status != 200) return out;
  auto root = Json(r.body);
  auto arr = verbose ? root->getObject("d")->getArray("results") : root->getArray("value");
  for (size_t i = 0; i < arr->size(); ++i) {
    auto c = arr->getObject(static_cast<unsigned>(i));
    std::string tok = c->getObject("ChangeToken")->getValue<std::string>("StringValue");
    out.push_back({c->getValue<int>("ChangeType"), c->optValue<int64_t>("ItemId", 0), tok,
                   std::stoll(tok.substr(tok.rfind(';') + 1))});
  }
  return out;
}

const char* kAllItem =
    "\"Item\":true,\"Add\":true,\"Update\":true,\"DeleteObject\":true,\"Restore\":true";

std::string Start(const std::string& token) {
  return ",\"ChangeTokenStart\":{\"StringValue\":\"" + token + "\"}";
}

TEST(EmulatorWrites, RestWritesAreRecordedInOrder) {
  Emulator e(TwoLists());
  e.Start();
  const std::string t0 = e.CurrentChangeToken("Orders");
  const int64_t count0 = e.ItemCount("Orders");
  const Headers json_light = {{"Accept", kNoMeta},
                              {"Content-Type", "application/json;odata=nometadata"}};

  auto bad = Http(ApiList(e, "Orders") + "/items", "POST", json_light,
                  "{\"__metadata\":{\"type\":\"SP.Data.OrdersListItem\"},\"Title\":\"x\"}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body,
            "{\"odata.error\":{\"code\":\"-1, "
            "Microsoft.Data.OData.ODataException\",\"message\":{\"lang\":\"en-US\","
            "\"value\":\"The property '__metadata' does not exist on type "
            "'SP.Data.OrdersListItem'. Make sure to only "
            "use property names that are defined by the type.\"}}}");
  auto unknown = Http(ApiList(e, "Orders") + "/items", "POST", json_light, "{\"Nope\":1}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(e.ItemCount("Orders"), count0);

  auto add =
      Http(ApiList(e, "Orders") + "/items", "POST", json_light,
           "{\"Title\":\"Fresh \\\"one\\\"\",\"Quantity\":5,\"Tags\":[\"Red\"],\"OwnerId\":7}");
  ASSERT_EQ(add.status, 201) << add.body;
  auto added = Json(add.body);
  const int64_t id = added->getValue<int64_t>("Id");
  EXPECT_EQ(added->getValue<std::string>("Title"), "Fresh \"one\"");
  EXPECT_EQ(added->getValue<std::string>("OwnerStringId"), "7");
  EXPECT_EQ(e.ItemCount("Orders"), count0 + 1);

  auto verbose_add =
      Http(ApiList(e, "Orders") + "/items", "POST",
           {{"Accept", kVerbose}, {"Content-Type", "application/json;odata=verbose"}},
           "{\"__metadata\":{\"type\":\"SP.Data.OrdersListItem\"},\"Title\":\"v\",\"Tags\":{"
           "\"results\":[\"Q1\"]}}");
  ASSERT_EQ(verbose_add.status, 201) << verbose_add.body;
  const int64_t id2 = Json(verbose_add.body)->getObject("d")->getValue<int64_t>("Id");
  EXPECT_EQ(id2, id + 1);

  const std::string item_url = ApiList(e, "Orders") + "/items(" + std::to_string(id) + ")";
  auto stale = Http(item_url, "POST",
                    {{"Accept", kNoMeta},
                     {"Content-Type", "application/json"},
                     {"X-HTTP-Method", "MERGE"},
                     {"If-Match", "\"7\""}},
                    "{\"Title\":\"stale\"}");
  EXPECT_EQ(stale.status, 412);
  auto merge = Http(item_url, "POST",
                    {{"Accept", kNoMeta},
                     {"Content-Type", "application/json"},
                     {"X-HTTP-Method", "MERGE"},
                     {"If-Match", "\"1\""}},
                    "{\"Title\":\"Changed\",\"Amount\":12.5}");
  EXPECT_EQ(merge.status, 204) << merge.body;
  auto after = Http(item_url);
  EXPECT_EQ(after.Header("ETag"), "\"2\"");
  auto a = Json(after.body);
  EXPECT_EQ(a->getValue<std::string>("Title"), "Changed");
  EXPECT_EQ(a->getValue<double>("Amount"), 12.5);
  EXPECT_EQ(a->getValue<std::string>("OData__UIVersionString"), "2.0");

  auto recycle = Http(item_url + "/recycle()", "POST", {{"Accept", kNoMeta}});
  ASSERT_EQ(recycle.status, 200);
  const std::string bin_id = Json(recycle.body)->getValue<std::string>("value");
  EXPECT_EQ(Http(item_url).status, 404);
  EXPECT_EQ(e.ItemCount("Orders"), count0 + 1);
  auto restore = Http(e.SiteUrl() + "/_api/web/RecycleBin('" + bin_id + "')/restore()", "POST",
                      {{"Accept", kNoMeta}});
  EXPECT_EQ(restore.status, 200) << restore.body;
  EXPECT_EQ(Http(item_url).status, 200);

  auto del = Http(ApiList(e, "Orders") + "/items(" + std::to_string(id2) + ")", "DELETE",
                  {{"Accept", kNoMeta}, {"If-Match", "*"}});
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(e.ItemJson("Orders", id2), "");

  auto changes = GetChanges(e, "Orders", kAllItem + Start(t0));
  ASSERT_EQ(changes.size(), 6u);
  const int expected_types[] = {1, 1, 2, 3, 7, 3};
  const int64_t expected_items[] = {id, id2, id, id, id, id2};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(changes[i].type, expected_types[i]) << i;
    EXPECT_EQ(changes[i].item, expected_items[i]) << i;
    if (i) {
      EXPECT_GT(changes[i].number, changes[i - 1].number);
    }
  }
  // Exclusive start: restarting from the third change returns the last three.
  auto rest = GetChanges(e, "Orders", kAllItem + Start(changes[2].token));
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].token, changes[3].token);
  // End token (inclusive) and FetchLimit in both spellings.
  auto window = GetChanges(
      e, "Orders",
      kAllItem + Start(t0) + ",\"ChangeTokenEnd\":{\"StringValue\":\"" + changes[1].token + "\"}");
  EXPECT_EQ(window.size(), 2u);
  EXPECT_EQ(GetChanges(e, "Orders", kAllItem + Start(t0) + ",\"FetchLimit\":\"4\"").size(), 4u);
  EXPECT_EQ(GetChanges(e, "Orders", kAllItem + Start(t0) + ",\"FetchLimit\":1").size(), 1u);
  // Only Add, with booleans as strings, verbose request and response.
  auto adds = GetChanges(e, "Orders", "\"Item\":\"True\",\"Add\":\"True\"" + Start(t0), true);
  ASSERT_EQ(adds.size(), 2u);
  // No object filter: nothing matches.
  EXPECT_EQ(GetChanges(e, "Orders", "\"Add\":true,\"Update\":true" + Start(t0)).size(), 0u);
}

TEST(EmulatorWrites, VerboseChangeEntryShape) {
  Emulator e(TwoLists());
  e.Start();
  const std::string t0 = e.CurrentChangeToken("Orders");
  e.UpdateItem("Orders", 3, "{\"Title\":\"x\"}");
  std::string body;
  int status = 0;
  GetChanges(e, "Orders", kAllItem + Start(t0), true, &status, &body);
  ASSERT_EQ(status, 200);
  auto c = Json(body)->getObject("d")->getArray("results")->getObject(0);
  EXPECT_EQ(c->getObject("__metadata")->getValue<std::string>("type"), "SP.ChangeItem");
  EXPECT_EQ(c->getObject("ChangeToken")->getObject("__metadata")->getValue<std::string>("type"),
            "SP.ChangeToken");
  EXPECT_EQ(c->getValue<int>("ChangeType"), 2);
  EXPECT_EQ(c->getValue<int64_t>("ItemId"), 3);
  EXPECT_EQ(c->getValue<std::string>("ListId"), e.ListId("Orders"));
  EXPECT_EQ(c->getValue<std::string>("Time").size(), 20u);
  for (const char* k : {"SiteId", "WebId", "UniqueId", "Editor", "ServerRelativeUrl"})
    EXPECT_TRUE(c->has(k)) << k;

  int d_status = 0;
  std::string d_body;
  auto r = Http(ApiList(e, "Orders") + "/GetChanges", "POST",
                {{"Accept", kVerbose}, {"Content-Type", "application/json;odata=verbose"}},
                "{\"d\":{\"query\":{\"Item\":true}}}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("The parameter d does not exist"), std::string::npos);
  (void)d_status;
}

TEST(EmulatorWrites, ChangeNumbersAreSharedAcrossLists) {
  Emulator e(TwoLists());
  e.Start();
  const std::string a0 = e.CurrentChangeToken("Orders"), b0 = e.CurrentChangeToken("Other");
  e.UpdateItem("Orders", 1, "{\"Quantity\":1}");
  e.UpdateItem("Other", 1, "{\"Quantity\":1}");
  e.UpdateItem("Orders", 2, "{\"Quantity\":2}");
  auto a = GetChanges(e, "Orders", kAllItem + Start(a0));
  auto b = GetChanges(e, "Other", kAllItem + Start(b0));
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_LT(a[0].number, b[0].number);
  EXPECT_LT(b[0].number, a[1].number);
  // The other list's token is refused; the list's own CurrentChangeToken carries the DB number.
  int status = 0;
  std::string body;
  GetChanges(e, "Orders", kAllItem + Start(b[0].token), false, &status, &body);
  EXPECT_EQ(status, 500);
  EXPECT_EQ(Json(body)->getObject("odata.error")->getValue<std::string>("code"),
            "-2130575173, Microsoft.SharePoint.SPException");
  const std::string now = e.CurrentChangeToken("Orders");
  EXPECT_EQ(std::stoll(now.substr(now.rfind(';') + 1)),
            b[0].number > a[1].number ? b[0].number : a[1].number);
  EXPECT_EQ(GetChanges(e, "Orders", kAllItem + Start(now)).size(), 0u);
}

TEST(EmulatorWrites, ExpiredAndMalformedTokens) {
  Emulator e(TwoLists());
  e.Start();
  const std::string t0 = e.CurrentChangeToken("Orders");
  e.AddItem("Orders", "{\"Title\":\"a\"}");
  EXPECT_EQ(GetChanges(e, "Orders", kAllItem + Start(t0)).size(), 1u);
  e.AdvanceClock(std::chrono::hours(24 * 61));
  int status = 0;
  std::string body;
  GetChanges(e, "Orders", kAllItem + Start(t0), false, &status, &body);
  EXPECT_EQ(status, 500);
  EXPECT_EQ(body,
            "{\"odata.error\":{\"code\":\"-2130575172, "
            "Microsoft.SharePoint.SPException\",\"message\":{\"lang\":\"en-US\","
            "\"value\":\"The changeToken refers to a time before the start of the current change "
            "log.\"}}}");
  // Changes older than the retention are gone from a fresh enumeration too.
  EXPECT_EQ(GetChanges(e, "Orders", kAllItem).size(), 0u);
  GetChanges(e, "Orders", kAllItem + Start("1;3;not-a-token"), false, &status, &body);
  EXPECT_EQ(status, 400);
  EXPECT_NE(body.find("System.ArgumentOutOfRangeException"), std::string::npos);

  Options quiet = TwoLists();
  quiet.expired_token_silently_empty = true;
  Emulator q(quiet);
  q.Start();
  const std::string q0 = q.CurrentChangeToken("Orders");
  q.AddItem("Orders", "{\"Title\":\"a\"}");
  q.AdvanceClock(std::chrono::hours(24 * 61));
  auto empty = GetChanges(q, "Orders", kAllItem + Start(q0), false, &status);
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(empty.empty());
}

TEST(EmulatorWrites, FieldsRecreateAndInProcessApi) {
  Emulator e(TwoLists());
  e.Start();
  const std::string t0 = e.CurrentChangeToken("Orders");
  auto add =
      Http(ApiList(e, "Orders") + "/fields", "POST",
           {{"Accept", kNoMeta}, {"Content-Type", "application/json;odata=verbose"}},
           "{\"__metadata\":{\"type\":\"SP.Field\"},\"Title\":\"Region\",\"FieldTypeKind\":2}");
  ASSERT_EQ(add.status, 201) << add.body;
  EXPECT_EQ(Json(add.body)->getValue<std::string>("TypeAsString"), "Text");
  e.AddField("Orders", "Reviewer", "User");
  auto item = Json(e.ItemJson("Orders", 1));
  EXPECT_TRUE(item->isNull("Region"));
  EXPECT_TRUE(item->has("ReviewerId"));
  const int64_t id = e.AddItem("Orders", "{\"Region\":\"EMEA\",\"ReviewerId\":12}");
  auto added = Json(e.ItemJson("Orders", id));
  EXPECT_EQ(added->getValue<std::string>("Region"), "EMEA");
  EXPECT_EQ(added->getValue<std::string>("ReviewerStringId"), "12");
  auto field_changes = GetChanges(e, "Orders", "\"Field\":true,\"Add\":true" + Start(t0));
  EXPECT_EQ(field_changes.size(), 2u);
  EXPECT_EQ(GetChanges(e, "Orders", kAllItem + Start(t0)).size(), 1u);

  const std::string old_id = e.ListId("Orders");
  e.RecreateList("Orders");
  EXPECT_NE(e.ListId("Orders"), old_id);
  EXPECT_EQ(Http(e.SiteUrl() + "/_api/web/lists(guid'" + old_id + "')").status, 404);
  int status = 0;
  GetChanges(e, "Orders", kAllItem + Start(t0), false, &status);
  EXPECT_EQ(status, 500);
  EXPECT_EQ(e.ItemCount("Orders"), 51);
}

}  // namespace
}  // namespace spsync::emulator::testing
