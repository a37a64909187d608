// The SDK headers compile as C++ (the C header inside extern "C", the helper
// as C++17 or later) and the ABI's frozen structs have the layout the
// header promises on this platform.
#include <spsync/sink.h>
#include <spsync/sink.hpp>

#include <gtest/gtest.h>

#include <cstddef>

extern "C" int spsync_sdk_header_c99_probe(void);

namespace {

TEST(SdkHeader, CompilesAsCAndAgreesWithCxx) {
  // The C translation unit computed this from the same macros.
  EXPECT_EQ(spsync_sdk_header_c99_probe(),
            static_cast<int>(SPSYNC_SINK_ABI_MAJOR +
                             (SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_THREAD_SAFE)));
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
  // The 1.0 vtable ended at close; 1.1 members come after it.
  EXPECT_EQ(offsetof(spsync_sink_vtable, snapshot),
            offsetof(spsync_sink_vtable, close) + sizeof(void*));
}

TEST(SdkHeader, CxxHelperBuildsOptions) {
  spsync_option o = spsync::sdk::Option("dir", SPSYNC_OPTION_PATH, true, nullptr, "where");
  EXPECT_EQ(o.struct_size, sizeof(spsync_option));
  EXPECT_EQ(o.required, 1);
  EXPECT_STREQ(o.name, "dir");
}

}  // namespace
