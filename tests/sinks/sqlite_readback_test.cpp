// The SQLite sink read back through the C ABI (readback_kit.hpp): a real
// database file written over three sessions (the last never persisted),
// closed, reopened by a fresh instance and read back exactly; with hard
// table names, a rollback journal and soft deletes; attachment content read
// in pieces with flat memory.
#include "readback_checks.hpp"

namespace spsync::test {
namespace {

using readback::Fidelity;

class SqliteReadbackTest : public ::testing::Test {
 protected:
  Plugin& plugin() { return Plugin::Load("sqlite"); }
  std::map<std::string, std::string> Config(std::map<std::string, std::string> extra = {}) {
    extra.emplace("path", db_);
    return extra;
  }
  int64_t Count(const std::string& sql) {
    return SqliteQuery(db_, sql)->getObject(0)->getValue<int64_t>("n");
  }

  TempDir tmp_;
  std::string db_ = tmp_ / "readback.db";
};

// Everything the sink stores comes back exactly: values, raw JSON,
// modified, etag, versions, attachment metadata and bytes.
TEST_F(SqliteReadbackTest, RoundTripIsExact) {
  readback::RoundTrip(plugin(), Config(), Fidelity());
  // A version written with its JSON only reads back without values (not
  // as NULLs, which would claim the fields were empty).
  Instance reader = plugin().MustOpen(Config());
  ASSERT_TRUE(reader.LoadState("orders").ok());
  std::vector<ReadVersion> raw_only;
  ASSERT_TRUE(reader.ReadVersions(40, 0, 1, &raw_only).ok());
  ASSERT_EQ(raw_only.size(), 1u);
  EXPECT_EQ(raw_only[0].version_id, 512);
  EXPECT_TRUE(raw_only[0].values.empty());
  EXPECT_NE(raw_only[0].raw_json.find("\"ID\":40"), std::string::npos);
  // The file as the CLI sees it agrees: the unpersisted session left nothing.
  EXPECT_EQ(
      Count("SELECT count(*) n FROM orders WHERE id = " + std::to_string(readback::kItems + 50)),
      0);
  EXPECT_EQ(SqliteQuery(db_, "PRAGMA integrity_check")
                ->getObject(0)
                ->getValue<std::string>("integrity_check"),
            "ok");
}

// A table name that needs quoting, and the rollback journal.
TEST_F(SqliteReadbackTest, RoundTripWithAHardTableNameAndARollbackJournal) {
  readback::RoundTrip(plugin(), Config({{"table", "Orders, \"2024\" [x]"}, {"journal", "DELETE"}}),
                      Fidelity());
  EXPECT_EQ(Count("SELECT count(*) n FROM \"Orders, \"\"2024\"\" [x]\""), 235);
}

// Soft deletes keep the rows (and their attachments) but read_items never
// returns a deleted item; a re-added one is live again.
TEST_F(SqliteReadbackTest, SoftDeletedItemsAreNotReadBack) {
  Fidelity f;
  f.deleted_keep_attachments = true;
  readback::RoundTrip(plugin(), Config({{"softDelete", "true"}}), f);
  EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE _deleted = 1"), 6);
  EXPECT_EQ(Count("SELECT count(*) n FROM orders WHERE id = 30 AND _deleted = 0"), 1);
}

// Batches after the last ID, on an entity never written, on a table whose
// rows were all deleted.
TEST_F(SqliteReadbackTest, EmptyAndNeverWrittenEntities) {
  {
    Instance inst = plugin().MustOpen(Config());
    ASSERT_TRUE(inst.LoadState("orders").ok());
    ReadSchemaResult schema;
    ASSERT_TRUE(inst.ReadSchema(&schema).ok());
    EXPECT_FALSE(schema.present);
    std::vector<ReadItem> items;
    ASSERT_TRUE(inst.ReadItems(0, 10, &items).ok());
    EXPECT_TRUE(items.empty());
    std::vector<ReadVersion> versions;
    ASSERT_TRUE(inst.ReadVersions(0, 0, 10, &versions).ok());
    EXPECT_TRUE(versions.empty());
    char c;
    size_t n = 0;
    Result r = inst.ReadAttachmentAt(1, "none.txt", 0, &c, 1, &n);
    EXPECT_EQ(r.status, SPSYNC_FATAL);
    EXPECT_NE(r.message.find("none.txt"), std::string::npos) << r.message;
  }
  SchemaHolder schema("orders", readback::Fields(false));
  {
    Instance inst = plugin().MustOpen(Config());
    ASSERT_TRUE(inst.LoadState("orders").ok());
    ASSERT_TRUE(inst.Begin(schema.get()).ok());
    readback::Model m;
    readback::WriteItems(inst, {1, 2, 3}, 1, false, &m);
    ASSERT_TRUE(inst.DeleteRanges({{1, INT64_MAX}}).ok());
    ASSERT_TRUE(inst.Persist("empty").ok());
  }
  Instance reader = plugin().MustOpen(Config());
  ASSERT_TRUE(reader.LoadState("orders").ok());
  ReadSchemaResult stored;
  ASSERT_TRUE(reader.ReadSchema(&stored).ok());
  EXPECT_TRUE(stored.present);
  EXPECT_EQ(stored.fields.size(), readback::Fields(false).size());
  EXPECT_TRUE(reader.ReadAllItems(5).empty());
}

// 96 MB, as one BLOB and as chunk rows, read in 1 MiB pieces by a child
// whose peak RSS does not grow with the file (sqlite3_blob_read, one chunk
// row at a time).
TEST_F(SqliteReadbackTest, BigAttachmentsReadWithFlatMemory) {
  for (bool known : {true, false}) {
    long kb = readback::ReadBigWithFlatMemory(plugin(), Config(), 96ull << 20, known);
    std::cout << "peak RSS growth reading 96 MB back from SQLite ("
              << (known ? "one BLOB" : "chunk rows") << "): " << kb / 1024 << " MiB\n";
  }
}

}  // namespace
}  // namespace spsync::test
