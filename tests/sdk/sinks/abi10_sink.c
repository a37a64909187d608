/* A sink written in C99 against the frozen ABI 1.0 header only
 * (tests/sdk/abi_v1_0): its vtable ends at `close`. The current host must
 * load it, use it, and read snapshot/check as NULL. It keeps one state per
 * process and counts what it receives, so tests can see every call arrived. */
#include <spsync/sink.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if SPSYNC_SINK_ABI_MINOR != 0
#error "abi10_sink must be compiled against the frozen ABI 1.0 header"
#endif

struct spsync_instance {
  long upserts;
  long deletes;
};

static const spsync_host* g_host = NULL;
static char g_state[1024];
static size_t g_state_len = 0;
static long g_items = 0;

static void say(spsync_call* call, const char* text) {
  call->set_message(call, text, strlen(text));
}

static const spsync_option kLabel = {sizeof(spsync_option), SPSYNC_OPTION_STRING, 0, "label", NULL,
                                     "free text, ignored"};
static const spsync_option* const kOptions[] = {&kLabel};

static void describe_options(const spsync_option* const** options, size_t* count) {
  *options = kOptions;
  *count = 1;
}

static spsync_status sink_open(spsync_call* call, const spsync_kv* config, size_t count,
                               spsync_instance** out) {
  static const char kOpened[] = "abi10 sink opened";
  spsync_instance* inst;
  (void)config;
  (void)count;
  inst = (spsync_instance*)calloc(1, sizeof(*inst));
  if (inst == NULL) {
    say(call, "out of memory");
    return SPSYNC_FATAL;
  }
  if (g_host != NULL && g_host->log != NULL) {
    g_host->log(g_host->host_data, SPSYNC_LOG_INFO, kOpened, sizeof(kOpened) - 1);
  }
  *out = inst;
  return SPSYNC_OK;
}

static spsync_status load_state(spsync_instance* inst, spsync_call* call, spsync_str entity,
                                const void** state, size_t* len) {
  (void)inst;
  (void)call;
  (void)entity;
  *state = g_state;
  *len = g_state_len;
  return SPSYNC_OK;
}

static spsync_status begin(spsync_instance* inst, spsync_call* call, const spsync_schema* schema) {
  (void)inst;
  if (schema->field_count == 0) {
    say(call, "abi10 sink needs at least one field");
    return SPSYNC_FATAL;
  }
  return SPSYNC_OK;
}

static spsync_status upsert(spsync_instance* inst, spsync_call* call,
                            const spsync_item* const* items, size_t count) {
  size_t i;
  (void)call;
  for (i = 0; i < count; ++i) {
    if (items[i]->id > 0) ++g_items;
  }
  inst->upserts += (long)count;
  return SPSYNC_OK;
}

static spsync_status delete_items(spsync_instance* inst, spsync_call* call, const int64_t* ids,
                                  size_t count) {
  (void)call;
  (void)ids;
  inst->deletes += (long)count;
  g_items -= (long)count;
  return SPSYNC_OK;
}

static spsync_status persist(spsync_instance* inst, spsync_call* call, const void* state,
                             size_t len) {
  char text[128];
  if (len > sizeof(g_state)) {
    say(call, "abi10 sink: state larger than 1024 bytes");
    return SPSYNC_FATAL;
  }
  if (len > 0) memcpy(g_state, state, len);
  g_state_len = len;
  sprintf(text, "persisted after %ld upserts, %ld items", inst->upserts, g_items);
  say(call, text);
  return SPSYNC_OK;
}

static void sink_close(spsync_instance* inst) {
  free(inst);
}

static const spsync_sink_vtable kVtable = {sizeof(spsync_sink_vtable),
                                           SPSYNC_SINK_ABI_VERSION,
                                           "abi10",
                                           "1.0.0",
                                           "a C sink frozen at sink ABI 1.0",
                                           0,
                                           describe_options,
                                           sink_open,
                                           load_state,
                                           begin,
                                           upsert,
                                           delete_items,
                                           NULL,
                                           persist,
                                           sink_close};

SPSYNC_SINK_EXPORT spsync_status spsync_sink_entry(const spsync_host* host,
                                                   spsync_negotiation* out) {
  out->abi_version = SPSYNC_SINK_ABI_VERSION;
  if (SPSYNC_SINK_ABI_MAJOR_OF(host->abi_min) > SPSYNC_SINK_ABI_MAJOR ||
      SPSYNC_SINK_ABI_MAJOR_OF(host->abi_max) < SPSYNC_SINK_ABI_MAJOR) {
    snprintf(out->message, sizeof(out->message), "abi10 sink speaks sink ABI 1.0 only");
    return SPSYNC_FATAL;
  }
  g_host = host;
  out->vtable = &kVtable;
  return SPSYNC_OK;
}
