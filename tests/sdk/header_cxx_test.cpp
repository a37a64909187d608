// The SDK headers compile as C++ (the C header inside extern "C", the helper
// as C++17 or later) and the ABI's frozen structs have the layout the
// header promises on this platform.
#include <spsync/sink.h>
#include <spsync/sink.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <set>
#include <string>

extern "C" int spsync_sdk_header_c99_probe(void);

namespace {

TEST(SdkHeader, CompilesAsCAndAgreesWithCxx) {
  // The C translation unit computed this from the same macros.
  EXPECT_EQ(spsync_sdk_header_c99_probe(),
            static_cast<int>(SPSYNC_SINK_ABI_MAJOR +
                             (SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_THREAD_SAFE) +
                             (SPSYNC_CAP_ATTACHMENTS | SPSYNC_CAP_VERSIONS | SPSYNC_CAP_READ_BACK) +
                             SPSYNC_FIELD_LOOKUP_VALUE));
}

TEST(SdkHeader, VersionMacrosPackAndUnpack) {
  EXPECT_EQ(SPSYNC_SINK_ABI_MAKE(1, 1), 0x10001u);
  EXPECT_EQ(SPSYNC_SINK_ABI_MAJOR_OF(SPSYNC_SINK_ABI_MAKE(3, 7)), 3u);
  EXPECT_EQ(SPSYNC_SINK_ABI_MINOR_OF(SPSYNC_SINK_ABI_MAKE(3, 7)), 7u);
  EXPECT_LT(SPSYNC_SINK_ABI_MAKE(1, 9), SPSYNC_SINK_ABI_MAKE(2, 0));
}

TEST(SdkHeader, FrozenStructsKeepTheirLayout) {
  // These structs have no struct_size and can never change (LP64 layout).
  EXPECT_EQ(sizeof(spsync_str), 16u);
  EXPECT_EQ(sizeof(spsync_kv), 32u);
  EXPECT_EQ(sizeof(spsync_id_range), 16u);
  EXPECT_EQ(sizeof(spsync_value), 40u);
  EXPECT_EQ(offsetof(spsync_value, s), 24u);
  // The 1.0 vtable ended at close; 1.1 members come after it, 1.2's after check.
  EXPECT_EQ(offsetof(spsync_sink_vtable, snapshot),
            offsetof(spsync_sink_vtable, close) + sizeof(void*));
  EXPECT_EQ(offsetof(spsync_sink_vtable, instance_capabilities),
            offsetof(spsync_sink_vtable, check) + sizeof(void*));
  // spsync_field and spsync_schema grew at their ends only (1.1 sizes: 56, 88).
  EXPECT_EQ(offsetof(spsync_field, role), 56u);
  EXPECT_EQ(offsetof(spsync_schema, definition), 88u);
}

TEST(SdkHeader, FieldMembersOf12AreReadOnlyWhenPresent) {
  spsync_field f{};
  f.struct_size = sizeof(f);
  f.role = SPSYNC_FIELD_USER_EMAIL;
  f.resolves = {"AuthorId", 8};
  f.definition = {"{}", 2};
  EXPECT_EQ(spsync::sdk::FieldRole(f), SPSYNC_FIELD_USER_EMAIL);
  EXPECT_EQ(spsync::sdk::FieldResolves(f), "AuthorId");
  EXPECT_EQ(spsync::sdk::FieldDefinition(f), "{}");
  // From a 1.1 host: the struct ends before them.
  f.struct_size = offsetof(spsync_field, role);
  EXPECT_EQ(spsync::sdk::FieldRole(f), SPSYNC_FIELD_PLAIN);
  EXPECT_EQ(spsync::sdk::FieldResolves(f), "");
  EXPECT_EQ(spsync::sdk::FieldDefinition(f), "");
  // A role from a newer minor is a plain value.
  f.struct_size = sizeof(f);
  f.role = 77;
  EXPECT_EQ(spsync::sdk::FieldRole(f), SPSYNC_FIELD_PLAIN);
}

TEST(SdkHeader, EncodeFileNameIsSafeAndInjective) {
  using spsync::sdk::EncodeFileName;
  EXPECT_EQ(EncodeFileName("report.pdf"), "report.pdf");
  EXPECT_EQ(EncodeFileName("a b#1%.txt"), "a%20b%231%25.txt");
  EXPECT_EQ(EncodeFileName("../x/y"), "%2E.%2Fx%2Fy");
  EXPECT_EQ(EncodeFileName(".."), "%2E.");
  EXPECT_EQ(EncodeFileName("caf\xc3\xa9~"), "caf%C3%A9%7E");
  // Distinct names stay distinct, including ones that differ only where
  // escaping happens.
  std::set<std::string> seen;
  for (const char* n : {"a b", "a%20b", "a_b", "a+b", "a~b", "a%7Eb", ".a", "%2Ea", "A B"})
    EXPECT_TRUE(seen.insert(EncodeFileName(n)).second) << n;
  // Long names are cut below every NAME_MAX, keep their extension, and stay apart.
  std::string long_a(300, 'a'), long_b = long_a;
  long_b[299] = 'b';
  std::string ea = EncodeFileName(long_a + ".docx"), eb = EncodeFileName(long_b + ".docx");
  EXPECT_LE(ea.size(), 200u);
  EXPECT_NE(ea, eb);
  EXPECT_EQ(ea.substr(ea.size() - 5), ".docx");
  EXPECT_NE(ea.find('~'), std::string::npos);
  std::string cjk;
  for (int i = 0; i < 100; ++i) cjk += "\xe6\x97\xa5";
  std::string ec = EncodeFileName(cjk);
  EXPECT_LE(ec.size(), 200u);
  // Never a split escape.
  for (size_t i = 0; i < ec.size(); ++i)
    if (ec[i] == '%') {
      EXPECT_LE(i + 2, ec.size() - 1);
    }
}

// SPSYNC_SINK_PLUGIN claims a 1.2 group only when the class overrides it.
class PlainSink : public spsync::sdk::Sink {
 public:
  PlainSink() = default;
  explicit PlainSink(const spsync::sdk::Config&) {}
  static const std::vector<spsync_option>& Options() {
    static const std::vector<spsync_option> none;
    return none;
  }
  std::string LoadState(std::string_view) override { return {}; }
  void Begin(const spsync::sdk::Schema&) override {}
  void Upsert(spsync::sdk::Items, spsync::sdk::Call&) override {}
  void Delete(spsync::sdk::Ids, spsync::sdk::Call&) override {}
  void Persist(std::string_view) override {}
};
class VersionedSink : public PlainSink {
 public:
  using PlainSink::PlainSink;
  void WriteVersions(spsync::sdk::Versions, spsync::sdk::Call&) override {}
  uint64_t Capabilities(uint64_t plugin) const override { return plugin; }
};
using spsync::sdk::detail::Overrides;
static_assert(Overrides<PlainSink>::caps == 0);
static_assert(!Overrides<PlainSink>::capabilities);
static_assert(Overrides<VersionedSink>::caps == SPSYNC_CAP_VERSIONS);
static_assert(Overrides<VersionedSink>::capabilities);
static_assert(spsync::sdk::detail::CheckClaims<VersionedSink, SPSYNC_CAP_VERSIONS>::ok);

TEST(SdkHeader, VtableHasOnlyTheOverriddenGroups) {
  spsync_sink_vtable plain =
      spsync::sdk::detail::MakeVtable<PlainSink>("p", "1", "plain", SPSYNC_CAP_THREAD_SAFE);
  EXPECT_EQ(plain.capabilities, SPSYNC_CAP_THREAD_SAFE);
  EXPECT_EQ(plain.attachment_begin, nullptr);
  EXPECT_EQ(plain.write_versions, nullptr);
  EXPECT_EQ(plain.read_items, nullptr);
  EXPECT_EQ(plain.instance_capabilities, nullptr);
  spsync_sink_vtable versioned = spsync::sdk::detail::MakeVtable<VersionedSink>("v", "1", "v", 0);
  EXPECT_EQ(versioned.capabilities, SPSYNC_CAP_VERSIONS);
  EXPECT_NE(versioned.write_versions, nullptr);
  EXPECT_NE(versioned.instance_capabilities, nullptr);
  EXPECT_EQ(versioned.read_versions, nullptr);
}

TEST(SdkHeader, CxxHelperBuildsOptions) {
  spsync_option o = spsync::sdk::Option("dir", SPSYNC_OPTION_PATH, true, nullptr, "where");
  EXPECT_EQ(o.struct_size, sizeof(spsync_option));
  EXPECT_EQ(o.required, 1);
  EXPECT_STREQ(o.name, "dir");
}

}  // namespace
