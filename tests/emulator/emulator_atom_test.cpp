// Clients that ask for no JSON (no Accept, application/atom+xml,
// application/xml, or */* as curl sends it) get Atom/XML as from SharePoint
// (shared/docs/sharepoint-rest.md §1.3): entries, feeds, m:properties with
// m:type, and <m:error>. Parsed with a real XML parser; JSON parsing fails.
#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NodeList.h>

#include "emulator_test_support.hpp"

namespace spsync::emulator::testing {
namespace {

using Poco::AutoPtr;
using Poco::XML::Document;
using Poco::XML::Element;

AutoPtr<Document> Xml(const std::string& body) {
  Poco::XML::DOMParser parser;
  return parser.parseString(body);
}

// The text of the first element named `name` (qualified, e.g. "d:Title") under `in`.
std::string Text(const Element* in, const std::string& name) {
  AutoPtr<Poco::XML::NodeList> nodes = in->getElementsByTagName(name);
  return nodes->length() ? nodes->item(0)->innerText() : "<missing " + name + ">";
}
const Element* First(const Element* in, const std::string& name) {
  AutoPtr<Poco::XML::NodeList> nodes = in->getElementsByTagName(name);
  return nodes->length() ? static_cast<const Element*>(nodes->item(0)) : nullptr;
}

class EmulatorAtom : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Options o;
    o.lists = {{"Orders", 200}, {"Big", 6000}};
    o.seed = 3;
    emu_ = new Emulator(o);
    emu_->Start();
  }
  static void TearDownTestSuite() {
    delete emu_;
    emu_ = nullptr;
  }
  static Emulator* emu_;
};
Emulator* EmulatorAtom::emu_ = nullptr;

TEST_F(EmulatorAtom, ListEntityWithoutJsonAcceptIsAnAtomEntry) {
  const std::string url = ApiList(*emu_, "Orders");
  for (const Headers& headers : std::vector<Headers>{{},
                                                     {{"Accept", "*/*"}},
                                                     {{"Accept", "application/atom+xml"}},
                                                     {{"Accept", "application/xml"}}}) {
    const std::string accept = headers.empty() ? "(none)" : headers[0].second;
    auto r = Http(url, "GET", headers);
    ASSERT_EQ(r.status, 200) << accept;
    EXPECT_EQ(r.Header("Content-Type"), "application/atom+xml;type=entry;charset=utf-8") << accept;
    EXPECT_THROW(Json(r.body), std::exception) << accept;
    auto doc = Xml(r.body);
    const Element* entry = doc->documentElement();
    EXPECT_EQ(entry->localName(), "entry");
    EXPECT_EQ(entry->namespaceURI(), "http://www.w3.org/2005/Atom");
    EXPECT_EQ(entry->getAttribute("xml:base"), emu_->SiteUrl() + "/_api/");
    EXPECT_EQ(First(entry, "category")->getAttribute("term"), "SP.List");
    const Element* props = First(entry, "m:properties");
    ASSERT_TRUE(props) << r.body;
    EXPECT_EQ(Text(props, "d:Title"), "Orders");
    EXPECT_EQ(First(props, "d:ItemCount")->getAttribute("m:type"), "Edm.Int32");
    EXPECT_EQ(Text(props, "d:ItemCount"), "200");
    EXPECT_EQ(First(props, "d:Id")->getAttribute("m:type"), "Edm.Guid");
    EXPECT_EQ(First(props, "d:CurrentChangeToken")->getAttribute("m:type"), "SP.ChangeToken");
    EXPECT_EQ(Text(props, "d:DecodedUrl"), "/sites/demo");
    // Deferred navigation properties become related links.
    bool fields_link = false;
    AutoPtr<Poco::XML::NodeList> links = entry->getElementsByTagName("link");
    for (unsigned long i = 0; i < links->length(); ++i) {
      auto* link = static_cast<Element*>(links->item(i));
      if (link->getAttribute("title") == "Fields")
        fields_link = link->getAttribute("type") == "application/atom+xml;type=feed";
    }
    EXPECT_TRUE(fields_link) << r.body;
  }
}

TEST_F(EmulatorAtom, ItemsAreAFeedOfTypedEntries) {
  const std::string url =
      ApiList(*emu_, "Orders") + "/items?$top=3&$select=Id,Title,Amount,DueDate,Done,Tags,Link";
  auto json = Json(Http(url).body);
  auto r = Http(url, "GET", {});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/atom+xml;type=feed;charset=utf-8");
  auto doc = Xml(r.body);
  const Element* feed = doc->documentElement();
  EXPECT_EQ(feed->localName(), "feed");
  AutoPtr<Poco::XML::NodeList> entries = feed->getElementsByTagName("entry");
  ASSERT_EQ(entries->length(), 3u);
  auto values = json->getArray("value");
  for (unsigned long i = 0; i < 3; ++i) {
    auto* entry = static_cast<Element*>(entries->item(i));
    auto item = values->getObject(static_cast<unsigned>(i));
    EXPECT_EQ(First(entry, "category")->getAttribute("term"), "SP.Data.OrdersListItem");
    EXPECT_FALSE(entry->getAttribute("m:etag").empty());
    EXPECT_EQ(Text(entry, "d:Id"), std::to_string(item->getValue<int64_t>("Id")));
    EXPECT_EQ(Text(entry, "d:Title"), item->getValue<std::string>("Title"));
    EXPECT_EQ(First(entry, "d:Amount")->getAttribute("m:type"), "Edm.Double");
    EXPECT_EQ(First(entry, "d:Done")->getAttribute("m:type"), "Edm.Boolean");
    EXPECT_EQ(First(entry, "d:Tags")->getAttribute("m:type"), "Collection(Edm.String)");
    AutoPtr<Poco::XML::NodeList> tags = First(entry, "d:Tags")->getElementsByTagName("d:element");
    EXPECT_EQ(tags->length(), item->getArray("Tags")->size());
    const Element* due = First(entry, "d:DueDate");
    if (item->isNull("DueDate"))
      EXPECT_EQ(due->getAttribute("m:null"), "true");
    else
      EXPECT_EQ(due->getAttribute("m:type"), "Edm.DateTime");
  }
  // The next link is the JSON one, as a feed link.
  const Element* next = nullptr;
  AutoPtr<Poco::XML::NodeList> links = feed->getElementsByTagName("link");
  for (unsigned long i = 0; i < links->length(); ++i)
    if (static_cast<Element*>(links->item(i))->getAttribute("rel") == "next")
      next = static_cast<Element*>(links->item(i));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->getAttribute("href"), json->getValue<std::string>("odata.nextLink"));
}

TEST_F(EmulatorAtom, SingleItemFieldsExpansionAndErrors) {
  auto item = Http(ApiList(*emu_, "Orders") + "/items(1)?$select=Id,Author/Title&$expand=Author",
                   "GET", {{"Accept", "application/atom+xml"}});
  ASSERT_EQ(item.status, 200) << item.body;
  EXPECT_EQ(item.Header("Content-Type"), "application/atom+xml;type=entry;charset=utf-8");
  auto doc = Xml(item.body);
  const Element* inline_entry = First(First(doc->documentElement(), "m:inline"), "entry");
  ASSERT_TRUE(inline_entry) << item.body;
  EXPECT_EQ(First(inline_entry, "category")->getAttribute("term"), "SP.Data.UserInfoItem");
  auto json = Json(
      Http(ApiList(*emu_, "Orders") + "/items(1)?$select=Id,Author/Title&$expand=Author").body);
  EXPECT_EQ(Text(inline_entry, "d:Title"),
            json->getObject("Author")->getValue<std::string>("Title"));

  auto fields = Http(ApiList(*emu_, "Orders") + "/fields?$filter=InternalName eq 'Title'", "GET",
                     {{"Accept", "*/*"}});
  ASSERT_EQ(fields.status, 200);
  auto fdoc = Xml(fields.body);
  EXPECT_EQ(First(fdoc->documentElement(), "category")->getAttribute("term"), "SP.FieldText");
  EXPECT_EQ(First(fdoc->documentElement(), "d:Indexed")->getAttribute("m:type"), "Edm.Boolean");

  for (const auto& [url, code] : std::vector<std::pair<std::string, std::string>>{
           {emu_->SiteUrl() + "/_api/web/lists/getbytitle('Nope')", "-1, System.ArgumentException"},
           {ApiList(*emu_, "Big") + "/items?$orderby=Title",
            "-2147024860, Microsoft.SharePoint.SPQueryThrottledException"}}) {
    auto r = Http(url, "GET", {});
    EXPECT_GE(r.status, 400);
    EXPECT_EQ(r.Header("Content-Type"), "application/xml;charset=utf-8");
    auto err = Xml(r.body);
    EXPECT_EQ(err->documentElement()->localName(), "error");
    EXPECT_EQ(Text(err->documentElement(), "m:code"), code);
    EXPECT_EQ(First(err->documentElement(), "m:message")->getAttribute("xml:lang"), "en-US");
  }
}

}  // namespace
}  // namespace spsync::emulator::testing
