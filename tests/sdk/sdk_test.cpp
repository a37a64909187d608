// The sink ABI as the host sees it: an older minor loads, a newer major is
// refused, broken libraries and misbehaving sinks are reported with the
// plugin file named, and the host keeps running.
#include <spsync/plugins/loaded_plugin.hpp>
#include <spsync/plugins/plugin_error.hpp>

#include "test_items.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using spsync::plugins::LoadedPlugin;
using spsync::plugins::PluginError;
using spsync::testing::TestBatch;

fs::path TestSink(const std::string& name) {
  return fs::path(SPSYNC_TEST_SINK_DIR) / ("libspsync-sink-" + name + ".so");
}

// Loads `file` expecting a PluginError; returns its what().
std::string LoadError(const fs::path& file) {
  try {
    LoadedPlugin::Load(file);
  } catch (const PluginError& e) {
    EXPECT_EQ(e.file(), file);
    return e.what();
  }
  ADD_FAILURE() << "loading " << file << " did not fail";
  return "";
}

TEST(SdkAbi, PluginBuiltAgainstFrozenV10HeaderLoadsAndRuns) {
  auto plugin = LoadedPlugin::Load(TestSink("abi10"));
  EXPECT_EQ(plugin->info().name, "abi10");
  EXPECT_EQ(plugin->info().abi_version, SPSYNC_SINK_ABI_MAKE(1, 0));
  // Members appended in 1.1 lie beyond the plugin's struct_size: read as NULL.
  EXPECT_EQ(plugin->vtable().snapshot, nullptr);
  EXPECT_EQ(plugin->vtable().check, nullptr);
  ASSERT_EQ(plugin->options().size(), 1u);
  EXPECT_EQ(plugin->options()[0].name, "label");

  auto sink = plugin->Open({{"label", "x"}});
  std::string state = "junk";
  ASSERT_TRUE(sink->LoadState("orders", &state).ok());
  EXPECT_EQ(state, "");
  TestBatch batch;
  batch.Add(1, "a").Add(2, "b").Add(3, "c");
  ASSERT_TRUE(sink->Begin(batch.schema()).ok());
  ASSERT_TRUE(sink->Upsert(batch.items(), batch.size()).ok());
  int64_t ids[] = {2};
  ASSERT_TRUE(sink->Delete(ids, 1).ok());
  auto persisted = sink->Persist("cursor=42");
  ASSERT_TRUE(persisted.ok()) << persisted.message;
  EXPECT_EQ(persisted.message, "persisted after 3 upserts, 2 items");
  auto snapshot = sink->Snapshot();
  EXPECT_EQ(snapshot.status, SPSYNC_FATAL);
  EXPECT_NE(snapshot.message.find("does not support snapshots"), std::string::npos);
  EXPECT_TRUE(sink->Check().ok());
  sink.reset();

  auto again = plugin->Open({});
  ASSERT_TRUE(again->LoadState("orders", &state).ok());
  EXPECT_EQ(state, "cursor=42");
}

TEST(SdkAbi, PluginFromANewerMinorLoadsAndItsExtraMembersAreIgnored) {
  ::unsetenv("SPSYNC_TEST_VTABLE");
  auto plugin = LoadedPlugin::Load(TestSink("vtable"));
  EXPECT_EQ(plugin->info().abi_version, SPSYNC_SINK_ABI_MAKE(1, 9));
  EXPECT_EQ(plugin->info().description, "");  // NULL description reads as empty
  EXPECT_EQ(plugin->vtable().struct_size, sizeof(spsync_sink_vtable));
  EXPECT_TRUE(plugin->options().empty());
  auto sink = plugin->Open({});
  std::string state;
  ASSERT_TRUE(sink->LoadState("orders", &state).ok());
  EXPECT_EQ(state, "future");
  auto check = sink->Check();
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.message, "future sink reachable");
}

// Loads the vtable test sink in `mode`, expecting a PluginError.
std::string VtableError(const char* mode) {
  ::setenv("SPSYNC_TEST_VTABLE", mode, 1);
  std::string error = LoadError(TestSink("vtable"));
  ::unsetenv("SPSYNC_TEST_VTABLE");
  return error;
}

TEST(SdkAbi, VtableSmallerThanAbi10IsRefused) {
  EXPECT_EQ(VtableError("small"),
            "plugin " + TestSink("vtable").string() +
                " returned a vtable of 24 bytes; sink ABI 1.0 needs at least " +
                std::to_string(offsetof(spsync_sink_vtable, close) + 8));
}

TEST(SdkAbi, NullRequiredCallbacksAreListed) {
  EXPECT_EQ(VtableError("missing"), "plugin " + TestSink("vtable").string() +
                                        " has an invalid vtable: required members are NULL: open, "
                                        "persist");
}

TEST(SdkAbi, CapabilityWithoutItsCallbackIsRefused) {
  EXPECT_EQ(VtableError("caps"), "plugin " + TestSink("vtable").string() +
                                     " has an invalid vtable: required members are NULL: "
                                     "delete_ranges (declared by capability), snapshot (declared "
                                     "by capability)");
}

TEST(SdkAbi, RefusedNegotiationShowsThePluginsMessage) {
  EXPECT_EQ(VtableError("refuse"), "plugin " + TestSink("vtable").string() +
                                       " refused to load (FATAL from spsync_sink_entry): licence "
                                       "file not found");
}

TEST(SdkAbi, AcceptanceWithoutVtableIsRefused) {
  EXPECT_EQ(VtableError("no_vtable"),
            "plugin " + TestSink("vtable").string() + " accepted ABI 1.9 but returned no vtable");
}

TEST(SdkAbi, NewerMajorIsRefusedNamingBothVersions) {
  const fs::path file = TestSink("major2");
  std::string error = LoadError(file);
  EXPECT_NE(error.find("plugin " + file.string() +
                       " speaks sink ABI 2.0; this spsync hosts 1.0\u20131.1"),
            std::string::npos)
      << error;
  // The plugin's own reason is shown too.
  EXPECT_NE(error.find("major2 sink needs a host that speaks ABI 2 (offered up to 1.1)"),
            std::string::npos)
      << error;
}

TEST(SdkAbi, LibraryWithoutEntryPointIsReported) {
  const fs::path file = TestSink("noentry");
  std::string error = LoadError(file);
  EXPECT_NE(error.find("plugin " + file.string() + " does not export spsync_sink_entry"),
            std::string::npos)
      << error;
}

TEST(SdkAbi, FileThatIsNotElfIsReported) {
  const fs::path dir = fs::path(::testing::TempDir()) / "spsync-notelf";
  fs::create_directories(dir);
  const fs::path file = dir / "libspsync-sink-text.so";
  std::ofstream(file) << "this is not a shared library\n";
  std::string error = LoadError(file);
  EXPECT_NE(error.find("cannot load sink plugin " + file.string() +
                       ": not a shared library (the file has no ELF header)"),
            std::string::npos)
      << error;
}

TEST(SdkAbi, MissingFileIsReported) {
  const fs::path file = fs::path(SPSYNC_TEST_SINK_DIR) / "libspsync-sink-nonexistent.so";
  EXPECT_EQ(LoadError(file), "sink plugin " + file.string() + " does not exist");
}

TEST(SdkAbi, ThrowingConstructorFailsOpenWithWhat) {
  auto plugin = LoadedPlugin::Load(TestSink("throwing"));
  try {
    plugin->Open({{"throw_in_open", "true"}});
    FAIL() << "open should have failed";
  } catch (const PluginError& e) {
    EXPECT_EQ(std::string(e.what()), "sink 'throwing' (" + TestSink("throwing").string() +
                                         ") failed to open: throwing sink: open exploded");
  }
}

TEST(SdkAbi, ThrowingCxxSinkGivesStatusesWithWhatAndHostSurvives) {
  auto plugin = LoadedPlugin::Load(TestSink("throwing"));
  auto sink = plugin->Open({});
  TestBatch batch;
  batch.Add(1, "a");
  std::string state;
  auto r = sink->LoadState("orders", &state);
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, "throwing sink: load_state exploded");
  r = sink->Begin(batch.schema());
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, "throwing sink: begin exploded");
  r = sink->Upsert(batch.items(), batch.size());
  EXPECT_EQ(r.status, SPSYNC_RETRYABLE);
  EXPECT_EQ(r.message, "throwing sink: upsert is busy");
  int64_t ids[] = {1};
  r = sink->Delete(ids, 1);
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, "throwing sink: delete exploded");
  spsync_id_range range{1, 5};
  r = sink->DeleteRanges(&range, 1);
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, "unknown exception");
  r = sink->Persist("s");
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, "throwing sink: persist exploded");
  r = sink->Snapshot();
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, "out of memory");
  r = sink->Check();
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, "throwing sink: check exploded");
  // Still alive and still talking to it.
  EXPECT_EQ(sink->Persist("s").status, SPSYNC_FATAL);
}

// Opens the bad sink in `mode`.
std::unique_ptr<spsync::engine::Sink> OpenBad(const std::string& mode) {
  static auto plugin = LoadedPlugin::Load(TestSink("bad"));
  return plugin->Open({{"mode", mode}});
}

// What the host reports when the bad sink breaks the ABI in `callback`.
std::string Violation(const std::string& callback) {
  return "sink plugin " + TestSink("bad").string() + " broke the sink ABI in " + callback + "(): ";
}

TEST(SdkMisbehaving, OpenFailureCarriesThePluginMessage) {
  try {
    OpenBad("open_fails");
    FAIL() << "open should have failed";
  } catch (const PluginError& e) {
    EXPECT_EQ(std::string(e.what()),
              "sink 'bad' (" + TestSink("bad").string() +
                  ") failed to open: bad sink: cannot reach the destination");
  }
}

TEST(SdkMisbehaving, OpenWithoutInstanceIsAnError) {
  try {
    OpenBad("open_null");
    FAIL() << "open should have failed";
  } catch (const PluginError& e) {
    EXPECT_EQ(std::string(e.what()), Violation("open") + "returned OK without an instance");
  }
}

TEST(SdkMisbehaving, StatusOutsideTheEnumIsFatal) {
  TestBatch batch;
  batch.Add(1, "a");
  auto r = OpenBad("bad_status")->Upsert(batch.items(), batch.size());
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, Violation("upsert") +
                           "returned 42, which is not a status (OK, RETRYABLE, FATAL or REJECTED)");
}

TEST(SdkMisbehaving, ErrorWithoutMessageIsFatal) {
  auto r = OpenBad("empty_message")->Persist("s");
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, Violation("persist") + "returned FATAL without a message (set_message)");
  TestBatch batch;
  r = OpenBad("retry_no_message")->Begin(batch.schema());
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, Violation("begin") + "returned RETRYABLE without a message (set_message)");
}

TEST(SdkMisbehaving, RejectIndexOutOfRangeIsFatal) {
  TestBatch batch;
  batch.Add(1, "a").Add(2, "b");
  auto r = OpenBad("reject_range")->Upsert(batch.items(), batch.size());
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, Violation("upsert") + "rejected record index 7 of a batch of 2 records");
}

TEST(SdkMisbehaving, RejectedWithoutRejectCallsIsFatal) {
  TestBatch batch;
  batch.Add(1, "a");
  auto r = OpenBad("reject_none")->Upsert(batch.items(), batch.size());
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message,
            Violation("upsert") + "returned REJECTED without calling reject() for any record");
}

TEST(SdkMisbehaving, RejectWithOkIsFatal) {
  TestBatch batch;
  batch.Add(1, "a");
  auto r = OpenBad("reject_ok")->Upsert(batch.items(), batch.size());
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, Violation("upsert") +
                           "called reject() for 1 record(s) but returned OK instead of REJECTED");
}

TEST(SdkMisbehaving, RejectOutsideABatchIsFatal) {
  auto r = OpenBad("reject_nobatch")->Persist("s");
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, Violation("persist") +
                           "called reject(), but this callback has no batch of records to reject");
}

TEST(SdkMisbehaving, RejectWithoutReasonIsFatal) {
  TestBatch batch;
  batch.Add(1, "a");
  auto r = OpenBad("reject_empty")->Upsert(batch.items(), batch.size());
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, Violation("upsert") + "rejected record index 0 without a reason");
}

TEST(SdkMisbehaving, NullStateWithLengthIsFatal) {
  std::string state = "untouched";
  auto r = OpenBad("null_state")->LoadState("orders", &state);
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message,
            Violation("load_state") + "returned OK with a NULL state pointer and length 10");
  EXPECT_EQ(state, "untouched");
}

TEST(SdkMisbehaving, NullMessageWithLengthIsFatal) {
  TestBatch batch;
  auto r = OpenBad("null_message")->Begin(batch.schema());
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message, Violation("begin") + "set_message() with a NULL text of length 5");
}

TEST(SdkMisbehaving, ProperRejectIsPassedThrough) {
  TestBatch batch;
  batch.Add(1, "a").Add(2, "b").Add(3, "c");
  auto r = OpenBad("good_reject")->Upsert(batch.items(), batch.size());
  EXPECT_EQ(r.status, SPSYNC_REJECTED);
  EXPECT_EQ(r.message, "1 of 3 records rejected");
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].first, 1u);
  EXPECT_EQ(r.rejected[0].second, "title too long");
}

TEST(SdkMisbehaving, UnsupportedDeleteRangesIsFatalNotACrash) {
  spsync_id_range range{1, INT64_MAX};
  auto r = OpenBad("fine")->DeleteRanges(&range, 1);
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message,
            "sink plugin " + TestSink("bad").string() + " does not support delete ranges");
}

}  // namespace
