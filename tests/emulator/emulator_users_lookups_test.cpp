// People and lookups (shared/docs/sharepoint-rest.md §3.1, §3.3, §4): the site
// user directory and its hidden User Information List, siteusers /
// getuserbyid / ensureuser, user and lookup fields that point at real rows,
// $expand projections as nested objects, filters on projections, and the
// lookup column threshold.
#include <set>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

const char* kMinimal = "application/json;odata=minimalmetadata";

class EmulatorPeople : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.lists = {{"Orders", 300}, {"Customers", 120}};
    o.seed = 23;
    emu_ = std::make_unique<Emulator>(o);
    emu_->Start();
  }
  std::string Api(const std::string& path) { return emu_->SiteUrl() + "/_api/" + path; }
  std::string Items(const std::string& query) {
    return ApiList(*emu_, "Orders") + "/items" + query;
  }
  Poco::JSON::Object::Ptr User(int64_t id) {
    auto r = Http(Api("web/getuserbyid(" + std::to_string(id) + ")"));
    EXPECT_EQ(r.status, 200) << id << " " << r.body;
    return Json(r.body);
  }
  std::string ErrorMessage(const HttpResult& r) {
    return Json(r.body)
        ->getObject("odata.error")
        ->getObject("message")
        ->getValue<std::string>("value");
  }
  std::unique_ptr<Emulator> emu_;
};

TEST_F(EmulatorPeople, UserFieldsNameRealPeopleOfTheSite) {
  auto users = Json(Http(Api("web/siteusers")).body)->getArray("value");
  ASSERT_GE(users->size(), 30u);
  std::set<int64_t> ids;
  for (size_t i = 0; i < users->size(); ++i) {
    auto u = users->getObject(static_cast<unsigned>(i));
    ids.insert(u->getValue<int64_t>("Id"));
    EXPECT_FALSE(u->getValue<std::string>("Title").empty());
    const std::string login = u->getValue<std::string>("LoginName");
    if (login.rfind("i:0#.f|membership|", 0) == 0) {
      EXPECT_EQ(login, "i:0#.f|membership|" + u->getValue<std::string>("Email"));
      EXPECT_NE(login.find("@contoso.com"), std::string::npos) << login;
    }
  }
  // Every person an item names is a user of the site.
  size_t checked = 0;
  emu_->ForEachLiveItem("Orders", [&](int64_t, std::string_view json) {
    auto item = Json(std::string(json));
    for (const char* key : {"AuthorId", "EditorId", "OwnerId"}) {
      if (item->isNull(key)) continue;
      int64_t id = item->getValue<int64_t>(key);
      if (id == 1073741823) continue;  // SharePoint's system account: not a listed user
      EXPECT_EQ(ids.count(id), 1u) << key << "=" << id;
      ++checked;
    }
  });
  EXPECT_GT(checked, 600u);
  EXPECT_EQ(User(1073741823)->getValue<std::string>("Title"), "System Account");
  EXPECT_EQ(Http(Api("web/getuserbyid(999)")).status, 404);

  // The people are the rows of the hidden User Information List, which the
  // person fields look up; the Customer lookup points at the Customers list.
  auto uil = Json(Http(Api("web/lists/getbytitle('User Information List')")).body);
  EXPECT_TRUE(uil->getValue<bool>("Hidden"));
  EXPECT_EQ(uil->getValue<int>("BaseTemplate"), 112);
  EXPECT_EQ(uil->getValue<int64_t>("ItemCount"), static_cast<int64_t>(users->size()));
  auto by_url = Http(Api("web/GetList('/sites/demo/_catalogs/users')"));
  EXPECT_EQ(Json(by_url.body)->getValue<std::string>("Id"), uil->getValue<std::string>("Id"));
  auto rows = Json(Http(Api("web/lists/getbytitle('User Information List')/items?"
                            "$select=Id,Title,EMail,Name&$top=5000"))
                       .body)
                  ->getArray("value");
  EXPECT_EQ(rows->size(), users->size());
  auto fields = Json(Http(ApiList(*emu_, "Orders") +
                          "/fields?$select=InternalName,LookupList,LookupField&$filter="
                          "TypeAsString eq 'User' or TypeAsString eq 'Lookup'")
                         .body)
                    ->getArray("value");
  std::map<std::string, std::string> lookup_list;
  for (size_t i = 0; i < fields->size(); ++i) {
    auto f = fields->getObject(static_cast<unsigned>(i));
    lookup_list[f->getValue<std::string>("InternalName")] = f->getValue<std::string>("LookupList");
  }
  const std::string uil_id = "{" + uil->getValue<std::string>("Id") + "}";
  EXPECT_EQ(lookup_list["Author"], uil_id);
  EXPECT_EQ(lookup_list["Owner"], uil_id);
  EXPECT_EQ(lookup_list["Customer"], "{" + emu_->ListId("Customers") + "}");
  // Customer values are live items of Customers.
  emu_->ForEachLiveItem("Orders", [&](int64_t, std::string_view json) {
    auto item = Json(std::string(json));
    if (item->isNull("CustomerId")) return;
    EXPECT_FALSE(emu_->ItemJson("Customers", item->getValue<int64_t>("CustomerId")).empty());
  });
}

TEST_F(EmulatorPeople, EnsureUserAddsAColleagueOnce) {
  const std::string body = "{\"logonName\":\"i:0#.f|membership|jane.doe@contoso.com\"}";
  auto first = Http(Api("web/ensureuser"), "POST",
                    {{"Accept", kNoMeta}, {"Content-Type", "application/json"}}, body);
  ASSERT_EQ(first.status, 200) << first.body;
  auto jane = Json(first.body);
  EXPECT_EQ(jane->getValue<std::string>("Title"), "Jane Doe");
  EXPECT_EQ(jane->getValue<std::string>("Email"), "jane.doe@contoso.com");
  const int64_t id = jane->getValue<int64_t>("Id");
  auto again = Http(Api("web/ensureuser"), "POST", {{"Accept", kNoMeta}},
                    "{\"logonName\":\"Jane.Doe@contoso.com\"}");
  EXPECT_EQ(Json(again.body)->getValue<int64_t>("Id"), id);
  EXPECT_EQ(User(id)->getValue<std::string>("LoginName"), "i:0#.f|membership|jane.doe@contoso.com");
  auto by_mail = Http(Api("web/siteusers/getbyemail('jane.doe@contoso.com')"));
  EXPECT_EQ(Json(by_mail.body)->getValue<int64_t>("Id"), id);
  // A new user can be assigned to a person field and read back through it.
  emu_->UpdateItem("Orders", 1, "{\"OwnerId\":" + std::to_string(id) + "}");
  auto item = Json(Http(Items("(1)?$select=Owner/Title&$expand=Owner")).body);
  EXPECT_EQ(item->getObject("Owner")->getValue<std::string>("Title"), "Jane Doe");
  auto stranger = Http(Api("web/ensureuser"), "POST", {{"Accept", kNoMeta}},
                       "{\"logonName\":\"someone@example.org\"}");
  EXPECT_EQ(stranger.status, 500);
  EXPECT_NE(stranger.body.find("could not be found"), std::string::npos) << stranger.body;
}

TEST_F(EmulatorPeople, ExpandedProjectionsAreNestedObjects) {
  auto page = Json(Http(Items("?$select=Id,AuthorId,CustomerId,Author/Title,Author/EMail,"
                              "Customer/Title&$expand=Author,Customer&$top=40"))
                       .body)
                  ->getArray("value");
  ASSERT_EQ(page->size(), 40u);
  size_t customers = 0;
  for (size_t i = 0; i < page->size(); ++i) {
    auto item = page->getObject(static_cast<unsigned>(i));
    auto author = item->getObject("Author");
    ASSERT_TRUE(author) << i;
    EXPECT_EQ(author->size(), 2u);
    auto user = User(item->getValue<int64_t>("AuthorId"));
    EXPECT_EQ(author->getValue<std::string>("Title"), user->getValue<std::string>("Title"));
    if (item->isNull("CustomerId")) {
      EXPECT_TRUE(item->isNull("Customer"));
      continue;
    }
    auto customer = Json(emu_->ItemJson("Customers", item->getValue<int64_t>("CustomerId")));
    EXPECT_EQ(item->getObject("Customer")->getValue<std::string>("Title"),
              customer->getValue<std::string>("Title"));
    ++customers;
  }
  EXPECT_GT(customers, 20u);

  auto verbose =
      Json(Http(Items("?$select=Id,Author/Title&$expand=Author&$top=1"), "GET", Accept(kVerbose))
               .body)
          ->getObject("d")
          ->getArray("results")
          ->getObject(0);
  EXPECT_EQ(verbose->getObject("Author")->getObject("__metadata")->getValue<std::string>("type"),
            "SP.Data.UserInfoItem");
  auto minimal =
      Json(Http(Items("(1)?$select=Id,Author/Title&$expand=Author"), "GET", Accept(kMinimal)).body);
  EXPECT_EQ(minimal->getObject("Author")->getValue<std::string>("odata.type"),
            "SP.Data.UserInfoItem");

  // Multi-valued people: arrays of objects, {"results":[...]} in verbose.
  emu_->AddField("Orders", "Reviewers", "UserMulti");
  emu_->UpdateItem("Orders", 2, "{\"ReviewersId\":[3,5]}");
  auto two = Json(Http(Items("(2)?$select=ReviewersId,ReviewersStringId,Reviewers/Title&"
                             "$expand=Reviewers"))
                      .body);
  auto reviewers = two->getArray("Reviewers");
  ASSERT_EQ(reviewers->size(), 2u);
  EXPECT_EQ(reviewers->getObject(1)->getValue<std::string>("Title"),
            User(5)->getValue<std::string>("Title"));
  EXPECT_EQ(two->getArray("ReviewersStringId")->getElement<std::string>(0), "3");
  auto v2 = Json(
      Http(Items("(2)?$select=Reviewers/Title&$expand=Reviewers"), "GET", Accept(kVerbose)).body);
  EXPECT_EQ(v2->getObject("d")->getObject("Reviewers")->getArray("results")->size(), 2u);
}

TEST_F(EmulatorPeople, ProjectionErrorsAndFilters) {
  auto bare = Http(Items("?$select=Title,Author/Title"));
  EXPECT_EQ(bare.status, 400);
  EXPECT_EQ(ErrorMessage(bare),
            "The query to field 'Author/Title' is not valid. The $select query string must "
            "specify the target fields and the $expand query string must contains Author.");
  auto unknown = Http(Items("?$select=Author/Nope&$expand=Author"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(ErrorMessage(unknown), "The field or property 'Nope' does not exist.");
  auto not_lookup = Http(Items("?$expand=Nope"));
  EXPECT_EQ(not_lookup.status, 400);
  EXPECT_EQ(ErrorMessage(not_lookup), "The field or property 'Nope' does not exist.");
  EXPECT_EQ(Http(Items("?$filter=Owner/Title eq 'x'")).status, 400);

  const std::string name = User(7)->getValue<std::string>("Title");
  std::vector<int64_t> expected;
  emu_->ForEachLiveItem("Orders", [&](int64_t id, std::string_view json) {
    auto item = Json(std::string(json));
    if (!item->isNull("OwnerId") && item->getValue<int64_t>("OwnerId") == 7) expected.push_back(id);
  });
  ASSERT_GT(expected.size(), 0u);
  auto r = Http(Items("?$select=Id,Owner/Title&$expand=Owner&$top=5000&$filter=Owner/Title eq '" +
                      name + "'"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto value = Json(r.body)->getArray("value");
  std::vector<int64_t> got;
  for (size_t i = 0; i < value->size(); ++i) {
    auto item = value->getObject(static_cast<unsigned>(i));
    got.push_back(item->getValue<int64_t>("Id"));
    EXPECT_EQ(item->getObject("Owner")->getValue<std::string>("Title"), name);
  }
  EXPECT_EQ(got, expected);
}

TEST_F(EmulatorPeople, LookupColumnThreshold) {
  // Orders has 4 lookup/person fields (Customer, Owner, Author, Editor); 9 more
  // through the REST API make 13, one over SharePoint's default of 12.
  for (int i = 1; i <= 9; ++i) {
    auto r = Http(ApiList(*emu_, "Orders") + "/fields", "POST",
                  {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
                  "{\"Title\":\"Ref" + std::to_string(i) +
                      "\",\"FieldTypeKind\":" + (i % 2 ? "7" : "20") + "}");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  auto all = Http(Items("?$top=5"));
  EXPECT_EQ(all.status, 500);
  EXPECT_EQ(Json(all.body)->getObject("odata.error")->getValue<std::string>("code"),
            "-2147024749, Microsoft.SharePoint.SPQueryThrottledException");
  EXPECT_EQ(Http(Items("?$top=5&$select=Id,Title")).status, 200);
  std::string twelve = "?$top=5&$select=Id,CustomerId,OwnerId,EditorId";
  for (int i = 1; i <= 9; ++i) twelve += ",Ref" + std::to_string(i) + "Id";
  EXPECT_EQ(Http(Items(twelve)).status, 200) << twelve;
  // Selecting a person's ID and expanding it is one lookup; another is not.
  EXPECT_EQ(Http(Items(twelve + ",Editor/Title&$expand=Editor")).status, 200);
  auto thirteen = Http(Items(twelve + ",Author/Title&$expand=Author"), "GET", Accept(kVerbose));
  EXPECT_EQ(thirteen.status, 500);
  EXPECT_NE(thirteen.body.find("lookup column threshold"), std::string::npos) << thirteen.body;
}

}  // namespace
}  // namespace spsync::emulator::testing
