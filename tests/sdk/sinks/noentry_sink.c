/* A shared library named like a sink that exports no spsync_sink_entry: what
 * a vendor gets by forgetting SPSYNC_SINK_EXPORT under hidden visibility. */
#include <spsync/sink.h>

SPSYNC_SINK_EXPORT int spsync_sink_entry_misspelt(void);
SPSYNC_SINK_EXPORT int spsync_sink_entry_misspelt(void) {
  return 0;
}
