/*
 * spsync sink ABI: the only contract between the spsync engine (the host) and
 * a sink plugin. Pure C99; also valid C++.
 *
 * A sink is a shared library that exports one function, spsync_sink_entry().
 * The host calls it once after loading the library, offering the range of ABI
 * versions it speaks and its services table; the plugin answers the version
 * it chose and a table of callbacks (the vtable). Everything else goes
 * through that table.
 *
 * Versioning
 *   SPSYNC_SINK_ABI_MAJOR changes only when an existing struct member or
 *   callback changes meaning or layout; a host refuses a plugin of another
 *   major version. SPSYNC_SINK_ABI_MINOR grows when members are appended.
 *   Every struct that may grow starts with `struct_size`, set by whoever fills
 *   it to sizeof() as they were compiled: a reader never touches a member that
 *   lies beyond struct_size, and treats it as zero / NULL. Members are only
 *   ever appended. A NULL optional callback means "not supported".
 *   Structs without struct_size (spsync_str, spsync_kv, spsync_value,
 *   spsync_id_range) are frozen forever.
 *
 * Ownership
 *   Every pointer passed to a callback is borrowed for the duration of that
 *   call only, unless the comment on the callback says otherwise. Copy what
 *   you keep. Pointers a plugin hands back (state bytes, option tables,
 *   strings in the vtable) stay owned by the plugin; their lifetime is stated
 *   where they are returned. Memory is always freed by the side that
 *   allocated it: nothing crosses the boundary to be freed by the other side.
 *   Strings are UTF-8, passed as pointer + length (spsync_str); they are not
 *   necessarily NUL-terminated, except the `const char*` members of static
 *   tables, which are.
 *
 * Errors
 *   Every callback that can fail returns an spsync_status. OK means done.
 *   RETRYABLE means "nothing was committed by this call; the same call may
 *   succeed later" (the host retries with backoff). FATAL ends the session
 *   without advancing the state. REJECTED from upsert/delete means the batch
 *   was applied except the records reported through spsync_call.reject();
 *   the host writes those to a dead-letter file and continues. A message can
 *   be attached to any status with spsync_call.set_message(); the host copies
 *   it. Callbacks never throw or longjmp across the boundary.
 *
 * Threading
 *   All calls on one instance are serialised by the host (never concurrent),
 *   but may come from different threads over time. Calls on different
 *   instances of the same plugin are made concurrently only if the plugin
 *   declares SPSYNC_CAP_THREAD_SAFE; otherwise the host serialises every call
 *   into the plugin. spsync_sink_entry() and describe_options() are called
 *   from one thread before any instance exists. Host services may be called
 *   from any thread.
 *
 * Lifecycle of one session, for one (entity, sink) pair:
 *   open(config) -> load_state(entity) -> begin(schema)
 *     -> { upsert | delete_items | delete_ranges }* -> persist(state)
 *     -> ... more batches and persists ...
 *   -> close
 *   persist() is the commit point: everything accepted before it returns OK
 *   must be durable. A sink that commits data and state atomically declares
 *   SPSYNC_CAP_TRANSACTIONAL_PERSIST; the host then relies on a crash at any
 *   instant losing and duplicating nothing. Upserts must be idempotent by item
 *   ID either way, because a session resumes from the last persisted state.
 */
#ifndef SPSYNC_SINK_H_
#define SPSYNC_SINK_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions ------------------------------------------------------------ */

#define SPSYNC_SINK_ABI_MAJOR 1
#define SPSYNC_SINK_ABI_MINOR 1
/* Packs a version as major << 16 | minor, so versions compare as integers. */
#define SPSYNC_SINK_ABI_MAKE(major, minor) ((((uint32_t)(major)) << 16) | ((uint32_t)(minor)))
#define SPSYNC_SINK_ABI_VERSION SPSYNC_SINK_ABI_MAKE(SPSYNC_SINK_ABI_MAJOR, SPSYNC_SINK_ABI_MINOR)
#define SPSYNC_SINK_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define SPSYNC_SINK_ABI_MINOR_OF(v) ((uint32_t)(v)&0xffffu)

/* The exported entry point's name, for hosts that look it up by string. */
#define SPSYNC_SINK_ENTRY_SYMBOL "spsync_sink_entry"

#if defined(_WIN32)
#define SPSYNC_SINK_EXPORT __declspec(dllexport)
#else
#define SPSYNC_SINK_EXPORT __attribute__((visibility("default")))
#endif

/* ---- Plain values (frozen) ----------------------------------------------- */

typedef enum spsync_status {
  SPSYNC_OK = 0,
  SPSYNC_RETRYABLE = 1, /* transient; nothing committed; the host retries */
  SPSYNC_FATAL = 2,     /* the session fails; state does not advance */
  SPSYNC_REJECTED = 3   /* some records refused (see spsync_call.reject) */
} spsync_status;

/* A UTF-8 string or byte run: pointer + length, not NUL-terminated.
 * data may be NULL only when len is 0. */
typedef struct spsync_str {
  const char* data;
  size_t len;
} spsync_str;

/* One configuration entry, as written in the operator's config file. */
typedef struct spsync_kv {
  spsync_str key;
  spsync_str value;
} spsync_kv;

/* An inclusive range of item IDs, first <= last. last == INT64_MAX means
 * "every ID from first up". */
typedef struct spsync_id_range {
  int64_t first;
  int64_t last;
} spsync_id_range;

/* The type of a value in an item, mapped from the SharePoint field type. */
typedef enum spsync_value_type {
  SPSYNC_VALUE_NULL = 0,     /* no value */
  SPSYNC_VALUE_TEXT = 1,     /* text: s (Text, Note, Choice, Guid, ...) */
  SPSYNC_VALUE_INTEGER = 2,  /* i (Integer, Counter, Lookup / User id) */
  SPSYNC_VALUE_REAL = 3,     /* r (Number, Currency) */
  SPSYNC_VALUE_BOOLEAN = 4,  /* i: 0 or 1 */
  SPSYNC_VALUE_DATETIME = 5, /* i: Unix seconds UTC; s: ISO-8601 "YYYY-MM-DDTHH:MM:SSZ" */
  SPSYNC_VALUE_JSON = 6      /* s: JSON text (multi-values, URL, taxonomy, ...) */
} spsync_value_type;

/* One typed value. Which members are meaningful depends on `type`; the others
 * are zero. Text, ISO dates and JSON are borrowed views. */
typedef struct spsync_value {
  int32_t type; /* spsync_value_type */
  int32_t reserved;
  int64_t i;
  double r;
  spsync_str s;
} spsync_value;

/* ---- Items and schema (appendable) --------------------------------------- */

/* Why an item is being upserted. */
typedef enum spsync_change_kind {
  SPSYNC_CHANGE_FULL_SYNC = 0, /* read during a full sync */
  SPSYNC_CHANGE_ADD = 1,
  SPSYNC_CHANGE_UPDATE = 2,
  SPSYNC_CHANGE_RESTORE = 3 /* restored from the recycle bin */
} spsync_change_kind;

/* One list item. */
typedef struct spsync_item {
  uint32_t struct_size;
  int32_t kind;               /* spsync_change_kind */
  int64_t id;                 /* the list item ID (SharePoint `ID`) */
  spsync_str guid;            /* the item's GUID column, lowercase, no braces */
  spsync_str modified;        /* ISO-8601 UTC, e.g. "2024-01-31T08:00:00Z" */
  int64_t modified_unix;      /* the same instant in Unix seconds */
  spsync_str version;         /* the item's etag / version string, e.g. "\"5\"" */
  spsync_str raw_json;        /* the item's JSON object exactly as SharePoint sent it */
  const spsync_value* values; /* value_count values, aligned to the schema's fields */
  size_t value_count;
} spsync_item;

/* One field (column) of the list, as the engine syncs it. */
typedef struct spsync_field {
  uint32_t struct_size;
  int32_t value_type; /* spsync_value_type every value of this field has (or NULL) */
  spsync_str name;    /* the key in item JSON (EntityPropertyName; e.g. `AssignedToId`) */
  spsync_str title;   /* the display title */
  spsync_str sp_type; /* SharePoint TypeAsString: Text, Note, Number, Lookup, ... */
} spsync_field;

/* What begin() describes: the entity and its fields, in value order. */
typedef struct spsync_schema {
  uint32_t struct_size;
  spsync_str entity;     /* the operator's name for the entity, e.g. "orders" */
  spsync_str list_id;    /* the list GUID, lowercase */
  spsync_str list_title; /* the list's display title */
  const spsync_field* const* fields;
  size_t field_count;
  spsync_str fingerprint; /* changes whenever the field set or a type changes */
} spsync_schema;

/* ---- Options a sink declares (appendable) -------------------------------- */

typedef enum spsync_option_type {
  SPSYNC_OPTION_STRING = 0,
  SPSYNC_OPTION_INTEGER = 1,
  SPSYNC_OPTION_BOOLEAN = 2, /* "true" / "false" */
  SPSYNC_OPTION_PATH = 3,    /* a file or folder path */
  SPSYNC_OPTION_SECRET = 4,  /* never logged or shown by the host */
  SPSYNC_OPTION_PREFIX = 5   /* `name` is a prefix: any key starting with it is accepted */
} spsync_option_type;

typedef struct spsync_option {
  uint32_t struct_size;
  int32_t type;              /* spsync_option_type */
  int32_t required;          /* 1 if open() fails without it */
  const char* name;          /* NUL-terminated */
  const char* default_value; /* NUL-terminated, or NULL if none */
  const char* help;          /* one line, NUL-terminated */
} spsync_option;

/* ---- Host services and per-call context ---------------------------------- */

typedef enum spsync_log_level {
  SPSYNC_LOG_DEBUG = 0,
  SPSYNC_LOG_INFO = 1,
  SPSYNC_LOG_WARN = 2,
  SPSYNC_LOG_ERROR = 3
} spsync_log_level;

/* What the host offers the plugin. Owned by the host; valid from
 * spsync_sink_entry() until the library is unloaded. */
typedef struct spsync_host {
  uint32_t struct_size;
  uint32_t abi_min;         /* lowest ABI version the host speaks (packed) */
  uint32_t abi_max;         /* highest ABI version the host speaks (packed) */
  const char* host_version; /* e.g. "0.1.0", NUL-terminated */
  void* host_data;          /* opaque, passed back to the services below */
  /* Writes one log line through the host's logger. Thread-safe. */
  void (*log)(void* host_data, int32_t level, const char* msg, size_t len);
} spsync_host;

/* Passed to every callback that can fail; owned by the host, valid for that
 * call only. */
typedef struct spsync_call {
  uint32_t struct_size;
  void* host_data; /* opaque */
  /* Attaches a message to this call's status. Copied by the host; the last
   * call wins. */
  void (*set_message)(struct spsync_call* call, const char* msg, size_t len);
  /* From upsert / delete_items: the record at `index` of the batch was
   * refused (bad data the sink can never accept). Copied by the host. The
   * callback then returns SPSYNC_REJECTED. */
  void (*reject)(struct spsync_call* call, size_t index, const char* msg, size_t len);
} spsync_call;

/* An open sink instance; defined by the plugin, opaque to the host. */
typedef struct spsync_instance spsync_instance;

/* ---- Capabilities -------------------------------------------------------- */

/* Data and state commit together at persist(): a crash at any instant leaves
 * the sink at the last persisted state, with nothing lost or duplicated. */
#define SPSYNC_CAP_TRANSACTIONAL_PERSIST ((uint64_t)1 << 0)
/* delete_ranges() is implemented (open-ended ranges included). */
#define SPSYNC_CAP_DELETE_RANGES ((uint64_t)1 << 1)
/* Different instances may be called from different threads at once. */
#define SPSYNC_CAP_THREAD_SAFE ((uint64_t)1 << 2)
/* snapshot() is implemented. */
#define SPSYNC_CAP_SNAPSHOT ((uint64_t)1 << 3)

/* ---- The vtable ---------------------------------------------------------- */

/* Owned by the plugin; must stay valid until the library is unloaded (a
 * static const table is the usual choice). */
typedef struct spsync_sink_vtable {
  uint32_t struct_size;
  uint32_t abi_version;    /* the version this table follows (packed) */
  const char* name;        /* short plugin name, e.g. "sqlite"; NUL-terminated */
  const char* version;     /* the plugin's own version; NUL-terminated */
  const char* description; /* one line; NUL-terminated */
  uint64_t capabilities;   /* SPSYNC_CAP_* bits */

  /* The options open() understands. *options points to *count pointers owned
   * by the plugin, valid until unload. Required. */
  void (*describe_options)(const spsync_option* const** options, size_t* count);

  /* Creates an instance from the operator's config. The host has already
   * checked the keys against describe_options(); the plugin still checks the
   * values. On OK, *out is set and later passed to close(). Required. */
  spsync_status (*open)(spsync_call* call, const spsync_kv* config, size_t count,
                        spsync_instance** out);

  /* Binds the instance to `entity` and returns its last persisted state:
   * *state / *len are owned by the plugin and valid until the next call on
   * this instance. *len == 0 means "no state" (a blank full sync). Required. */
  spsync_status (*load_state)(spsync_instance* inst, spsync_call* call, spsync_str entity,
                              const void** state, size_t* len);

  /* Announces the schema of the items that follow. Called once per session
   * before any batch, and again if the list's fields change. Required. */
  spsync_status (*begin)(spsync_instance* inst, spsync_call* call, const spsync_schema* schema);

  /* Creates or replaces items by ID. Required. */
  spsync_status (*upsert)(spsync_instance* inst, spsync_call* call, const spsync_item* const* items,
                          size_t count);

  /* Deletes items by ID; unknown IDs are not an error. Required. */
  spsync_status (*delete_items)(spsync_instance* inst, spsync_call* call, const int64_t* ids,
                                size_t count);

  /* Deletes every item whose ID lies in one of the ranges. Optional
   * (SPSYNC_CAP_DELETE_RANGES); without it the host sends the IDs it knows. */
  spsync_status (*delete_ranges)(spsync_instance* inst, spsync_call* call,
                                 const spsync_id_range* ranges, size_t count);

  /* The commit point: makes everything accepted so far durable, together with
   * `state` (opaque bytes the plugin stores and returns from load_state).
   * len == 0 forgets the state. Required. */
  spsync_status (*persist)(spsync_instance* inst, spsync_call* call, const void* state, size_t len);

  /* Releases the instance. Anything not persisted may be discarded. Required. */
  void (*close)(spsync_instance* inst);

  /* ---- appended in ABI 1.1 ---- */

  /* Writes a snapshot of the live items of the bound entity (e.g. a CSV or
   * object); where is up to the sink and is told through set_message().
   * Optional (SPSYNC_CAP_SNAPSHOT). */
  spsync_status (*snapshot)(spsync_instance* inst, spsync_call* call);

  /* Checks the destination can be reached (e.g. a broker or bucket), for
   * `spsync validate --connect`. Optional. */
  spsync_status (*check)(spsync_instance* inst, spsync_call* call);
} spsync_sink_vtable;

/* ---- Negotiation --------------------------------------------------------- */

/* Filled by the plugin in spsync_sink_entry(). The host sets struct_size and
 * zeroes the rest before the call. */
typedef struct spsync_negotiation {
  uint32_t struct_size;
  uint32_t abi_version;             /* the version the plugin chose (packed) */
  const spsync_sink_vtable* vtable; /* plugin-owned, valid until unload */
  /* Why the plugin refused (NUL-terminated, truncated to fit). */
  char message[256];
} spsync_negotiation;

/* The one symbol a sink exports. Returns SPSYNC_OK with out->abi_version and
 * out->vtable set, or SPSYNC_FATAL with out->abi_version set to the version
 * the plugin speaks and out->message saying why (typically: the host's range
 * does not include the plugin's major version). */
typedef spsync_status (*spsync_sink_entry_fn)(const spsync_host* host, spsync_negotiation* out);

SPSYNC_SINK_EXPORT spsync_status spsync_sink_entry(const spsync_host* host,
                                                   spsync_negotiation* out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPSYNC_SINK_H_ */
