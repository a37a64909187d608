// The SigV4 signer (sinks/s3/sigv4.cpp) against AWS's published
// aws-sig-v4-test-suite vectors, and byte for byte against the AWS SDK's
// signer (@aws-sdk/signature-v4) on S3-shaped requests. s3rver does not check
// signatures, so these are what proves the signer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "../kafka/sink_harness.hpp"
#include "sigv4.hpp"

namespace {

using spsync::s3::Credentials;
using spsync::s3::SignV4;
using spsync::s3::SigV4Request;

const char* kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const char* kToken =
    "AQoDYXdzEPT//////////"
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx"
    "7"
    "mSEI/qkPpKPi/"
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6"
    "q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4r"
    "vx3iSIlTJabIQwj2ICCR/oLxBA==";

struct Vector {
  const char* name;
  const char* method;
  std::string uri;  // canonical URI
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;  // besides host and x-amz-date
  std::string body;
  const char* signed_headers;
  const char* signature;
};

std::string Sign(const Vector& v) {
  SigV4Request r;
  r.method = v.method;
  r.canonical_uri = v.uri;
  r.query = v.query;
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  for (const auto& h : v.headers) r.headers.push_back(h);
  r.payload_hash = spsync::s3::Sha256Hex(v.body);
  r.amz_date = "20150830T123600Z";
  r.region = "us-east-1";
  r.service = "service";
  return SignV4(r, Credentials{"AKIDEXAMPLE", kSecret, ""}).authorization;
}

// Expected values: the aws-sig-v4-test-suite (.authz files), as published by
// AWS and carried by the AWS SDK for JavaScript's signature-v4 test fixture.
TEST(S3SigV4, AwsTestSuiteVectors) {
  const std::vector<Vector> vectors = {
      {"get-vanilla",
       "GET",
       "/",
       {},
       {},
       "",
       "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case",
       "GET",
       "/",
       {{"Param2", "value2"}, {"Param1", "value1"}},
       {},
       "",
       "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-empty-query-key",
       "GET",
       "/",
       {{"Param1", "value1"}},
       {},
       "",
       "host;x-amz-date",
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query-unreserved",
       "GET",
       "/",
       {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
         "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
       {},
       "",
       "host;x-amz-date",
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query",
       "GET",
       "/",
       {{"\xe1\x88\xb4", "bar"}},
       {},
       "",
       "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-unreserved",
       "GET",
       "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {},
       {},
       "",
       "host;x-amz-date",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8",
       "GET",
       spsync::s3::UriEncode("/\xe1\x88\xb4", false),
       {},
       {},
       "",
       "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-header-key-duplicate",
       "GET",
       "/",
       {},
       {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       "",
       "host;my-header1;x-amz-date",
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order",
       "GET",
       "/",
       {},
       {{"My-Header1", "value4"},
        {"My-Header1", "value1"},
        {"My-Header1", "value3"},
        {"My-Header1", "value2"}},
       "",
       "host;my-header1;x-amz-date",
       "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-value-trim",
       "GET",
       "/",
       {},
       {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
       "",
       "host;my-header1;my-header2;x-amz-date",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-vanilla",
       "POST",
       "/",
       {},
       {},
       "",
       "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query",
       "POST",
       "/",
       {{"Param1", "value1"}},
       {},
       "",
       "host;x-amz-date",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-vanilla-query-nonunreserved",
       "POST",
       "/",
       {{"@#$%^", ""}, {"+", "/,?><`\";:\\|][{}"}},
       {},
       "",
       "host;x-amz-date",
       "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
      {"post-header-key-sort",
       "POST",
       "/",
       {},
       {{"My-Header1", "value1"}},
       "",
       "host;my-header1;x-amz-date",
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case",
       "POST",
       "/",
       {},
       {{"My-Header1", "VALUE1"}},
       "",
       "host;my-header1;x-amz-date",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-sts-header-before",
       "POST",
       "/",
       {},
       {{"X-Amz-Security-Token", kToken}},
       "",
       "host;x-amz-date;x-amz-security-token",
       "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       {},
       {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1",
       "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters",
       "POST",
       "/",
       {},
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}},
       "Param1=value1",
       "content-type;host;x-amz-date",
       "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.name);
    EXPECT_EQ(Sign(v), std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                                   "service/aws4_request, SignedHeaders=") +
                           v.signed_headers + ", Signature=" + v.signature);
  }
}

// The intermediate strings of get-vanilla-query-order-key-case, so a
// regression says which step broke.
TEST(S3SigV4, CanonicalRequestAndStringToSign) {
  SigV4Request r;
  r.method = "GET";
  r.canonical_uri = "/";
  r.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_hash = kEmptyHash;
  r.amz_date = "20150830T123600Z";
  r.region = "us-east-1";
  r.service = "service";
  auto out = SignV4(r, Credentials{"AKIDEXAMPLE", kSecret, ""});
  EXPECT_EQ(out.canonical_request,
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:"
            "20150830T123600Z\n\nhost;x-amz-date\n" +
                std::string(kEmptyHash));
  EXPECT_EQ(out.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  EXPECT_EQ(out.signed_headers, "host;x-amz-date");
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

// The same S3-shaped requests, signed here and by @aws-sdk/signature-v4.
TEST(S3SigV4, MatchesAwsSdkSignerByteForByte) {
  struct Req {
    std::string method, host, path;
    std::vector<std::pair<std::string, std::string>> query, headers;
    std::string body;
  };
  const std::string key = "exports/sp/orders/data/2024/01/31/part-00000042.ndjson.gz";
  const std::vector<Req> requests = {
      {"PUT",
       "127.0.0.1:4569",
       "/bucket/" + key,
       {},
       {{"content-type", "application/gzip"}},
       "\x1f\x8b binary part body"},
      {"GET",
       "127.0.0.1:4569",
       "/bucket",
       {{"list-type", "2"},
        {"prefix", "exports/sp/orders/data/"},
        {"continuation-token", "1/abc+def=="}},
       {},
       ""},
      {"DELETE",
       "my-bucket.s3.eu-west-1.amazonaws.com",
       spsync::s3::UriEncode("/odd key/with spaces+plus/caf\xc3\xa9 (1).json", false),
       {},
       {},
       ""},
      {"POST", "s3.amazonaws.com", "/bucket/big.ndjson", {{"uploads", ""}}, {}, ""},
      {"PUT",
       "s3.amazonaws.com",
       "/bucket/big.ndjson",
       {{"uploadId", "VXBsb2FkIElE/x=="}, {"partNumber", "3"}},
       {},
       std::string(70000, 'z')},
      {"GET",
       "localhost",
       "/b/_state.json",
       {{"a", "2"}, {"a", "1"}, {"B", "x y"}},
       {{"x-amz-meta-note", "  spaced   value  "}},
       ""},
  };
  for (bool with_token : {false, true}) {
    SCOPED_TRACE(with_token ? "with session token" : "without session token");
    Credentials creds{"AKIAEXAMPLE123",
                      "secret/with+chars=", with_token ? "FQoGZXIvYXdzE//token==" : ""};
    const std::string date = "20240131T080910Z";
    std::string json =
        "{\"accessKeyId\":" + JsonString(creds.access_key_id) +
        ",\"secretAccessKey\":" + JsonString(creds.secret_access_key) +
        (with_token ? ",\"sessionToken\":" + JsonString(creds.session_token) : "") +
        ",\"region\":\"eu-west-1\",\"service\":\"s3\",\"date\":\"2024-01-31T08:09:10Z\","
        "\"requests\":[";
    std::vector<std::string> ours;
    for (size_t i = 0; i < requests.size(); ++i) {
      const Req& q = requests[i];
      SigV4Request r;
      r.method = q.method;
      r.canonical_uri = q.path;
      r.query = q.query;
      r.payload_hash = spsync::s3::Sha256Hex(q.body);
      r.amz_date = date;
      r.region = "eu-west-1";
      r.service = "s3";
      r.headers = {
          {"host", q.host}, {"x-amz-content-sha256", r.payload_hash}, {"x-amz-date", date}};
      for (const auto& h : q.headers) r.headers.push_back(h);
      if (with_token) r.headers.emplace_back("x-amz-security-token", creds.session_token);
      ours.push_back(SignV4(r, creds).authorization);

      json += i ? "," : "";
      json += "{\"method\":" + JsonString(q.method) + ",\"host\":" + JsonString(q.host) +
              ",\"path\":" + JsonString(q.path) + ",\"payloadHash\":\"" + r.payload_hash +
              "\",\"query\":[";
      for (size_t j = 0; j < q.query.size(); ++j)
        json += (j ? "," : "") + std::string("[") + JsonString(q.query[j].first) + "," +
                JsonString(q.query[j].second) + "]";
      json += "],\"headers\":[[\"host\"," + JsonString(q.host) + "]";
      for (const auto& h : q.headers)
        json += ",[" + JsonString(h.first) + "," + JsonString(h.second) + "]";
      json += "]}";
    }
    json += "]}";
    char path[] = "/tmp/spsync-sigv4-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, json.data(), json.size()), static_cast<ssize_t>(json.size()));
    close(fd);
    auto run = spsync_test::Run(
        {SPSYNC_NODE, std::string(SPSYNC_TESTS_DIR) + "/s3/sigv4_crosscheck.mjs", path});
    unlink(path);
    ASSERT_EQ(run.exit_code, 0) << run.out;
    std::istringstream in(run.out);
    std::string line;
    size_t i = 0;
    for (; std::getline(in, line); ++i) {
      ASSERT_LT(i, ours.size());
      EXPECT_EQ(ours[i], line) << "request " << i << " " << requests[i].method << " "
                               << requests[i].path;
    }
    EXPECT_EQ(i, ours.size());
  }
}

}  // namespace
