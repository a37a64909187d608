// The Kafka sink's ABI 1.2 features, loaded through the C ABI, against
// librdkafka's mock cluster, read back by kafkajs: capabilities per instance
// (transactional only with a transactional id), records that describe
// attachments (never their bytes) with tombstones for deleted ones, version
// records, resolved values, and the attachment list a new instance reads
// from the topic (how the engine avoids downloading twice).
#include "../sinks/attachment_ops.hpp"
#include "../sinks/sink_test_support.hpp"
#include "kafka_peer.hpp"

namespace {

using namespace spsync::test;  // NOLINT: the sink test kit
using spsync::test::attachments::HardNames;
using spsync::test::attachments::Pattern;
using spsync::test::attachments::PatternChunk;
using spsync::test::attachments::Sha256;
using spsync::test::attachments::Sha256Hex;
using spsync_kafka_test::ConsumeWithKafkajs;
using spsync_kafka_test::LatestByKey;
using spsync_kafka_test::MockCluster;
using spsync_kafka_test::Rec;

const std::string kList = "8f2c1d3e-0000-4000-8000-000000000001";  // SchemaHolder's

Plugin& Kafka() {
  return Plugin::Load("kafka");
}

Poco::JSON::Object::Ptr Json(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::vector<FieldDef> Fields() {
  return {
      {"Title", "Title", "Text", SPSYNC_VALUE_TEXT},
      {"AuthorId", "Author", "User", SPSYNC_VALUE_INTEGER},
      {"Author.Title", "Author", "User", SPSYNC_VALUE_TEXT, SPSYNC_FIELD_USER_NAME, "AuthorId"}};
}

TEST(KafkaV12, CapabilitiesArePerInstance) {
  EXPECT_TRUE(Kafka().vtable().capabilities & SPSYNC_CAP_TRANSACTIONAL_PERSIST)
      << "the plugin: some instances are transactional";
  EXPECT_TRUE(Kafka().vtable().capabilities & SPSYNC_CAP_ATTACHMENTS);
  EXPECT_TRUE(Kafka().vtable().capabilities & SPSYNC_CAP_VERSIONS);
  EXPECT_FALSE(Kafka().vtable().capabilities & SPSYNC_CAP_READ_BACK);
  // No reading back (see sinks/kafka/README.md): none of its callbacks, and
  // no instance claims it, transactional or not.
  EXPECT_EQ(Kafka().vtable().read_schema, nullptr);
  EXPECT_EQ(Kafka().vtable().read_items, nullptr);
  EXPECT_EQ(Kafka().vtable().read_versions, nullptr);
  EXPECT_EQ(Kafka().vtable().attachment_read, nullptr);
  ASSERT_NE(Kafka().vtable().instance_capabilities, nullptr);
  MockCluster cluster;
  Instance plain = Kafka().MustOpen({{"brokers", cluster.bootstraps()}});
  EXPECT_FALSE(plain.Capabilities() & SPSYNC_CAP_TRANSACTIONAL_PERSIST)
      << "without transactionalId: at-least-once";
  EXPECT_TRUE(plain.Capabilities() & SPSYNC_CAP_ATTACHMENTS);
  Instance txn = Kafka().MustOpen({{"brokers", cluster.bootstraps()},
                                   {"transactionalId", "caps-test"},
                                   {"timeoutMs", "15000"}});
  EXPECT_TRUE(txn.Capabilities() & SPSYNC_CAP_TRANSACTIONAL_PERSIST);
  EXPECT_FALSE(plain.Capabilities() & SPSYNC_CAP_READ_BACK);
  EXPECT_FALSE(txn.Capabilities() & SPSYNC_CAP_READ_BACK);
}

// Attachment records (no bytes), tombstones, versions and resolved values
// as kafkajs reads them; a new instance lists the attachments from the topic.
TEST(KafkaV12, AttachmentRecordsVersionsAndResolvedValuesReadByKafkajs) {
  MockCluster cluster;
  SchemaHolder schema("orders", Fields());
  {
    Instance inst = Kafka().MustOpen({{"brokers", cluster.bootstraps()},
                                      {"transactionalId", "v12-test"},
                                      {"timeoutMs", "15000"}});
    ASSERT_TRUE(inst.LoadState("orders").ok());
    ASSERT_TRUE(inst.Begin(schema.get()).ok());
    Batch items;
    for (int64_t id = 1; id <= 3; ++id)
      items.Add({id,
                 {V::Text("t" + std::to_string(id)), V::Int(12), V::Text("Grace Hopper")},
                 "{\"ID\":" + std::to_string(id) + ",\"AuthorId\":12}"});
    ASSERT_TRUE(inst.Upsert(items.items()).ok());
    const auto& names = HardNames();
    for (size_t i = 0; i < names.size(); ++i) {
      Result r = PutAttachment(inst, 1, names[i], Pattern(i, 4000 + i), 1000, i % 2 == 0);
      ASSERT_TRUE(r.ok()) << names[i] << ": " << r.message;
    }
    ASSERT_TRUE(PutAttachment(inst, 2, "two.txt", "22", 1, true).ok());
    ASSERT_TRUE(PutAttachment(inst, 3, "three.txt", "333", 1, true).ok());
    VersionBatch versions(
        {{1, 512, "1.0", {V::Text("first"), V::Int(12), V::Text("Grace")}}, {1, 1024, "2.0", {}}});
    ASSERT_TRUE(inst.WriteVersions(versions.versions()).ok());
    ASSERT_TRUE(inst.Persist("one").ok());
    ASSERT_TRUE(inst.Delete({2}).ok());
    ASSERT_TRUE(inst.AttachmentDelete(1, names[0]).ok());
    ASSERT_TRUE(inst.Persist("two").ok());
  }

  auto records = ConsumeWithKafkajs(
      cluster.bootstraps(), "spsync.orders,spsync.orders.attachments,spsync.orders.versions");
  auto data = LatestByKey(records, "spsync.orders");
  auto item1 = Json(data.at(kList + ":1").value.value());
  EXPECT_EQ(item1->getObject("resolved")->getValue<std::string>("Author.Title"), "Grace Hopper");

  auto attachments = LatestByKey(records, "spsync.orders.attachments");
  const auto& names = HardNames();
  ASSERT_EQ(attachments.size(), names.size() + 2);
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    const Rec& rec = attachments.at(kList + ":1:" + names[i]);
    if (i == 0) {
      EXPECT_FALSE(rec.value.has_value()) << "a deleted attachment ends in a tombstone";
      continue;
    }
    ASSERT_TRUE(rec.value.has_value());
    EXPECT_EQ(rec.headers.at("spsync-op"), "attachment");
    auto v = Json(*rec.value);
    EXPECT_EQ(v->getValue<std::string>("name"), names[i]);
    EXPECT_EQ(v->getValue<int64_t>("size"), static_cast<int64_t>(4000 + i));
    EXPECT_EQ(v->getValue<std::string>("sha256"), Sha256Hex(Pattern(i, 4000 + i)));
    EXPECT_EQ(v->getValue<std::string>("etag"), "\"{A1}\",1");
    // The bytes live in SharePoint; the record says where.
    EXPECT_EQ(v->getValue<std::string>("location"),
              "/sites/s/Lists/Orders/Attachments/1/" + names[i]);
    EXPECT_LT(rec.value->size(), 1000u) << "records describe files, they do not carry them";
  }
  EXPECT_FALSE(attachments.at(kList + ":2:two.txt").value.has_value())
      << "a deleted item's attachments end in tombstones";
  EXPECT_TRUE(attachments.at(kList + ":3:three.txt").value.has_value());

  auto versions = LatestByKey(records, "spsync.orders.versions");
  ASSERT_EQ(versions.size(), 2u);
  auto v512 = Json(versions.at(kList + ":1:512").value.value());
  EXPECT_EQ(v512->getValue<std::string>("label"), "1.0");
  EXPECT_EQ(v512->getObject("editor")->getValue<std::string>("email"), "ada@contoso.com");
  EXPECT_EQ(v512->getObject("resolved")->getValue<std::string>("Author.Title"), "Grace");

  // A new instance (not transactional) lists what the topic holds: what
  // the engine compares with SharePoint to skip unchanged files.
  Instance again = Kafka().MustOpen({{"brokers", cluster.bootstraps()}});
  ASSERT_TRUE(again.LoadState("orders").ok());
  ASSERT_TRUE(again.Begin(schema.get()).ok());
  std::vector<AttachmentRecord> list;
  ASSERT_TRUE(again.ListAttachments({1, 2, 3}, &list).ok());
  ASSERT_EQ(list.size(), names.size() - 1 + 1);
  EXPECT_EQ(list.back().item_id, 3);
  EXPECT_EQ(list.back().sha256, Sha256Hex("333"));
  EXPECT_EQ(list.back().size, 3);
  EXPECT_EQ(list.back().etag, "\"{A1}\",1");
  EXPECT_EQ(list.back().modified, "2024-03-01T12:00:00Z");
}

// The bytes are only counted: 200 MB pass in flat memory and leave one
// small record.
TEST(KafkaV12, TwoHundredMegabytesAreDescribedNotCarried) {
  constexpr uint64_t kSize = spsync::test::attachments::kBigFileBytes;
  MockCluster cluster;
  SchemaHolder schema("orders", Fields());
  auto [error, growth_kb] = attachments::MeasureInChild([&]() -> std::string {
    Instance inst = Kafka().MustOpen({{"brokers", cluster.bootstraps()}});
    if (!inst.LoadState("orders").ok() || !inst.Begin(schema.get()).ok()) return "begin failed";
    AttachmentRecord a;
    a.item_id = 1;
    a.file_name = "big.bin";
    a.size = static_cast<int64_t>(kSize);
    Result r = inst.AttachmentBegin(a);
    if (!r.ok()) return "begin: " + r.message;
    Sha256 hash;
    std::string chunk;
    for (uint64_t off = 0; off < kSize; off += 1 << 20) {
      PatternChunk(5, off, 1 << 20, &chunk);
      hash.Update(chunk);
      r = inst.AttachmentWrite(chunk);
      if (!r.ok()) return "write: " + r.message;
    }
    a.sha256 = hash.Hex();
    r = inst.AttachmentCommit(a);
    if (!r.ok()) return "commit: " + r.message;
    r = inst.Persist("big");
    return r.ok() ? "" : "persist: " + r.message;
  });
  ASSERT_EQ(error, "");
  std::cout << "peak RSS growth while describing " << (kSize >> 20)
            << " MiB to Kafka: " << growth_kb / 1024 << " MiB\n";
  if (attachments::kCheckMemory) {
    EXPECT_LT(growth_kb, attachments::kFlatMemoryKb);
  }
  auto records = ConsumeWithKafkajs(cluster.bootstraps(), "spsync.orders.attachments");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(Json(records[0].value.value())->getValue<int64_t>("size"), static_cast<int64_t>(kSize));
}

}  // namespace
