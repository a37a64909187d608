// List item attachments over real HTTP: AttachmentFiles expanded on item
// pages, single items and GetItems; the bytes by both URL forms; adds,
// replacements and deletions by REST and in process, with odd names; a large
// synthetic file streamed without being built in memory; the change log, the
// Attachments flag and the request counters.
#include <cctype>
#include <fstream>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

Options WithAttachments() {
  Options o;
  ListSpec orders{"Orders", 300};
  orders.attachment_percent = 30;
  orders.attachment_avg_bytes = 2000;
  o.lists = {orders, {"Plain", 20}};
  return o;
}

// Percent-encodes a file name for a URL, as clients do (quotes doubled first).
std::string Enc(const std::string& s, bool double_quotes = true) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_' || ch == '/') {
      out.push_back(static_cast<char>(ch));
    } else if (ch == '\'') {
      out += double_quotes ? "''" : "'";
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

// The first live item at or after `from` (IDs have gaps).
int64_t Live(const Emulator& e, const std::string& list, int64_t from) {
  while (e.ItemJson(list, from).empty()) ++from;
  return from;
}

std::string Item(const Emulator& e, int64_t id, const std::string& list = "Orders") {
  return ApiList(e, list) + "/items(" + std::to_string(id) + ")";
}

std::vector<std::string> Names(const Poco::JSON::Array::Ptr& files) {
  std::vector<std::string> out;
  for (size_t i = 0; i < files->size(); ++i)
    out.push_back(files->getObject(static_cast<unsigned>(i))->getValue<std::string>("FileName"));
  return out;
}

std::vector<std::string> Names(const std::vector<AttachmentInfo>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.file_name);
  return out;
}

TEST(EmulatorAttachments, ExpandedOnPagesItemsAndGetItems) {
  Emulator e(WithAttachments());
  e.Start();
  auto r = Http(ApiList(e, "Orders") +
                "/items?$select=Id,Attachments,AttachmentFiles&$expand=AttachmentFiles&$top=300");
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = Json(r.body)->getArray("value");
  ASSERT_EQ(items->size(), 300u);
  int with = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    auto item = items->getObject(static_cast<unsigned>(i));
    const auto id = item->getValue<int64_t>("Id");
    auto files = item->getArray("AttachmentFiles");
    EXPECT_EQ(item->getValue<bool>("Attachments"), files->size() > 0) << id;
    EXPECT_FALSE(item->has("Title"));  // only what $select named
    auto info = e.Attachments("Orders", id);
    ASSERT_EQ(Names(files), Names(info)) << id;
    EXPECT_LE(files->size(), 2u);
    for (size_t k = 0; k < files->size(); ++k) {
      auto f = files->getObject(static_cast<unsigned>(k));
      const std::string name = f->getValue<std::string>("FileName");
      const std::string url =
          "/sites/demo/Lists/Orders/Attachments/" + std::to_string(id) + "/" + name;
      EXPECT_EQ(f->getValue<std::string>("ServerRelativeUrl"), url);
      EXPECT_EQ(info[k].server_relative_url, url);
      EXPECT_EQ(f->getObject("FileNameAsPath")->getValue<std::string>("DecodedUrl"), name);
      EXPECT_EQ(f->getObject("ServerRelativePath")->getValue<std::string>("DecodedUrl"), url);
      EXPECT_GE(info[k].size, 1000);
      EXPECT_LE(info[k].size, 3000);
    }
    with += files->size() > 0;
  }
  EXPECT_GT(with, 60);  // 30% of 300, give or take the draw
  EXPECT_LT(with, 120);
  // Without $expand the flag is there and the files are not.
  auto plain = Json(Http(ApiList(e, "Orders") + "/items?$top=5").body)->getArray("value");
  EXPECT_FALSE(plain->getObject(0)->has("AttachmentFiles"));
  EXPECT_TRUE(plain->getObject(0)->has("Attachments"));

  // A list without attachments: every flag false, every array empty.
  auto none = Json(Http(ApiList(e, "Plain") + "/items?$expand=AttachmentFiles").body);
  for (size_t i = 0; i < none->getArray("value")->size(); ++i) {
    auto item = none->getArray("value")->getObject(static_cast<unsigned>(i));
    EXPECT_FALSE(item->getValue<bool>("Attachments"));
    EXPECT_EQ(item->getArray("AttachmentFiles")->size(), 0u);
  }

  // One item; the ID-filter bulk form; GetItems; the verbose and minimal shapes.
  int64_t id = 0;
  for (int64_t i = 1; i <= 300 && !id; ++i)
    if (e.Attachments("Orders", i).size() == 2) id = i;
  ASSERT_NE(id, 0);
  auto one = Json(Http(Item(e, id) + "?$expand=AttachmentFiles").body);
  EXPECT_EQ(Names(one->getArray("AttachmentFiles")), Names(e.Attachments("Orders", id)));
  EXPECT_TRUE(one->has("Title"));
  auto filtered = Json(Http(ApiList(e, "Orders") + "/items?$filter=ID eq " + std::to_string(id) +
                            " or ID eq 2&$select=Id,AttachmentFiles&$expand=AttachmentFiles")
                           .body)
                      ->getArray("value");
  ASSERT_GE(filtered->size(), 1u);
  for (size_t i = 0; i < filtered->size(); ++i) {
    auto item = filtered->getObject(static_cast<unsigned>(i));
    EXPECT_EQ(Names(item->getArray("AttachmentFiles")),
              Names(e.Attachments("Orders", item->getValue<int64_t>("Id"))));
  }
  auto caml =
      Http(ApiList(e, "Orders") + "/GetItems?$select=ID,AttachmentFiles&$expand=AttachmentFiles",
           "POST", {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
           "{\"query\":{\"ViewXml\":\"<View><Query><Where><Eq><FieldRef Name='ID'/><Value "
           "Type='Counter'>" +
               std::to_string(id) + "</Value></Eq></Where></Query></View>\"}}");
  ASSERT_EQ(caml.status, 200) << caml.body;
  auto row = Json(caml.body)->getArray("value")->getObject(0);
  EXPECT_EQ(Names(row->getArray("AttachmentFiles")), Names(e.Attachments("Orders", id)));
  auto verbose = Json(Http(Item(e, id) + "?$expand=AttachmentFiles", "GET", Accept(kVerbose)).body);
  auto results = verbose->getObject("d")->getObject("AttachmentFiles")->getArray("results");
  ASSERT_EQ(results->size(), 2u);
  EXPECT_EQ(results->getObject(0)->getObject("__metadata")->getValue<std::string>("type"),
            "SP.Attachment");
  EXPECT_EQ(results->getObject(0)
                ->getObject("FileNameAsPath")
                ->getObject("__metadata")
                ->getValue<std::string>("type"),
            "SP.ResourcePath");
  auto minimal =
      Json(Http(Item(e, id) + "?$expand=AttachmentFiles", "GET", Accept("application/json")).body);
  EXPECT_EQ(minimal->getArray("AttachmentFiles")->getObject(0)->getValue<std::string>("odata.type"),
            "SP.Attachment");
}

TEST(EmulatorAttachments, BytesByBothUrlFormsAreExact) {
  Emulator e(WithAttachments());
  e.Start();
  const int64_t three = Live(e, "Orders", 3);
  std::string bytes;
  for (int i = 0; i < 70000; ++i) bytes.push_back(static_cast<char>(i * 7 % 256));
  e.AddAttachment("Orders", three, "data file.bin", bytes);
  const std::string url =
      "/sites/demo/Lists/Orders/Attachments/" + std::to_string(three) + "/data file.bin";
  for (const std::string& address :
       {Item(e, three) + "/AttachmentFiles('data%20file.bin')/$value",
        Item(e, three) + "/AttachmentFiles/getByFileName('data%20file.bin')/$value",
        e.SiteUrl() + "/_api/web/GetFileByServerRelativeUrl('" + Enc(url) + "')/$value",
        e.SiteUrl() + "/_api/web/GetFileByServerRelativePath(decodedurl='" + Enc(url) +
            "')/$value"}) {
    auto r = Http(address, "GET", {});
    ASSERT_EQ(r.status, 200) << address << " " << r.body;
    EXPECT_EQ(r.body, bytes) << address;
    EXPECT_EQ(r.Header("Content-Length"), std::to_string(bytes.size()));
  }
  // A synthetic file of the list, served as generated, equal to what the API gives.
  int64_t id = 0;
  for (int64_t i = 1; i <= 300 && !id; ++i)
    if (!e.Attachments("Orders", i).empty() && i != three) id = i;
  ASSERT_NE(id, 0);
  AttachmentInfo f = e.Attachments("Orders", id)[0];
  auto r = Http(e.SiteUrl() + "/_api/web/GetFileByServerRelativeUrl('" +
                    Enc(f.server_relative_url) + "')/$value",
                "GET", {});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(static_cast<int64_t>(r.body.size()), f.size);
  EXPECT_EQ(r.body, e.AttachmentBytes("Orders", id, f.file_name));
  EXPECT_EQ(r.Header("Content-Type"), "application/octet-stream");
  // Missing files and items.
  EXPECT_EQ(Http(Item(e, three) + "/AttachmentFiles('nope.txt')/$value").status, 404);
  EXPECT_EQ(Http(e.SiteUrl() +
                 "/_api/web/GetFileByServerRelativeUrl('/sites/demo/Lists/Orders/"
                 "Attachments/" +
                 std::to_string(three) + "/nope.txt')/$value")
                .status,
            404);
  int64_t gap = 1;  // an ID that does not exist
  while (!e.ItemJson("Orders", gap).empty()) ++gap;
  for (const char* what : {"/AttachmentFiles", "/AttachmentFiles('x.txt')/$value"}) {
    auto missing_item = Http(Item(e, gap) + what);
    EXPECT_EQ(missing_item.status, 404);
    EXPECT_NE(missing_item.body.find("Item does not exist"), std::string::npos);
  }
}

TEST(EmulatorAttachments, OddNamesByRest) {
  Emulator e(WithAttachments());
  e.Start();
  const int64_t id = Live(e, "Plain", 7);
  const std::vector<std::string> names = {"a b.txt", "50% #1.txt", "O'Brien's.txt",
                                          "Zürich 東京.txt"};
  const Headers write = {{"Accept", kNoMeta}, {"Content-Type", "application/octet-stream"}};
  for (const auto& name : names) {
    auto r = Http(Item(e, id, "Plain") + "/AttachmentFiles/add(FileName='" + Enc(name) + "')",
                  "POST", write, "content of " + name);
    ASSERT_EQ(r.status, 200) << name << " " << r.body;
    EXPECT_EQ(Json(r.body)->getValue<std::string>("FileName"), name);
  }
  auto files = Json(Http(Item(e, id, "Plain") + "/AttachmentFiles").body)->getArray("value");
  EXPECT_EQ(Names(files), names);
  for (const auto& name : names) {
    const std::string url =
        "/sites/demo/Lists/Plain/Attachments/" + std::to_string(id) + "/" + name;
    auto one = Json(Http(Item(e, id, "Plain") + "/AttachmentFiles('" + Enc(name) + "')").body);
    EXPECT_EQ(one->getValue<std::string>("ServerRelativeUrl"), url);
    EXPECT_EQ(
        Http(Item(e, id, "Plain") + "/AttachmentFiles('" + Enc(name) + "')/$value", "GET", {}).body,
        "content of " + name);
    EXPECT_EQ(Http(e.SiteUrl() + "/_api/web/GetFileByServerRelativePath(decodedurl='" + Enc(url) +
                       "')/$value",
                   "GET", {})
                  .body,
              "content of " + name);
    EXPECT_EQ(e.AttachmentBytes("Plain", id, name), "content of " + name);
  }
  // The verbose entity's uri carries the name percent-encoded, the quote doubled.
  auto verbose = Json(Http(Item(e, id, "Plain") + "/AttachmentFiles('" + Enc(names[2]) + "')",
                           "GET", Accept(kVerbose))
                          .body);
  EXPECT_NE(verbose->getObject("d")
                ->getObject("__metadata")
                ->getValue<std::string>("uri")
                .find("AttachmentFiles('O''Brien''s.txt')"),
            std::string::npos);
  // Deleting by getByFileName with an odd name, tunnelled as clients do.
  auto del = Http(Item(e, id, "Plain") + "/AttachmentFiles/getByFileName('" + Enc(names[1]) + "')",
                  "POST", {{"Accept", kNoMeta}, {"X-HTTP-Method", "DELETE"}, {"IF-MATCH", "*"}});
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(e.Attachments("Plain", id).size(), 3u);
  // Names SharePoint refuses.
  EXPECT_EQ(
      Http(Item(e, id, "Plain") + "/AttachmentFiles/add(FileName='a%3Fb.txt')", "POST", write, "x")
          .status,
      400);
}

struct ItemChange {
  int type;
  int64_t item;
};

std::vector<ItemChange> ItemChanges(const Emulator& e, const std::string& list,
                                    const std::string& token) {
  auto r = Http(ApiList(e, list) + "/GetChanges", "POST",
                {{"Accept", kNoMeta}, {"Content-Type", "application/json"}},
                "{\"query\":{\"Item\":true,\"Add\":true,\"Update\":true,\"DeleteObject\":true,"
                "\"ChangeTokenStart\":{\"StringValue\":\"" +
                    token + "\"}}}");
  std::vector<ItemChange> out;
  auto arr = Json(r.body)->getArray("value");
  for (size_t i = 0; i < arr->size(); ++i)
    out.push_back({arr->getObject(static_cast<unsigned>(i))->getValue<int>("ChangeType"),
                   arr->getObject(static_cast<unsigned>(i))->getValue<int64_t>("ItemId")});
  return out;
}

TEST(EmulatorAttachments, AddReplaceDeleteAreItemUpdates) {
  Emulator e(WithAttachments());
  e.Start();
  const int64_t id = Live(e, "Plain", 5);
  const std::string t0 = e.CurrentChangeToken("Plain");
  auto flag = [&](int64_t id) {
    return Json(Http(Item(e, id, "Plain") + "?$select=Attachments,OData__UIVersionString").body);
  };
  const std::string v0 = flag(5)->getValue<std::string>("OData__UIVersionString");
  EXPECT_FALSE(flag(5)->getValue<bool>("Attachments"));
  const Headers write = {{"Accept", kNoMeta}};
  // REST add; a second add of the same name (any case) is refused.
  ASSERT_EQ(
      Http(Item(e, id, "Plain") + "/AttachmentFiles/add(FileName='r.txt')", "POST", write, "one")
          .status,
      200);
  EXPECT_TRUE(flag(5)->getValue<bool>("Attachments"));
  EXPECT_EQ(flag(5)->getValue<std::string>("OData__UIVersionString"),
            std::to_string(std::stoi(v0) + 1) + ".0");
  auto dup =
      Http(Item(e, id, "Plain") + "/AttachmentFiles/add(FileName='R.TXT')", "POST", write, "");
  EXPECT_EQ(dup.status, 500);
  EXPECT_NE(dup.body.find("already exists"), std::string::npos) << dup.body;
  // REST replace (PUT $value, tunnelled as PnPjs sends it).
  auto put = Http(Item(e, id, "Plain") + "/AttachmentFiles('r.txt')/$value", "POST",
                  {{"X-HTTP-Method", "PUT"}}, "two, longer");
  EXPECT_EQ(put.status, 204);
  EXPECT_EQ(e.AttachmentBytes("Plain", id, "r.txt"), "two, longer");
  // API add, replace and delete.
  e.AddAttachment("Plain", id, "api.txt", "api");
  e.AddAttachment("Plain", id, "API.txt", "api again");
  EXPECT_EQ(Names(e.Attachments("Plain", id)), (std::vector<std::string>{"r.txt", "API.txt"}));
  EXPECT_EQ(e.AttachmentBytes("Plain", id, "api.txt"), "api again");
  e.DeleteAttachment("Plain", id, "api.txt");
  EXPECT_THROW(e.DeleteAttachment("Plain", id, "api.txt"), std::invalid_argument);
  EXPECT_THROW(e.AddAttachment("Plain", 999, "x.txt", "x"), std::invalid_argument);
  // REST delete; then no file left: the flag is false again.
  EXPECT_EQ(Http(Item(e, id, "Plain") + "/AttachmentFiles('r.txt')", "DELETE", write).status, 200);
  EXPECT_EQ(Http(Item(e, id, "Plain") + "/AttachmentFiles('r.txt')", "DELETE", write).status, 404);
  EXPECT_EQ(
      Http(Item(e, 999, "Plain") + "/AttachmentFiles/add(FileName='x')", "POST", write, "x").status,
      404);
  EXPECT_FALSE(flag(5)->getValue<bool>("Attachments"));
  EXPECT_TRUE(e.Attachments("Plain", id).empty());
  // Every change was an Update of item 5: add, put, add, replace, delete, delete.
  auto changes = ItemChanges(e, "Plain", t0);
  ASSERT_EQ(changes.size(), 6u);
  for (const auto& c : changes) {
    EXPECT_EQ(c.type, 2);
    EXPECT_EQ(c.item, id);
  }
  EXPECT_EQ(e.VersionCount("Plain", id), std::stoi(v0) + 6);
}

// The SP.File behind an attachment (the URL without /$value): its ETag
// "{guid},version" is what tells a client the bytes changed without reading
// them. Replacing the bytes keeps the guid and bumps the version; deleting
// and adding the name again gives a new guid; the download carries the same
// ETag and a Last-Modified date.
TEST(EmulatorAttachments, FileETagsTellReplacedBytesApart) {
  Emulator e(WithAttachments());
  e.Start();
  const int64_t id = Live(e, "Plain", 4);
  e.AddAttachment("Plain", id, "a b.txt", "one");
  const std::string url = "/sites/demo/Lists/Plain/Attachments/" + std::to_string(id) + "/a b.txt";
  const std::string file =
      e.SiteUrl() + "/_api/web/GetFileByServerRelativePath(decodedurl='" + Enc(url) + "')";
  auto info = [&](const std::string& query) {
    auto r = Http(file + query, "GET", {{"Accept", kNoMeta}});
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r.body);
  };
  auto first = info("");
  const std::string etag1 = first->getValue<std::string>("ETag");
  EXPECT_EQ(first->getValue<std::string>("Name"), "a b.txt");
  EXPECT_EQ(first->getValue<std::string>("ServerRelativeUrl"), url);
  EXPECT_EQ(first->getValue<std::string>("Length"), "3");
  ASSERT_EQ(etag1.size(), 42u) << etag1;  // "{36},1"
  EXPECT_EQ(etag1.substr(etag1.size() - 3), ",1\"");
  // $select narrows it; the other URL form answers the same.
  auto narrow = info("?$select=ETag");
  EXPECT_EQ(narrow->size(), 1u);
  EXPECT_EQ(Json(Http(e.SiteUrl() + "/_api/web/GetFileByServerRelativeUrl('" + Enc(url) + "')",
                      "GET", {{"Accept", kNoMeta}})
                     .body)
                ->getValue<std::string>("ETag"),
            etag1);
  auto bytes = Http(file + "/$value", "GET", {});
  EXPECT_EQ(bytes.Header("ETag"), etag1);
  EXPECT_NE(bytes.Header("Last-Modified").find(" GMT"), std::string::npos);
  // Replaced in place (REST PUT): same file, next version.
  ASSERT_EQ(Http(Item(e, id, "Plain") + "/AttachmentFiles('a%20b.txt')/$value", "POST",
                 {{"X-HTTP-Method", "PUT"}}, "two")
                .status,
            204);
  const std::string etag2 = info("")->getValue<std::string>("ETag");
  EXPECT_EQ(etag2.substr(0, 39), etag1.substr(0, 39));
  EXPECT_EQ(etag2.substr(39), ",2\"");
  // Deleted and added again under the same name: another file.
  e.DeleteAttachment("Plain", id, "a b.txt");
  e.AddAttachment("Plain", id, "a b.txt", "two");
  const std::string etag3 = info("")->getValue<std::string>("ETag");
  EXPECT_NE(etag3.substr(0, 39), etag1.substr(0, 39));
  // Counted apart from downloads.
  e.ResetStats();
  info("");
  EXPECT_EQ(e.GetStats().file_info, 1u);
  EXPECT_EQ(e.GetStats().attachments, 0u);
  EXPECT_EQ(Http(e.SiteUrl() +
                 "/_api/web/GetFileByServerRelativeUrl('/sites/demo/Lists/Plain/"
                 "Attachments/" +
                 std::to_string(id) + "/none.txt')")
                .status,
            404);
}

// The process's resident set, in bytes.
int64_t Rss() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return 0;
}

TEST(EmulatorAttachments, FiftyMegabytesStreamWithoutBeingBuilt) {
  Emulator e(WithAttachments());
  e.Start();
  const int64_t id = Live(e, "Plain", 2);
  const int64_t size = 50LL * 1024 * 1024 + 123;
  e.AddSyntheticAttachment("Plain", id, "big video.mp4", size);
  ASSERT_EQ(e.Attachments("Plain", id)[0].size, size);
  Poco::URI uri(e.SiteUrl());
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  Poco::Net::HTTPRequest req("GET",
                             uri.getPath() + "/_api/web/lists/getbytitle('Plain')/items(" +
                                 std::to_string(id) + ")/AttachmentFiles('big%20video.mp4')/$value",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  ASSERT_EQ(resp.getStatus(), 200);
  EXPECT_EQ(resp.getContentLength64(), size);
  const int64_t before = Rss();
  int64_t peak = before, total = 0;
  uint64_t hash = 1469598103934665603ULL;
  std::vector<char> chunk(1 << 20);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i)
      hash = (hash ^ static_cast<unsigned char>(chunk[static_cast<size_t>(i)])) * 1099511628211ULL;
    total += in.gcount();
    peak = std::max(peak, Rss());
  }
  EXPECT_EQ(total, size);
  // The emulator runs in this process: a 50 MB file built in memory would show here.
  EXPECT_LT(peak - before, 16 << 20) << "RSS grew by " << (peak - before);
  // The bytes are the file's (materialised only now, for the comparison).
  const std::string whole = e.AttachmentBytes("Plain", id, "big video.mp4");
  uint64_t expected = 1469598103934665603ULL;
  for (unsigned char ch : whole) expected = (expected ^ ch) * 1099511628211ULL;
  EXPECT_EQ(hash, expected);
}

TEST(EmulatorAttachments, CountedAndChargedAsReads) {
  Options o = WithAttachments();
  o.budget.ru_per_minute = 100000;
  Emulator e(o);
  e.Start();
  const int64_t id = Live(e, "Plain", 1);
  e.AddAttachment("Plain", id, "a.txt", "a");
  e.ResetStats();
  Http(Item(e, id, "Plain") + "/AttachmentFiles");
  Http(Item(e, id, "Plain") + "/AttachmentFiles('a.txt')/$value", "GET", {});
  Http(e.SiteUrl() + "/_api/web/GetFileByServerRelativeUrl('/sites/demo/Lists/Plain/Attachments/" +
           std::to_string(id) + "/a.txt')/$value",
       "GET", {});
  Http(Item(e, id, "Plain") + "/versions");
  Http(Item(e, id, "Plain") + "/AttachmentFiles/add(FileName='b.txt')", "POST",
       {{"Accept", kNoMeta}}, "b");
  Stats s = e.GetStats();
  EXPECT_EQ(s.attachments, 3u);
  EXPECT_EQ(s.versions, 1u);
  EXPECT_EQ(s.writes, 1u);
  EXPECT_DOUBLE_EQ(s.ru_spent, 10);  // 5 requests at 2 RU
}

}  // namespace
}  // namespace spsync::emulator::testing
