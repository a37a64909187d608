// The state a sink stores for the engine, and change tokens.
#include "spsync/engine/sync/state.hpp"
#include "spsync/engine/sharepoint/change_page.hpp"

#include <gtest/gtest.h>

using namespace spsync::engine;

TEST(State, RoundTripsEveryField) {
  SyncState s;
  s.entity = "orders";
  s.list_id = "5c77031a-9621-4dfc-bb5d-57803a94e91d";
  s.mode = SyncMode::kIncremental;
  s.full_in_progress = true;
  s.page_last_id = 12345;
  s.full_start_token = "1;3;5c77031a-9621-4dfc-bb5d-57803a94e91d;638042258222730000;564169620";
  s.prior_high_water_id = 99;
  s.change_token = "1;3;x;1;2";
  s.high_water_id = 20000;
  s.last_success_unix = 1700000000;
  s.failed_sessions = 3;
  s.last_error = "quote \" and newline \n";
  s.schema_fingerprint = "abcd";
  s.items_upserted = 7;
  s.items_deleted = 8;
  s.sessions = 9;
  SyncState d = DecodeState(EncodeState(s));
  EXPECT_EQ(EncodeState(d), EncodeState(s));
  EXPECT_EQ(d.mode, SyncMode::kIncremental);
  EXPECT_EQ(d.page_last_id, 12345);
  EXPECT_EQ(d.last_error, s.last_error);
}

TEST(State, EmptyIsBlankAndGarbageIsAnError) {
  EXPECT_TRUE(DecodeState("").blank());
  EXPECT_THROW(DecodeState("not json"), std::runtime_error);
  EXPECT_THROW(DecodeState(R"({"format": 99})"), std::runtime_error);
}

TEST(ChangeToken, ParsesSharePointsShape) {
  ChangeTokenParts p;
  ASSERT_TRUE(
      ParseChangeToken("1;3;482e418a-0900-414b-8902-02248c2e44e8;634955266749500000;5749111", &p));
  EXPECT_EQ(p.scope, 3);
  EXPECT_EQ(p.scope_id, "482e418a-0900-414b-8902-02248c2e44e8");
  EXPECT_EQ(p.change_number, 5749111);
  EXPECT_EQ(TicksToUnix(634955266749500000), 1359929874);
  EXPECT_FALSE(ParseChangeToken("", &p));
  EXPECT_FALSE(ParseChangeToken("2;3;x;1;2", &p));
  EXPECT_FALSE(ParseChangeToken("1;3;x;notanumber;2", &p));
  EXPECT_FALSE(ParseChangeToken("1;3;x;1", &p));
}
