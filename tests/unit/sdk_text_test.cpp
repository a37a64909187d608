// The SDK's text helpers (sink.hpp): what sinks use to write JSON records and
// to keep the engine's state bytes in text formats.
#include <spsync/sink.hpp>

#include <gtest/gtest.h>

using spsync::sdk::AppendJsonString;
using spsync::sdk::Base64Decode;
using spsync::sdk::Base64Encode;

TEST(SdkText, JsonStringsEscapeWhatJsonRequires) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\nd\re\tf\x01g Zürich");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g Zürich\"");
  out.clear();
  AppendJsonString(out, "");
  EXPECT_EQ(out, "\"\"");
}

TEST(SdkText, Base64RoundTripsEveryByteAndMatchesRfc4648) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(Base64Decode(Base64Encode(all), "test"), all);
  try {
    Base64Decode("Zm9v*", "state.json: state");
    FAIL();
  } catch (const spsync::sdk::Fatal& e) {
    EXPECT_STREQ(e.what(), "state.json: state: invalid base64");
  }
}
