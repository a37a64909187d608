/* A plugin from the future: it speaks sink ABI 2.0 only and refuses any host
 * whose range does not include major 2, as the header tells plugins to. This
 * host offers 1.x, so it always refuses. */
#include <spsync/sink.h>

#include <stdio.h>

SPSYNC_SINK_EXPORT spsync_status spsync_sink_entry(const spsync_host* host,
                                                   spsync_negotiation* out) {
  out->abi_version = SPSYNC_SINK_ABI_MAKE(2, 0);
  snprintf(out->message, sizeof(out->message),
           "major2 sink needs a host that speaks ABI 2 (offered up to %u.%u)",
           (unsigned)SPSYNC_SINK_ABI_MAJOR_OF(host->abi_max),
           (unsigned)SPSYNC_SINK_ABI_MINOR_OF(host->abi_max));
  return SPSYNC_FATAL;
}
