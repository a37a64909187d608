// The hot-path parsers: SharePoint's item and change pages, typed values,
// and hostile bodies (each a MalformedBody, never a crash).
#include "spsync/engine/sharepoint/change_page.hpp"
#include "spsync/engine/sharepoint/item_page.hpp"
#include "spsync/engine/sharepoint/schema.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sharepoint/sharepoint_error.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>

using namespace spsync::engine;

namespace {

std::vector<SchemaField> Fields() {
  std::vector<ListField> lf = {{"Title", "Title", "Title", "Text", false, false},
                               {"Amount", "Amount", "Amount", "Currency", false, false},
                               {"Qty", "Qty", "Qty", "Integer", false, false},
                               {"Done", "Done", "Done", "Boolean", false, false},
                               {"Due", "Due", "Due", "DateTime", false, false},
                               {"Tags", "Tags", "Tags", "MultiChoice", false, false},
                               {"Customer", "Customer", "Customer", "Lookup", false, false},
                               {"Owners", "Owners", "Owners", "UserMulti", false, true},
                               {"Link", "Link", "Link", "URL", false, false}};
  std::vector<SchemaField> out;
  for (const auto& f : lf) out.push_back(MapField(f));
  return out;
}

std::string_view Text(const spsync_value& v) {
  return std::string_view(v.s.data, v.s.len);
}

}  // namespace

TEST(Schema, MapsSharePointTypes) {
  auto f = Fields();
  EXPECT_EQ(f[0].value_type, SPSYNC_VALUE_TEXT);
  EXPECT_EQ(f[1].value_type, SPSYNC_VALUE_REAL);
  EXPECT_EQ(f[2].value_type, SPSYNC_VALUE_INTEGER);
  EXPECT_EQ(f[3].value_type, SPSYNC_VALUE_BOOLEAN);
  EXPECT_EQ(f[4].value_type, SPSYNC_VALUE_DATETIME);
  EXPECT_EQ(f[5].value_type, SPSYNC_VALUE_JSON);
  EXPECT_EQ(f[6].key, "CustomerId");
  EXPECT_EQ(f[6].value_type, SPSYNC_VALUE_INTEGER);
  EXPECT_EQ(f[7].key, "OwnersId");
  EXPECT_EQ(f[7].value_type, SPSYNC_VALUE_JSON);
  EntitySchema a("e", "l", "t", Fields()), b("e", "l", "t", Fields());
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
  auto changed = Fields();
  changed[1].sp_type = "Number";
  EntitySchema c("e", "l", "t", std::move(changed));
  EXPECT_NE(a.fingerprint(), c.fingerprint());
}

TEST(ItemPage, ParsesANometadataPageIntoTypedValues) {
  EntitySchema schema("orders", "lid", "Orders", Fields());
  ItemPageParser parser(schema);
  ItemPage page;
  page.body = R"({"value":[
    {"Id":7,"ID":7,"Title":"Caf\u00e9, \"quoted\"\nline","Amount":12.5,"Qty":3,"Done":true,
     "Due":"2024-02-29T23:59:59Z","Tags":["a","b"],"CustomerId":42,"OwnersId":[1,21],
     "Link":{"Description":"x","Url":"https://e.com"},"Modified":"2024-01-31T08:00:00Z",
     "GUID":"89a506f5-455a-4c01-a10f-ad7a009308cb","OData__UIVersionString":"3.0","Unselected":1},
    {"ID":9,"Title":null,"Amount":"not a number","Qty":null,"Done":false,"Due":null,"Tags":[],
     "CustomerId":null,"OwnersId":[],"Link":null,"Modified":"2024-01-31T08:00:01Z"}],
    "odata.nextLink":"https://x/_api/web/lists(guid'l')/items?%24skiptoken=Paged%3dTRUE%26p_ID%3d9"})";
  parser.Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page.next_link,
            "https://x/_api/web/lists(guid'l')/items?%24skiptoken=Paged%3dTRUE%26p_ID%3d9");
  const spsync_item& a = *page.pointers[0];
  EXPECT_EQ(a.id, 7);
  EXPECT_EQ(std::string_view(a.guid.data, a.guid.len), "89a506f5-455a-4c01-a10f-ad7a009308cb");
  EXPECT_EQ(std::string_view(a.version.data, a.version.len), "3.0");
  EXPECT_EQ(a.modified_unix, 1706688000);
  ASSERT_EQ(a.value_count, 9u);
  EXPECT_EQ(Text(a.values[0]), "Café, \"quoted\"\nline");
  EXPECT_DOUBLE_EQ(a.values[1].r, 12.5);
  EXPECT_EQ(a.values[2].i, 3);
  EXPECT_EQ(a.values[3].i, 1);
  EXPECT_EQ(a.values[4].type, SPSYNC_VALUE_DATETIME);
  EXPECT_EQ(a.values[4].i, 1709251199);
  EXPECT_EQ(Text(a.values[5]), R"(["a","b"])");
  EXPECT_EQ(a.values[6].i, 42);
  EXPECT_EQ(Text(a.values[7]), "[1,21]");
  EXPECT_EQ(Text(a.values[8]), R"({"Description":"x","Url":"https://e.com"})");
  std::string_view raw(a.raw_json.data, a.raw_json.len);
  EXPECT_EQ(raw.front(), '{');
  EXPECT_EQ(raw.back(), '}');
  EXPECT_NE(raw.find("\"Unselected\":1"), std::string_view::npos);
  const spsync_item& b = *page.pointers[1];
  EXPECT_EQ(b.id, 9);
  EXPECT_EQ(b.values[0].type, SPSYNC_VALUE_NULL);
  // A value of the wrong JSON type is kept as its JSON text, not dropped.
  EXPECT_EQ(b.values[1].type, SPSYNC_VALUE_JSON);
  EXPECT_EQ(Text(b.values[1]), "\"not a number\"");
  EXPECT_EQ(b.values[3].i, 0);
  EXPECT_EQ(b.values[4].type, SPSYNC_VALUE_NULL);
}

TEST(ItemPage, ParsesAVerbosePage) {
  EntitySchema schema("orders", "lid", "Orders", Fields());
  ItemPageParser parser(schema);
  ItemPage page;
  page.body =
      R"({"d":{"results":[{"__metadata":{"etag":"\"2\""},"ID":1,"Title":"v"}],"__next":"https://x/next"}})";
  parser.Parse(&page, SPSYNC_CHANGE_ADD);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page.items[0].kind, SPSYNC_CHANGE_ADD);
  EXPECT_EQ(page.next_link, "https://x/next");
}

TEST(ItemPage, HostileBodiesAreMalformedNotCrashes) {
  EntitySchema schema("orders", "lid", "Orders", Fields());
  ItemPageParser parser(schema);
  std::string deep(100000, '[');
  std::vector<std::string> bodies = {
      "",
      "<html><body>Service Unavailable</body></html>",
      R"({"value":[{"ID":1,"Title":"trunc)",
      std::string(R"({"value":[{"ID":1,"Title":")") + "\xff\xfe" + R"("}]})",  // invalid UTF-8
      R"({"value":[{"ID":1e30}]})",                                            // ID out of range
      R"({"value":[{"Title":"no id"}]})",
      R"({"value":{"ID":1}})",
      R"({"novalue":[]})",
      R"({"value":[{"ID":1,"Tags":)" + deep + "}]}",
      R"({"value":[{"ID":2},{"ID":1}]})"
      "garbage",
  };
  for (const auto& b : bodies) {
    ItemPage page;
    page.body = b;
    EXPECT_THROW(parser.Parse(&page, SPSYNC_CHANGE_FULL_SYNC), MalformedBody) << b.substr(0, 60);
  }
}

TEST(ItemPage, EnormousStringsAndDuplicateKeysAreHandled) {
  EntitySchema schema("orders", "lid", "Orders", Fields());
  ItemPageParser parser(schema);
  ItemPage page;
  std::string big(8 * 1024 * 1024, 'x');
  page.body = R"({"value":[{"ID":1,"Title":"first","Title":")" + big + R"("}]})";
  parser.Parse(&page, SPSYNC_CHANGE_FULL_SYNC);
  ASSERT_EQ(page.size(), 1u);
  // The last duplicate wins, as in JavaScript clients.
  EXPECT_EQ(page.items[0].values[0].s.len, big.size());
}

TEST(ItemPage, KernelFollowsTheCpu) {
  // The AVX2 kernel where simdjson's own dispatch picks AVX2, unless forced.
  std::string_view best = simdjson::get_active_implementation()->name();
  const char* forced = std::getenv("SPSYNC_PAGE_KERNEL");
  bool avx2 = (best == "haswell" || best == "icelake") &&
              !(forced && std::string_view(forced) == "portable");
  if (avx2) {
    EXPECT_STREQ(ItemPageKernelName(), "haswell");
  } else {
    EXPECT_STRNE(ItemPageKernelName(), "haswell");
  }
}

TEST(ItemPage, IsoDates) {
  int64_t t = 0;
  EXPECT_TRUE(ParseIsoUtc("1970-01-01T00:00:00Z", &t));
  EXPECT_EQ(t, 0);
  EXPECT_TRUE(ParseIsoUtc("2022-09-12T18:18:07.253", &t));
  EXPECT_EQ(t, 1663006687);
  EXPECT_FALSE(ParseIsoUtc("2022-13-12T18:18:07Z", &t));
  EXPECT_FALSE(ParseIsoUtc("yesterday", &t));
}

TEST(ChangePage, ParsesJsonLightAndVerbose) {
  std::string light = R"({"value":[
    {"ChangeToken":{"StringValue":"1;3;l;1;10"},"ChangeType":1,"ItemId":5,"Time":"2024-01-01T00:00:00Z"},
    {"ChangeToken":{"StringValue":"1;3;l;1;11"},"ChangeType":3,"ItemId":6}]})";
  auto a = ParseChangePage(light);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].type, kChangeAdd);
  EXPECT_EQ(a[1].item_id, 6);
  EXPECT_EQ(a[1].token, "1;3;l;1;11");
  std::string verbose = R"({"d":{"results":[{"__metadata":{"type":"SP.ChangeItem"},
    "ChangeToken":{"__metadata":{"type":"SP.ChangeToken"},"StringValue":"1;3;l;1;12"},"ChangeType":7,"ItemId":6}]}})";
  auto b = ParseChangePage(verbose);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].type, kChangeRestore);
  std::string bad = R"({"value":[{"ChangeType":1,"ItemId":5}]})";
  EXPECT_THROW(ParseChangePage(bad), MalformedBody);
  std::string html = "<html>oops</html>";
  EXPECT_THROW(ParseChangePage(html), MalformedBody);
}

TEST(ErrorClassification, TokenErrorsOnlyFromTheChangeLog) {
  const std::string generic =
      R"({"odata.error":{"code":"-2146232832, Microsoft.SharePoint.SPException","message":{"lang":"en-US","value":"Unexpected server error"}}})";
  EXPECT_EQ(ErrorFromResponse(500, generic, "items").kind(), ErrorKind::kTransient);
  EXPECT_EQ(ErrorFromResponse(500, generic, "changes", true).kind(), ErrorKind::kTransient);
  const std::string expired =
      R"({"odata.error":{"code":"-2130575172, Microsoft.SharePoint.SPException","message":{"lang":"en-US","value":"The changeToken refers to a time before the start of the current change log."}}})";
  EXPECT_EQ(ErrorFromResponse(500, expired, "changes", true).kind(), ErrorKind::kTokenInvalid);
  EXPECT_EQ(ErrorFromResponse(500, expired, "items").kind(), ErrorKind::kTransient);
  const std::string amr =
      R"({"odata.error":{"code":"-2146232832, Microsoft.SharePoint.SPException","message":{"lang":"en-US","value":"The changeToken refers to a time before the start of the current change log."}}})";
  EXPECT_EQ(ErrorFromResponse(500, amr, "changes", true).kind(), ErrorKind::kTokenInvalid);
  const std::string threshold =
      R"({"odata.error":{"code":"-2147024860, Microsoft.SharePoint.SPQueryThrottledException","message":{"lang":"en-US","value":"The attempted operation is prohibited because it exceeds the list view threshold."}}})";
  EXPECT_EQ(ErrorFromResponse(500, threshold, "items").kind(), ErrorKind::kThrottledQuery);
  EXPECT_EQ(ErrorFromResponse(401, "", "items").kind(), ErrorKind::kAuth);
  EXPECT_EQ(ErrorFromResponse(404, "", "list").kind(), ErrorKind::kNotFound);
}

TEST(QueryEncoding, MatchesSharePointsLinks) {
  EXPECT_EQ(EncodeQueryValue("Paged=TRUE&p_ID=100"), "Paged%3dTRUE%26p_ID%3d100");
  EXPECT_EQ(EncodeQueryValue("ID ge 1 and ID le 5"), "ID%20ge%201%20and%20ID%20le%205");
  EXPECT_EQ(EncodeQueryValue("Id,Title"), "Id%2cTitle");
}
