// The S3 sink read back through the C ABI (../sinks/readback_checks.hpp)
// against s3rver: committed data, versions and schema objects and
// attachment files written over three sessions (the last never persisted),
// read back by a fresh instance that follows _state.json; many small parts,
// gzip on and off, multipart attachments read with ranged GETs in pieces
// with flat memory.
#include "../sinks/readback_checks.hpp"
#include "s3_peer.hpp"

namespace {

using namespace spsync::test;  // NOLINT: the sink test kit
using spsync::test::readback::Fidelity;
using spsync_s3_test::S3rver;

Plugin& S3() {
  return Plugin::Load("s3");
}

// Values are taken from the item's JSON as SharePoint sent it, by field
// name (resolved ones from the record's "resolved" object): a JSON value
// comes back as the same JSON, not necessarily the same bytes.
Fidelity S3Fidelity() {
  Fidelity f;
  f.json_semantic = true;
  return f;
}

TEST(S3Readback, RoundTripFollowsTheCommittedState) {
  S3rver server;
  readback::RoundTrip(S3(), server.Config({{"partBytes", "4000"}, {"multipartBytes", "5242880"}}),
                      S3Fidelity());
  // The items were spread over many committed parts (a part per page).
  auto bucket = spsync_s3_test::Read(server, "orders");
  EXPECT_GE(bucket.parts.size(), 12u);
}

TEST(S3Readback, RoundTripWithoutGzipInOnePartPerPersist) {
  S3rver server;
  readback::RoundTrip(S3(), server.Config({{"gzip", "false"}}), S3Fidelity());
}

// A prefix never written: no schema, no items, no versions; a missing
// attachment is FATAL naming it.
TEST(S3Readback, NeverWrittenEntity) {
  S3rver server;
  Instance inst = S3().MustOpen(server.Config());
  ASSERT_TRUE(inst.LoadState("orders").ok());
  ReadSchemaResult schema;
  ASSERT_TRUE(inst.ReadSchema(&schema).ok());
  EXPECT_FALSE(schema.present);
  EXPECT_TRUE(inst.ReadAllItems(3).empty());
  EXPECT_TRUE(inst.ReadAllVersions(3).empty());
  char c;
  size_t n = 0;
  Result r = inst.ReadAttachmentAt(1, "none.txt", 0, &c, 1, &n);
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_NE(r.message.find("none.txt"), std::string::npos) << r.message;
}

// 48 MB (multipart, and a single PUT) read back in 1 MiB ranged GETs by a
// child whose peak RSS does not grow with the file.
TEST(S3Readback, BigAttachmentsReadWithFlatMemory) {
  S3rver server;
  for (bool known : {true, false}) {
    long kb = readback::ReadBigWithFlatMemory(
        S3(), server.Config({{"multipartBytes", known ? "8388608" : "67108864"}}), 48ull << 20,
        known);
    std::cout << "peak RSS growth reading 48 MB back from S3: " << kb / 1024 << " MiB\n";
  }
}

}  // namespace
