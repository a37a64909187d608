// The sink ABI as the host sees it: an older minor loads, a newer major is
// refused, broken libraries and misbehaving sinks are reported with the
// plugin file named, and the host keeps running.
#include <spsync/plugins/loaded_plugin.hpp>
#include <spsync/plugins/plugin_error.hpp>

#include "test_items.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
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

  // No 1.2 feature: the host answers for the plugin, which has no such members.
  EXPECT_EQ(again->info().Missing(true, true, true),
            (std::vector<std::string>{"attachments", "versions", "read-back"}));
  spsync_attachment a{};
  a.struct_size = sizeof(a);
  a.item_id = 1;
  a.file_name = {"a.txt", 5};
  auto r = again->AttachmentBegin(a);
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_NE(r.message.find("does not support attachments"), std::string::npos) << r.message;
  const spsync_item* const* items = nullptr;
  size_t count = 0;
  EXPECT_EQ(again->ReadItems(0, 10, &items, &count).status, SPSYNC_FATAL);
}

// The 1.1 test sink's trap count, as its check() reports it.
std::string Traps(spsync::engine::Sink& sink) {
  return sink.Check().message;
}

// A plugin built against the frozen 1.1 header runs whole sessions on this
// host, and is never called through a member 1.2 appended: neither when its
// table ends where 1.1's did, nor when it claims a larger struct_size (the
// table's own version, 1.1, bounds what is read). Bits 4-6, undefined in
// 1.1, are not taken for 1.2's attachments / versions / read-back.
TEST(SdkAbi, PluginBuiltAgainstFrozenV11HeaderLoadsAndRunsWithoutTouching12Members) {
  for (const char* mode : {"", "inflated"}) {
    SCOPED_TRACE(mode);
    ::setenv("SPSYNC_TEST_ABI11", mode, 1);
    auto plugin = LoadedPlugin::Load(TestSink("abi11"));
    ::unsetenv("SPSYNC_TEST_ABI11");
    EXPECT_EQ(plugin->info().abi_version, SPSYNC_SINK_ABI_MAKE(1, 1));
    EXPECT_EQ(plugin->info().capabilities, SPSYNC_CAP_DELETE_RANGES | SPSYNC_CAP_SNAPSHOT);
    EXPECT_NE(plugin->vtable().snapshot, nullptr);
    EXPECT_NE(plugin->vtable().check, nullptr);
    EXPECT_EQ(plugin->vtable().instance_capabilities, nullptr);
    EXPECT_EQ(plugin->vtable().attachment_begin, nullptr);
    EXPECT_EQ(plugin->vtable().attachment_read, nullptr);

    auto sink = plugin->Open({});
    EXPECT_EQ(sink->info().capabilities, SPSYNC_CAP_DELETE_RANGES | SPSYNC_CAP_SNAPSHOT);
    std::string state;
    ASSERT_TRUE(sink->LoadState("orders", &state).ok());
    TestBatch batch;
    batch.Add(1, "a").Add(2, "b").Add(3, "c").Add(4, "d");
    ASSERT_TRUE(sink->Begin(batch.schema()).ok());
    ASSERT_TRUE(sink->Upsert(batch.items(), batch.size()).ok());
    spsync_id_range range{3, 4};
    ASSERT_TRUE(sink->DeleteRanges(&range, 1).ok());
    ASSERT_TRUE(sink->Persist("after-4").ok());
    auto snapshot = sink->Snapshot();
    ASSERT_TRUE(snapshot.ok()) << snapshot.message;
    EXPECT_NE(snapshot.message.find("live items"), std::string::npos);

    // Every 1.2 call is answered by the host.
    spsync_attachment a{};
    a.struct_size = sizeof(a);
    a.item_id = 1;
    a.file_name = {"a.txt", 5};
    EXPECT_EQ(sink->AttachmentBegin(a).status, SPSYNC_FATAL);
    EXPECT_EQ(sink->AttachmentWrite("x", 1).status, SPSYNC_FATAL);
    EXPECT_EQ(sink->AttachmentCommit(a).status, SPSYNC_FATAL);
    sink->AttachmentAbort();
    EXPECT_EQ(sink->AttachmentDelete(1, "").status, SPSYNC_FATAL);
    int64_t id = 1;
    const spsync_attachment* const* list = nullptr;
    size_t n = 0;
    EXPECT_EQ(sink->ListAttachments(&id, 1, &list, &n).status, SPSYNC_FATAL);
    EXPECT_EQ(sink->WriteVersions(nullptr, 0).status, SPSYNC_FATAL);
    const spsync_schema* schema = nullptr;
    EXPECT_EQ(sink->ReadSchema(&schema).status, SPSYNC_FATAL);
    const spsync_item* const* items = nullptr;
    EXPECT_EQ(sink->ReadItems(0, 5, &items, &n).status, SPSYNC_FATAL);
    const spsync_version* const* versions = nullptr;
    EXPECT_EQ(sink->ReadVersions(0, 0, 5, &versions, &n).status, SPSYNC_FATAL);
    char buf[8];
    EXPECT_EQ(sink->ReadAttachment(1, "a.txt", 0, buf, sizeof(buf), &n).status, SPSYNC_FATAL);

    EXPECT_EQ(Traps(*sink), "traps sprung: 0");
    sink.reset();
    auto again = plugin->Open({});
    ASSERT_TRUE(again->LoadState("orders", &state).ok());
    EXPECT_EQ(state, "after-4");
  }
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

TEST(SdkAbi, A12CapabilityWithoutItsCallbacksIsRefused) {
  EXPECT_EQ(VtableError("caps12"),
            "plugin " + TestSink("vtable").string() +
                " has an invalid vtable: required members are NULL: attachment_write (declared "
                "by capability), attachment_commit (declared by capability), attachment_abort "
                "(declared by capability), attachment_delete (declared by capability), "
                "attachment_list (declared by capability), write_versions (declared by "
                "capability), read_items (declared by capability), read_versions (declared by "
                "capability), attachment_read (declared by capability)");
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
                       " speaks sink ABI 2.0; this spsync hosts 1.0\u20131.2"),
            std::string::npos)
      << error;
  // The plugin's own reason is shown too.
  EXPECT_NE(error.find("major2 sink needs a host that speaks ABI 2 (offered up to 1.2)"),
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

namespace {

// ---- ABI 1.2 misbehaviour -------------------------------------------------

spsync_attachment Attachment(int64_t id, const char* name) {
  spsync_attachment a{};
  a.struct_size = sizeof(a);
  a.item_id = id;
  a.file_name = {name, std::strlen(name)};
  a.size = -1;
  return a;
}

TEST(SdkMisbehaving, InstanceClaimingMoreThanItsPluginIsRefused) {
  try {
    OpenBad("caps_superset");
    FAIL() << "open should have failed";
  } catch (const PluginError& e) {
    EXPECT_EQ(std::string(e.what()), Violation("instance_capabilities") +
                                         "claimed capabilities the plugin does not declare: "
                                         "snapshot");
  }
}

TEST(SdkMisbehaving, ReadItemsOutOfOrderTooManyOrNotAfterAreFatal) {
  std::string state;
  const spsync_item* const* items = nullptr;
  size_t n = 0;
  auto sink = OpenBad("read_unsorted");
  auto r = sink->ReadItems(0, 10, &items, &n);
  EXPECT_EQ(r.message,
            Violation("read_items") + "item ID 3 is not above 5 (IDs must ascend, after after_id)");
  EXPECT_EQ(n, 0u);
  r = OpenBad("read_too_many")->ReadItems(0, 2, &items, &n);
  EXPECT_EQ(r.message, Violation("read_items") + "returned 3 items for at most 2");
  r = OpenBad("read_not_after")->ReadItems(41, 2, &items, &n);
  EXPECT_EQ(r.message, Violation("read_items") +
                           "item ID 41 is not above 41 (IDs must ascend, after after_id)");
  r = OpenBad("fine")->ReadItems(41, 2, &items, &n);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(n, 0u);
}

TEST(SdkMisbehaving, VersionsOutOfOrderAreFatal) {
  const spsync_version* const* versions = nullptr;
  size_t n = 0;
  auto r = OpenBad("versions_order")->ReadVersions(0, 0, 10, &versions, &n);
  EXPECT_EQ(r.message, Violation("read_versions") + "version (7, 512) is not after (7, 512)");
}

TEST(SdkMisbehaving, AttachmentListsThatBreakTheContractAreFatal) {
  int64_t ids[] = {4};
  const spsync_attachment* const* list = nullptr;
  size_t n = 0;
  auto r = OpenBad("list_unsorted")->ListAttachments(ids, 1, &list, &n);
  EXPECT_EQ(r.message, Violation("attachment_list") +
                           "records are not ordered by item ID, then file name (at record 1)");
  r = OpenBad("list_unasked")->ListAttachments(ids, 1, &list, &n);
  EXPECT_EQ(r.message,
            Violation("attachment_list") + "record 0 is for item 1004, which was not asked");
  r = OpenBad("list_no_hash")->ListAttachments(ids, 1, &list, &n);
  EXPECT_EQ(r.message,
            Violation("attachment_list") + "record 0 (item 4, 'a.txt') has no size or SHA-256");
  r = OpenBad("fine")->ListAttachments(ids, 1, &list, &n);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(list[0]->item_id, 4);
}

TEST(SdkMisbehaving, AttachmentReadBeyondTheBufferIsFatal) {
  char buf[8];
  size_t n = 99;
  auto r = OpenBad("read_overflow")->ReadAttachment(4, "a.txt", 0, buf, sizeof(buf), &n);
  EXPECT_EQ(r.message, Violation("attachment_read") + "returned 9 bytes into a buffer of 8");
  EXPECT_EQ(n, 0u);
  r = OpenBad("fine")->ReadAttachment(4, "a.txt", 0, buf, sizeof(buf), &n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, n), "abc");
}

// After a failed commit only abort may follow; then the session goes on.
TEST(SdkMisbehaving, FailedAttachmentCommitLeavesOnlyAbort) {
  auto sink = OpenBad("commit_fails");
  std::string state;
  ASSERT_TRUE(sink->LoadState("orders", &state).ok());
  auto a = Attachment(4, "a.txt");
  ASSERT_TRUE(sink->AttachmentBegin(a).ok());
  ASSERT_TRUE(sink->AttachmentWrite("abc", 3).ok());
  auto r = sink->AttachmentCommit(a);
  EXPECT_EQ(r.status, SPSYNC_RETRYABLE);
  EXPECT_EQ(r.message, "bad sink: storage busy");
  r = sink->AttachmentWrite("d", 1);
  EXPECT_EQ(r.status, SPSYNC_FATAL);
  EXPECT_EQ(r.message,
            "sink 'bad': attachment 'a.txt' failed earlier; abort it before writing "
            "again");
  r = sink->Persist("s");
  EXPECT_EQ(r.message,
            "sink 'bad': persist called while attachment 'a.txt' of item 4 is open "
            "(commit or abort it first)");
  sink->AttachmentAbort();
  EXPECT_TRUE(sink->Persist("s").ok());
}

}  // namespace
