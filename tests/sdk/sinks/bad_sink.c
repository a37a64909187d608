/* A C sink that breaks the ABI in the way its `mode` option says, one
 * misbehaviour per mode, so the host's checks can each be seen to fire:
 *   open_fails       open() returns FATAL with a message
 *   open_null        open() returns OK without an instance
 *   bad_status       upsert() returns 42
 *   empty_message    persist() returns FATAL without a message
 *   retry_no_message begin() returns RETRYABLE without a message
 *   reject_range     upsert() rejects index count + 5
 *   reject_none      upsert() returns REJECTED without calling reject()
 *   reject_ok        upsert() calls reject() and returns OK
 *   reject_nobatch   persist() calls reject()
 *   reject_empty     upsert() rejects with an empty reason
 *   null_state       load_state() returns OK with NULL and len 10
 *   null_message     begin() calls set_message(NULL, 5)
 *   good_reject      upsert() rejects index 1 properly (the control case)
 * ABI 1.2 (the sink declares attachments, versions and reading back, and
 * answers every read with nothing unless told otherwise):
 *   caps_superset    instance_capabilities() adds SNAPSHOT, which the plugin lacks
 *   read_unsorted    read_items() returns IDs 5 then 3
 *   read_too_many    read_items() returns 3 items whatever max_count says
 *   read_not_after   read_items() returns ID after_id itself
 *   versions_order   read_versions() returns (7, 512) then (7, 512)
 *   list_unsorted    attachment_list() returns b.txt before a.txt
 *   list_unasked     attachment_list() returns an item that was not asked for
 *   list_no_hash     attachment_list() returns a record without a SHA-256
 *   read_overflow    attachment_read() reports more bytes than the buffer holds
 *   commit_fails     attachment_commit() returns RETRYABLE
 * Any other value: behaves. */
#include <spsync/sink.h>

#include <stdlib.h>
#include <string.h>

struct spsync_instance {
  char mode[32];
};

static const spsync_option kMode = {
    sizeof(spsync_option), SPSYNC_OPTION_STRING, 1, "mode", NULL, "which misbehaviour to show"};
static const spsync_option* const kOptions[] = {&kMode};

static int is(const spsync_instance* inst, const char* mode) {
  return strcmp(inst->mode, mode) == 0;
}

static void say(spsync_call* call, const char* text) {
  call->set_message(call, text, strlen(text));
}

static void describe_options(const spsync_option* const** options, size_t* count) {
  *options = kOptions;
  *count = 1;
}

static spsync_status sink_open(spsync_call* call, const spsync_kv* config, size_t count,
                               spsync_instance** out) {
  spsync_instance* inst = (spsync_instance*)calloc(1, sizeof(*inst));
  size_t i;
  if (inst == NULL) return SPSYNC_FATAL;
  for (i = 0; i < count; ++i) {
    if (config[i].key.len == 4 && memcmp(config[i].key.data, "mode", 4) == 0 &&
        config[i].value.len < sizeof(inst->mode)) {
      memcpy(inst->mode, config[i].value.data, config[i].value.len);
    }
  }
  if (is(inst, "open_fails")) {
    free(inst);
    say(call, "bad sink: cannot reach the destination");
    return SPSYNC_FATAL;
  }
  if (is(inst, "open_null")) {
    free(inst);
    *out = NULL;
    return SPSYNC_OK;
  }
  *out = inst;
  return SPSYNC_OK;
}

static spsync_status load_state(spsync_instance* inst, spsync_call* call, spsync_str entity,
                                const void** state, size_t* len) {
  (void)call;
  (void)entity;
  if (is(inst, "null_state")) {
    *state = NULL;
    *len = 10;
    return SPSYNC_OK;
  }
  *state = NULL;
  *len = 0;
  return SPSYNC_OK;
}

static spsync_status begin(spsync_instance* inst, spsync_call* call, const spsync_schema* schema) {
  (void)schema;
  if (is(inst, "retry_no_message")) return SPSYNC_RETRYABLE;
  if (is(inst, "null_message")) {
    call->set_message(call, NULL, 5);
    return SPSYNC_FATAL;
  }
  return SPSYNC_OK;
}

static spsync_status upsert(spsync_instance* inst, spsync_call* call,
                            const spsync_item* const* items, size_t count) {
  (void)items;
  if (is(inst, "bad_status")) return (spsync_status)42;
  if (is(inst, "reject_range")) {
    call->reject(call, count + 5, "no such record", 14);
    return SPSYNC_REJECTED;
  }
  if (is(inst, "reject_none")) return SPSYNC_REJECTED;
  if (is(inst, "reject_ok")) {
    call->reject(call, 0, "refused", 7);
    return SPSYNC_OK;
  }
  if (is(inst, "reject_empty")) {
    call->reject(call, 0, "", 0);
    return SPSYNC_REJECTED;
  }
  if (is(inst, "good_reject") && count > 1) {
    call->reject(call, 1, "title too long", 14);
    return SPSYNC_REJECTED;
  }
  return SPSYNC_OK;
}

static spsync_status delete_items(spsync_instance* inst, spsync_call* call, const int64_t* ids,
                                  size_t count) {
  (void)inst;
  (void)call;
  (void)ids;
  (void)count;
  return SPSYNC_OK;
}

static spsync_status persist(spsync_instance* inst, spsync_call* call, const void* state,
                             size_t len) {
  (void)state;
  (void)len;
  if (is(inst, "empty_message")) return SPSYNC_FATAL;
  if (is(inst, "reject_nobatch")) {
    call->reject(call, 0, "refused", 7);
    return SPSYNC_REJECTED;
  }
  return SPSYNC_OK;
}

static void sink_close(spsync_instance* inst) {
  free(inst);
}

/* ---- ABI 1.2 ---- */

static uint64_t instance_capabilities(spsync_instance* inst) {
  uint64_t caps = SPSYNC_CAP_ATTACHMENTS | SPSYNC_CAP_VERSIONS | SPSYNC_CAP_READ_BACK;
  if (is(inst, "caps_superset")) caps |= SPSYNC_CAP_SNAPSHOT;
  return caps;
}

static spsync_status attachment_begin(spsync_instance* inst, spsync_call* call,
                                      const spsync_attachment* a) {
  (void)inst;
  (void)call;
  (void)a;
  return SPSYNC_OK;
}

static spsync_status attachment_write(spsync_instance* inst, spsync_call* call, const void* data,
                                      size_t len) {
  (void)inst;
  (void)call;
  (void)data;
  (void)len;
  return SPSYNC_OK;
}

static spsync_status attachment_commit(spsync_instance* inst, spsync_call* call,
                                       const spsync_attachment* a) {
  (void)a;
  if (is(inst, "commit_fails")) {
    say(call, "bad sink: storage busy");
    return SPSYNC_RETRYABLE;
  }
  return SPSYNC_OK;
}

static void attachment_abort(spsync_instance* inst) {
  (void)inst;
}

static spsync_status attachment_delete(spsync_instance* inst, spsync_call* call, int64_t item_id,
                                       spsync_str file_name) {
  (void)inst;
  (void)call;
  (void)item_id;
  (void)file_name;
  return SPSYNC_OK;
}

static const char kHash[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static spsync_attachment make_attachment(int64_t id, const char* name, int hashed) {
  spsync_attachment a;
  memset(&a, 0, sizeof(a));
  a.struct_size = sizeof(a);
  a.item_id = id;
  a.file_name.data = name;
  a.file_name.len = strlen(name);
  a.size = 3;
  if (hashed) {
    a.sha256.data = kHash;
    a.sha256.len = 64;
  }
  return a;
}

static spsync_status attachment_list(spsync_instance* inst, spsync_call* call,
                                     const int64_t* item_ids, size_t count,
                                     const spsync_attachment* const** out, size_t* out_count) {
  static spsync_attachment records[2];
  static const spsync_attachment* ptrs[2] = {&records[0], &records[1]};
  (void)call;
  *out = ptrs;
  *out_count = 0;
  if (count == 0) return SPSYNC_OK;
  if (is(inst, "list_unsorted")) {
    records[0] = make_attachment(item_ids[0], "b.txt", 1);
    records[1] = make_attachment(item_ids[0], "a.txt", 1);
    *out_count = 2;
  } else if (is(inst, "list_unasked")) {
    records[0] = make_attachment(item_ids[0] + 1000, "a.txt", 1);
    *out_count = 1;
  } else if (is(inst, "list_no_hash")) {
    records[0] = make_attachment(item_ids[0], "a.txt", 0);
    *out_count = 1;
  } else {
    records[0] = make_attachment(item_ids[0], "a.txt", 1);
    *out_count = 1;
  }
  return SPSYNC_OK;
}

static spsync_status write_versions(spsync_instance* inst, spsync_call* call,
                                    const spsync_version* const* versions, size_t count) {
  (void)inst;
  (void)call;
  (void)versions;
  (void)count;
  return SPSYNC_OK;
}

static spsync_status read_schema(spsync_instance* inst, spsync_call* call,
                                 const spsync_schema** schema) {
  (void)inst;
  (void)call;
  *schema = NULL;
  return SPSYNC_OK;
}

static spsync_status read_items(spsync_instance* inst, spsync_call* call, int64_t after_id,
                                size_t max_count, const spsync_item* const** items, size_t* count) {
  static spsync_item records[3];
  static const spsync_item* ptrs[3] = {&records[0], &records[1], &records[2]};
  static const char kRaw[] = "{}";
  size_t i;
  (void)call;
  (void)max_count;
  for (i = 0; i < 3; ++i) {
    memset(&records[i], 0, sizeof(records[i]));
    records[i].struct_size = sizeof(records[i]);
    records[i].id = after_id + 1 + (int64_t)i;
    records[i].raw_json.data = kRaw;
    records[i].raw_json.len = 2;
  }
  *items = ptrs;
  *count = 0;
  if (is(inst, "read_unsorted")) {
    records[0].id = 5;
    records[1].id = 3;
    *count = 2;
  } else if (is(inst, "read_too_many")) {
    *count = 3;
  } else if (is(inst, "read_not_after")) {
    records[0].id = after_id;
    *count = 1;
  }
  return SPSYNC_OK;
}

static spsync_status read_versions(spsync_instance* inst, spsync_call* call, int64_t after_item,
                                   int64_t after_version, size_t max_count,
                                   const spsync_version* const** versions, size_t* count) {
  static spsync_version records[2];
  static const spsync_version* ptrs[2] = {&records[0], &records[1]};
  size_t i;
  (void)call;
  (void)after_item;
  (void)after_version;
  (void)max_count;
  for (i = 0; i < 2; ++i) {
    memset(&records[i], 0, sizeof(records[i]));
    records[i].struct_size = sizeof(records[i]);
    records[i].item_id = 7;
    records[i].version_id = 512;
  }
  *versions = ptrs;
  *count = is(inst, "versions_order") ? 2 : 0;
  return SPSYNC_OK;
}

static spsync_status attachment_read(spsync_instance* inst, spsync_call* call, int64_t item_id,
                                     spsync_str file_name, uint64_t offset, void* buffer,
                                     size_t capacity, size_t* len) {
  (void)call;
  (void)item_id;
  (void)file_name;
  (void)buffer;
  *len = 0;
  if (offset == 0 && capacity > 0) {
    memcpy(buffer, "abc", capacity < 3 ? capacity : 3);
    *len = capacity < 3 ? capacity : 3;
  }
  if (is(inst, "read_overflow")) *len = capacity + 1;
  return SPSYNC_OK;
}

SPSYNC_SINK_EXPORT spsync_status spsync_sink_entry(const spsync_host* host,
                                                   spsync_negotiation* out) {
  static spsync_sink_vtable vtable;
  (void)host;
  memset(&vtable, 0, sizeof(vtable));
  vtable.struct_size = sizeof(vtable);
  vtable.abi_version = SPSYNC_SINK_ABI_VERSION;
  vtable.name = "bad";
  vtable.version = "6.6.6";
  vtable.description = "breaks the sink ABI on request";
  vtable.describe_options = describe_options;
  vtable.open = sink_open;
  vtable.load_state = load_state;
  vtable.begin = begin;
  vtable.upsert = upsert;
  vtable.delete_items = delete_items;
  vtable.persist = persist;
  vtable.close = sink_close;
  vtable.capabilities = SPSYNC_CAP_ATTACHMENTS | SPSYNC_CAP_VERSIONS | SPSYNC_CAP_READ_BACK;
  vtable.instance_capabilities = instance_capabilities;
  vtable.attachment_begin = attachment_begin;
  vtable.attachment_write = attachment_write;
  vtable.attachment_commit = attachment_commit;
  vtable.attachment_abort = attachment_abort;
  vtable.attachment_delete = attachment_delete;
  vtable.attachment_list = attachment_list;
  vtable.write_versions = write_versions;
  vtable.read_schema = read_schema;
  vtable.read_items = read_items;
  vtable.read_versions = read_versions;
  vtable.attachment_read = attachment_read;
  out->abi_version = SPSYNC_SINK_ABI_VERSION;
  out->vtable = &vtable;
  return SPSYNC_OK;
}
