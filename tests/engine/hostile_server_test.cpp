// A hostile "SharePoint": a loopback server that answers the list and fields
// calls like SharePoint, then serves item pages crafted to break a client
// (invalid UTF-8, deep nesting, out-of-range numbers, a next link to another
// host). Each must end in a clear error, with nothing applied from the bad
// page, the state not advanced, and no credentials sent anywhere else.
#include "memory_sink.hpp"
#include "spsync/engine/sharepoint/credentials.hpp"
#include "spsync/engine/sharepoint/http_client.hpp"
#include "spsync/engine/sharepoint/sharepoint_client.hpp"
#include "spsync/engine/sync/state.hpp"
#include "spsync/engine/sync/sync_session.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

using namespace spsync;
using Handler = std::function<std::string(const std::string& uri, const std::string& auth)>;

// A real HTTP server on loopback answering every request with handler(uri).
class Server {
 public:
  explicit Server(Handler handler)
      : handler_(std::move(handler)), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket_, params);
    server_->start();
  }
  ~Server() { server_->stopAll(true); }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()); }
  std::vector<std::string> auth_seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return auth_seen_;
  }
  int requests() const { return requests_.load(); }

 private:
  struct Reply : Poco::Net::HTTPRequestHandler {
    explicit Reply(Server* s) : s(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      s->requests_++;
      std::string auth = req.get("Authorization", "");
      {
        std::lock_guard<std::mutex> lock(s->mu_);
        s->auth_seen_.push_back(auth);
      }
      std::string body = s->handler_(req.getURI(), auth);
      resp.setContentType("application/json;odata=nometadata;charset=utf-8");
      resp.setContentLength(static_cast<std::streamsize>(body.size()));
      resp.send() << body;
    }
    Server* s;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(Server* s) : s(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Reply(s);
    }
    Server* s;
  };
  Handler handler_;
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::vector<std::string> auth_seen_;
  std::atomic<int> requests_{0};
};

const char* kListId = "5c77031a-9621-4dfc-bb5d-57803a94e91d";

std::string ListJson() {
  return std::string(R"({"Id":")") + kListId +
         R"(","Title":"Orders","ItemCount":3,"CurrentChangeToken":{"StringValue":"1;3;)" + kListId +
         R"(;638042258222730000;100"}})";
}
const char* kFields =
    R"({"value":[{"InternalName":"Title","EntityPropertyName":"Title","Title":"Title","TypeAsString":"Text","Hidden":false},
                 {"InternalName":"Amount","EntityPropertyName":"Amount","Title":"Amount","TypeAsString":"Number","Hidden":false}]})";

// Serves list and fields normally, and `page(uri)` for item requests.
Handler SharePointWith(std::function<std::string(const std::string&)> page) {
  return [page](const std::string& uri, const std::string&) -> std::string {
    if (uri.find("/fields") != std::string::npos) return kFields;
    if (uri.find("/items") != std::string::npos) return page(uri);
    if (uri.find("/GetChanges") != std::string::npos) return R"({"value":[]})";
    return ListJson();
  };
}

struct SyncRun {
  engine::SessionResult result;
  engine::SyncState state;
};

SyncRun Sync(const std::string& site, test::MemorySink& sink) {
  engine::ClientOptions co;
  co.site_url = site + "/sites/x";
  co.retry.max_attempts = 2;
  co.retry.base_backoff = std::chrono::milliseconds(1);
  engine::SharePointClient client(co, std::make_shared<engine::HttpClient>(engine::HttpOptions{}),
                                  engine::BearerCredentials("secret-bearer"),
                                  std::make_shared<engine::ThrottleGate>());
  engine::EntityConfig e;
  e.name = "orders";
  e.list = "Orders";
  engine::SessionOptions o;
  o.sink_name = "memory";
  o.sink_backoff = std::chrono::milliseconds(1);
  engine::SyncSession session(client, sink, e, o);
  SyncRun r;
  r.result = session.Run(engine::Deadline(std::chrono::seconds(30)));
  r.state = engine::DecodeState(sink.committed().state);
  return r;
}

}  // namespace

TEST(HostileServer, ANextLinkToAnotherHostIsNeverFollowedWithCredentials) {
  Server elsewhere(
      [](const std::string&, const std::string&) { return std::string(R"({"value":[]})"); });
  std::string link = elsewhere.Url() +
                     "/sites/x/_api/web/lists(guid'x')/items?%24skiptoken=Paged%3dTRUE%26p_ID%3d2";
  Server sp(SharePointWith([&](const std::string&) {
    return std::string(
               R"({"value":[{"ID":1,"Title":"a","Amount":1},{"ID":2,"Title":"b","Amount":2}],"odata.nextLink":")") +
           link + "\"}";
  }));
  test::MemorySink sink;
  SyncRun r = Sync(sp.Url(), sink);
  // A full sync builds its own position tokens and never follows a next
  // link; this server then serves the first page again, which is refused.
  EXPECT_EQ(r.result.outcome, engine::Outcome::kFailed);
  EXPECT_NE(r.result.error.find("the page after ID 2 starts at ID 1"), std::string::npos)
      << r.result.error;
  EXPECT_EQ(elsewhere.requests(), 0) << "the foreign host was contacted";
  for (const auto& a : elsewhere.auth_seen()) EXPECT_TRUE(a.empty()) << "credentials leaked: " << a;
  // The page before the foreign link was applied and committed with its position.
  EXPECT_EQ(sink.committed().items.size(), 2u);
  EXPECT_EQ(r.state.page_last_id, 2);
  EXPECT_EQ(r.state.failed_sessions, 1);
}

TEST(HostileServer, BrokenPagesFailCleanlyWithoutAdvancingState) {
  std::string deep(5000, '[');
  std::vector<std::pair<std::string, std::string>> pages = {
      {"invalid UTF-8",
       std::string(R"({"value":[{"ID":1,"Title":")") + "\xc3\x28" + R"(","Amount":1}]})"},
      {"deep nesting", R"({"value":[{"ID":1,"Title":"a","Amount":)" + deep + "]}]}"},
      {"ID out of range", R"({"value":[{"ID":99999999999999999999999,"Title":"a"}]})"},
      {"IDs not ascending", R"({"value":[{"ID":5,"Title":"a"},{"ID":3,"Title":"b"}]})"},
      {"not JSON", "<html><body>Sorry, something went wrong</body></html>"},
      {"no value", R"({"d":{"nothing":[]}})"},
  };
  for (const auto& [what, body] : pages) {
    Server sp(SharePointWith([&](const std::string&) { return body; }));
    test::MemorySink sink;
    SyncRun r = Sync(sp.Url(), sink);
    EXPECT_EQ(r.result.outcome, engine::Outcome::kFailed) << what;
    EXPECT_NE(r.result.error.find("malformed"), std::string::npos)
        << what << ": " << r.result.error;
    EXPECT_TRUE(sink.committed().items.empty()) << what;
    EXPECT_EQ(r.state.page_last_id, 0) << what;
    EXPECT_EQ(r.state.failed_sessions, 1) << what;
  }
}

TEST(HostileServer, OddButValidValuesAreKeptNotDropped) {
  // Out-of-range numbers, duplicate keys and huge strings in fields are data:
  // the item is synced, odd values kept as their JSON text.
  std::string big(2 * 1024 * 1024, 'z');
  Server sp(SharePointWith([&](const std::string&) {
    return std::string(R"({"value":[{"ID":1,"Title":"first","Title":")") + big +
           R"(","Amount":1e400},{"ID":2,"Title":"ok","Amount":99999999999999999999999}]})";
  }));
  test::MemorySink sink;
  SyncRun r = Sync(sp.Url(), sink);
  ASSERT_EQ(r.result.outcome, engine::Outcome::kComplete) << r.result.error;
  ASSERT_EQ(sink.committed().items.size(), 2u);
  EXPECT_EQ(r.state.mode, engine::SyncMode::kIncremental);
  EXPECT_EQ(r.state.high_water_id, 2);
}
