// The CSV sink read back through the C ABI (readback_kit.hpp): real change,
// versions, schema and attachment files written over three sessions (the
// last never persisted), replayed by a fresh instance into the live items;
// with rotation into many small files, a tab delimiter and no formula
// escape; attachment files read in pieces with flat memory.
#include "readback_checks.hpp"

namespace spsync::test {
namespace {

using readback::Fidelity;

// What a CSV cannot keep: no raw JSON (an object is built from the cells),
// no item modified / etag, an empty text is an empty cell (NULL), and a
// version given only as raw JSON has no cells to keep (not written here).
Fidelity CsvFidelity() {
  Fidelity f;
  f.raw_json = false;
  f.item_modified_version = false;
  f.empty_text_is_null = true;
  f.raw_only_versions = false;
  return f;
}

class CsvReadbackTest : public ::testing::Test {
 protected:
  Plugin& plugin() { return Plugin::Load("csv"); }
  std::map<std::string, std::string> Config(std::map<std::string, std::string> extra = {}) {
    extra.emplace("dir", root_);
    return extra;
  }
  size_t FilesStartingWith(const std::string& prefix) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(root_ + "/orders"))
      if (e.path().filename().string().rfind(prefix, 0) == 0) ++n;
    return n;
  }

  TempDir tmp_;
  std::string root_ = tmp_ / "csv";
};

TEST_F(CsvReadbackTest, RoundTripFoldsTheChangeLogToLiveItems) {
  readback::RoundTrip(plugin(), Config(), CsvFidelity());
  // Two change files: one per field list.
  EXPECT_EQ(FilesStartingWith("changes-"), 2u);
  // The built raw JSON holds the stored fields by name.
  Instance reader = plugin().MustOpen(Config());
  ASSERT_TRUE(reader.LoadState("orders").ok());
  std::vector<ReadItem> page;
  ASSERT_TRUE(reader.ReadItems(1, 1, &page).ok());
  ASSERT_EQ(page.size(), 1u);
  auto obj = ParseJson(page[0].raw_json);
  EXPECT_EQ(obj->getValue<int64_t>("ID"), 2);
  EXPECT_EQ(obj->getValue<std::string>("Title"), readback::HardText(2, 2));
  EXPECT_EQ(obj->getValue<int64_t>("Priority"), 2);
  EXPECT_TRUE(obj->isArray("Tags"));
}

// Rows spread over many rotated files (the latest row of an item is in a
// later file than its first), tab-delimited, without the formula escape.
TEST_F(CsvReadbackTest, RoundTripAcrossRotatedTabDelimitedFiles) {
  readback::RoundTrip(
      plugin(), Config({{"rotateBytes", "8192"}, {"delimiter", "tab"}, {"formulaEscape", "false"}}),
      CsvFidelity());
  EXPECT_GT(FilesStartingWith("changes-"), 5u);
  EXPECT_GT(FilesStartingWith("versions-"), 1u);
}

// A folder never written, and one whose items were all deleted.
TEST_F(CsvReadbackTest, EmptyAndNeverWrittenEntities) {
  {
    Instance inst = plugin().MustOpen(Config());
    ASSERT_TRUE(inst.LoadState("orders").ok());
    ReadSchemaResult schema;
    ASSERT_TRUE(inst.ReadSchema(&schema).ok());
    EXPECT_FALSE(schema.present);
    EXPECT_TRUE(inst.ReadAllItems(3).empty());
    EXPECT_TRUE(inst.ReadAllVersions(3).empty());
  }
  SchemaHolder schema("orders", readback::Fields(false));
  {
    Instance inst = plugin().MustOpen(Config());
    ASSERT_TRUE(inst.LoadState("orders").ok());
    ASSERT_TRUE(inst.Begin(schema.get()).ok());
    readback::Model m;
    readback::WriteItems(inst, {1, 2, 3}, 1, false, &m);
    ASSERT_TRUE(inst.Delete({1, 2, 3}).ok());
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

TEST_F(CsvReadbackTest, BigAttachmentsReadWithFlatMemory) {
  for (bool known : {true, false}) {
    long kb = readback::ReadBigWithFlatMemory(plugin(), Config(), 96ull << 20, known);
    std::cout << "peak RSS growth reading 96 MB back from a CSV attachment file: " << kb / 1024
              << " MiB\n";
  }
}

}  // namespace
}  // namespace spsync::test
