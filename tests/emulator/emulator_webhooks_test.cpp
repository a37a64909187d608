// List webhooks (sharepoint-rest.md section 9) against the emulator over real
// HTTP, with a real HTTP receiver (a Poco HTTPServer in the test) as the
// notification URL: the validation handshake during create (a correct, a
// wrong and a late answer), the expiration rules, GET/PATCH/DELETE,
// coalesced deliveries, retries and the drop, expiry and lost subscriptions.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

using namespace std::chrono_literals;

// A webhook receiver as an application runs one: answers the handshake and
// records the notifications. Thread-safe (the server's threads call it).
class Receiver {
 public:
  enum class Mode { kGood, kWrongToken, kLate, kFail500, kSlowAnswer };

  explicit Receiver(Mode mode = Mode::kGood) : mode_(mode) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
    port_ = socket.address().port();
  }
  ~Receiver() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    arrived_.notify_all();
    server_->stopAll(true);
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void SetMode(Mode m) { mode_ = m; }
  std::atomic<int> late_ms{700};

  struct Seen {
    std::string query, content_type, body;
    int64_t content_length = -1;
  };
  std::vector<Seen> Validations() {
    std::lock_guard lock(mu_);
    return validations_;
  }
  std::vector<Seen> Notifications() {
    std::lock_guard lock(mu_);
    return notifications_;
  }
  // Waits until `n` notifications arrived (false after `limit`).
  bool WaitForNotifications(size_t n, std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(mu_);
    return arrived_.wait_for(lock, limit, [&] { return notifications_.size() >= n; });
  }

 private:
  void Handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    Seen seen;
    const std::string uri = req.getURI();
    const size_t q = uri.find('?');
    seen.query = q == std::string::npos ? "" : uri.substr(q + 1);
    seen.content_type = req.getContentType();
    seen.content_length = req.getContentLength64();
    Poco::StreamCopier::copyToString(req.stream(), seen.body);
    const std::string prefix = "validationtoken=";
    if (seen.query.rfind(prefix, 0) == 0) {
      const std::string token = seen.query.substr(prefix.size());
      {
        std::lock_guard lock(mu_);
        validations_.push_back(seen);
      }
      if (mode_ == Mode::kLate)
        std::this_thread::sleep_for(std::chrono::milliseconds(late_ms.load()));
      resp.setContentType("text/plain");
      const std::string answer = mode_ == Mode::kWrongToken ? "not-" + token : token;
      resp.sendBuffer(answer.data(), answer.size());
      return;
    }
    {
      std::lock_guard lock(mu_);
      notifications_.push_back(seen);
    }
    arrived_.notify_all();
    if (mode_ == Mode::kSlowAnswer) {  // until the test ends
      std::unique_lock lock(mu_);
      arrived_.wait_for(lock, 30s, [&] { return closing_; });
    }
    resp.setStatusAndReason(mode_ == Mode::kFail500
                                ? Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR
                                : Poco::Net::HTTPResponse::HTTP_OK);
    resp.setContentLength(0);
    resp.send();
  }

  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(Receiver& r) : r(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      r.Handle(req, resp);
    }
    Receiver& r;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(Receiver& r) : r(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r);
    }
    Receiver& r;
  };

  std::atomic<Mode> mode_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::condition_variable arrived_;
  std::vector<Seen> validations_, notifications_;
  bool closing_ = false;
};

// ISO 8601 of the emulator's clock plus `from_now`.
std::string IsoIn(const Emulator& e, std::chrono::seconds from_now) {
  const auto t = std::chrono::system_clock::to_time_t(e.Now() + from_now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  return buf;
}

class Webhooks : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.lists = {{"Orders", 5}, {"Tasks", 3}};
    o.webhooks.delivery_interval = 60s;  // deliveries come from DeliverWebhooksNow
    o.webhooks.validation_timeout = 300ms;
    emu = std::make_unique<Emulator>(o);
    emu->Start();
  }

  std::string Subscriptions(const std::string& list = "Orders") {
    return ApiList(*emu, list) + "/subscriptions";
  }
  HttpResult Post(const std::string& url, const std::string& body) {
    return Http(url, "POST", {{"Accept", kNoMeta}, {"Content-Type", "application/json"}}, body);
  }
  HttpResult Create(const std::string& list, const std::string& notification_url,
                    const std::string& expiration, const std::string& client_state = "") {
    std::string body = "{\"resource\":\"" + Subscriptions(list) + "\",\"notificationUrl\":\"" +
                       notification_url + "\"";
    if (!expiration.empty()) body += ",\"expirationDateTime\":\"" + expiration + "\"";
    if (!client_state.empty()) body += ",\"clientState\":\"" + client_state + "\"";
    return Post(Subscriptions(list), body + "}");
  }
  std::string CreateId(const std::string& list, const Receiver& r,
                       const std::string& client_state = "secret") {
    HttpResult res = Create(list, r.Url(), IsoIn(*emu, 24h * 30), client_state);
    EXPECT_EQ(res.status, 201) << res.body;
    return res.status == 201 ? Json(res.body)->getValue<std::string>("id") : "";
  }
  static std::string ErrorMessage(const HttpResult& r) {
    return Json(r.body)
        ->getObject("odata.error")
        ->getObject("message")
        ->getValue<std::string>("value");
  }

  std::unique_ptr<Emulator> emu;
};

TEST_F(Webhooks, CreateValidatesTheUrlThenGetPatchAndDelete) {
  Receiver r;
  HttpResult created = Create("Orders", r.Url(), IsoIn(*emu, 24h * 90), "state-1");
  ASSERT_EQ(created.status, 201) << created.body;
  auto sub = Json(created.body);
  const std::string id = sub->getValue<std::string>("id");
  const std::string list_id = emu->ListId("Orders");
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(sub->getValue<std::string>("resource"), list_id);
  EXPECT_EQ(sub->getValue<std::string>("notificationUrl"), r.Url());
  EXPECT_EQ(sub->getValue<std::string>("clientState"), "state-1");
  EXPECT_EQ(sub->getValue<std::string>("expirationDateTime").back(), 'Z');
  // The handshake: one POST with ?validationtoken= and an empty body.
  auto validations = r.Validations();
  ASSERT_EQ(validations.size(), 1u);
  EXPECT_EQ(validations[0].query.rfind("validationtoken=", 0), 0u);
  EXPECT_GT(validations[0].query.size(), std::string("validationtoken=").size());
  EXPECT_EQ(validations[0].content_length, 0);
  EXPECT_EQ(emu->GetWebhookStats().validations, 1u);

  // Listed and read by every form of the list's address.
  HttpResult all = Http(Subscriptions());
  ASSERT_EQ(all.status, 200) << all.body;
  ASSERT_EQ(Json(all.body)->getArray("value")->size(), 1u);
  for (const std::string& list_url :
       {emu->SiteUrl() + "/_api/web/lists('" + list_id + "')",
        emu->SiteUrl() + "/_api/web/lists(guid'" + list_id + "')", ApiList(*emu, "Orders")}) {
    HttpResult one = Http(list_url + "/subscriptions('" + id + "')");
    ASSERT_EQ(one.status, 200) << list_url << one.body;
    EXPECT_EQ(Json(one.body)->getValue<std::string>("id"), id);
  }
  EXPECT_EQ(Json(Http(Subscriptions("Tasks")).body)->getArray("value")->size(), 0u);
  auto in_process = emu->Subscriptions("Orders");
  ASSERT_EQ(in_process.size(), 1u);
  EXPECT_EQ(in_process[0].id, id);
  EXPECT_EQ(in_process[0].client_state, "state-1");

  // Renewal by PATCH (and a new clientState).
  const std::string renewed = IsoIn(*emu, 24h * 170);
  HttpResult patched =
      Http(Subscriptions() + "('" + id + "')", "PATCH",
           {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
           "{\"expirationDateTime\":\"" + renewed + "\",\"clientState\":\"state-2\"}");
  EXPECT_EQ(patched.status, 204) << patched.body;
  auto after = Json(Http(Subscriptions() + "('" + id + "')").body);
  EXPECT_EQ(after->getValue<std::string>("clientState"), "state-2");
  EXPECT_EQ(after->getValue<std::string>("expirationDateTime").substr(0, 19),
            renewed.substr(0, 19));
  // A renewal beyond 180 days is refused and changes nothing.
  HttpResult too_far = Http(Subscriptions() + "('" + id + "')", "PATCH",
                            {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
                            "{\"expirationDateTime\":\"" + IsoIn(*emu, 24h * 200) + "\"}");
  EXPECT_EQ(too_far.status, 400);

  EXPECT_EQ(Http(Subscriptions() + "('" + id + "')", "DELETE").status, 204);
  HttpResult gone = Http(Subscriptions() + "('" + id + "')");
  EXPECT_EQ(gone.status, 404);
  EXPECT_FALSE(ErrorMessage(gone).empty());
  EXPECT_EQ(Http(Subscriptions() + "('" + id + "')", "DELETE").status, 404);
  EXPECT_EQ(Json(Http(Subscriptions()).body)->getArray("value")->size(), 0u);
  EXPECT_TRUE(emu->Subscriptions("Orders").empty());
}

TEST_F(Webhooks, AWrongOrLateHandshakeFailsTheCreate) {
  Receiver wrong(Receiver::Mode::kWrongToken);
  HttpResult res = Create("Orders", wrong.Url(), IsoIn(*emu, 24h));
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_EQ(ErrorMessage(res), "Failed to validate the notification URL '" + wrong.Url() + "'.");
  EXPECT_EQ(wrong.Validations().size(), 1u);

  Receiver late(Receiver::Mode::kLate);  // answers correctly, after the 300 ms deadline
  res = Create("Orders", late.Url(), IsoIn(*emu, 24h));
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_EQ(ErrorMessage(res), "Failed to validate the notification URL '" + late.Url() + "'.");

  // Nobody listening at all.
  const std::string nobody = "http://127.0.0.1:1/hook";
  res = Create("Orders", nobody, IsoIn(*emu, 24h));
  EXPECT_EQ(res.status, 400) << res.body;

  EXPECT_EQ(Json(Http(Subscriptions()).body)->getArray("value")->size(), 0u);
  EXPECT_TRUE(emu->Subscriptions("Orders").empty());
  EXPECT_EQ(emu->GetWebhookStats().validation_failures, 3u);
  EXPECT_EQ(emu->GetWebhookStats().validations, 0u);

  // The same receiver, once it answers in time, is accepted.
  late.late_ms = 0;
  EXPECT_EQ(Create("Orders", late.Url(), IsoIn(*emu, 24h)).status, 201);
}

TEST_F(Webhooks, ExpirationAndUrlRules) {
  Receiver r;
  const std::string invalid =
      "The specified expiration date is invalid. Should be greater than today and within 6 months";
  HttpResult past = Create("Orders", r.Url(), IsoIn(*emu, -1h));
  EXPECT_EQ(past.status, 400);
  EXPECT_EQ(ErrorMessage(past), invalid);
  HttpResult too_far = Create("Orders", r.Url(), IsoIn(*emu, 24h * 181));
  EXPECT_EQ(too_far.status, 400);
  EXPECT_EQ(ErrorMessage(too_far), invalid);
  EXPECT_TRUE(r.Validations().empty());  // refused before any handshake
  // 180 days and an hour is inside SharePoint's grace.
  EXPECT_EQ(Create("Orders", r.Url(), IsoIn(*emu, 24h * 180 + 1h)).status, 201);
  // Omitted: 180 days.
  HttpResult dflt = Create("Orders", r.Url(), "");
  ASSERT_EQ(dflt.status, 201) << dflt.body;
  const std::string expected = IsoIn(*emu, 24h * 180);
  EXPECT_EQ(Json(dflt.body)->getValue<std::string>("expirationDateTime").substr(0, 13),
            expected.substr(0, 13));
  // SharePoint wants HTTPS; plain HTTP only to this machine (the emulator's tests).
  HttpResult http = Create("Orders", "http://example.com/hook", IsoIn(*emu, 24h));
  EXPECT_EQ(http.status, 400);
  // Unknown list, unknown property.
  EXPECT_EQ(Create("Nope", r.Url(), IsoIn(*emu, 24h)).status, 404);
  EXPECT_EQ(
      Post(Subscriptions(), "{\"notificationUrl\":\"" + r.Url() + "\",\"color\":\"red\"}").status,
      400);
  EXPECT_EQ(emu->Subscriptions("Orders").size(), 2u);
}

TEST_F(Webhooks, ManyChangesInOneIntervalAreOneNotification) {
  Receiver r;
  const std::string id = CreateId("Orders", r);
  for (int i = 0; i < 8; ++i) emu->AddItem("Orders", "{\"Title\":\"n" + std::to_string(i) + "\"}");
  emu->UpdateItem("Orders", 1, "{\"Title\":\"changed\"}");
  // One change over REST as well.
  HttpResult rest = Http(ApiList(*emu, "Orders") + "/items(2)", "POST",
                         {{"Accept", kNoMeta},
                          {"Content-Type", "application/json"},
                          {"X-HTTP-Method", "MERGE"},
                          {"If-Match", "*"}},
                         "{\"Title\":\"over rest\"}");
  ASSERT_EQ(rest.status, 204) << rest.body;
  EXPECT_TRUE(r.Notifications().empty());  // nothing before the interval is up
  emu->DeliverWebhooksNow();
  auto seen = r.Notifications();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].content_type.rfind("application/json", 0), 0u) << seen[0].content_type;
  auto value = Json(seen[0].body)->getArray("value");
  ASSERT_EQ(value->size(), 1u) << seen[0].body;
  auto entry = value->getObject(0);
  EXPECT_EQ(entry->getValue<std::string>("subscriptionId"), id);
  EXPECT_EQ(entry->getValue<std::string>("clientState"), "secret");
  EXPECT_EQ(entry->getValue<std::string>("resource"), emu->ListId("Orders"));
  EXPECT_EQ(entry->getValue<std::string>("siteUrl"), "/sites/demo");
  EXPECT_EQ(entry->getValue<std::string>("webId"), emu->WebId(""));
  EXPECT_EQ(entry->getValue<std::string>("tenantId").size(), 36u);
  const std::string exp = entry->getValue<std::string>("expirationDateTime");
  EXPECT_EQ(exp.substr(exp.size() - 9), ".0000000Z") << exp;
  // Nothing new: nothing sent. A recycle and a restore: one more.
  emu->DeliverWebhooksNow();
  EXPECT_EQ(r.Notifications().size(), 1u);
  emu->RecycleItem("Orders", 3);
  emu->RestoreItem("Orders", 3);
  emu->DeliverWebhooksNow();
  ASSERT_EQ(r.Notifications().size(), 2u);
  auto stats = emu->GetWebhookStats();
  EXPECT_EQ(stats.deliveries, 2u);
  EXPECT_EQ(stats.notifications, 2u);
}

TEST_F(Webhooks, SubscriptionsOfTwoListsShareARequest) {
  Receiver r, other;
  const std::string orders = CreateId("Orders", r);
  const std::string tasks = CreateId("Tasks", r);
  const std::string elsewhere = CreateId("Tasks", other);
  emu->AddItem("Orders", "{\"Title\":\"a\"}");
  emu->AddItem("Tasks", "{\"Title\":\"b\"}");
  emu->DeliverWebhooksNow();
  ASSERT_EQ(r.Notifications().size(), 1u);
  auto value = Json(r.Notifications()[0].body)->getArray("value");
  ASSERT_EQ(value->size(), 2u);
  std::set<std::string> ids{value->getObject(0)->getValue<std::string>("subscriptionId"),
                            value->getObject(1)->getValue<std::string>("subscriptionId")};
  EXPECT_EQ(ids, (std::set<std::string>{orders, tasks}));
  ASSERT_EQ(other.Notifications().size(), 1u);
  EXPECT_EQ(Json(other.Notifications()[0].body)
                ->getArray("value")
                ->getObject(0)
                ->getValue<std::string>("subscriptionId"),
            elsewhere);
  // A change in Orders alone notifies only its subscription.
  emu->UpdateItem("Orders", 1, "{\"Title\":\"c\"}");
  emu->DeliverWebhooksNow();
  ASSERT_EQ(r.Notifications().size(), 2u);
  auto second = Json(r.Notifications()[1].body)->getArray("value");
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->getObject(0)->getValue<std::string>("resource"), emu->ListId("Orders"));
  EXPECT_EQ(other.Notifications().size(), 1u);
}

TEST_F(Webhooks, DeliveredOnTheIntervalByTheServer) {
  Receiver r;
  CreateId("Orders", r);
  WebhookSpec spec;
  spec.delivery_interval = 200ms;
  emu->SetWebhooks(spec);
  emu->DeleteItem("Orders", 4);
  ASSERT_TRUE(r.WaitForNotifications(1)) << "no delivery within 10 s at a 200 ms interval";
  EXPECT_EQ(Json(r.Notifications()[0].body)->getArray("value")->size(), 1u);
}

TEST_F(Webhooks, AFailingReceiverIsRetriedThenTheNotificationIsDropped) {
  Receiver r(Receiver::Mode::kGood);
  CreateId("Orders", r);
  r.SetMode(Receiver::Mode::kFail500);
  WebhookSpec spec;
  spec.delivery_interval = 60s;
  spec.retry_interval = 50ms;
  spec.max_retries = 5;
  emu->SetWebhooks(spec);
  emu->AddItem("Orders", "{\"Title\":\"x\"}");
  emu->DeliverWebhooksNow();
  ASSERT_TRUE(r.WaitForNotifications(6)) << r.Notifications().size() << " attempts";
  for (int i = 0; i < 100 && emu->GetWebhookStats().dropped == 0; ++i)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(300ms);  // room for a seventh attempt, which must not come
  auto stats = emu->GetWebhookStats();
  EXPECT_EQ(r.Notifications().size(), 6u);  // the first attempt and 5 retries
  EXPECT_EQ(stats.delivery_failures, 6u);
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_EQ(stats.deliveries, 0u);
  // The receiver recovers: the next change is delivered.
  r.SetMode(Receiver::Mode::kGood);
  emu->UpdateItem("Orders", 1, "{\"Title\":\"y\"}");
  emu->DeliverWebhooksNow();
  EXPECT_EQ(r.Notifications().size(), 7u);
  EXPECT_EQ(emu->GetWebhookStats().deliveries, 1u);
}

TEST_F(Webhooks, ExpiredAndLostSubscriptionsStopNotifying) {
  Receiver r;
  HttpResult created = Create("Orders", r.Url(), IsoIn(*emu, 1h));
  ASSERT_EQ(created.status, 201);
  const std::string short_lived = Json(created.body)->getValue<std::string>("id");
  const std::string lost = CreateId("Tasks", r);
  emu->AdvanceClock(std::chrono::hours(2));
  EXPECT_EQ(Json(Http(Subscriptions()).body)->getArray("value")->size(), 0u);
  EXPECT_EQ(Http(Subscriptions() + "('" + short_lived + "')").status, 404);
  emu->RemoveSubscription(lost);
  EXPECT_EQ(Http(Subscriptions("Tasks") + "('" + lost + "')").status, 404);
  EXPECT_TRUE(emu->Subscriptions("Tasks").empty());
  emu->AddItem("Orders", "{\"Title\":\"x\"}");
  emu->AddItem("Tasks", "{\"Title\":\"x\"}");
  emu->DeliverWebhooksNow();
  EXPECT_TRUE(r.Notifications().empty());
}

TEST_F(Webhooks, StopAbandonsADeliveryInFlight) {
  Receiver r;
  CreateId("Orders", r);
  r.SetMode(Receiver::Mode::kSlowAnswer);  // takes the POST and does not answer
  WebhookSpec spec;
  spec.delivery_interval = 100ms;
  spec.answer_timeout = 20s;
  emu->SetWebhooks(spec);
  emu->AddItem("Orders", "{\"Title\":\"x\"}");
  ASSERT_TRUE(r.WaitForNotifications(1));
  const auto start = std::chrono::steady_clock::now();
  emu->Stop();
  // Not the 20 s the POST could still wait for its answer.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(emu->GetWebhookStats().deliveries, 0u);
}

TEST(WebhooksAuth, WritesNeedTheBearerToken) {
  Options o;
  o.lists = {{"Orders", 5}};
  o.token = "s3cret";
  Emulator emu(o);
  emu.Start();
  Receiver r;
  const std::string url = ApiList(emu, "Orders") + "/subscriptions";
  const std::string body = "{\"notificationUrl\":\"" + r.Url() + "\"}";
  EXPECT_EQ(Http(url, "POST", {{"Accept", kNoMeta}}, body).status, 401);
  EXPECT_TRUE(r.Validations().empty());
  HttpResult ok =
      Http(url, "POST", {{"Accept", kNoMeta}, {"Authorization", "Bearer s3cret"}}, body);
  EXPECT_EQ(ok.status, 201) << ok.body;
}

// PnPjs as a third-party client: its list.subscriptions API end to end
// (tests/emulator/pnpjs_webhooks.mjs runs its own receiver).
TEST(WebhooksPnPjs, AddListGetUpdateDeleteAndANotification) {
  if (std::string(SPSYNC_NODE).empty()) GTEST_FAIL() << "node was not found at configure time";
  Options o;
  o.lists = {{"Orders", 5}};
  o.webhooks.delivery_interval = 200ms;
  Emulator emu(o);
  emu.Start();
  const std::string cmd = std::string(SPSYNC_NODE) + " " + SPSYNC_TESTS_DIR +
                          "/emulator/pnpjs_webhooks.mjs " + emu.SiteUrl() + " Orders 2>&1";
  FILE* node = popen(cmd.c_str(), "r");
  ASSERT_NE(node, nullptr);
  std::string output;
  std::array<char, 256> line{};
  while (fgets(line.data(), line.size(), node)) output += line.data();
  EXPECT_EQ(pclose(node), 0) << output;
  EXPECT_NE(output.find("ok: subscriptions add, list, getById, update, delete, notification"),
            std::string::npos)
      << output;
  EXPECT_EQ(emu.GetWebhookStats().validations, 1u);
  EXPECT_TRUE(emu.Subscriptions("Orders").empty());
}

}  // namespace
}  // namespace spsync::emulator::testing
