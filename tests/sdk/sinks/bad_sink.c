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
  out->abi_version = SPSYNC_SINK_ABI_VERSION;
  out->vtable = &vtable;
  return SPSYNC_OK;
}
