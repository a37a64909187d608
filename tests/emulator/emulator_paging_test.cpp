// Paging by position (shared/docs/sharepoint-rest.md §3.2): a $skiptoken
// names a position in the sort order, (p_<Field>, p_ID), not an item, so the
// next page is right even after the item at the position was deleted or
// changed; PagedPrev=TRUE pages backwards from a position.
#include <algorithm>
#include <cctype>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

struct Row {
  std::string status;
  int64_t id;
};

std::string Folded(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// Live items of `list` ordered as SharePoint orders by Status: the value
// (case-insensitively), then the ID in the same direction.
std::vector<Row> ByStatus(const Emulator& e, const std::string& list, bool desc) {
  std::vector<Row> rows;
  e.ForEachLiveItem(list, [&](int64_t id, std::string_view json) {
    rows.push_back({Json(std::string(json))->optValue<std::string>("Status", ""), id});
  });
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    std::string x = Folded(a.status), y = Folded(b.status);
    if (x != y) return desc ? x > y : x < y;
    return desc ? a.id > b.id : a.id < b.id;
  });
  return rows;
}

std::vector<int64_t> Ids(const Poco::JSON::Array::Ptr& value) {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < value->size(); ++i)
    ids.push_back(value->getObject(static_cast<unsigned>(i))->getValue<int64_t>("Id"));
  return ids;
}

std::vector<int64_t> Slice(const std::vector<Row>& rows, size_t from, size_t to) {
  std::vector<int64_t> ids;
  for (size_t i = from; i < to && i < rows.size(); ++i) ids.push_back(rows[i].id);
  return ids;
}

class EmulatorPaging : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.lists = {{"Orders", 300}};
    o.seed = 9;
    emu_ = std::make_unique<Emulator>(o);
    emu_->Start();
  }
  std::string Items(const std::string& query) {
    return ApiList(*emu_, "Orders") + "/items" + query;
  }
  std::unique_ptr<Emulator> emu_;
};

TEST_F(EmulatorPaging, OrderbyNextPageSurvivesDeleteAndChangeOfTheLastItem) {
  const auto expected = ByStatus(*emu_, "Orders", false);
  ASSERT_EQ(expected.size(), 300u);
  auto page1 = Json(Http(Items("?$select=Id,Status&$orderby=Status&$top=25")).body);
  ASSERT_EQ(Ids(page1->getArray("value")), Slice(expected, 0, 25));
  std::string next = page1->getValue<std::string>("odata.nextLink");
  // The token carries the sort value (escaped inside the token) before p_ID.
  const std::string status = expected[24].status;
  std::string escaped;
  for (char ch : status) escaped += ch == ' ' ? std::string("%2520") : std::string(1, ch);
  EXPECT_NE(next.find("%24skiptoken=Paged%3dTRUE%26p_Status%3d" + escaped + "%26p_ID%3d" +
                      std::to_string(expected[24].id)),
            std::string::npos)
      << next;

  // The last item of page 1 is deleted: page 2 neither restarts nor skips.
  emu_->DeleteItem("Orders", expected[24].id);
  auto page2 = Json(Http(next).body);
  ASSERT_EQ(Ids(page2->getArray("value")), Slice(expected, 25, 50));

  // The last item of page 2 moves to the front of the order: page 3 still
  // continues after the position where page 2 ended.
  emu_->UpdateItem("Orders", expected[49].id, "{\"Status\":\"Aaa first\"}");
  auto page3 = Json(Http(page2->getValue<std::string>("odata.nextLink")).body);
  EXPECT_EQ(Ids(page3->getArray("value")), Slice(expected, 50, 75));
}

TEST_F(EmulatorPaging, OrderbyDescendingVisitsEveryItemOnceInOrder) {
  const auto expected = ByStatus(*emu_, "Orders", true);
  std::vector<int64_t> seen;
  std::string url = Items("?$select=Id,Status&$orderby=Status desc&$top=40");
  while (!url.empty()) {
    auto page = Json(Http(url).body);
    auto ids = Ids(page->getArray("value"));
    seen.insert(seen.end(), ids.begin(), ids.end());
    url = page->optValue<std::string>("odata.nextLink", "");
  }
  EXPECT_EQ(seen, Slice(expected, 0, expected.size()));
}

TEST_F(EmulatorPaging, PagedPrevReturnsThePageBeforeThePosition) {
  std::vector<int64_t> ids;
  emu_->ForEachLiveItem("Orders", [&](int64_t id, std::string_view) { ids.push_back(id); });
  auto slice = [&](size_t from, size_t to) {
    return std::vector<int64_t>(ids.begin() + static_cast<long>(from),
                                ids.begin() + static_cast<long>(to));
  };
  // ID order, as PnPjs's items.skip(id, true) asks it (the token unencoded).
  auto prev = Json(Http(Items("?$select=Id&$top=10&$skiptoken=Paged%3DTRUE%26PagedPrev%3DTRUE%26"
                              "p_ID%3D" +
                              std::to_string(ids[50])))
                       .body);
  ASSERT_EQ(Ids(prev->getArray("value")), slice(40, 50));
  // Its next link goes forward from the page's last item (a guess, see the README).
  std::string next = prev->getValue<std::string>("odata.nextLink");
  EXPECT_NE(next.find("%24skiptoken=Paged%3dTRUE%26p_ID%3d" + std::to_string(ids[49]) + "&"),
            std::string::npos)
      << next;
  EXPECT_EQ(Ids(Json(Http(next).body)->getArray("value")), slice(50, 60));

  // Near the start the page is short.
  auto first =
      Json(Http(Items("?$select=Id&$top=10&$skiptoken=Paged=TRUE%26PagedPrev=TRUE%26p_ID=" +
                      std::to_string(ids[5])))
               .body);
  EXPECT_EQ(Ids(first->getArray("value")), slice(0, 5));

  // Descending ID order: the page before a position holds larger IDs, in
  // descending order.
  auto desc = Json(Http(Items("?$select=Id&$top=10&$orderby=ID desc&$skiptoken=Paged=TRUE%26"
                              "PagedPrev=TRUE%26p_ID=" +
                              std::to_string(ids[50])))
                       .body);
  std::vector<int64_t> want = slice(51, 61);
  std::reverse(want.begin(), want.end());
  EXPECT_EQ(Ids(desc->getArray("value")), want);

  // With a sort field, the position is (value, ID).
  const auto by_status = ByStatus(*emu_, "Orders", false);
  const Row& at = by_status[30];
  std::string value;
  for (char ch : at.status) value += ch == ' ' ? std::string("%2520") : std::string(1, ch);
  auto sorted =
      Json(Http(Items("?$select=Id,Status&$orderby=Status&$top=10&$skiptoken=Paged%3DTRUE%26"
                      "PagedPrev%3DTRUE%26p_Status%3D" +
                      value + "%26p_ID%3D" + std::to_string(at.id)))
               .body);
  EXPECT_EQ(Ids(sorted->getArray("value")), Slice(by_status, 20, 30));
}

}  // namespace
}  // namespace spsync::emulator::testing
