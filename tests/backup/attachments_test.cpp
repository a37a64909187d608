// Attachments (`attachments: true`, issue 14) from the emulator over HTTP into
// the real SQLite sink: every file byte-exact after a full sync, incremental
// runs that converge after files are added and removed, no download when only
// fields changed, and a deleted-then-restored item.
#include "../sinks/attachment_kit.hpp"
#include "backup_support.hpp"
#include "spsync/engine/sync/fanout_sink.hpp"

#include <csignal>
#include <fstream>
#include <set>
#include <thread>

namespace spsync::backup_test {
namespace {

using engine::Outcome;

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// Binary content with NULs and high bytes, different per seed.
std::string Binary(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 17) % 256);
  return s;
}

// What the sink holds for one item: file name -> content as hex.
std::map<std::string, std::string> Held(const std::string& db, int64_t id) {
  std::map<std::string, std::string> out;
  const std::string item = std::to_string(id);
  for (const auto& r :
       Query(db,
             "SELECT a.file_name, hex(c.content), a.rowid FROM orders__attachments a LEFT "
             "JOIN orders__attachment_content c ON c.rowid = a.content_id WHERE a.item_id = " +
                 item)) {
    std::string content = r[1].value_or("");
    if (!r[1]) {  // written in chunks (size unknown when it began)
      for (const auto& chunk : Query(db,
                                     "SELECT hex(data) FROM orders__attachment_chunks WHERE "
                                     "attachment = " +
                                         *r[2] + " ORDER BY \"offset\""))
        content += chunk[0].value_or("");
    }
    out[*r[0]] = content;
  }
  return out;
}

// What the emulator's item has, in the same form.
std::map<std::string, std::string> Expected(Env& env, int64_t id) {
  std::map<std::string, std::string> out;
  for (const auto& a : env.emu.Attachments("Orders", id))
    out[a.file_name] = Hex(env.emu.AttachmentBytes("Orders", id, a.file_name));
  return out;
}

// Every live item of Orders holds in the sink exactly what it has in the
// emulator; returns the number of files compared.
size_t ExpectConverged(Env& env, const std::string& db) {
  size_t files = 0;
  for (int64_t id : env.Ids("Orders")) {
    auto want = Expected(env, id);
    EXPECT_EQ(Held(db, id), want) << "item " << id;
    files += want.size();
  }
  return files;
}

engine::EntityConfig Orders() {
  engine::EntityConfig e;
  e.name = "orders";
  e.list = "Orders";
  e.attachments = true;
  e.page_size = 50;
  return e;
}

emulator::Options WithFiles(int64_t items) {
  emulator::ListSpec orders;
  orders.title = "Orders";
  orders.item_count = items;
  orders.attachment_percent = 10;
  orders.attachment_avg_bytes = 20 * 1024;
  return Lists({orders, {"Customers", 50}});
}

// The names SharePoint accepts that URLs and OData literals make hard.
const std::vector<std::string> kHardNames = {"Q3 report final.txt",    "issue #12.bin",
                                             "100% done.csv",          "O'Brien's notes.txt",
                                             "Überprüfung 日本語.pdf", "a+b=c&d;e.txt"};

TEST(Attachments, FullSyncCopiesEveryFileByteExact) {
  Env env(WithFiles(200));
  const auto ids = env.Ids("Orders");
  for (size_t k = 0; k < kHardNames.size(); ++k)
    env.emu.AddAttachment("Orders", ids[3], kHardNames[k], Binary(1000 + 700 * k, unsigned(k)));
  env.emu.AddAttachment("Orders", ids[4], "empty.txt", "");
  auto dir = TempDir("attachments-full");
  const std::string db = (dir / "x.db").string();
  env.emu.ResetStats();
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders());
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  const size_t files = ExpectConverged(env, db);
  EXPECT_GT(files, kHardNames.size() + 10) << "synthetic attachments on about 10% of the items";
  // One request per file, nothing else about attachments.
  EXPECT_EQ(env.emu.GetStats().attachments, files);
  // A second run with nothing changed asks for no file.
  env.emu.ResetStats();
  {
    auto sink = OpenSqlite(db);
    ASSERT_EQ(env.Run(*sink, Orders()).outcome, Outcome::kComplete);
  }
  EXPECT_EQ(env.emu.GetStats().attachments, 0u);
  std::filesystem::remove_all(dir);
}

TEST(Attachments, IncrementalConvergesAfterAddsAndRemovals) {
  Env env(WithFiles(150));
  const auto ids = env.Ids("Orders");
  env.emu.AddAttachment("Orders", ids[0], "old name.txt", "first bytes");
  env.emu.AddAttachment("Orders", ids[0], "kept.txt", "kept bytes");
  env.emu.AddAttachment("Orders", ids[1], "gone #1.txt", Binary(5000, 1));
  env.emu.AddAttachment("Orders", ids[1], "gone 2.txt", Binary(6000, 2));
  auto dir = TempDir("attachments-incr");
  const std::string db = (dir / "x.db").string();
  {
    auto sink = OpenSqlite(db);
    ASSERT_EQ(env.Run(*sink, Orders()).outcome, Outcome::kComplete);
  }
  // Added on an item without files, on one with files; one file replaced by
  // another name; every file of an item removed; a new item with a file.
  env.emu.AddAttachment("Orders", ids[2], kHardNames[4], Binary(3000, 3));
  env.emu.AddAttachment("Orders", ids[0], kHardNames[1], Binary(2000, 4));
  env.emu.DeleteAttachment("Orders", ids[0], "old name.txt");
  env.emu.AddAttachment("Orders", ids[0], "new name.txt", "second bytes");
  env.emu.DeleteAttachment("Orders", ids[1], "gone #1.txt");
  env.emu.DeleteAttachment("Orders", ids[1], "gone 2.txt");
  const int64_t added = env.emu.AddItem("Orders", R"({"Title":"with a file"})");
  env.emu.AddAttachment("Orders", added, kHardNames[2], Binary(4000, 5));
  env.emu.ResetStats();
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders());
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  ExpectConverged(env, db);
  EXPECT_TRUE(Held(db, ids[1]).empty());
  // Downloaded: the four new files, not "kept.txt" nor any synthetic file.
  EXPECT_EQ(env.emu.GetStats().attachments, 4u);
  std::filesystem::remove_all(dir);
}

TEST(Attachments, FieldUpdatesDownloadNoFile) {
  Env env(WithFiles(300));
  auto dir = TempDir("attachments-updates");
  const std::string db = (dir / "x.db").string();
  {
    auto sink = OpenSqlite(db);
    ASSERT_EQ(env.Run(*sink, Orders()).outcome, Outcome::kComplete);
  }
  // Every item with files and as many without are edited.
  int with = 0, without = 0;
  for (int64_t id : env.Ids("Orders")) {
    bool has = !env.emu.Attachments("Orders", id).empty();
    if ((has ? with : without) >= 25) continue;
    env.emu.UpdateItem("Orders", id, R"({"Title":"edited"})");
    ++(has ? with : without);
  }
  ASSERT_GE(with, 10);
  env.emu.ResetStats();
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders());
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
    EXPECT_EQ(r.upserted, with + without);
  }
  EXPECT_EQ(env.emu.GetStats().attachments, 0u);
  // One ETag check per file of the edited items that had files, nothing more.
  EXPECT_LE(env.emu.GetStats().file_info, static_cast<uint64_t>(2 * with));
  EXPECT_GE(env.emu.GetStats().file_info, static_cast<uint64_t>(with));
  ExpectConverged(env, db);
  std::filesystem::remove_all(dir);
}

// A file replaced under the same name (its bytes put in place, or deleted
// and added again) is downloaded again: the engine compares the file's
// SharePoint ETag with the one the sink recorded. The same size does not
// hide it.
TEST(Attachments, AFileReplacedUnderTheSameNameIsDownloadedAgain) {
  Env env(WithFiles(100));
  const auto ids = env.Ids("Orders");
  env.emu.AddAttachment("Orders", ids[5], "report.txt", "version one");
  env.emu.AddAttachment("Orders", ids[6], kHardNames[2], Binary(3000, 8));
  env.emu.AddAttachment("Orders", ids[7], "same.txt", "unchanged");
  auto dir = TempDir("attachments-replaced");
  const std::string db = (dir / "x.db").string();
  {
    auto sink = OpenSqlite(db);
    ASSERT_EQ(env.Run(*sink, Orders()).outcome, Outcome::kComplete);
  }
  env.emu.AddAttachment("Orders", ids[5], "report.txt", "version two");  // same size, in place
  env.emu.DeleteAttachment("Orders", ids[6], kHardNames[2]);
  env.emu.AddAttachment("Orders", ids[6], kHardNames[2], Binary(3000, 9));
  env.emu.UpdateItem("Orders", ids[7], R"({"Title":"only the title"})");
  env.emu.ResetStats();
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders());
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  ExpectConverged(env, db);
  EXPECT_EQ(env.emu.GetStats().attachments, 2u) << "the two replaced files, not same.txt";
  EXPECT_EQ(env.emu.GetStats().file_info, 3u) << "one ETag check per file held of a changed item";
  std::filesystem::remove_all(dir);
}

TEST(Attachments, DeletedThenRestoredItem) {
  Env env(WithFiles(100));
  const auto ids = env.Ids("Orders");
  const int64_t a = ids[10], b = ids[20];
  env.emu.AddAttachment("Orders", a, kHardNames[0], Binary(2500, 6));
  env.emu.AddAttachment("Orders", b, kHardNames[3], Binary(3500, 7));
  auto dir = TempDir("attachments-restore");
  const std::string db = (dir / "x.db").string();
  auto run = [&] {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders());
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  };
  run();
  ASSERT_FALSE(Held(db, a).empty());
  // a: recycled, synced (the sink drops its files), restored, synced.
  // b: recycled and restored between two runs.
  env.emu.RecycleItem("Orders", a);
  env.emu.RecycleItem("Orders", b);
  env.emu.RestoreItem("Orders", b);
  run();
  EXPECT_TRUE(Held(db, a).empty());
  EXPECT_EQ(Held(db, b), Expected(env, b));
  env.emu.RestoreItem("Orders", a);
  env.emu.ResetStats();
  run();
  EXPECT_EQ(Held(db, a), Expected(env, a));
  EXPECT_EQ(env.emu.GetStats().attachments, Expected(env, a).size());
  ExpectConverged(env, db);
  std::filesystem::remove_all(dir);
}

// Two SQLite sinks fed by one read (a fan-out): each file is downloaded once
// and written to both; a file one sink lost is downloaded again for both.
TEST(Attachments, FanoutWritesEveryFileToEverySink) {
  Env env(WithFiles(120));
  const auto ids = env.Ids("Orders");
  env.emu.AddAttachment("Orders", ids[7], kHardNames[5], Binary(1500, 8));
  auto dir = TempDir("attachments-fanout");
  const std::string db1 = (dir / "one.db").string(), db2 = (dir / "two.db").string();
  auto run = [&] {
    auto one = OpenSqlite(db1);
    auto two = OpenSqlite(db2);
    std::vector<engine::FanoutSink::Member> members(2);
    members[0].sink = one.get();
    members[0].options.sink_name = "one";
    members[1].sink = two.get();
    members[1].options.sink_name = "two";
    engine::FanoutSink fanout(std::move(members), "orders");
    auto r = env.Run(fanout, Orders());
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
    EXPECT_TRUE(fanout.alive(0) && fanout.alive(1)) << fanout.error(0) << fanout.error(1);
  };
  env.emu.ResetStats();
  run();
  const size_t files = ExpectConverged(env, db1);
  EXPECT_EQ(ExpectConverged(env, db2), files);
  EXPECT_EQ(env.emu.GetStats().attachments, files);
  // The second sink loses a file behind spsync's back; the item is edited.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db2.c_str(), &db), SQLITE_OK);
    const std::string sql =
        "DELETE FROM orders__attachments WHERE item_id = " + std::to_string(ids[7]);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  ASSERT_TRUE(Held(db2, ids[7]).empty());
  env.emu.UpdateItem("Orders", ids[7], R"({"Title":"edited"})");
  env.emu.ResetStats();
  run();
  EXPECT_EQ(Held(db1, ids[7]), Expected(env, ids[7]));
  EXPECT_EQ(Held(db2, ids[7]), Expected(env, ids[7]));
  EXPECT_EQ(env.emu.GetStats().attachments, Expected(env, ids[7]).size());
  std::filesystem::remove_all(dir);
}

// Downloads cut off mid-body (a TCP reset after half the file) are retried:
// the sink's open file is aborted and the file starts over, so nothing of the
// cut attempts remains.
TEST(Attachments, ARetriedDownloadStartsTheFileOver) {
  Env env(WithFiles(60));
  const auto ids = env.Ids("Orders");
  env.emu.AddAttachment("Orders", ids[1], kHardNames[0], Binary(300000, 9));
  env.emu.AddAttachment("Orders", ids[2], kHardNames[2], Binary(200000, 10));
  env.emu.FailNext(emulator::RequestKind::kAttachments, 3, emulator::FaultKind::kReset);
  auto dir = TempDir("attachments-retry");
  const std::string db = (dir / "x.db").string();
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders());
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  EXPECT_GE(env.emu.GetStats().faulted, 3u);
  ExpectConverged(env, db);
  std::filesystem::remove_all(dir);
}

// A session killed while a 200 MB file is being written leaves SQLite as of
// its last persist; the next run writes the file once, whole.
TEST(Attachments, AKillDuringAWriteLosesAndDuplicatesNothing) {
  Env env(WithFiles(40));
  const auto ids = env.Ids("Orders");
  env.emu.AddSyntheticAttachment("Orders", ids[30], "big.bin", int64_t{200} << 20);
  auto dir = TempDir("attachments-kill");
  const std::string db = (dir / "x.db").string();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto sink = OpenSqlite(db);
    env.Run(*sink, Orders());
    _exit(0);
  }
  // Killed once the big file is under way (its request is in).
  for (int i = 0; i < 2000 && env.emu.GetStats().attachments == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the session ended before it was killed";
  {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders());
    ASSERT_EQ(r.outcome, Outcome::kComplete) << r.error;
  }
  // Every small file once and right; the big one once, whole.
  for (int64_t id : env.Ids("Orders")) {
    if (id == ids[30]) continue;
    EXPECT_EQ(Held(db, id), Expected(env, id)) << "item " << id;
  }
  test::attachments::Sha256 h;
  h.Update(env.emu.AttachmentBytes("Orders", ids[30], "big.bin"));
  auto rows = Query(db, "SELECT size, sha256 FROM orders__attachments WHERE item_id = " +
                            std::to_string(ids[30]));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].value_or(""), std::to_string(int64_t{200} << 20));
  EXPECT_EQ(rows[0][1].value_or(""), h.Hex());
  // No content without a file row, no file row twice.
  EXPECT_EQ(Query(db,
                  "SELECT count(*) FROM orders__attachment_content WHERE rowid NOT IN "
                  "(SELECT content_id FROM orders__attachments WHERE content_id IS NOT NULL)")[0][0]
                .value_or(""),
            "0");
  EXPECT_EQ(Query(db,
                  "SELECT count(*) - count(DISTINCT item_id || '/' || file_name) FROM "
                  "orders__attachments")[0][0]
                .value_or(""),
            "0");
  std::filesystem::remove_all(dir);
}

// A 200 MB file goes from the emulator into SQLite through a session whose
// process grows by less than 64 MiB: the file is streamed, never held. The
// session runs in a forked child so its peak RSS is its own.
TEST(Attachments, LargeFileKeepsMemoryFlat) {
  Env env(Lists({{"Orders", 20}, {"Customers", 10}}));
  const auto ids = env.Ids("Orders");
  constexpr auto kSize = static_cast<int64_t>(test::attachments::kBigFileBytes);
  env.emu.AddSyntheticAttachment("Orders", ids[5], "big file.bin", kSize);
  auto dir = TempDir("attachments-large");
  const std::string db = (dir / "x.db").string();
  auto [error, growth_kb] = test::attachments::MeasureInChild([&]() -> std::string {
    auto sink = OpenSqlite(db);
    auto r = env.Run(*sink, Orders());
    return r.outcome == Outcome::kComplete ? "" : "session: " + r.error;
  });
  ASSERT_EQ(error, "");
  std::printf("peak RSS growth of the session: %ld KiB\n", growth_kb);
  if (test::attachments::kCheckMemory) {
    EXPECT_LT(growth_kb, 64 * 1024);
  }
  EXPECT_EQ(env.emu.GetStats().attachments, 1u);
  // The bytes, hashed in the parent from the emulator's file.
  test::attachments::Sha256 h;
  h.Update(env.emu.AttachmentBytes("Orders", ids[5], "big file.bin"));
  auto rows = Query(
      db, "SELECT size, sha256 FROM orders__attachments WHERE item_id = " + std::to_string(ids[5]));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].value_or(""), std::to_string(kSize));
  EXPECT_EQ(rows[0][1].value_or(""), h.Hex());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spsync::backup_test
