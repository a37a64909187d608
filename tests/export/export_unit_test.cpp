// The export path's pure parts against known answers from outside this code:
// NIST's AES-256-CBC vector, SAS signatures computed with Python's hmac, and
// manifest fragments shaped as shared/docs/amr-export.md §4 shows them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spsync/engine/config.hpp"
#include "spsync/engine/export/aes_cbc.hpp"
#include "spsync/engine/export/azure_sas.hpp"
#include "spsync/engine/export/azure_storage.hpp"
#include "spsync/engine/export/id_bitmap.hpp"
#include "spsync/engine/export/item_render.hpp"
#include "spsync/engine/export/manifest_parser.hpp"
#include "spsync/engine/export/migration_api.hpp"

namespace ex = spsync::engine::exporter;

namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string ToHex(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

const char* kNistKey = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
const char* kNistIv = "000102030405060708090a0b0c0d0e0f";

}  // namespace

// NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt), first two blocks; PKCS7 adds a
// third block of padding.
TEST(ExportAes, NistVectorAndPkcs7) {
  const std::string key = FromHex(kNistKey), iv = FromHex(kNistIv);
  const std::string plain =
      FromHex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
  const std::string cipher = ex::AesCbcEncrypt(key, iv, plain);
  ASSERT_EQ(cipher.size(), 48u);
  EXPECT_EQ(ToHex(cipher.substr(0, 32)),
            "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d");
  EXPECT_EQ(ex::AesCbcDecrypt(key, iv, cipher), plain);
}

// Streaming decryption gives the same plaintext whatever the chunking (the
// manifest arrives in ranged GETs that split blocks anywhere).
TEST(ExportAes, StreamingRoundTripAnyChunking) {
  // Fixed key and IV: CBC without a MAC lets about one wrong key in 256 end
  // in valid padding, so a random wrong key made this test fail now and then.
  const std::string key(32, 'k'), iv(16, 'i');
  std::string plain;
  for (int i = 0; i < 1000; ++i)
    plain += "<Field Name=\"F" + std::to_string(i) + "\" Value=\"é\"/>";
  const std::string cipher = ex::AesCbcEncrypt(key, iv, plain);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{16}, size_t{17}, size_t{4096}, cipher.size()}) {
    ex::AesCbcDecryptor d(key, iv);
    std::string out;
    for (size_t at = 0; at < cipher.size(); at += chunk)
      d.Update(std::string_view(cipher).substr(at, chunk), &out);
    d.Final(&out);
    EXPECT_EQ(out, plain) << "chunk " << chunk;
  }
}

TEST(ExportAes, WrongKeyOrTamperedDataFailsClearly) {
  const std::string key = FromHex(kNistKey), iv = FromHex(kNistIv);
  const std::string cipher = ex::AesCbcEncrypt(key, iv, "<SPObjects/>");
  std::string other_key = key;
  other_key[0] ^= 1;
  EXPECT_THROW(ex::AesCbcDecrypt(other_key, iv, cipher), ex::CryptoError);
  std::string truncated = cipher.substr(0, cipher.size() - 1);
  EXPECT_THROW(ex::AesCbcDecrypt(key, iv, truncated), ex::CryptoError);
  EXPECT_THROW(ex::AesCbcDecryptor(key.substr(0, 16), iv), ex::CryptoError);
  EXPECT_THROW(ex::AesCbcDecryptor(key, iv.substr(0, 8)), ex::CryptoError);
}

TEST(ExportAes, Base64) {
  std::string out;
  EXPECT_EQ(ex::Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(ex::Base64Encode("fo"), "Zm8=");
  ASSERT_TRUE(ex::Base64Decode("Zm8=", &out));
  EXPECT_EQ(out, "fo");
  ASSERT_TRUE(ex::Base64Decode("Zm8", &out));
  EXPECT_EQ(out, "fo");
  EXPECT_FALSE(ex::Base64Decode("Zm8*", &out));
  EXPECT_FALSE(ex::Base64Decode("Z", &out));
}

// Signatures computed independently with Python's hmac over the layouts in
// amr-export.md §6 (the Azurite well-known key).
TEST(ExportSas, KnownSignatures) {
  ex::SasSpec blob;
  blob.account = "devstoreaccount1";
  blob.account_key_b64 =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  blob.resource = "exports";
  blob.permissions = "rw";
  blob.expiry = "2030-01-01T00:00:00Z";
  blob.protocol = "https,http";
  blob.version = "2021-08-06";
  EXPECT_EQ(ex::MintServiceSas(blob),
            "sv=2021-08-06&se=2030-01-01T00%3A00%3A00Z&sr=c&sp=rw&spr=https%2Chttp&sig="
            "yJznc%2Br%2FH1zeH%2BIgNzEXJyyhqGhtUD7Sw7Lmh6GTV0A%3D");
  ex::SasSpec queue = blob;
  queue.queue = true;
  queue.resource = "events";
  queue.permissions = "raup";
  queue.protocol = "";
  EXPECT_EQ(ex::MintServiceSas(queue),
            "sv=2021-08-06&se=2030-01-01T00%3A00%3A00Z&sp=raup&sig="
            "irXNDvenyb%2BBzpGR33DqV5dU7UZWprqGWg9mOYb7onI%3D");
  blob.account_key_b64 = "not base64!";
  EXPECT_THROW(ex::MintServiceSas(blob), std::invalid_argument);
}

TEST(ExportSas, UrlsKeepTheTokenOutOfLogs) {
  const std::string url =
      "https://acct.blob.core.windows.net:443/c/?sv=2021-08-06&sp=rw&sig=SECRET";
  ex::SasUrl u = ex::SplitSasUrl(url);
  EXPECT_EQ(u.resource, "https://acct.blob.core.windows.net:443/c");
  EXPECT_EQ(u.query, "sv=2021-08-06&sp=rw&sig=SECRET");
  EXPECT_EQ(ex::RedactUrl(url).find("SECRET"), std::string::npos);
  EXPECT_EQ(ex::RedactUrl("http://h/c"), "http://h/c");
  // Blob paths are percent-encoded per segment, the SAS appended unchanged.
  EXPECT_EQ(ex::BlobUrl(url, "0f/Manifest 2.xml"),
            "https://acct.blob.core.windows.net:443/c/0f/Manifest%202.xml?sv=2021-08-06&sp=rw&"
            "sig=SECRET");
  EXPECT_EQ(ex::ScrubSecrets("GET /c?sv=1&sig=abc%2B&sp=r failed").find("abc"), std::string::npos);
}

// ---- the manifest ----

namespace {

// Two list items and everything around them that must be skipped: a list
// object, a deleted item, versions (nested ListItems), a field given as
// element text, _xHHHH_ encoding under EncodedAttributes, undeclared attributes.
const char* kManifest = R"(<?xml version="1.0" encoding="utf-8"?>
<SPObjects xmlns="urn:deployment-manifest-schema">
  <SPObject Id="11111111-1111-1111-1111-111111111111" ObjectType="SPList" ParentId="x" Url="/sites/s/Lists/Tasks">
    <List Id="11111111-1111-1111-1111-111111111111" Title="Tasks" BaseTemplate="GenericList"><ListItem IntId="999"/></List>
  </SPObject>
  <SPObject Id="aaaaaaaa-0000-0000-0000-000000000007" ObjectType="SPListItem" ParentId="l" Url="/sites/s/Lists/Tasks/7_.000">
    <ListItem Id="AAAAAAAA-0000-0000-0000-000000000007" IntId="7" Name="7_.000" Version="3.0" Author="7" ModifiedBy="9"
              TimeCreated="2025-01-02T03:04:05" TimeLastModified="2025-02-03T04:05:06" Description="undeclared"
              EncodedAttributes="Name,Version" ContentTypeId="0x0100AB">
      <Fields>
        <Field Name="Title" Value="a_x0001_b_x005F_x0041_ &amp; &quot;q&quot;" Type="Text" FieldId="fa564e0f-0c70-4ab9-b863-0177e6ddd247"/>
        <Field Name="Body" Type="Note">line 1
line 2 &lt;b&gt;</Field>
        <Field Name="Amount" Value="12.50" Type="Currency"/>
      </Fields>
      <Versions><ListItem IntId="7" Version="1.0"><Fields><Field Name="Title" Value="old"/></Fields></ListItem></Versions>
      <Attachments><Attachment Name="a.txt"/></Attachments>
    </ListItem>
  </SPObject>
  <SPObject Id="bbbb" ObjectType="SPListItem" IsDeleted="true"><ListItem IntId="8"><Fields/></ListItem></SPObject>
  <SPObject Id="cccc" ObjectType="SPListItem"><ListItem IntId="9" Name="9_x0020_x" EncodedAttributes="Url"><Fields/></ListItem></SPObject>
</SPObjects>
)";

struct Seen {
  int64_t id;
  bool deleted, attachments;
  std::string title, body, amount, name, version, description;
  size_t fields;
};

std::vector<Seen> ParseInChunks(std::string_view xml, size_t chunk) {
  std::vector<Seen> out;
  ex::ManifestParser p([&](const ex::ManifestItem& it) {
    auto f = [&](const char* n) { return it.Field(n) ? it.Field(n)->value : std::string("-"); };
    auto a = [&](const char* n) { return it.Attr(n) ? *it.Attr(n) : std::string("-"); };
    out.push_back({it.IntId(), it.deleted, it.has_attachments, f("Title"), f("Body"), f("Amount"),
                   a("Name"), a("Version"), a("Description"), it.fields.size()});
  });
  for (size_t at = 0; at < xml.size(); at += chunk) p.Feed(xml.substr(at, chunk));
  p.Finish();
  return out;
}

}  // namespace

TEST(ExportManifest, StreamsItemsWhateverTheChunking) {
  const std::string xml = kManifest;
  for (size_t chunk = 1; chunk <= xml.size(); chunk += (chunk < 40 ? 1 : 97)) {
    auto items = ParseInChunks(xml, chunk);
    ASSERT_EQ(items.size(), 3u) << "chunk " << chunk;
    const Seen& a = items[0];
    EXPECT_EQ(a.id, 7);
    EXPECT_FALSE(a.deleted);
    EXPECT_TRUE(a.attachments);
    // Field values are never _x-decoded by the parser (only EncodedAttributes
    // of the element are), XML entities are.
    EXPECT_EQ(a.title, "a_x0001_b_x005F_x0041_ & \"q\"");
    EXPECT_EQ(a.body, "line 1\nline 2 <b>");
    EXPECT_EQ(a.amount, "12.50");
    EXPECT_EQ(a.fields, 3u) << "the version's fields must not leak into the item";
    EXPECT_EQ(a.description, "undeclared");
    EXPECT_EQ(a.version, "3.0");
    EXPECT_TRUE(items[1].deleted);
    EXPECT_EQ(items[1].id, 8);
    EXPECT_EQ(items[1].fields, 0u) << "fields of a previous item must not be reused";
    // Name is not in this element's EncodedAttributes: kept as written.
    EXPECT_EQ(items[2].name, "9_x0020_x");
  }
}

TEST(ExportManifest, EncodedAttributesAreDecoded) {
  const std::string xml =
      R"(<SPObjects xmlns="urn:deployment-manifest-schema"><SPObject ObjectType="SPListItem">)"
      R"(<ListItem IntId="1" Name="a_x0020_b_x00e9__xD83D__xDE00_" EncodedAttributes="Url, Name"/>)"
      R"(</SPObject></SPObjects>)";
  auto items = ParseInChunks(xml, 5);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].name, "a b\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(ExportManifest, XmlEncodingRoundTrips) {
  const std::string raw = std::string("tab\there, bell\x07, _x0041_ stays, ") + "\xEF\xBF\xBF end";
  std::string enc;
  EXPECT_TRUE(ex::EncodeXmlEncoded(raw, &enc));
  EXPECT_EQ(enc.find('\x07'), std::string::npos);
  EXPECT_EQ(ex::DecodeXmlEncoded(enc), raw);
  EXPECT_FALSE(ex::EncodeXmlEncoded("plain_text", &enc));
}

TEST(ExportManifest, MalformedXmlNamesThePlace) {
  ex::ManifestParser p([](const ex::ManifestItem&) {});
  try {
    p.Feed("<SPObjects>\n<SPObject ObjectType=\"SPListItem\"><ListItem IntId=\"1\"></SPObject>");
    p.Finish();
    FAIL() << "no error";
  } catch (const ex::ManifestError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  ex::ManifestParser q([](const ex::ManifestItem&) {});
  q.Feed("<SPObjects><SPObject ObjectType=\"SPListItem\">");
  EXPECT_THROW(q.Finish(), ex::ManifestError);
}

TEST(ExportManifest, CallbackErrorsStopTheParse) {
  int calls = 0;
  ex::ManifestParser p([&](const ex::ManifestItem&) {
    ++calls;
    throw std::runtime_error("sink refused");
  });
  EXPECT_THROW(p.Feed(kManifest), std::runtime_error);
  EXPECT_EQ(calls, 1);
}

// ---- the ID bitmap ----

TEST(ExportIdBitmap, GapsAreTheMissingIds) {
  ex::IdBitmap b;
  for (int64_t id : {5, 3, 1, 200, 64, 63, 65, 128, 130}) EXPECT_TRUE(b.Set(id));
  EXPECT_TRUE(b.Set(3));  // again: counted once
  EXPECT_EQ(b.count(), 9);
  EXPECT_EQ(b.highest(), 200);
  EXPECT_FALSE(b.Set(0));
  EXPECT_FALSE(b.Set(-4));
  std::vector<std::pair<int64_t, int64_t>> gaps;
  b.ForEachGap(260, [&](int64_t a, int64_t z) { gaps.emplace_back(a, z); });
  std::vector<std::pair<int64_t, int64_t>> want = {{2, 2},     {4, 4},     {6, 62},   {66, 127},
                                                   {129, 129}, {131, 199}, {201, 260}};
  EXPECT_EQ(gaps, want);
  // Brute force over a random-looking set.
  ex::IdBitmap r;
  std::vector<bool> truth(5001, false);
  for (int64_t i = 1, x = 7; i < 3000; ++i) {
    x = (x * 1103515245 + 12345) % 2147483648;
    int64_t id = 1 + x % 5000;
    r.Set(id);
    truth[static_cast<size_t>(id)] = true;
  }
  std::vector<bool> gap(5001, false);
  r.ForEachGap(5000, [&](int64_t a, int64_t z) {
    for (int64_t i = a; i <= z; ++i) gap[static_cast<size_t>(i)] = true;
  });
  for (size_t i = 1; i <= 5000; ++i) ASSERT_EQ(gap[i], !truth[i]) << i;
}

TEST(ExportIdBitmap, AMillionIdsIsAboutAHundredTwentyFiveKilobytes) {
  ex::IdBitmap b;
  for (int64_t id = 1000000; id >= 1; --id) b.Set(id);
  EXPECT_EQ(b.count(), 1000000);
  EXPECT_LE(b.bytes(), 126000u);
  ex::IdBitmap capped(1000);
  EXPECT_FALSE(capped.Set(1001));
}

// ---- queue messages ----

TEST(ExportEvents, PlainAndEncryptedQueueMessages) {
  const std::string event =
      R"({"Event":"FinishManifestFileUpload","JobId":"1EFA0A61-0000-0000-0000-000000000001",)"
      R"("Time":"12/04/2019 01:47:50.150","ManifestFileName":"1efa0a61-0000-0000-0000-000000000001/Manifest.xml"})";
  auto e = ex::ParseJobEvent(ex::DecodeQueueMessage(ex::Base64Encode(event), ""));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "FinishManifestFileUpload");
  EXPECT_EQ(e->job_id, "1efa0a61-0000-0000-0000-000000000001");
  EXPECT_EQ(e->manifest_file, "1efa0a61-0000-0000-0000-000000000001/Manifest.xml");
  // Raw JSON is accepted too.
  EXPECT_TRUE(ex::ParseJobEvent(ex::DecodeQueueMessage(event, "")));
  // Fixed key and IV: CBC without a MAC lets about one wrong key in 256 end
  // in valid padding, so a random wrong key made this test fail now and then.
  const std::string key(32, 'k'), iv(16, 'i');
  const std::string envelope = R"({"Label":"Encrypted","JobId":"x","IV":")" + ex::Base64Encode(iv) +
                               R"(","Content":")" +
                               ex::Base64Encode(ex::AesCbcEncrypt(key, iv, event)) + "\"}";
  EXPECT_EQ(ex::DecodeQueueMessage(ex::Base64Encode(envelope), key), event);
  EXPECT_THROW(ex::DecodeQueueMessage(ex::Base64Encode(envelope), ""), std::runtime_error);
  EXPECT_THROW(ex::DecodeQueueMessage(ex::Base64Encode(envelope), std::string(32, 'w')),
               std::exception);
  auto progress = ex::ParseJobEvent(
      R"({"Event":"JobProgress","JobId":"j","ObjectsProcessed":"120","TotalExpectedSPObjects":"500"})");
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->objects_processed, 120);
  EXPECT_EQ(progress->total_expected, 500);
  EXPECT_FALSE(ex::ParseJobEvent("not json"));
}

// ---- rendering ----

namespace {

std::vector<spsync::engine::ListField> Fields() {
  auto f = [](std::string internal, std::string entity, std::string type, bool multi = false) {
    spsync::engine::ListField lf;
    lf.internal_name = std::move(internal);
    lf.entity_name = std::move(entity);
    lf.title = lf.internal_name;
    lf.type = std::move(type);
    lf.multi = multi;
    return lf;
  };
  return {f("ID", "ID", "Counter"),
          f("Title", "Title", "Text"),
          f("Amount", "Amount", "Currency"),
          f("Done", "Done", "Boolean"),
          f("DueDate", "DueDate", "DateTime"),
          f("Tags", "Tags", "MultiChoice"),
          f("Customer", "Customer", "Lookup"),
          f("Owner", "Owner", "User"),
          f("Link", "Link", "URL"),
          f("Modified", "Modified", "DateTime"),
          f("Created", "Created", "DateTime"),
          f("Author", "Author", "User"),
          f("_UIVersionString", "OData__UIVersionString", "Text"),
          f("GUID", "GUID", "Guid"),
          f("Score", "Score", "Number")};
}

}  // namespace

// A manifest item renders into the REST item byte for byte: same keys, same
// order, same value forms (what makes a sink unable to tell the paths apart).
TEST(ExportRender, ManifestItemBecomesTheRestItem) {
  const std::string rest =
      R"({"Id":7,"ID":7,"Title":"Tab\there \"q\" \u0001 \u00e9","Amount":12.5,"Done":true,)"
      R"("DueDate":null,"Tags":["Red","Q1"],"CustomerId":3,"OwnerId":null,)"
      R"("Link":{"Description":"Site, home","Url":"https://x.test/a,b"},"Score":7.125,)"
      R"("Modified":"2025-02-03T04:05:06Z","Created":"2025-01-02T03:04:05Z","AuthorId":7,)"
      R"("EditorId":9,"OData__UIVersionString":"3.0","GUID":"aaaaaaaa-0000-0000-0000-000000000007"})";
  // \u00e9 in REST is the character itself in the manifest; the renderer
  // writes UTF-8, so the sample here uses the same form.
  std::string sample = rest;
  sample.replace(sample.find("\\u00e9"), 6, "\xC3\xA9");
  spsync::engine::EntitySchema schema;
  ex::ItemRenderer r(sample, schema, Fields());
  EXPECT_EQ(r.sample_id(), 7);

  ex::ManifestItem item;
  item.attrs = {{"Id", "{AAAAAAAA-0000-0000-0000-000000000007}"},
                {"IntId", "7"},
                {"Version", "3.0"},
                {"Author", "7"},
                {"ModifiedBy", "9"},
                {"TimeCreated", "2025-01-02T03:04:05"},
                {"TimeLastModified", "2025-02-03T04:05:06"}};
  item.fields = {{"Title", "Tab\there \"q\" \x01 \xC3\xA9", "Text"},
                 {"Amount", "12.5", "Currency"},
                 {"Done", "1", "Boolean"},
                 {"Tags", ";#Red;#Q1;#", "MultiChoice"},
                 {"Customer", "3;#Contoso", "Lookup"},
                 {"Link", "https://x.test/a,,b, Site, home", "URL"},
                 {"Score", "7.125", "Number"}};
  std::string out;
  r.Render(item, &out);
  EXPECT_EQ(out, sample);
  EXPECT_NO_THROW(r.Check(7, out));

  // The same item with a value the manifest writes differently than assumed:
  // the check catches it instead of letting a different row into the sink.
  item.fields[1].value = "12.50";
  out.clear();
  r.Render(item, &out);
  EXPECT_THROW(r.Check(7, out), ex::RenderError);
  // Another item: not compared.
  EXPECT_NO_THROW(r.Check(8, out));

  item.fields[2].value = "maybe";
  out.clear();
  EXPECT_THROW(r.Render(item, &out), ex::RenderError);
}

TEST(ExportRender, AKeyNoManifestGivesIsRefusedUpFront) {
  spsync::engine::EntitySchema schema;
  EXPECT_THROW(ex::ItemRenderer(R"({"ID":1,"Mystery":2})", schema, Fields()), ex::RenderError);
  EXPECT_THROW(ex::ItemRenderer(R"({"Title":"no id"})", schema, Fields()), ex::RenderError);
}

// ---- config ----

namespace {

std::string ConfigWith(const std::string& entity_keys) {
  return R"({"site": {"url": "https://contoso.sharepoint.com/sites/x"},
  "sinks": {"db": {"plugin": "sqlite", "path": "a.db"}},
  "entities": [{"list": "Orders", "sinks": ["db"])" +
         entity_keys + "}]}";
}

std::string ConfigError(const std::string& entity_keys) {
  try {
    spsync::engine::ParseConfig(ConfigWith(entity_keys), "t.json");
  } catch (const spsync::engine::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ExportConfig, KeysAndDefaults) {
  auto c = spsync::engine::ParseConfig(ConfigWith(""), "t.json");
  const auto& d = c.entities[0].entity;
  EXPECT_EQ(d.full_sync, "rest");
  EXPECT_TRUE(d.export_encrypt);
  EXPECT_EQ(d.export_progress, "queue");
  c = spsync::engine::ParseConfig(
      ConfigWith(R"(, "fullSync": "auto", "exportAbove": 50000, "exportEncrypt": false,
        "exportProgress": "api", "exportPollSeconds": 30,
        "exportContainerUrl": "https://a.blob.core.windows.net/c?sv=1&sig=x",
        "exportQueueUrl": "https://a.queue.core.windows.net/q?sv=1&sig=y")"),
      "t.json");
  const auto& e = c.entities[0].entity;
  EXPECT_EQ(e.full_sync, "auto");
  EXPECT_EQ(e.export_above, 50000);
  EXPECT_FALSE(e.export_encrypt);
  EXPECT_EQ(e.export_progress, "api");
  EXPECT_EQ(e.export_poll_seconds, 30);
  EXPECT_EQ(e.export_container_url, "https://a.blob.core.windows.net/c?sv=1&sig=x");
  EXPECT_EQ(e.export_queue_url, "https://a.queue.core.windows.net/q?sv=1&sig=y");
}

TEST(ExportConfig, MistakesAreNamed) {
  EXPECT_NE(ConfigError(R"(, "fullSync": "bulk")").find("fullSync"), std::string::npos);
  EXPECT_NE(ConfigError(R"(, "exportProgress": "poll")").find("exportProgress"), std::string::npos);
  std::string no_sas =
      ConfigError(R"(, "exportContainerUrl": "https://a.blob.core.windows.net/c")");
  EXPECT_NE(no_sas.find("exportContainerUrl"), std::string::npos) << no_sas;
  EXPECT_NE(no_sas.find("SAS"), std::string::npos) << no_sas;
  EXPECT_NE(ConfigError(R"(, "exportQueueUrl": "https://a.queue.core.windows.net/q")")
                .find("exportQueueUrl"),
            std::string::npos);
}
