// Security, process level: the real spsync binary against the in-process
// emulator. Secrets (bearer token, the certificate's private key, access
// tokens and client assertions, the S3 secret) never reach logs, errors,
// state or `status`; TLS is verified unless a CA or an insecure host is
// configured; SQL identifiers are quoted; CSV cells are formula-escaped; an
// entity name cannot make a sink or the lock files write outside their dirs.
#include <gtest/gtest.h>

#include <iostream>

#include "../reliability/sink_views.hpp"

namespace {

using namespace spsync_rel;

class Security : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spsync-sec-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  Exit Spsync(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), SPSYNC_CLI);
    auto e = RunToEnd(args, env, (dir_ / "run.log").string(), std::chrono::seconds(120));
    EXPECT_EQ(e.signal, 0) << e.out;
    everything_ += e.out;
    return e;
  }
  std::string Write(const std::string& name, const std::string& text) {
    auto p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  // A self-signed certificate and key for 127.0.0.1 (PEM files).
  void MakeCert(const std::string& crt, const std::string& key) {
    auto r = RunToEnd(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", crt},
        {}, (dir_ / "openssl.log").string());
    ASSERT_EQ(r.code, 0) << r.out;
  }
  // Every file under `root`, concatenated (state, data, logs).
  static std::string AllFiles(const fs::path& root) {
    std::string all;
    for (const auto& e : fs::recursive_directory_iterator(root))
      if (e.is_regular_file()) all += ReadFile(e.path().string());
    return all;
  }
  fs::path dir_;
  std::string everything_;
};

void ExpectNoSecret(const std::string& haystack, const std::string& secret, const char* what,
                    const char* where) {
  EXPECT_EQ(haystack.find(secret), std::string::npos) << what << " found in " << where;
}

// A bearer token and an S3 secret through full, incremental and failing runs,
// status (text and JSON), validate, with text and JSON logs.
TEST_F(Security, BearerTokenAndS3SecretNeverAppear) {
  const std::string token = "Bearer-Secret-7f3a9c2e11d84b0c";
  const std::string s3secret = "S3-Secret-Key-c0ffee4242deadbeef";
  spsync::emulator::Options o;
  o.lists = {{"Orders", 600}};
  o.token = token;
  spsync::emulator::Emulator emu(o);
  emu.Start();
  S3Server s3(dir_.string());
  auto cfg =
      Write("spsync.json", R"({ "site": { "url": ")" + emu.SiteUrl() +
                               R"(", "auth": { "type": "bearer", "tokenEnv": "SEC_TOKEN" } },
  "sinks": { "db": { "plugin": "sqlite", "path": ")" +
                               (dir_ / "out.db").string() + R"(" },
             "s3": { "plugin": "s3", "endpoint": ")" +
                               s3.endpoint + R"(", "bucket": ")" + s3.bucket +
                               R"(", "accessKeyId": "S3RVER", "secretAccessKey": "${SEC_S3}" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db", "s3"], "pageSize": 100 },
                { "name": "ghost", "list": "No Such List", "sinks": ["db"] } ],
  "run": { "workDir": ")" + (dir_ / "work").string() +
                               R"(" } })");
  std::map<std::string, std::string> env = {{"SEC_TOKEN", token}, {"SEC_S3", s3secret}};
  EXPECT_EQ(Spsync({"run", "--config", cfg}, env).code, 1);  // ghost fails
  emu.UpdateItem("Orders", 5, R"({"Title":"changed"})");
  EXPECT_EQ(Spsync({"run", "--log-format", "json", "--config", cfg}, env).code, 1);
  EXPECT_EQ(Spsync({"status", "--config", cfg}, env).code, 0);
  EXPECT_EQ(Spsync({"status", "--json", "--config", cfg}, env).code, 0);
  Spsync({"validate", "--connect", "--config", cfg}, env);
  // A wrong token: the 401 path's messages.
  Spsync({"run", "--config", cfg}, {{"SEC_TOKEN", token + "-wrong"}, {"SEC_S3", s3secret}});
  // A wrong S3 secret would not be refused by s3rver; an unreachable endpoint
  // gives the S3 error path.
  auto bad = Write("bad-s3.json", ReadFile(cfg).replace(ReadFile(cfg).find(s3.endpoint),
                                                        s3.endpoint.size(), "http://127.0.0.1:9"));
  Spsync({"run", "--config", bad}, env);
  std::string stored = AllFiles(dir_);  // sqlite state and data, s3rver's objects, work dir
  for (const auto& [secret, what] : std::vector<std::pair<std::string, const char*>>{
           {token, "the bearer token"}, {s3secret, "the S3 secret"}}) {
    ExpectNoSecret(everything_, secret, what, "the output of spsync");
    ExpectNoSecret(stored, secret, what, "state, data or logs on disk");
  }
  EXPECT_GT(SqliteCount((dir_ / "out.db").string(), "SELECT count(*) FROM _spsync_state"), 0);
  std::cout << "[security] bearer/S3: " << everything_.size() << " bytes of output and "
            << stored.size() << " bytes on disk searched for 2 secrets" << std::endl;
}

// Entra ID app-only with a certificate: the private key, the client assertion
// and the access token never appear.
TEST_F(Security, CertificateKeyAssertionAndAccessTokenNeverAppear) {
  auto crt = (dir_ / "app.crt").string(), key = (dir_ / "app.key").string();
  MakeCert(crt, key);
  auto pem = Write("app.pem", ReadFile(crt) + ReadFile(key));
  spsync::emulator::Options o;
  o.lists = {{"Orders", 300}};
  o.tenant = "contoso.onmicrosoft.com";
  o.client_id = "11111111-2222-3333-4444-555555555555";
  o.client_cert_path = crt;
  spsync::emulator::Emulator emu(o);
  emu.Start();
  auto cfg =
      Write("spsync.json",
            R"({ "site": { "url": ")" + emu.SiteUrl() +
                R"(", "auth": { "type": "azure-certificate", "tenant": "contoso.onmicrosoft.com",
      "clientId": "11111111-2222-3333-4444-555555555555", "certificate": ")" +
                pem + R"(", "authority": ")" + emu.BaseUrl() + R"(" } },
  "sinks": { "db": { "plugin": "sqlite", "path": ")" +
                (dir_ / "out.db").string() + R"(" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db"] } ],
  "run": { "workDir": ")" +
                (dir_ / "work").string() + R"(" } })");
  auto first = Spsync({"run", "--log-format", "json", "--config", cfg});
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_EQ(SqliteCount((dir_ / "out.db").string(), "SELECT count(*) FROM \"orders\""), 300);
  // (Not AdvanceClock: the emulator would then judge the client assertion,
  // signed with the wall clock, as not yet valid.) A second process signs a
  // new assertion and gets a new token.
  emu.UpdateItem("Orders", 3, R"({"Title":"after refresh"})");
  auto second = Spsync({"run", "--config", cfg});
  EXPECT_EQ(second.code, 0) << second.out;
  Spsync({"status", "--json", "--config", cfg});
  // The wrong client: the token endpoint's error path.
  auto wrong = Write("wrong.json", ReadFile(cfg).replace(ReadFile(cfg).find("11111111-2222"), 13,
                                                         "99999999-2222"));
  EXPECT_NE(Spsync({"run", "--config", wrong}).code, 0);
  // Key material: every base64 line of the private key's body.
  std::string key_text = ReadFile(key);
  std::vector<std::string> key_lines;
  std::istringstream in(key_text);
  for (std::string line; std::getline(in, line);)
    if (line.size() > 40 && line.find("-----") == std::string::npos) key_lines.push_back(line);
  ASSERT_GT(key_lines.size(), 10u);
  // What is on disk besides the key files themselves.
  std::string stored;
  for (const auto& e : fs::recursive_directory_iterator(dir_))
    if (e.is_regular_file() && e.path().extension() != ".key" && e.path().extension() != ".pem")
      stored += ReadFile(e.path().string());
  for (const auto& l : key_lines) {
    ExpectNoSecret(everything_, l, "a line of the private key", "the output of spsync");
    ExpectNoSecret(stored, l, "a line of the private key", "state, data or logs on disk");
  }
  // JWTs (client assertions and access tokens) start with a base64url '{"'.
  ExpectNoSecret(everything_, "eyJ", "a JWT (client assertion or access token)",
                 "the output of spsync");
  ExpectNoSecret(stored, "eyJ", "a JWT (client assertion or access token)", "state or data");
  std::cout << "[security] certificate: " << everything_.size() << " bytes of output searched for "
            << key_lines.size() << " key lines and JWTs" << std::endl;
}

// TLS verification is on: a self-signed HTTPS endpoint is refused until its
// CA is configured (run.caFile) or its host is listed in run.insecureHosts.

TEST_F(Security, SelfSignedHttpsIsRefusedUntilTrusted) {
  auto crt = (dir_ / "srv.crt").string(), key = (dir_ / "srv.key").string();
  MakeCert(crt, key);
  // A free port, then openssl s_server on it.
  int port = 0;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = probe.address().port();
  }
  Child server({"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                "-cert", crt, "-key", key, "-www", "-quiet"},
               {}, (dir_ / "s_server.log").string());
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  auto cfg = [&](const std::string& run) {
    return Write("tls.json", R"({ "site": { "url": "https://127.0.0.1:)" + std::to_string(port) +
                                 R"(/sites/demo" },
  "sinks": { "db": { "plugin": "sqlite", "path": ")" +
                                 (dir_ / "out.db").string() + R"(" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db"] } ],
  "run": { "workDir": ")" + (dir_ / "work").string() +
                                 "\", \"connectTimeout\": 5, \"readTimeout\": 5" + run + "} }");
  };
  auto is_tls_refusal = [](const std::string& out) {
    for (const char* w : {"certificate", "verify", "Certificate", "SSL", "TLS"})
      if (out.find(w) != std::string::npos) return true;
    return false;
  };
  auto refused = Spsync({"validate", "--connect", "--config", cfg("")});
  EXPECT_NE(refused.code, 0) << refused.out;
  EXPECT_TRUE(is_tls_refusal(refused.out)) << refused.out;
  auto run_refused = Spsync({"run", "--config", cfg("")});
  EXPECT_EQ(run_refused.code, 1) << run_refused.out;
  EXPECT_TRUE(is_tls_refusal(run_refused.out)) << run_refused.out;
  // Trusted: the handshake succeeds; s_server then answers every request with
  // its HTML status page, which is not SharePoint, so the run still fails, but
  // no longer on the certificate.
  for (const std::string& trust : {std::string(R"(, "caFile": ")") + crt + "\"",
                                   std::string(R"(, "insecureHosts": ["127.0.0.1"])")}) {
    // A time budget: the HTML answers are (rightly) retried as malformed.
    auto ok = Spsync({"run", "--timeout", "3s", "--config", cfg(trust)});
    EXPECT_EQ(ok.out.find("certificate verify failed"), std::string::npos) << trust << "\n"
                                                                           << ok.out;
    EXPECT_EQ(ok.out.find("CERTIFICATE_VERIFY_FAILED"), std::string::npos) << trust << "\n"
                                                                           << ok.out;
    EXPECT_NE(ok.out, refused.out) << trust;
  }
}

// A field created with an SQL injection as its title becomes a column under
// the internal name SharePoint gives it (every special character encoded as
// _xHHHH_, cut at 32 characters); nothing is dropped. A Title starting with
// '=' is escaped in CSV. (A raw '"' in a column name is covered at the sink
// level: SqliteSinkTest.InjectionLookingNamesAreJustIdentifiers.)
TEST_F(Security, SqlIdentifiersAreQuotedAndCsvFormulasEscaped) {
  spsync::emulator::Options o;
  o.lists = {{"Orders", 50}};
  spsync::emulator::Emulator emu(o);
  emu.Start();
  const std::string evil = "x\"; DROP TABLE t; --";
  emu.AddField("Orders", evil, "Text");
  emu.UpdateItem("Orders", 2, R"J({"Title":"=HYPERLINK(\"http://evil.example\",\"x\")"})J");
  auto db = (dir_ / "out.db").string();
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    sqlite3_exec(h, "CREATE TABLE t(v); INSERT INTO t VALUES (42);", nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }
  auto cfg = Write("spsync.json", R"({ "site": { "url": ")" + emu.SiteUrl() + R"(" },
  "sinks": { "db": { "plugin": "sqlite", "path": ")" +
                                      db + R"(" }, "csv": { "plugin": "csv", "dir": ")" +
                                      (dir_ / "csv").string() + R"(" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db", "csv"] } ],
  "run": { "workDir": ")" + (dir_ / "work").string() +
                                      R"(" } })");
  auto r = Spsync({"run", "--config", cfg});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(SqliteCount(db, "SELECT v FROM t"), 42) << "table t was dropped";
  EXPECT_EQ(SqliteCount(db,
                        "SELECT count(*) FROM pragma_table_info('orders') WHERE name = "
                        "'x_x0022__x003b__x0020_DROP_x0020'"),
            1)
      << "the hostile field is not a column of its own";
  EXPECT_EQ(SqliteCount(db, "SELECT count(*) FROM \"orders\""), 50);
  auto rows = ParseCsv(ReadFile((dir_ / "csv" / "orders" / "changes-000001.csv").string()));
  ASSERT_GT(rows.size(), 2u);
  size_t title = 0;
  for (size_t i = 0; i < rows[0].size(); ++i)
    if (rows[0][i] == "Title") title = i;
  bool found = false;
  for (const auto& row : rows)
    if (row.size() > title && row[title].find("HYPERLINK") != std::string::npos) {
      found = true;
      EXPECT_EQ(row[title].rfind("'=", 0), 0u) << "not escaped: " << row[title];
    }
  EXPECT_TRUE(found);
  // The header cell of the hostile field is escaped as text too, never a formula.
  for (const auto& h : rows[0]) EXPECT_NE(h.front(), '=') << h;
}

// A field title that would break an unquoted or single-quoted SQL
// statement, and Titles a spreadsheet would evaluate.
TEST_F(Security, HostileFieldNameIsAColumnAndFormulasAreEscaped) {
  spsync::emulator::Options o;
  o.lists = {{"Orders", 40}};
  spsync::emulator::Emulator emu(o);
  emu.Start();
  emu.AddField("Orders", "x'); DROP TABLE t; --", "Text");
  emu.UpdateItem("Orders", 2, R"J({"Title":"=HYPERLINK(\"http://evil.example\",\"x\")"})J");
  emu.UpdateItem("Orders", 3, R"J({"Title":"@SUM(1+1)"})J");
  auto db = (dir_ / "out.db").string();
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    sqlite3_exec(h, "CREATE TABLE t(v); INSERT INTO t VALUES (42);", nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }
  auto cfg = Write("spsync.json", R"({ "site": { "url": ")" + emu.SiteUrl() + R"(" },
  "sinks": { "db": { "plugin": "sqlite", "path": ")" +
                                      db + R"(" }, "csv": { "plugin": "csv", "dir": ")" +
                                      (dir_ / "csv").string() + R"(" } },
  "entities": [ { "name": "orders", "list": "Orders", "sinks": ["db", "csv"] } ],
  "run": { "workDir": ")" + (dir_ / "work").string() +
                                      R"(", "readTimeout": 5 } })");
  auto r = Spsync({"run", "--timeout", "60s", "--config", cfg});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(SqliteCount(db, "SELECT v FROM t"), 42) << "table t was dropped";
  EXPECT_EQ(SqliteCount(db,
                        "SELECT count(*) FROM pragma_table_info('orders') WHERE name = "
                        "'x_x0027__x0029__x003b__x0020_DRO'"),
            1)
      << "the hostile field is not a column of its own";
  EXPECT_EQ(SqliteCount(db, "SELECT count(*) FROM \"orders\""), 40);
  auto rows = ParseCsv(ReadFile((dir_ / "csv" / "orders" / "changes-000001.csv").string()));
  ASSERT_GT(rows.size(), 2u);
  size_t title = 0;
  for (size_t i = 0; i < rows[0].size(); ++i)
    if (rows[0][i] == "Title") title = i;
  int found = 0;
  for (const auto& row : rows)
    if (row.size() > title && (row[title].find("HYPERLINK") != std::string::npos ||
                               row[title].find("SUM(") != std::string::npos)) {
      ++found;
      EXPECT_EQ(row[title].front(), '\'') << "not escaped: " << row[title];
    }
  EXPECT_EQ(found, 2);
}

// An entity named ../../etc keeps every file of the CSV sink inside its dir,
// and the lock and dead-letter files inside run.workDir.
TEST_F(Security, AnEntityNameCannotEscapeTheSinkDir) {
  spsync::emulator::Options o;
  o.lists = {{"Orders", 30}};
  spsync::emulator::Emulator emu(o);
  emu.Start();
  fs::path inner = dir_ / "a" / "b";
  fs::create_directories(inner);
  auto cfg = Write("spsync.json", R"({ "site": { "url": ")" + emu.SiteUrl() + R"(" },
  "sinks": { "csv": { "plugin": "csv", "dir": ")" +
                                      (inner / "csv").string() + R"(" } },
  "entities": [ { "name": "../../etc", "list": "Orders", "sinks": ["csv"] },
                { "name": "../../../../../../tmp/spsync-escape-)" +
                                      std::to_string(getpid()) +
                                      R"(", "list": "Orders", "sinks": ["csv"] } ],
  "run": { "workDir": ")" + (inner / "work").string() +
                                      R"(" } })");
  auto r = Spsync({"run", "--config", cfg});
  EXPECT_EQ(r.code, 0) << r.out;
  Spsync({"snapshot", "--config", cfg, "--entity", "../../etc"});
  for (const auto& e : fs::recursive_directory_iterator(dir_)) {
    auto rel = fs::relative(e.path(), dir_).string();
    bool inside = rel.rfind("a/b/csv", 0) == 0 || rel.rfind("a/b/work", 0) == 0 || rel == "a" ||
                  rel == "a/b" || rel == "spsync.json" || rel == "run.log";
    EXPECT_TRUE(inside) << "written outside the sink's and work dirs: " << rel;
  }
  EXPECT_FALSE(fs::exists("/tmp/spsync-escape-" + std::to_string(getpid())));
  EXPECT_FALSE(fs::exists(dir_ / "a" / "etc"));
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(inner / "csv"))
    files += e.is_regular_file();
  EXPECT_GE(files, 4u);  // two entities' change files and states
}

}  // namespace
