// Item version history over real HTTP: every change keeps the previous state
// as a version; items(N)/versions lists them newest first with their labels,
// ids, times, editors and field values; versions(ID) finds one; synthetic
// items have the history their label says.
#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

Options Lists() {
  Options o;
  o.lists = {{"Orders", 200}};
  return o;
}

std::string Versions(const Emulator& e, int64_t id) {
  return ApiList(e, "Orders") + "/items(" + std::to_string(id) + ")/versions";
}

TEST(EmulatorVersions, EveryUpdateKeepsAVersionNewestFirst) {
  Emulator e(Lists());
  e.Start();
  const int64_t id = e.AddItem("Orders", R"({"Title":"v1","Quantity":1})");
  e.AdvanceClock(std::chrono::seconds(60));
  e.UpdateItem("Orders", id, R"({"Title":"v2"})");
  e.AdvanceClock(std::chrono::seconds(60));
  e.UpdateItem("Orders", id, R"({"Quantity":3})");
  e.AdvanceClock(std::chrono::seconds(60));
  auto up = Http(ApiList(e, "Orders") + "/items(" + std::to_string(id) + ")", "PATCH",
                 {{"Accept", kNoMeta}, {"Content-Type", "application/json"}, {"If-Match", "*"}},
                 R"({"Title":"v4"})");
  ASSERT_EQ(up.status, 204) << up.body;
  EXPECT_EQ(e.VersionCount("Orders", id), 4);

  auto r = Http(Versions(e, id));
  ASSERT_EQ(r.status, 200) << r.body;
  auto all = Json(r.body)->getArray("value");
  ASSERT_EQ(all->size(), 4u);
  const char* titles[] = {"v4", "v2", "v2", "v1"};
  const int quantities[] = {3, 3, 1, 1};
  std::string newer_created;
  for (unsigned i = 0; i < 4; ++i) {
    auto v = all->getObject(i);
    const int major = 4 - static_cast<int>(i);
    EXPECT_EQ(v->getValue<std::string>("VersionLabel"), std::to_string(major) + ".0");
    EXPECT_EQ(v->getValue<int>("VersionId"), 512 * major);
    EXPECT_EQ(v->getValue<bool>("IsCurrentVersion"), i == 0);
    EXPECT_EQ(v->getValue<std::string>("OData__UIVersionString"), std::to_string(major) + ".0");
    EXPECT_EQ(v->getValue<std::string>("Title"), titles[i]);
    EXPECT_EQ(v->getValue<int>("Quantity"), quantities[i]);
    EXPECT_EQ(v->getValue<int>("ID"), id);
    // The version's time, older ones earlier; people as SharePoint shapes them.
    const std::string created = v->getValue<std::string>("Created");
    if (i) {
      EXPECT_LT(created, newer_created);
    }
    newer_created = created;
    EXPECT_EQ(v->getValue<std::string>("Modified"), created);
    auto editor = v->getObject("Editor");
    EXPECT_EQ(editor->getValue<int>("LookupId"), 40);
    EXPECT_EQ(editor->getValue<std::string>("LookupValue"), "SharePoint App");
    EXPECT_EQ(v->getValue<std::string>("Modified_x005f_x0020_x005f_By").rfind("i:0i.t|", 0), 0u);
  }
  // One version by its id, in both forms; an unknown one.
  auto two = Json(Http(Versions(e, id) + "(1024)").body);
  EXPECT_EQ(two->getValue<std::string>("Title"), "v2");
  EXPECT_EQ(two->getValue<int>("Quantity"), 1);
  EXPECT_EQ(Json(Http(Versions(e, id) + "/getbyid(512)").body)->getValue<std::string>("Title"),
            "v1");
  EXPECT_EQ(Http(Versions(e, id) + "(2560)").status, 404);
  EXPECT_EQ(Http(Versions(e, id) + "(700)").status, 404);
  // $select, and the verbose and minimal shapes.
  auto selected = Json(Http(Versions(e, id) + "?$select=VersionLabel,Title").body)
                      ->getArray("value")
                      ->getObject(0);
  EXPECT_EQ(selected->size(), 2u);
  auto verbose = Json(Http(Versions(e, id), "GET", Accept(kVerbose)).body);
  auto first = verbose->getObject("d")->getArray("results")->getObject(0);
  EXPECT_EQ(first->getObject("__metadata")->getValue<std::string>("type"), "SP.ListItemVersion");
  EXPECT_TRUE(first->getObject("CreatedBy")->has("__deferred"));
  EXPECT_EQ(first->getObject("Editor")->getObject("__metadata")->getValue<std::string>("type"),
            "SP.FieldUserValue");
  auto minimal = Json(Http(Versions(e, id) + "(2048)", "GET", Accept("application/json")).body);
  EXPECT_EQ(minimal->getValue<std::string>("odata.type"), "SP.ListItemVersion");
  // A missing item.
  EXPECT_EQ(Http(Versions(e, 999999)).status, 404);
}

TEST(EmulatorVersions, SyntheticItemsHaveTheHistoryTheirLabelSays) {
  Emulator e(Lists());
  e.Start();
  int checked_multi = 0;
  for (int64_t id = 1; id <= 60; ++id) {
    const std::string json = e.ItemJson("Orders", id);
    if (json.empty()) continue;
    auto item = Json(json);
    const int major = std::stoi(item->getValue<std::string>("OData__UIVersionString"));
    ASSERT_EQ(e.VersionCount("Orders", id), major) << id;
    auto all = Json(Http(Versions(e, id)).body)->getArray("value");
    ASSERT_EQ(all->size(), static_cast<size_t>(major));
    // The newest is the item as it is; the oldest was made when it was created, by its author.
    auto newest = all->getObject(0);
    EXPECT_EQ(newest->getValue<std::string>("Title"), item->getValue<std::string>("Title"));
    EXPECT_EQ(newest->getValue<std::string>("Created"), item->getValue<std::string>("Modified"));
    if (major == 1) continue;
    auto oldest = all->getObject(static_cast<unsigned>(major - 1));
    EXPECT_EQ(oldest->getValue<std::string>("Created"), item->getValue<std::string>("Created"));
    EXPECT_EQ(oldest->getObject("Editor")->getValue<int>("LookupId"),
              item->getValue<int>("AuthorId"));
    EXPECT_FALSE(oldest->getValue<bool>("IsCurrentVersion"));
    ++checked_multi;
  }
  EXPECT_GT(checked_multi, 10);
  // A change adds one version on top; the state before it is kept as it was.
  int64_t id = 1;
  while (e.ItemJson("Orders", id).empty()) ++id;
  const int before = static_cast<int>(e.VersionCount("Orders", id));
  auto was = Json(Http(Versions(e, id)).body)->getArray("value")->getObject(0);
  e.UpdateItem("Orders", id, R"({"Title":"changed"})");
  auto now = Json(Http(Versions(e, id)).body)->getArray("value");
  ASSERT_EQ(now->size(), static_cast<size_t>(before + 1));
  EXPECT_EQ(now->getObject(0)->getValue<std::string>("Title"), "changed");
  auto kept = now->getObject(1);
  EXPECT_FALSE(kept->getValue<bool>("IsCurrentVersion"));
  EXPECT_EQ(kept->getValue<std::string>("Title"), was->getValue<std::string>("Title"));
  EXPECT_EQ(kept->getValue<std::string>("Created"), was->getValue<std::string>("Created"));
  EXPECT_EQ(kept->getValue<std::string>("VersionLabel"),
            was->getValue<std::string>("VersionLabel"));
}

TEST(EmulatorVersions, AttachmentChangesMakeVersions) {
  Emulator e(Lists());
  e.Start();
  const int64_t id = e.AddItem("Orders", R"({"Title":"with files"})");
  e.AddAttachment("Orders", id, "a.txt", "a");
  e.DeleteAttachment("Orders", id, "a.txt");
  auto all = Json(Http(Versions(e, id)).body)->getArray("value");
  ASSERT_EQ(all->size(), 3u);
  EXPECT_FALSE(all->getObject(0)->getValue<bool>("Attachments"));
  EXPECT_TRUE(all->getObject(1)->getValue<bool>("Attachments"));
  EXPECT_FALSE(all->getObject(2)->getValue<bool>("Attachments"));
  // A recycle and a restore bring the item back as it was: no new version.
  e.RecycleItem("Orders", id);
  EXPECT_EQ(Http(Versions(e, id)).status, 404);
  e.RestoreItem("Orders", id);
  EXPECT_EQ(e.VersionCount("Orders", id), 3);
}

}  // namespace
}  // namespace spsync::emulator::testing
