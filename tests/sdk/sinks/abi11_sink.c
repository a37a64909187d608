/* A sink written in C99 against the frozen ABI 1.1 header only
 * (tests/sdk/abi_v1_1): its vtable ends at `check`. The 1.2 host must load
 * it, run whole sessions, snapshot and check through it, and never call it
 * through a member 1.2 added.
 *
 * To prove that, the vtable sits in a larger struct whose following bytes
 * hold "traps": pointers to a function that records being called. A host
 * that read past the table's end would find them where 1.2's members are.
 * It also sets capability bits 1.1 did not define (4 to 6, which 1.2 uses
 * for attachments, versions and reading back): the host must ignore them.
 * With SPSYNC_TEST_ABI11=inflated the table even claims the size of the
 * whole struct; the host must still read only what 1.1 defined, because
 * the table says it follows 1.1. check() reports "traps sprung: N". */
#include <spsync/sink.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if SPSYNC_SINK_ABI_MINOR != 1
#error "abi11_sink must be compiled against the frozen ABI 1.1 header"
#endif

struct spsync_instance {
  long upserts;
};

static int g_traps_sprung = 0;
static char g_state[256];
static size_t g_state_len = 0;
static long g_live = 0;

static void say(spsync_call* call, const char* text) {
  call->set_message(call, text, strlen(text));
}

/* Called through a 1.2 member only by a host that broke the struct_size or
 * version rule. Declared with no parameters: any call lands here. */
static long trap(void) {
  ++g_traps_sprung;
  return 0;
}

static void describe_options(const spsync_option* const** options, size_t* count) {
  *options = NULL;
  *count = 0;
}

static spsync_status sink_open(spsync_call* call, const spsync_kv* config, size_t count,
                               spsync_instance** out) {
  (void)config;
  (void)count;
  *out = (spsync_instance*)calloc(1, sizeof(spsync_instance));
  if (*out == NULL) {
    say(call, "out of memory");
    return SPSYNC_FATAL;
  }
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
  (void)call;
  (void)schema;
  return SPSYNC_OK;
}

static spsync_status upsert(spsync_instance* inst, spsync_call* call,
                            const spsync_item* const* items, size_t count) {
  (void)call;
  (void)items;
  inst->upserts += (long)count;
  g_live += (long)count;
  return SPSYNC_OK;
}

static spsync_status delete_items(spsync_instance* inst, spsync_call* call, const int64_t* ids,
                                  size_t count) {
  (void)inst;
  (void)call;
  (void)ids;
  g_live -= (long)count;
  return SPSYNC_OK;
}

static spsync_status delete_ranges(spsync_instance* inst, spsync_call* call,
                                   const spsync_id_range* ranges, size_t count) {
  size_t i;
  (void)inst;
  (void)call;
  for (i = 0; i < count; ++i) g_live -= (long)(ranges[i].last - ranges[i].first + 1);
  return SPSYNC_OK;
}

static spsync_status persist(spsync_instance* inst, spsync_call* call, const void* state,
                             size_t len) {
  (void)inst;
  if (len > sizeof(g_state)) {
    say(call, "abi11 sink: state too large");
    return SPSYNC_FATAL;
  }
  if (len > 0) memcpy(g_state, state, len);
  g_state_len = len;
  return SPSYNC_OK;
}

static void sink_close(spsync_instance* inst) {
  free(inst);
}

static spsync_status snapshot(spsync_instance* inst, spsync_call* call) {
  char text[64];
  (void)inst;
  sprintf(text, "abi11 snapshot: %ld live items", g_live);
  say(call, text);
  return SPSYNC_OK;
}

static spsync_status check(spsync_instance* inst, spsync_call* call) {
  char text[64];
  (void)inst;
  sprintf(text, "traps sprung: %d", g_traps_sprung);
  say(call, text);
  return SPSYNC_OK;
}

typedef long (*trap_fn)(void);

/* The 1.1 table, then what a careless host would read as 1.2 members. */
typedef struct trapped_vtable {
  spsync_sink_vtable v11;
  trap_fn traps[16];
} trapped_vtable;

SPSYNC_SINK_EXPORT spsync_status spsync_sink_entry(const spsync_host* host,
                                                   spsync_negotiation* out) {
  static trapped_vtable table;
  const char* mode = getenv("SPSYNC_TEST_ABI11");
  spsync_sink_vtable* v = &table.v11;
  int i;
  out->abi_version = SPSYNC_SINK_ABI_VERSION;
  if (SPSYNC_SINK_ABI_MAJOR_OF(host->abi_min) > SPSYNC_SINK_ABI_MAJOR ||
      SPSYNC_SINK_ABI_MAJOR_OF(host->abi_max) < SPSYNC_SINK_ABI_MAJOR) {
    snprintf(out->message, sizeof(out->message), "abi11 sink speaks sink ABI 1 only");
    return SPSYNC_FATAL;
  }
  memset(&table, 0, sizeof(table));
  v->struct_size = sizeof(spsync_sink_vtable);
  if (mode != NULL && strcmp(mode, "inflated") == 0) v->struct_size = sizeof(trapped_vtable);
  v->abi_version = SPSYNC_SINK_ABI_VERSION;
  v->name = "abi11";
  v->version = "1.1.0";
  v->description = "a C sink frozen at sink ABI 1.1";
  /* Bits 4-6 meant nothing in 1.1. */
  v->capabilities = SPSYNC_CAP_DELETE_RANGES | SPSYNC_CAP_SNAPSHOT | ((uint64_t)7 << 4);
  v->describe_options = describe_options;
  v->open = sink_open;
  v->load_state = load_state;
  v->begin = begin;
  v->upsert = upsert;
  v->delete_items = delete_items;
  v->delete_ranges = delete_ranges;
  v->persist = persist;
  v->close = sink_close;
  v->snapshot = snapshot;
  v->check = check;
  for (i = 0; i < 16; ++i) table.traps[i] = trap;
  out->vtable = v;
  return SPSYNC_OK;
}
