/* A C sink whose vtable shape is chosen by the SPSYNC_TEST_VTABLE environment
 * variable when the host calls the entry point, to exercise the host's
 * negotiation and vtable checks:
 *   (unset)        a plugin from a future minor (1.9) whose vtable has two
 *                  members this host does not know appended; it must load
 *   small          struct_size smaller than ABI 1.0's vtable
 *   missing        open and persist are NULL
 *   caps           declares SNAPSHOT and DELETE_RANGES without the callbacks
 *   caps12         declares ATTACHMENTS, VERSIONS and READ_BACK with only
 *                  attachment_begin and read_schema set
 *   refuse         returns FATAL from the entry point with a 1.x version
 *   no_vtable      returns OK without a vtable */
#include <spsync/sink.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct spsync_instance {
  int unused;
};

/* What a 1.9 header's vtable might look like: 1.2's, then more members. */
typedef struct future_vtable {
  spsync_sink_vtable current;
  spsync_status (*compact)(spsync_instance* inst, spsync_call* call);
  uint64_t future_flags;
} future_vtable;

static void describe_options(const spsync_option* const** options, size_t* count) {
  *options = NULL;
  *count = 0;
}

static spsync_status sink_open(spsync_call* call, const spsync_kv* config, size_t count,
                               spsync_instance** out) {
  (void)call;
  (void)config;
  (void)count;
  *out = (spsync_instance*)calloc(1, sizeof(spsync_instance));
  return *out == NULL ? SPSYNC_FATAL : SPSYNC_OK;
}

static spsync_status load_state(spsync_instance* inst, spsync_call* call, spsync_str entity,
                                const void** state, size_t* len) {
  (void)inst;
  (void)call;
  (void)entity;
  *state = "future";
  *len = 6;
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
  (void)inst;
  (void)call;
  (void)items;
  (void)count;
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
  (void)inst;
  (void)call;
  (void)state;
  (void)len;
  return SPSYNC_OK;
}

static void sink_close(spsync_instance* inst) {
  free(inst);
}

static spsync_status check(spsync_instance* inst, spsync_call* call) {
  static const char kText[] = "future sink reachable";
  (void)inst;
  call->set_message(call, kText, sizeof(kText) - 1);
  return SPSYNC_OK;
}

static spsync_status attachment_begin(spsync_instance* inst, spsync_call* call,
                                      const spsync_attachment* a) {
  (void)inst;
  (void)call;
  (void)a;
  return SPSYNC_OK;
}

static spsync_status read_schema(spsync_instance* inst, spsync_call* call,
                                 const spsync_schema** schema) {
  (void)inst;
  (void)call;
  *schema = NULL;
  return SPSYNC_OK;
}

static spsync_status compact(spsync_instance* inst, spsync_call* call) {
  (void)inst;
  (void)call;
  return SPSYNC_OK;
}

SPSYNC_SINK_EXPORT spsync_status spsync_sink_entry(const spsync_host* host,
                                                   spsync_negotiation* out) {
  static future_vtable table;
  const char* mode = getenv("SPSYNC_TEST_VTABLE");
  spsync_sink_vtable* v = &table.current;
  (void)host;
  if (mode == NULL) mode = "";
  memset(&table, 0, sizeof(table));
  v->struct_size = sizeof(table);
  v->abi_version = SPSYNC_SINK_ABI_MAKE(1, 9);
  v->name = "vtable";
  v->version = "0.9.0";
  v->description = NULL;
  v->describe_options = describe_options;
  v->open = sink_open;
  v->load_state = load_state;
  v->begin = begin;
  v->upsert = upsert;
  v->delete_items = delete_items;
  v->persist = persist;
  v->close = sink_close;
  v->check = check;
  table.compact = compact;
  table.future_flags = ~(uint64_t)0;
  out->abi_version = SPSYNC_SINK_ABI_MAKE(1, 9);
  out->vtable = v;
  if (strcmp(mode, "small") == 0) v->struct_size = 24;
  if (strcmp(mode, "missing") == 0) {
    v->open = NULL;
    v->persist = NULL;
  }
  if (strcmp(mode, "caps") == 0) v->capabilities = SPSYNC_CAP_SNAPSHOT | SPSYNC_CAP_DELETE_RANGES;
  if (strcmp(mode, "caps12") == 0) {
    v->capabilities = SPSYNC_CAP_ATTACHMENTS | SPSYNC_CAP_VERSIONS | SPSYNC_CAP_READ_BACK;
    v->attachment_begin = attachment_begin;
    v->read_schema = read_schema;
  }
  if (strcmp(mode, "refuse") == 0) {
    out->vtable = NULL;
    snprintf(out->message, sizeof(out->message), "licence file not found");
    return SPSYNC_FATAL;
  }
  if (strcmp(mode, "no_vtable") == 0) out->vtable = NULL;
  return SPSYNC_OK;
}
