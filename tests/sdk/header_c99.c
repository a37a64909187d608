/* Compiled with -std=c99 -pedantic -Werror -Wall -Wextra: the sink header
 * must be plain C99 for vendors writing sinks in C. Every type is used so a
 * construct that only C++ accepts would fail here. */
#include <spsync/sink.h>

int spsync_sdk_header_c99_probe(void);

int spsync_sdk_header_c99_probe(void) {
  spsync_sink_vtable vtable = {0};
  spsync_negotiation negotiation = {0};
  spsync_item item = {0};
  spsync_field field = {0};
  spsync_schema schema = {0};
  spsync_option option = {0};
  spsync_host host = {0};
  spsync_call call = {0};
  spsync_value value = {0};
  spsync_kv kv = {{0, 0}, {0, 0}};
  spsync_id_range range = {0, 0};
  spsync_attachment attachment = {0};
  spsync_version version = {0};
  spsync_sink_entry_fn entry = 0;
  (void)vtable;
  (void)negotiation;
  (void)item;
  (void)field;
  (void)schema;
  (void)option;
  (void)host;
  (void)call;
  (void)value;
  (void)kv;
  (void)range;
  (void)attachment;
  (void)version;
  (void)entry;
  return (int)SPSYNC_SINK_ABI_MAJOR_OF(SPSYNC_SINK_ABI_VERSION) +
         (int)(SPSYNC_CAP_TRANSACTIONAL_PERSIST | SPSYNC_CAP_THREAD_SAFE) +
         (int)(SPSYNC_CAP_ATTACHMENTS | SPSYNC_CAP_VERSIONS | SPSYNC_CAP_READ_BACK) +
         (int)SPSYNC_FIELD_LOOKUP_VALUE;
}
