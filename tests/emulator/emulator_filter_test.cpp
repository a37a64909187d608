// $filter beyond plain comparisons (shared/docs/sharepoint-rest.md §3.1): the
// date functions year() month() day() hour() minute() second().
#include <functional>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

class EmulatorFilter : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Options o;
    o.lists = {{"Orders", 400}, {"Big", 12000}};
    o.seed = 17;
    emu_ = new Emulator(o);
    emu_->Start();
  }
  static void TearDownTestSuite() {
    delete emu_;
    emu_ = nullptr;
  }
  // IDs of live Orders items whose JSON satisfies `keep`, in ID order.
  static std::vector<int64_t> Where(const std::function<bool(Poco::JSON::Object::Ptr)>& keep) {
    std::vector<int64_t> ids;
    emu_->ForEachLiveItem("Orders", [&](int64_t id, std::string_view json) {
      if (keep(Json(std::string(json)))) ids.push_back(id);
    });
    return ids;
  }
  static std::vector<int64_t> Query(const std::string& filter) {
    auto r = Http(ApiList(*emu_, "Orders") + "/items?$select=Id&$top=5000&$filter=" + filter);
    EXPECT_EQ(r.status, 200) << filter << " " << r.body;
    std::vector<int64_t> ids;
    if (r.status != 200) return ids;
    auto value = Json(r.body)->getArray("value");
    for (size_t i = 0; i < value->size(); ++i)
      ids.push_back(value->getObject(static_cast<unsigned>(i))->getValue<int64_t>("Id"));
    return ids;
  }
  static Emulator* emu_;
};
Emulator* EmulatorFilter::emu_ = nullptr;

// The date part of an ISO-8601 value (2024-05-06T07:08:09Z), or -1 for null.
int Part(const Poco::JSON::Object::Ptr& item, const std::string& field, size_t at) {
  if (item->isNull(field)) return -1;
  return std::stoi(item->getValue<std::string>(field).substr(at, at == 0 ? 4 : 2));
}

TEST_F(EmulatorFilter, DateFunctionsCompareWithNumbers) {
  auto y2023 = Where([](auto o) { return Part(o, "Modified", 0) == 2023; });
  ASSERT_GT(y2023.size(), 0u);
  EXPECT_EQ(Query("year(Modified) eq 2023"), y2023);

  auto feb =
      Where([](auto o) { return Part(o, "DueDate", 5) == 2 && Part(o, "DueDate", 8) <= 14; });
  ASSERT_GT(feb.size(), 0u);
  EXPECT_EQ(Query("month(DueDate) eq 2 and day(DueDate) le 14"), feb);

  auto afternoon = Where([](auto o) {
    return Part(o, "Created", 11) >= 12 && Part(o, "Created", 14) < 30 &&
           Part(o, "Created", 17) != 7;
  });
  ASSERT_GT(afternoon.size(), 0u);
  EXPECT_EQ(Query("hour(Created) ge 12 and minute(Created) lt 30 and second(Created) ne 7"),
            afternoon);

  // Functions combine with or, parentheses and plain comparisons.
  auto mixed = Where([](auto o) {
    return (Part(o, "Modified", 0) == 2020 || Part(o, "Modified", 0) == 2021) &&
           o->template getValue<int64_t>("Id") > 100;
  });
  EXPECT_EQ(Query("(year(Modified) eq 2020 or year(Modified) eq 2021) and ID gt 100"), mixed);

  // An unknown column is refused, and so is a function on a list over the
  // threshold without an index (the first clause is not on ID).
  EXPECT_EQ(Http(ApiList(*emu_, "Orders") + "/items?$filter=year(Nope) eq 1").status, 400);
  auto big = Http(ApiList(*emu_, "Big") + "/items?$filter=year(Modified) eq 2023");
  EXPECT_EQ(big.status, 500);
  EXPECT_NE(big.body.find("-2147024860"), std::string::npos) << big.body;
}

}  // namespace
}  // namespace spsync::emulator::testing
