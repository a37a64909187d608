// List and field metadata beyond the basics (shared/docs/sharepoint-rest.md
// §1.4, §2.2, §4): the list entity's etag and parent web, fields marked
// indexed the way clients do it, and the list view threshold's rules for
// indexed columns.
#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

const char* kThrottleCode = "-2147024860, Microsoft.SharePoint.SPQueryThrottledException";

class EmulatorSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.lists = {{"Big", 12000}, {"Tasks", 30}};
    o.indexed = {{"Big", "Quantity"}};
    o.seed = 31;
    emu_ = std::make_unique<Emulator>(o);
    emu_->Start();
  }
  std::string Field(const std::string& list, const std::string& name) {
    return ApiList(*emu_, list) + "/fields/getbyinternalnameortitle('" + name + "')";
  }
  bool Indexed(const std::string& list, const std::string& name) {
    auto r = Http(Field(list, name) + "?$select=Indexed");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 && Json(r.body)->getValue<bool>("Indexed");
  }
  int Status(const std::string& query) {
    auto r = Http(ApiList(*emu_, "Big") + "/items" + query);
    if (r.status == 500) {
      EXPECT_EQ(Json(r.body)->getObject("odata.error")->getValue<std::string>("code"),
                kThrottleCode);
    }
    return r.status;
  }
  std::unique_ptr<Emulator> emu_;
};

TEST_F(EmulatorSchema, ListEntityHasEtagAndParentWeb) {
  auto verbose = Json(Http(ApiList(*emu_, "Tasks"), "GET", Accept(kVerbose)).body)->getObject("d");
  const std::string etag = verbose->getObject("__metadata")->getValue<std::string>("etag");
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(verbose->getValue<std::string>("ParentWebUrl"), "/sites/demo");
  auto path = verbose->getObject("ParentWebPath");
  EXPECT_EQ(path->getValue<std::string>("DecodedUrl"), "/sites/demo");
  EXPECT_EQ(path->getObject("__metadata")->getValue<std::string>("type"), "SP.ResourcePath");
  auto light = Json(Http(ApiList(*emu_, "Tasks") + "?$select=ParentWebPath,Title").body);
  EXPECT_EQ(light->getObject("ParentWebPath")->getValue<std::string>("DecodedUrl"), "/sites/demo");
  auto minimal = Json(Http(ApiList(*emu_, "Tasks"), "GET", Accept("application/json")).body);
  EXPECT_EQ(minimal->getValue<std::string>("odata.etag"), etag);
  // A schema change gives the list a new etag.
  emu_->AddField("Tasks", "Region", "Text");
  auto after = Json(Http(ApiList(*emu_, "Tasks"), "GET", Accept(kVerbose)).body)->getObject("d");
  EXPECT_NE(after->getObject("__metadata")->getValue<std::string>("etag"), etag);
}

TEST_F(EmulatorSchema, FieldsAreIndexedByMergeOrPatch) {
  EXPECT_FALSE(Indexed("Tasks", "Status"));
  // Verbose, as SharePoint's own pages and older clients send it.
  auto merge = Http(Field("Tasks", "Status"), "POST",
                    {{"Accept", kVerbose},
                     {"Content-Type", "application/json;odata=verbose"},
                     {"X-HTTP-Method", "MERGE"},
                     {"IF-MATCH", "*"}},
                    "{\"__metadata\":{\"type\":\"SP.Field\"},\"Indexed\":true}");
  EXPECT_EQ(merge.status, 204) << merge.body;
  EXPECT_TRUE(Indexed("Tasks", "Status"));
  // JSON light PATCH, by title; the __metadata rule of JSON light applies.
  auto refused = Http(Field("Tasks", "Amount"), "PATCH",
                      {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
                      "{\"__metadata\":{\"type\":\"SP.Field\"},\"Indexed\":true}");
  EXPECT_EQ(refused.status, 400);
  auto patch = Http(Field("Tasks", "Amount"), "PATCH",
                    {{"Accept", kNoMeta}, {"Content-Type", "application/json;odata=nometadata"}},
                    "{\"Indexed\":true}");
  EXPECT_EQ(patch.status, 204) << patch.body;
  EXPECT_TRUE(Indexed("Tasks", "Amount"));
  auto unindex =
      Http(Field("Tasks", "Amount"), "PATCH",
           {{"Accept", kNoMeta}, {"Content-Type", "application/json"}}, "{\"Indexed\":false}");
  EXPECT_EQ(unindex.status, 204);
  EXPECT_FALSE(Indexed("Tasks", "Amount"));
  EXPECT_EQ(Http(Field("Tasks", "Nope")).status, 404);
  auto bad = Http(Field("Tasks", "Amount"), "PATCH",
                  {{"Accept", kNoMeta}, {"Content-Type", "application/json"}}, "{\"Nope\":1}");
  EXPECT_EQ(bad.status, 400);
  // The start option.
  EXPECT_TRUE(Indexed("Big", "Quantity"));
}

TEST_F(EmulatorSchema, ThresholdRulesForIndexedColumns) {
  // Not indexed: any first clause on the column, and ordering by it, are throttled.
  EXPECT_EQ(Status("?$filter=Status eq 'Completed'&$top=10"), 500);
  EXPECT_EQ(Status("?$orderby=Status&$top=10"), 500);
  EXPECT_EQ(Status("?$filter=Done eq true&$top=10"), 500);
  for (const char* f : {"Status", "Done"})
    ASSERT_EQ(
        Http(Field("Big", f), "PATCH", {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
             "{\"Indexed\":true}")
            .status,
        204);
  // Indexed, first clause matching <= 5000 rows (one of five statuses): allowed.
  auto completed = Http(ApiList(*emu_, "Big") +
                        "/items?$select=Id,Status&$top=5000&$filter=Status eq 'Completed' and "
                        "Quantity gt 10");
  ASSERT_EQ(completed.status, 200) << completed.body;
  auto value = Json(completed.body)->getArray("value");
  ASSERT_GT(value->size(), 1000u);
  for (size_t i = 0; i < value->size(); ++i)
    EXPECT_EQ(value->getObject(static_cast<unsigned>(i))->getValue<std::string>("Status"),
              "Completed");
  // Indexed, but the clause matches more than 5000 rows (half of the list).
  EXPECT_EQ(Status("?$filter=Done eq true&$top=10"), 500);
  // A non-indexed first clause is still throttled, whatever follows it.
  EXPECT_EQ(Status("?$filter=Title eq 'x' and Status eq 'Completed'"), 500);
  // Ordering by an indexed column is allowed, and pages by position.
  auto ordered = Http(ApiList(*emu_, "Big") + "/items?$select=Id,Status&$orderby=Status&$top=50");
  ASSERT_EQ(ordered.status, 200) << ordered.body;
  auto next = Json(ordered.body)->getValue<std::string>("odata.nextLink");
  EXPECT_NE(next.find("p_Status"), std::string::npos) << next;
  EXPECT_EQ(Http(next).status, 200);
  // Indexed at start: a narrow clause on it is allowed.
  EXPECT_EQ(Status("?$filter=Quantity eq 5"), 200);
}

}  // namespace
}  // namespace spsync::emulator::testing
