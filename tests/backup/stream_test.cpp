// The streaming GET attachments are downloaded with (SharePointClient::
// GetStream): bounded chunks, never the whole body, and the same retries as
// any request: a reset or a throttle mid-way starts the body over. Checked
// on an emulator item page, whose bytes a plain Get gives for comparison.
#include "backup_support.hpp"

#include "spsync/engine/sharepoint/sharepoint_error.hpp"

namespace spsync::backup_test {
namespace {

// The bytes a plain GET with the streaming request's headers gives.
std::string Whole(Env& env, const std::string& url) {
  engine::HttpRequest r;
  r.url = url;
  r.headers = {{"Authorization", std::string("Bearer ") + kToken},
               {"Accept", "*/*"},
               {"Accept-Encoding", "identity"}};
  auto resp = env.http->Send(r);
  EXPECT_EQ(resp.status, 200);
  return resp.body;
}

// An Atom feed (what Accept: */* gets) carries a fresh feed ID and the
// time of the answer (<updated>, in every entry too); the rest must match.
std::string Entries(const std::string& feed) {
  size_t at = feed.find("<entry");
  EXPECT_NE(at, std::string::npos);
  std::string out = at == std::string::npos ? feed : feed.substr(at);
  for (size_t p = 0; (p = out.find("<updated>", p)) != std::string::npos;) {
    size_t end = out.find("</updated>", p);
    if (end == std::string::npos) break;
    out.erase(p, end - p);
  }
  return out;
}

struct Collected {
  int starts = 0;
  std::string bytes;
  size_t largest = 0, chunks = 0;
};

Collected Stream(Env& env, const std::string& url, size_t chunk_size) {
  Collected c;
  env.client->GetStream(
      url, "streaming a page", engine::Deadline(),
      [&](const engine::HttpResponse& r) {
        EXPECT_EQ(r.status, 200);
        ++c.starts;
        c.bytes.clear();  // a retry starts the body over
      },
      [&](const char* data, size_t len) {
        EXPECT_GE(len, 1u);
        c.largest = std::max(c.largest, len);
        ++c.chunks;
        c.bytes.append(data, len);
      },
      chunk_size);
  return c;
}

TEST(Stream, ChunksAreBoundedAndAddUpToTheBody) {
  Env env(Lists({{"Orders", 2000}}));
  const std::string url = env.client->ListApi(env.emu.ListId("Orders")) + "/items?%24top=2000";
  const std::string whole = Whole(env, url);
  ASSERT_GT(whole.size(), 500000u);
  Collected c = Stream(env, url, 64 * 1024);
  EXPECT_EQ(c.starts, 1);
  EXPECT_LE(c.largest, 64u * 1024);
  EXPECT_GE(c.chunks, whole.size() / (64 * 1024));
  EXPECT_EQ(c.bytes.size(), whole.size());
  EXPECT_TRUE(Entries(c.bytes) == Entries(whole));
}

TEST(Stream, ResetsAndThrottlesStartTheBodyOver) {
  Env env(Lists({{"Orders", 2000}}));
  const std::string url = env.client->ListApi(env.emu.ListId("Orders")) + "/items?%24top=2000";
  const std::string whole = Whole(env, url);
  emulator::FaultSpec faults;
  faults.retry_after_seconds = 0;
  // (A truncated but well-framed body cannot be told from a short file: not
  // a fault a file download can detect, so not part of this test.)
  faults.rules = {{emulator::RequestKind::kItems, 1, emulator::FaultKind::kReset},
                  {emulator::RequestKind::kItems, 1, emulator::FaultKind::kThrottle429}};
  env.emu.SetFaults(faults);
  const auto before = env.client->stats().requests.load();
  Collected c = Stream(env, url, 16 * 1024);
  EXPECT_EQ(env.client->stats().requests.load() - before, 3u);
  EXPECT_EQ(c.starts, 2);  // the reset body had begun; the 429 is not streamed
  EXPECT_TRUE(Entries(c.bytes) == Entries(whole));
}

TEST(Stream, ACallbackFailureIsNotRetried) {
  Env env(Lists({{"Orders", 500}}));
  const std::string url = env.client->ListApi(env.emu.ListId("Orders")) + "/items?%24top=500";
  const auto before = env.client->stats().requests.load();
  int chunks = 0;
  EXPECT_THROW(env.client->GetStream(
                   url, "streaming", engine::Deadline(), [](const engine::HttpResponse&) {},
                   [&](const char*, size_t) {
                     if (++chunks == 2) throw std::runtime_error("the sink refused");
                   },
                   4096),
               std::runtime_error);
  EXPECT_EQ(chunks, 2);
  EXPECT_EQ(env.client->stats().requests.load() - before, 1u);
  // The client still works (the broken connection was not pooled).
  std::string body;
  env.client->Get(url, "again", engine::Deadline(),
                  [&](engine::HttpResponse& r) { body = r.body; });
  EXPECT_GT(body.size(), 1000u);
}

TEST(Stream, AnErrorStatusIsNotStreamed) {
  Env env(Lists({{"Orders", 10}}));
  int starts = 0;
  try {
    env.client->GetStream(
        env.client->ListApi(env.emu.ListId("Orders")) + "/items(999999)", "a missing item",
        engine::Deadline(), [&](const engine::HttpResponse&) { ++starts; },
        [&](const char*, size_t) { ++starts; });
    ADD_FAILURE() << "no error";
  } catch (const engine::SharePointError& e) {
    EXPECT_EQ(e.kind(), engine::ErrorKind::kNotFound) << e.what();
  }
  EXPECT_EQ(starts, 0);
}

}  // namespace
}  // namespace spsync::backup_test
