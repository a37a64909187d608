// The S3 sink, loaded through the C ABI, against s3rver (a real S3 HTTP
// server on loopback), read back with @aws-sdk/client-s3 via read_bucket.mjs.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "../kafka/sink_harness.hpp"
#include "s3_peer.hpp"

namespace {

using namespace spsync_s3_test;
using Poco::JSON::Array;
using Poco::JSON::Object;
using spsync_test::Child;
using spsync_test::Plugin;
using spsync_test::SchemaDef;
using spsync_test::Sink;
using spsync_test::StatusName;

#define ASSERT_SINK_OK(expr)                                                      \
  do {                                                                            \
    auto status_ = (expr);                                                        \
    ASSERT_TRUE(status_.ok()) << #expr << ": " << StatusName(status_.code) << " " \
                              << status_.message;                                 \
  } while (0)

Plugin& S3Plugin() {
  static Plugin plugin(std::string(SPSYNC_PLUGIN_BUILD_DIR) + "/libspsync-sink-s3.so");
  return plugin;
}

TEST(S3Sink, DescribesOptionsAndRefusesBadConfig) {
  auto options = S3Plugin().Options();
  EXPECT_EQ(options.at("bucket")->required, 1);
  EXPECT_EQ(options.at("secretAccessKey")->type, SPSYNC_OPTION_SECRET);
  EXPECT_EQ(options.at("sessionToken")->type, SPSYNC_OPTION_SECRET);
  EXPECT_STREQ(options.at("region")->default_value, "us-east-1");
  EXPECT_STREQ(options.at("gzip")->default_value, "true");
  const uint64_t caps = S3Plugin().vt().capabilities;
  EXPECT_TRUE(caps & SPSYNC_CAP_TRANSACTIONAL_PERSIST);
  EXPECT_TRUE(caps & SPSYNC_CAP_SNAPSHOT);
  ASSERT_NE(S3Plugin().vt().snapshot, nullptr);

  Sink sink(S3Plugin());
  auto s = sink.Open(
      {{"endpoint", "http://127.0.0.1:9"}, {"accessKeyId", "a"}, {"secretAccessKey", "b"}});
  EXPECT_EQ(s.code, SPSYNC_FATAL);
  EXPECT_NE(s.message.find("'bucket' is required"), std::string::npos) << s.message;
  Sink sink2(S3Plugin());
  s = sink2.Open(
      {{"endpoint", "ftp://x"}, {"bucket", "b"}, {"accessKeyId", "a"}, {"secretAccessKey", "b"}});
  EXPECT_EQ(s.code, SPSYNC_FATAL);
  EXPECT_NE(s.message.find("endpoint"), std::string::npos) << s.message;
}

// Two persisted pages with deletes: gzip NDJSON parts in the dated layout,
// contiguous sequence numbers, a state file naming the last part and holding
// the engine's state, and a replay that yields exactly the live items.
TEST(S3Sink, PagesLayoutStateAndSnapshot) {
  S3rver server;
  Sink sink(S3Plugin());
  // Small parts, so one page spans several objects.
  ASSERT_SINK_OK(sink.Open(server.Config({{"partBytes", "6000"}})));
  ASSERT_SINK_OK(sink.Check());
  std::string state = "unset";
  ASSERT_SINK_OK(sink.LoadState("orders", &state));
  EXPECT_EQ(state, "");
  SchemaDef schema("orders");
  ASSERT_SINK_OK(sink.Begin(schema));
  ASSERT_SINK_OK(sink.UpsertRange(1, 30, 1));
  ASSERT_SINK_OK(sink.Delete({3, 4}));
  ASSERT_SINK_OK(sink.Persist("{\"token\":\"page-1\"}"));
  ASSERT_SINK_OK(sink.UpsertRange(10, 12, 2));
  ASSERT_SINK_OK(sink.Delete({30}));
  const std::string binary_state("\x00\x01\xff{\"token\":\"page-2\"}", 21);
  ASSERT_SINK_OK(sink.Persist(binary_state));

  Bucket b = Read(server, "orders");
  EXPECT_TRUE(b.other_keys.empty()) << (b.other_keys.empty() ? "" : b.other_keys.front());
  // After a persist both state copies name the same commit.
  ASSERT_FALSE(b.next_state.isNull());
  ASSERT_FALSE(b.state.isNull());
  EXPECT_EQ(b.next_state->getValue<long long>("committedSeq"),
            b.state->getValue<long long>("committedSeq"));
  ASSERT_GE(b.parts.size(), 3u) << "partBytes=6000 should split the first page";
  for (size_t i = 0; i < b.parts.size(); ++i) {
    EXPECT_EQ(b.parts[i].first, static_cast<long long>(i + 1)) << "sequence numbers are contiguous";
    EXPECT_TRUE(b.parts[i].second->getValue<bool>("gzip"))
        << b.parts[i].second->getValue<std::string>("key");
  }
  ASSERT_TRUE(b.state);
  EXPECT_EQ(b.state->getValue<long long>("committedSeq"), static_cast<long long>(b.parts.size()));
  EXPECT_EQ(b.state->getValue<std::string>("entity"), "orders");
  EXPECT_EQ(b.state->getValue<std::string>("listId"), spsync_test::kListId);

  Replay r = ReplayCommitted(b);
  EXPECT_EQ(r.records, 30u + 2u + 3u + 1u);
  std::set<long long> ids;
  for (const auto& [id, rec] : r.live) ids.insert(id);
  std::set<long long> expected;
  for (long long id = 1; id <= 29; ++id)
    if (id != 3 && id != 4) expected.insert(id);
  EXPECT_EQ(ids, expected);
  for (const auto& [id, rec] : r.live) {
    SCOPED_TRACE(id);
    const int rev = id >= 10 && id <= 12 ? 2 : 1;
    auto item = spsync_test::MakeItem(id, rev);
    EXPECT_EQ(rec->getValue<std::string>("version"), std::to_string(rev));
    EXPECT_EQ(rec->getValue<std::string>("modified"), item->modified);
    EXPECT_EQ(rec->getObject("item")->getValue<std::string>("Title"), item->title);
    EXPECT_EQ(rec->getObject("item")->getValue<std::string>("GUID"), item->guid);
  }

  // The engine's state comes back byte for byte, in this instance and a new one.
  Sink again(S3Plugin());
  ASSERT_SINK_OK(again.Open(server.Config()));
  ASSERT_SINK_OK(again.LoadState("orders", &state));
  EXPECT_EQ(state, binary_state);

  // The snapshot: exactly the live items, their latest records, one each.
  ASSERT_SINK_OK(again.Begin(schema));
  auto s = again.Snapshot();
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_NE(s.message.find("snapshot.ndjson.gz"), std::string::npos) << s.message;
  b = Read(server, "orders");
  ASSERT_TRUE(b.snapshot);
  EXPECT_TRUE(b.snapshot->getValue<bool>("gzip"));
  auto snap = b.snapshot->getArray("records");
  ASSERT_EQ(snap->size(), expected.size());
  std::set<long long> snap_ids;
  for (size_t i = 0; i < snap->size(); ++i) {
    auto rec = snap->getObject(static_cast<unsigned>(i));
    const long long id = rec->getValue<long long>("id");
    snap_ids.insert(id);
    EXPECT_EQ(rec->getValue<std::string>("version"), id >= 10 && id <= 12 ? "2" : "1");
  }
  EXPECT_EQ(snap_ids, expected);
}

TEST(S3Sink, PlainPartsWhenGzipIsOff) {
  S3rver server;
  Sink sink(S3Plugin());
  ASSERT_SINK_OK(sink.Open(server.Config({{"gzip", "false"}})));
  std::string state;
  ASSERT_SINK_OK(sink.LoadState("tasks", &state));
  SchemaDef schema("tasks");
  ASSERT_SINK_OK(sink.Begin(schema));
  ASSERT_SINK_OK(sink.UpsertRange(1, 5, 1));
  ASSERT_SINK_OK(sink.Persist("s"));
  Bucket b = Read(server, "tasks");
  ASSERT_EQ(b.parts.size(), 1u);
  EXPECT_FALSE(b.parts[0].second->getValue<bool>("gzip"));
  const std::string key = b.parts[0].second->getValue<std::string>("key");
  EXPECT_EQ(key.substr(key.size() - 21), "/part-00000001.ndjson") << key;
  EXPECT_EQ(ReplayCommitted(b).live.size(), 5u);
}

// A part larger than multipartBytes goes up as a multipart upload and reads
// back whole.
TEST(S3Sink, LargePartUsesMultipartUpload) {
  S3rver server;
  Sink sink(S3Plugin());
  ASSERT_SINK_OK(sink.Open(server.Config(
      {{"gzip", "false"}, {"partBytes", "100000000"}, {"multipartBytes", "5242880"}})));
  std::string state;
  ASSERT_SINK_OK(sink.LoadState("big", &state));
  SchemaDef schema("big");
  ASSERT_SINK_OK(sink.Begin(schema));
  // 600 items of ~20 KB: about 12 MB, three chunks.
  ASSERT_SINK_OK(sink.UpsertRange(1, 600, 1, 20000));
  ASSERT_SINK_OK(sink.Persist("s"));
  Bucket b = Read(server, "big");
  ASSERT_EQ(b.parts.size(), 1u);
  EXPECT_GT(b.parts[0].second->getValue<long long>("size"), 10LL << 20);
  Replay r = ReplayCommitted(b);
  EXPECT_EQ(r.live.size(), 600u);
  EXPECT_EQ(r.live.at(600)->getObject("item")->getValue<std::string>("Notes").size(),
            std::string("line1\nline2 caf\xc3\xa9").size() + 20000);
}

// A session killed after writing parts of a page but before its persist:
// the parts are in the bucket but above committedSeq; the next session
// removes them, re-sends the page, and no record is duplicated.
TEST(S3Sink, ResumeAfterCrashRemovesUncommittedParts) {
  S3rver server;
  SchemaDef schema("orders");
  auto config = server.Config({{"partBytes", "3000"}});
  {
    Sink sink(S3Plugin());
    ASSERT_SINK_OK(sink.Open(config));
    std::string state;
    ASSERT_SINK_OK(sink.LoadState("orders", &state));
    ASSERT_SINK_OK(sink.Begin(schema));
    ASSERT_SINK_OK(sink.UpsertRange(1, 10, 1));
    ASSERT_SINK_OK(sink.Persist("after-page-1"));
  }
  const long long committed = Read(server, "orders").state->getValue<long long>("committedSeq");

  std::vector<std::string> argv = {SPSYNC_CRASH_CHILD,
                                   std::string(SPSYNC_PLUGIN_BUILD_DIR) + "/libspsync-sink-s3.so",
                                   "orders",
                                   "11",
                                   "40",
                                   "9",
                                   "0"};
  for (const auto& [k, v] : config) argv.push_back(k + "=" + v);
  Child child(argv);
  EXPECT_EQ(child.ReadLine(30000), "upserted");
  int status = child.Wait();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

  Bucket crashed = Read(server, "orders");
  ASSERT_GT(crashed.parts.back().first, committed) << "the killed session left parts behind";
  EXPECT_EQ(crashed.state->getValue<long long>("committedSeq"), committed);
  EXPECT_EQ(crashed.state->getValue<std::string>("stateDecoded"), "after-page-1");
  // A reader that follows the state sees none of it.
  for (const auto& [id, rec] : ReplayCommitted(crashed).live)
    EXPECT_NE(rec->getValue<std::string>("version"), "9");

  {
    Sink sink(S3Plugin());
    ASSERT_SINK_OK(sink.Open(config));
    std::string state;
    ASSERT_SINK_OK(sink.LoadState("orders", &state));
    EXPECT_EQ(state, "after-page-1");
    Bucket cleaned = Read(server, "orders");
    ASSERT_FALSE(cleaned.parts.empty());
    EXPECT_EQ(cleaned.parts.back().first, committed) << "orphan parts are removed on resume";
    ASSERT_SINK_OK(sink.Begin(schema));
    ASSERT_SINK_OK(sink.UpsertRange(11, 40, 2));
    ASSERT_SINK_OK(sink.Persist("after-page-2"));
  }
  Bucket b = Read(server, "orders");
  Replay r = ReplayCommitted(b);
  EXPECT_EQ(b.parts.back().first, b.state->getValue<long long>("committedSeq"));
  EXPECT_EQ(r.live.size(), 40u);
  EXPECT_EQ(r.records, 40u) << "no record written twice";
  for (const auto& [id, count] : r.upserts) EXPECT_EQ(count, 1) << id;
  for (const auto& [id, rec] : r.live)
    EXPECT_EQ(rec->getValue<std::string>("version"), id <= 10 ? "1" : "2") << id;
  // Every object in the bucket is accounted for by the state.
  for (const auto& [seq, part] : b.parts)
    EXPECT_LE(seq, b.state->getValue<long long>("committedSeq"));
}

// 4xx errors are FATAL with S3's code and message, never with the secret;
// an unreachable endpoint is RETRYABLE.
TEST(S3Sink, ErrorsCarryS3CodeAndNoSecrets) {
  S3rver server;
  {
    Sink sink(S3Plugin());
    ASSERT_SINK_OK(sink.Open(server.Config({{"accessKeyId", "WRONGKEY"},
                                            {"secretAccessKey", "TopSecretValue123"},
                                            {"sessionToken", "SessionSecret456"}})));
    std::string state;
    auto s = sink.LoadState("orders", &state);
    EXPECT_EQ(s.code, SPSYNC_FATAL);
    EXPECT_NE(s.message.find("InvalidAccessKeyId"), std::string::npos) << s.message;
    EXPECT_NE(s.message.find("403"), std::string::npos) << s.message;
    EXPECT_EQ(s.message.find("TopSecretValue123"), std::string::npos) << s.message;
    EXPECT_EQ(s.message.find("SessionSecret456"), std::string::npos) << s.message;
    EXPECT_EQ(s.message.find("Signature="), std::string::npos) << s.message;
  }
  {
    Sink sink(S3Plugin());
    ASSERT_SINK_OK(sink.Open(server.Config({{"bucket", "no-such-bucket"}})));
    std::string state;
    auto s = sink.LoadState("orders", &state);
    EXPECT_EQ(s.code, SPSYNC_FATAL);
    EXPECT_NE(s.message.find("NoSuchBucket"), std::string::npos) << s.message;
  }
  {
    Sink sink(S3Plugin());
    ASSERT_SINK_OK(
        sink.Open(server.Config({{"endpoint", "http://127.0.0.1:1"}, {"timeoutSeconds", "2"}})));
    std::string state;
    auto s = sink.LoadState("orders", &state);
    EXPECT_EQ(s.code, SPSYNC_RETRYABLE) << s.message;
    EXPECT_NE(s.message.find("s3://spsync-test/exports/sp/orders/_state.json"), std::string::npos)
        << s.message;
  }
  for (const auto& line : S3Plugin().logs()) {
    EXPECT_EQ(line.find("TopSecretValue123"), std::string::npos) << line;
    EXPECT_EQ(line.find("Authorization"), std::string::npos) << line;
  }
}

}  // namespace
