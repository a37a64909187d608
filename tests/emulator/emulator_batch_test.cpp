// OData $batch (POST {web}/_api/$batch) over real HTTP: change sets of
// writes, reads beside them, one status per request, the 100-request limit,
// formats per request, counting, charging, latency and faults per request,
// lenient envelopes (LF line endings, quoted boundaries), files refused, and
// PnPjs's own createBatch against the emulator.
#include <chrono>
#include <cstdio>
#include <set>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

struct Op {
  std::string method, url;
  Headers headers = {{"Accept", kNoMeta}};
  std::string body = "";
};
// A top-level entry: one request, or a change set of requests.
struct Entry {
  bool change_set = false;
  std::vector<Op> ops;
};

std::string RequestPart(const Op& op, const std::string& eol) {
  std::string s = "Content-Type: application/http" + eol + "Content-Transfer-Encoding: binary" +
                  eol + eol + op.method + " " + op.url + " HTTP/1.1" + eol;
  for (const auto& [k, v] : op.headers) s += k + ": " + v + eol;
  return s + eol + (op.body.empty() ? "" : op.body + eol);
}

// A batch body as PnPjs and the Microsoft samples write it.
std::string BatchBody(const std::vector<Entry>& entries, const std::string& eol = "\r\n") {
  std::string s;
  int n = 0;
  for (const auto& entry : entries) {
    s += "--batch_b" + eol;
    if (!entry.change_set) {
      s += RequestPart(entry.ops.at(0), eol);
      continue;
    }
    const std::string cs = "changeset_" + std::to_string(++n);
    s += "Content-Type: multipart/mixed; boundary=" + cs + eol + eol;
    for (const auto& op : entry.ops) s += "--" + cs + eol + RequestPart(op, eol);
    s += "--" + cs + "--" + eol;
  }
  return s + "--batch_b--" + eol;
}

HttpResult PostBatch(const Emulator& e, const std::string& body,
                     const std::string& content_type = "multipart/mixed; boundary=batch_b") {
  return Http(e.SiteUrl() + "/_api/$batch", "POST",
              {{"Accept", kNoMeta}, {"Content-Type", content_type}}, body);
}

// One answer of a batch, read with no help from the emulator's code.
struct Part {
  int status = 0;
  std::map<std::string, std::string> headers;  // names as sent
  std::string body;
};

// The answers of a batch: a flat multipart/mixed of application/http parts.
std::vector<Part> Parts(const HttpResult& r) {
  std::vector<Part> parts;
  const std::string type = r.Header("Content-Type");
  const std::string prefix = "multipart/mixed; boundary=";
  EXPECT_EQ(type.rfind(prefix + "batchresponse_", 0), 0u) << type;
  const std::string delimiter = "--" + type.substr(prefix.size());
  size_t pos = r.body.find(delimiter);
  EXPECT_EQ(pos, 0u) << r.body.substr(0, 200);
  while (pos != std::string::npos && r.body.compare(pos, delimiter.size() + 2, delimiter + "--")) {
    size_t start = pos + delimiter.size() + 2;  // past the CRLF
    pos = r.body.find("\r\n" + delimiter, start);
    if (pos == std::string::npos) {
      ADD_FAILURE() << "no closing delimiter";
      break;
    }
    std::string text = r.body.substr(start, pos - start);
    pos += 2;
    const std::string head =
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n";
    EXPECT_EQ(text.rfind(head, 0), 0u) << text.substr(0, 200);
    size_t line_end = text.find("\r\n", head.size());
    Part p;
    p.status = std::stoi(text.substr(head.size() + 9, 3));  // "HTTP/1.1 201 Created"
    EXPECT_EQ(text.compare(head.size(), 9, "HTTP/1.1 "), 0);
    size_t blank = text.find("\r\n\r\n", line_end);
    for (size_t at = line_end + 2; at < blank + 2;) {
      size_t end = text.find("\r\n", at);
      std::string line = text.substr(at, end - at);
      p.headers[line.substr(0, line.find(':'))] = line.substr(line.find(':') + 2);
      at = end + 2;
    }
    p.body = text.substr(blank + 4);
    parts.push_back(std::move(p));
  }
  return parts;
}

const Headers kJsonLight = {{"Accept", kNoMeta},
                            {"Content-Type", "application/json;odata=nometadata"}};

std::vector<int64_t> LiveIds(const Emulator& e, const std::string& list, size_t n) {
  std::vector<int64_t> ids;
  e.ForEachLiveItem(list, [&](int64_t id, std::string_view) {
    if (ids.size() < n) ids.push_back(id);
  });
  return ids;
}

Options Orders() {
  Options o;
  o.lists = {{"Orders", 50}};
  return o;
}

TEST(EmulatorBatch, AHundredCreationsInOneChangeSet) {
  Emulator e(Orders());
  e.Start();
  const std::string t0 = e.CurrentChangeToken("Orders");
  const int64_t count0 = e.ItemCount("Orders");
  const std::string by_title = ApiList(e, "Orders") + "/items";
  const std::string by_id = e.SiteUrl() + "/_api/web/lists(guid'" + e.ListId("Orders") + "')/items";
  Entry change_set{true, {}};
  for (int i = 0; i < 100; ++i)
    change_set.ops.push_back({"POST", i % 2 ? by_id : by_title, kJsonLight,
                              "{\"Title\":\"Batched " + std::to_string(i) + "\"}"});
  auto r = PostBatch(e, BatchBody({change_set}));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  auto parts = Parts(r);
  ASSERT_EQ(parts.size(), 100u);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < parts.size(); ++i) {
    ASSERT_EQ(parts[i].status, 201) << parts[i].body;
    EXPECT_EQ(parts[i].headers["CONTENT-TYPE"].find("application/json;odata=nometadata"), 0u);
    EXPECT_EQ(parts[i].headers["ETAG"], "\"1\"");
    auto item = Json(parts[i].body);
    EXPECT_EQ(item->getValue<std::string>("Title"), "Batched " + std::to_string(i));
    ids.push_back(item->getValue<int64_t>("Id"));
    if (i) {
      EXPECT_GT(ids[i], ids[i - 1]);
    }
  }
  EXPECT_EQ(e.ItemCount("Orders"), count0 + 100);
  for (size_t i = 0; i < ids.size(); ++i)
    EXPECT_NE(e.ItemJson("Orders", ids[i]).find("\"Batched " + std::to_string(i) + "\""),
              std::string::npos);
  auto changes = Http(ApiList(e, "Orders") + "/GetChanges", "POST", kJsonLight,
                      "{\"query\":{\"Item\":true,\"Add\":true,\"ChangeTokenStart\":{"
                      "\"StringValue\":\"" +
                          t0 + "\"}}}");
  auto log = Json(changes.body)->getArray("value");
  ASSERT_EQ(log->size(), 100u) << changes.body.substr(0, 300);
  for (unsigned i = 0; i < log->size(); ++i) {
    EXPECT_EQ(log->getObject(i)->getValue<int>("ChangeType"), 1);
    EXPECT_EQ(log->getObject(i)->getValue<int64_t>("ItemId"), ids[i]);
  }
}

TEST(EmulatorBatch, ReadsAndAChangeSetRunInOrder) {
  Emulator e(Orders());
  e.Start();
  const auto ids = LiveIds(e, "Orders", 4);
  const std::string items = ApiList(e, "Orders") + "/items";
  auto item = [&](size_t i) { return items + "(" + std::to_string(ids[i]) + ")"; };
  const int64_t versions0 = e.VersionCount("Orders", ids[0]);
  Headers merge = kJsonLight;
  merge.push_back({"X-HTTP-Method", "MERGE"});
  merge.push_back({"If-Match", "*"});
  Headers patch = kJsonLight;
  patch.push_back({"If-Match", "*"});
  const std::string filter = "?$select=Id,Title&$filter=Id le " + std::to_string(ids[3]);
  auto r =
      PostBatch(e, BatchBody({{false, {{"GET", item(0) + "?$select=Title"}}},
                              {true,
                               {{"POST", item(0), merge, "{\"Title\":\"Merged\"}"},
                                {"PATCH", item(1), patch, "{\"Title\":\"Patched\"}"},
                                {"DELETE", item(2), {{"If-Match", "*"}}},
                                {"POST", item(3) + "/recycle()", {{"Accept", kNoMeta}}},
                                {"POST", e.SiteUrl() + "/_api/web/ensureuser", kJsonLight,
                                 "{\"logonName\":\"i:0#.f|membership|batch.user@contoso.com\"}"}}},
                              {false, {{"GET", items + filter}}}}));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  auto parts = Parts(r);
  ASSERT_EQ(parts.size(), 7u);
  EXPECT_EQ(parts[0].status, 200);
  EXPECT_NE(Json(parts[0].body)->getValue<std::string>("Title"), "Merged");
  EXPECT_EQ(parts[1].status, 204);
  EXPECT_EQ(parts[1].headers.count("CONTENT-TYPE"), 0u);
  EXPECT_EQ(parts[1].headers["ETAG"], "\"" + std::to_string(versions0 + 1) + "\"");
  EXPECT_EQ(parts[1].body, "");
  EXPECT_EQ(parts[2].status, 204);
  EXPECT_EQ(parts[3].status, 200);
  EXPECT_EQ(parts[4].status, 200);
  EXPECT_EQ(Json(parts[4].body)->getValue<std::string>("value").size(), 36u);
  EXPECT_EQ(parts[5].status, 200);
  EXPECT_EQ(Json(parts[5].body)->getValue<std::string>("Title"), "Batch User");
  ASSERT_EQ(parts[6].status, 200);
  auto after = Json(parts[6].body)->getArray("value");
  ASSERT_EQ(after->size(), 2u) << parts[6].body;  // the deleted and the recycled are gone
  EXPECT_EQ(after->getObject(0)->getValue<std::string>("Title"), "Merged");
  EXPECT_EQ(after->getObject(1)->getValue<std::string>("Title"), "Patched");
  EXPECT_EQ(e.VersionCount("Orders", ids[0]), versions0 + 1);
  EXPECT_EQ(e.ItemJson("Orders", ids[2]), "");
  EXPECT_EQ(e.ItemJson("Orders", ids[3]), "");
}

TEST(EmulatorBatch, EachRequestHasItsOwnStatus) {
  Options o;
  o.sites = {SiteSpec{"/sites/demo",
                      {WebSpec{"/sites/demo", "Demo", {{"Orders", 50}}},
                       WebSpec{"/sites/demo/team", "Team", {{"Notes", 5}}}}}};
  Emulator e(o);
  e.Start();
  const int64_t count0 = e.ItemCount("Orders");
  const std::string items = ApiList(e, "Orders") + "/items";
  Headers merge = kJsonLight;
  merge.push_back({"If-Match", "*"});
  auto r =
      PostBatch(e, BatchBody({{true,
                               {{"POST", items, kJsonLight, "{\"Title\":\"before\"}"},
                                {"MERGE", items + "(999999)", merge, "{\"Title\":\"nobody\"}"},
                                {"POST", items, kJsonLight, "{\"Title\":\"after\"}"}}},
                              {false, {{"GET", items + "(999999)"}}},
                              {false, {{"GET", e.WebUrl("/sites/demo/team") + "/_api/web/lists"}}},
                              {false, {{"GET", e.BaseUrl() + "/sites/nowhere/_api/web"}}},
                              {false, {{"GET", e.SiteUrl() + "/_api/web/nonsense"}}},
                              {true,
                               {{"POST",
                                 e.SiteUrl() + "/_api/$batch",
                                 {{"Content-Type", "multipart/mixed; boundary=inner"}},
                                 "--inner\r\nContent-Type: application/http\r\n\r\nGET " + items +
                                     " HTTP/1.1\r\n\r\n--inner--"}}}}));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  auto parts = Parts(r);
  ASSERT_EQ(parts.size(), 8u);
  EXPECT_EQ(parts[0].status, 201);
  EXPECT_EQ(parts[1].status, 404);
  EXPECT_EQ(parts[1].body,
            "{\"odata.error\":{\"code\":\"-2130575338, Microsoft.SharePoint.SPException\","
            "\"message\":{\"lang\":\"en-US\",\"value\":\"Item does not exist. It may have been "
            "deleted by another user.\"}}}");
  EXPECT_EQ(parts[2].status, 201);
  EXPECT_EQ(parts[3].status, 404);
  EXPECT_EQ(parts[4].status, 400) << parts[4].body;  // another web than the batch's
  EXPECT_EQ(parts[5].status, 400) << parts[5].body;
  EXPECT_NE(parts[5].body.find("InvalidClientQueryException"), std::string::npos);
  EXPECT_EQ(parts[6].status, 404);
  EXPECT_EQ(parts[7].status, 400);  // no batch in a batch
  EXPECT_EQ(e.ItemCount("Orders"), count0 + 2);
  // The same request sent to the subweb's own $batch is served.
  auto sub =
      Http(e.WebUrl("/sites/demo/team") + "/_api/$batch", "POST",
           {{"Content-Type", "multipart/mixed; boundary=batch_b"}},
           BatchBody({{false, {{"GET", e.WebUrl("/sites/demo/team") + "/_api/web/lists"}}}}));
  ASSERT_EQ(sub.status, 200) << sub.body;
  EXPECT_EQ(Parts(sub).at(0).status, 200);
}

TEST(EmulatorBatch, MalformedOrOversizedBatchesAreRefusedWhole) {
  Options o = Orders();
  ParseBudget("ru=1000", o.budget);
  Emulator e(o);
  e.Start();
  const std::string items = ApiList(e, "Orders") + "/items";
  Entry creations{true, {}};
  for (int i = 0; i < 100; ++i) creations.ops.push_back({"POST", items, kJsonLight, "{}"});
  const int64_t count0 = e.ItemCount("Orders");
  e.ResetStats();
  auto r = PostBatch(e, BatchBody({{false, {{"GET", items}}}, creations}));  // 101 requests
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"odata.error\":{\"code\":\"-1, Microsoft.Data.OData.ODataException\",\"message\":{"
            "\"lang\":\"en-US\",\"value\":\"The current batch message contains too many parts. A "
            "maximum number of '100' query operations and change sets are allowed in a batch "
            "message.\"}}}");
  EXPECT_EQ(e.ItemCount("Orders"), count0);
  Stats s = e.GetStats();
  EXPECT_EQ(s.total, 1u);
  EXPECT_EQ(s.writes + s.items, 0u);
  EXPECT_DOUBLE_EQ(s.ru_spent, 0);

  auto refused = [&](const std::string& body, const std::string& content_type,
                     const std::string& message) {
    auto bad = PostBatch(e, body, content_type);
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_NE(bad.body.find(message), std::string::npos) << bad.body;
  };
  const std::string ct = "multipart/mixed; boundary=batch_b";
  // [obs: SharePoint Online's answer to a GET in a change set]
  refused(BatchBody({{true, {{"POST", items, kJsonLight, "{}"}, {"GET", items}}}}), ct,
          "An invalid HTTP method 'GET' was detected for a request in a change set. Requests "
          "in change sets only support the HTTP methods 'POST', 'PUT', 'DELETE', 'MERGE', and "
          "'PATCH'.");
  // Writes belong in change sets [obs]
  refused(BatchBody({{false, {{"POST", items, kJsonLight, "{}"}}}}), ct,
          "An invalid HTTP method 'POST' was detected for a query operation. Query operations "
          "only support the HTTP 'GET' method.");
  refused(BatchBody({{false, {{"GET", items}}}}), "multipart/mixed",
          "does not include a batch boundary");
  std::string unclosed = BatchBody({{false, {{"GET", items}}}});
  unclosed.resize(unclosed.rfind("--batch_b--"));
  refused(unclosed, ct, "unexpected end of input");
  refused(BatchBody({{false, {{"FETCH", items}}}}), ct,
          "The only supported HTTP methods are GET, DELETE, PUT, POST, PATCH and MERGE.");
  refused(
      "--batch_b\r\nContent-Type: application/http\r\n\r\nGET " + items + "\r\n\r\n--batch_b--\r\n",
      ct, "must be of the format 'HttpMethod RequestUrl HttpVersion'");
  refused("--batch_b\r\n\r\nGET " + items + " HTTP/1.1\r\n\r\n--batch_b--\r\n", ct,
          "The 'Content-Type' header is missing.");
  EXPECT_EQ(e.ItemCount("Orders"), count0 + 0);
  EXPECT_EQ(e.GetStats().writes, 0u);
}

TEST(EmulatorBatch, EachRequestHasItsOwnFormat) {
  Emulator e(Orders());
  e.Start();
  const std::string items = ApiList(e, "Orders") + "/items";
  const std::string one = items + "(" + std::to_string(LiveIds(e, "Orders", 1)[0]) + ")";
  const std::string verbose_ct = "application/json;odata=verbose";
  auto r = PostBatch(
      e,
      BatchBody({{false, {{"GET", one + "?$select=Id,Title"}}},
                 {false, {{"GET", one + "?$select=Id,Title", {{"Accept", kVerbose}}}}},
                 {false, {{"GET", one + "?$select=Id,Title", {{"Accept", "application/json"}}}}},
                 {false, {{"GET", one + "?$select=Id,Title", {}}}},
                 {false, {{"GET", one, {{"Accept", kNoMeta}, {"OData-Version", "4.0"}}}}},
                 {true,
                  {{"POST",
                    items,
                    {{"Accept", kVerbose}, {"Content-Type", verbose_ct}},
                    "{\"__metadata\":{\"type\":\"SP.Data.OrdersListItem\"},\"Title\":\"v\"}"},
                   {"POST", items, kJsonLight,
                    "{\"__metadata\":{\"type\":\"SP.Data.OrdersListItem\"},\"Title\":\"x\"}"}}}}));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  auto parts = Parts(r);
  ASSERT_EQ(parts.size(), 7u);
  EXPECT_EQ(parts[0].headers["CONTENT-TYPE"].find("application/json;odata=nometadata"), 0u);
  auto plain = Json(parts[0].body);
  EXPECT_TRUE(plain->has("Title") && !plain->has("odata.metadata") && !plain->has("__metadata"));
  EXPECT_EQ(parts[1].headers["CONTENT-TYPE"].find("application/json;odata=verbose"), 0u);
  EXPECT_TRUE(Json(parts[1].body)->getObject("d")->has("__metadata"));
  EXPECT_TRUE(Json(parts[2].body)->has("odata.metadata")) << parts[2].body;
  EXPECT_EQ(parts[3].headers["CONTENT-TYPE"].find("application/atom+xml"), 0u);
  EXPECT_EQ(parts[3].body.rfind("<?xml", 0), 0u) << parts[3].body.substr(0, 100);
  EXPECT_EQ(parts[4].status, 406);
  ASSERT_EQ(parts[5].status, 201) << parts[5].body;
  EXPECT_EQ(Json(parts[5].body)->getObject("d")->getValue<std::string>("Title"), "v");
  EXPECT_EQ(parts[6].status, 400);
  EXPECT_NE(parts[6].body.find("The property '__metadata' does not exist"), std::string::npos);
}

TEST(EmulatorBatch, EachRequestIsCountedChargedAndTimed) {
  Options o = Orders();
  ParseBudget("ru=1000,read=1,write=3", o.budget);
  o.latency.base_ms = 60;
  Emulator e(o);
  e.Start();
  const std::string items = ApiList(e, "Orders") + "/items";
  const auto ids = LiveIds(e, "Orders", 3);
  std::vector<Entry> entries;
  for (int64_t id : ids)
    entries.push_back({false, {{"GET", items + "(" + std::to_string(id) + ")"}}});
  entries.push_back({false, {{"GET", items + "?$top=5"}}});
  entries.push_back({true, {{"POST", items, kJsonLight, "{}"}, {"POST", items, kJsonLight, "{}"}}});
  e.ResetStats();
  const auto start = std::chrono::steady_clock::now();
  auto r = PostBatch(e, BatchBody(entries));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Parts(r).size(), 6u);
  Stats s = e.GetStats();
  EXPECT_EQ(s.total, 7u);  // the batch and its six requests
  EXPECT_EQ(s.item_by_id, 3u);
  EXPECT_EQ(s.items, 1u);
  EXPECT_EQ(s.writes, 2u);
  EXPECT_EQ(s.total - s.item_by_id - s.items - s.writes, 1u);  // the batch itself: other
  EXPECT_DOUBLE_EQ(s.ru_spent, 4 * 1 + 2 * 3);                 // nothing for the envelope
  EXPECT_GE(ms, 6 * 60) << "six requests of 60 ms";

  // A budget for three requests: the fourth and fifth are throttled in their parts.
  o.latency.base_ms = 0;
  e.SetLatency(o.latency);
  BudgetSpec small;
  ParseBudget("ru=6,read=2", small);
  e.SetBudget(small);
  e.ResetStats();
  entries.resize(4);
  entries.push_back(entries[0]);
  auto throttled = Parts(PostBatch(e, BatchBody(entries)));
  ASSERT_EQ(throttled.size(), 5u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(throttled[i].status, 200) << i;
  for (size_t i = 3; i < 5; ++i) {
    EXPECT_EQ(throttled[i].status, 429) << i;
    EXPECT_GE(std::stoi(throttled[i].headers["RETRY-AFTER"]), 1);
    EXPECT_EQ(throttled[i].headers["RATELIMIT-REMAINING"], "0");
  }
  EXPECT_EQ(e.GetStats().ru_throttled, 2u);
  EXPECT_EQ(e.GetStats().throttled, 2u);
}

TEST(EmulatorBatch, FaultsAreDrawnPerRequest) {
  Emulator e(Orders());
  e.Start();
  const std::string one =
      ApiList(e, "Orders") + "/items(" + std::to_string(LiveIds(e, "Orders", 1)[0]) + ")";
  const std::string body = BatchBody({{false, {{"GET", one}}}, {false, {{"GET", one}}}});
  e.FailNext(RequestKind::kItemById, 1, FaultKind::kThrottle429);
  auto parts = Parts(PostBatch(e, body));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].status, 429);
  EXPECT_EQ(parts[0].headers["RETRY-AFTER"], "2");
  EXPECT_EQ(parts[1].status, 200);
  e.FailNext(RequestKind::kItemById, 1, FaultKind::kError500);
  parts = Parts(PostBatch(e, body));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].status, 500);
  EXPECT_EQ(parts[1].status, 200);
  // A fault of the connection drawn by one request cuts the whole answer.
  e.FailNext(RequestKind::kItemById, 1, FaultKind::kTruncate);
  auto cut = PostBatch(e, body);
  auto whole = PostBatch(e, body);
  EXPECT_EQ(cut.status, 200);
  EXPECT_LT(cut.body.size(), whole.body.size() * 3 / 4);
}

TEST(EmulatorBatch, LfLineEndingsAndALenientEnvelope) {
  Emulator e(Orders());
  e.Start();
  const auto ids = LiveIds(e, "Orders", 1);
  const std::string item = ApiList(e, "Orders") + "/items(" + std::to_string(ids[0]) + ")";
  // LF only, a quoted boundary, lower-case headers, a preamble, white space
  // after delimiters, the request line's POST tunnelled to MERGE.
  const std::string body =
      "This is the preamble.\n"
      "--batch_lf  \n"
      "content-type: multipart/mixed; boundary=\"changeset_lf\"\n\n"
      "--changeset_lf\t\n"
      "content-type: application/http\ncontent-transfer-encoding: binary\n\n"
      "POST " +
      item +
      " HTTP/1.1\n"
      "x-http-method: MERGE\nif-match: *\ncontent-type: application/json;odata=nometadata\n\n"
      "{\"Title\":\"LF only\"}\n\n"
      "--changeset_lf-- \n"
      "--batch_lf\n"
      "CONTENT-TYPE: application/http\n\n"
      "GET " +
      item +
      "?$select=Title HTTP/1.1\n"
      "accept: application/json;odata=nometadata\n\n"
      "--batch_lf--\n"
      "an epilogue\n";
  auto r = PostBatch(e, body, "multipart/mixed;boundary=\"batch_lf\"");
  ASSERT_EQ(r.status, 200) << r.body;
  auto parts = Parts(r);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].status, 204) << parts[0].body;
  EXPECT_EQ(parts[1].status, 200);
  EXPECT_EQ(Json(parts[1].body)->getValue<std::string>("Title"), "LF only");
  EXPECT_NE(e.ItemJson("Orders", ids[0]).find("\"LF only\""), std::string::npos);
}

TEST(EmulatorBatch, FilesAreNotSentOrReceived) {
  Emulator e(Orders());
  e.Start();
  const int64_t id = LiveIds(e, "Orders", 1)[0];
  e.AddAttachment("Orders", id, "a.txt", "hello");
  const std::string files =
      ApiList(e, "Orders") + "/items(" + std::to_string(id) + ")/AttachmentFiles";
  auto parts = Parts(
      PostBatch(e, BatchBody({{false, {{"GET", files + "('a.txt')/$value"}}},
                              {true, {{"POST", files + "/add(FileName='b.txt')", {}, "bytes"}}},
                              {false, {{"GET", files}}}})));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].status, 400);
  EXPECT_NE(parts[0].body.find("System.NotSupportedException"), std::string::npos);
  EXPECT_EQ(parts[1].status, 400);
  EXPECT_EQ(parts[2].status, 200);
  EXPECT_EQ(e.Attachments("Orders", id).size(), 1u);
}

// PnPjs (@pnp/sp v4, unmodified) batches through createBatch (sp.batched()).
TEST(EmulatorBatch, PnPjsBatching) {
  if (std::string(SPSYNC_NODE).empty()) GTEST_FAIL() << "node was not found at configure time";
  Emulator e(Orders());
  e.Start();
  const int64_t count0 = e.ItemCount("Orders");
  e.ResetStats();
  std::string cmd = std::string(SPSYNC_NODE) + " " + SPSYNC_TESTS_DIR +
                    "/emulator/pnpjs_batch.mjs " + e.SiteUrl() + " Orders 2>&1";
  FILE* node = popen(cmd.c_str(), "r");
  ASSERT_NE(node, nullptr);
  std::string output;
  char line[256];
  while (fgets(line, sizeof(line), node)) output += line;
  EXPECT_EQ(pclose(node), 0) << output;
  EXPECT_NE(output.find("ok: batched adds, reads, update, errors"), std::string::npos) << output;
  EXPECT_EQ(e.ItemCount("Orders"), count0 + 5);
  bool updated = false;
  e.ForEachLiveItem("Orders", [&](int64_t, std::string_view json) {
    updated = updated || json.find("\"Batched and updated\"") != std::string_view::npos;
  });
  EXPECT_TRUE(updated);
  EXPECT_EQ(e.GetStats().writes, 6u);  // five adds and an update, each counted
}

}  // namespace
}  // namespace spsync::emulator::testing
