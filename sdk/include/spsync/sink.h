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
 *   strings in the vtable, what the read and list callbacks return) stay
 *   owned by the plugin; their lifetime is stated where they are returned
 *   (for an instance: until its next call). Memory is always freed by the
 *   side that allocated it: nothing crosses the boundary to be freed by the
 *   other side.
 *   Strings are UTF-8, passed as pointer + length (spsync_str); they are not
 *   necessarily NUL-terminated, except the `const char*` members of static
 *   tables, which are.
 *
 * Errors
 *   Every callback that can fail returns an spsync_status. OK means done.
 *   RETRYABLE means "nothing was committed by this call; the same call may
 *   succeed later" (the host retries with backoff). FATAL ends the session
 *   without advancing the state. REJECTED from upsert/delete/write_versions
 *   means the batch was applied except the records reported through
 *   spsync_call.reject(); the host writes those to a dead-letter file and
 *   continues. A message can be attached to any status with
 *   spsync_call.set_message(); the host copies it. Callbacks never throw or
 *   longjmp across the boundary.
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
 *   open(config) [-> instance_capabilities] -> load_state(entity) -> begin(schema)
 *     -> { upsert | delete_items | delete_ranges | write_versions
 *          | attachment_begin attachment_write* (attachment_commit | attachment_abort)
 *          | attachment_delete | attachment_list }*
 *     -> persist(state)
 *     -> ... more batches and persists ...
 *   -> close
 *   persist() is the commit point: everything accepted before it returns OK
 *   (items, deletions, versions, attachments) must be durable. A sink that
 *   commits all of it and the state atomically declares
 *   SPSYNC_CAP_TRANSACTIONAL_PERSIST; the host then relies on a crash at any
 *   instant losing and duplicating nothing. Upserts must be idempotent by item
 *   ID either way, because a session resumes from the last persisted state.
 *
 * Reading back (restore), for one entity:
 *   open(config) -> load_state(entity) -> read_schema
 *     -> { read_items | read_versions | attachment_list | attachment_read }* -> close
 *   The read callbacks return memory the plugin owns until its next call on
 *   the instance, like load_state().
 *
 * What each minor added
 *   1.1  snapshot, check.
 *   1.2  per-instance capabilities (instance_capabilities), attachments
 *        (SPSYNC_CAP_ATTACHMENTS), item versions (SPSYNC_CAP_VERSIONS),
 *        reading back (SPSYNC_CAP_READ_BACK), and the field role, `resolves`
 *        and `definition` members of spsync_field (people and lookups
 *        resolved, the schema a restore recreates).
 *   A host interprets a vtable by the version it declares: members and
 *   capability bits a minor added are ignored in a table of an older minor.
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
#define SPSYNC_SINK_ABI_MINOR 2
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

/* What a field holds (ABI 1.2). People and lookups resolved by the engine
 * arrive as ordinary fields next to the ID field they resolve; the role tells
 * a sink which is which. A role from a newer minor reads as PLAIN. */
typedef enum spsync_field_role {
  SPSYNC_FIELD_PLAIN = 0,       /* a value of the item as SharePoint sends it */
  SPSYNC_FIELD_USER_NAME = 1,   /* display name(s) of the person(s) in `resolves` */
  SPSYNC_FIELD_USER_EMAIL = 2,  /* e-mail address(es) of the person(s) in `resolves` */
  SPSYNC_FIELD_LOOKUP_VALUE = 3 /* the looked-up value(s) of the lookup in `resolves` */
} spsync_field_role;

/* One field (column) of the list, as the engine syncs it. */
typedef struct spsync_field {
  uint32_t struct_size;
  int32_t value_type; /* spsync_value_type every value of this field has (or NULL) */
  spsync_str name;    /* the key in item JSON (EntityPropertyName; e.g. `AssignedToId`) */
  spsync_str title;   /* the display title */
  spsync_str sp_type; /* SharePoint TypeAsString: Text, Note, Number, Lookup, ... */

  /* ---- appended in ABI 1.2 (read them only when struct_size covers them) ---- */

  int32_t role; /* spsync_field_role */
  int32_t reserved;
  /* For a resolved field, the name of the ID field it resolves: `AuthorId`
   * for the field holding Author's display name (whose own name is chosen by
   * the engine, e.g. `Author.Title`). Empty for PLAIN fields. Values of a
   * multi-person or multi-lookup field are a JSON array (SPSYNC_VALUE_JSON),
   * in the order of the IDs. */
  spsync_str resolves;
  /* The field's definition as SharePoint's fields collection returns it, a
   * JSON object (TypeAsString, InternalName, Required, Choices, LookupList,
   * LookupField, AllowMultipleValues, ...), for the schema a restore
   * recreates. Store it verbatim. Empty for resolved fields and when the
   * engine has none. */
  spsync_str definition;
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

  /* ---- appended in ABI 1.2 ---- */

  /* The list's own properties as a JSON object (BaseTemplate, Description,
   * EnableVersioning, ...), for a restore that creates the list. May be
   * empty. */
  spsync_str definition;
} spsync_schema;

/* ---- Attachments and versions (ABI 1.2, appendable) ---------------------- */

/* One file attached to a list item. The host fills it for attachment_begin()
 * and attachment_commit(); the plugin fills it for attachment_list(). */
typedef struct spsync_attachment {
  uint32_t struct_size;
  int32_t reserved;
  int64_t item_id;
  /* SharePoint's FileName, UTF-8: unique within the item (SharePoint
   * compares names case-insensitively), never empty, never containing '/'.
   * It may hold spaces, '#', '%' and any non-ASCII character: a sink that
   * turns it into a path or key must make it safe itself. */
  spsync_str file_name;
  /* Bytes. At attachment_begin: -1 when SharePoint sent no Content-Length.
   * At attachment_commit and in attachment_list: the exact size. */
  int64_t size;
  /* SHA-256 of the content, 64 lowercase hex digits, computed by the host
   * while streaming. Empty at attachment_begin. */
  spsync_str sha256;
  /* SharePoint's ETag of the file: opaque, compared only for equality; may
   * be empty. */
  spsync_str etag;
  /* The file's TimeLastModified, ISO-8601 UTC, and the same instant in Unix
   * seconds; empty / 0 when unknown. */
  spsync_str modified;
  int64_t modified_unix;
  /* Where SharePoint serves the file (server-relative URL); may be empty.
   * A sink that does not keep the bytes can record it as their location. */
  spsync_str url;
} spsync_attachment;

/* One version of a list item, from SharePoint's version history
 * (items(N)/versions). Versions are keyed by (item_id, version_id). */
typedef struct spsync_version {
  uint32_t struct_size;
  int32_t reserved;
  int64_t item_id;
  int64_t version_id;  /* SharePoint's VersionId: 512 * major + minor */
  spsync_str label;    /* VersionLabel, e.g. "3.0" */
  spsync_str modified; /* when this version was made, ISO-8601 UTC */
  int64_t modified_unix;
  int64_t editor_id;       /* the editor's user ID in the site; 0 if unknown */
  spsync_str editor_name;  /* display name; may be empty */
  spsync_str editor_email; /* may be empty */
  /* The version's JSON object as SharePoint sent it (its field values). */
  spsync_str raw_json;
  /* value_count values aligned to the schema's fields (NULL for a field the
   * version does not have), or value_count == 0 when only raw_json is known. */
  const spsync_value* values;
  size_t value_count;
} spsync_version;

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
  /* From upsert / delete_items / delete_ranges / write_versions: the record
   * at `index` of the batch was refused (bad data the sink can never
   * accept). Copied by the host. The callback then returns SPSYNC_REJECTED. */
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
/* ABI 1.2: attachment_begin, _write, _commit, _abort, _delete and _list are
 * implemented: the sink keeps the files attached to items. */
#define SPSYNC_CAP_ATTACHMENTS ((uint64_t)1 << 4)
/* ABI 1.2: write_versions() is implemented: the sink keeps item versions. */
#define SPSYNC_CAP_VERSIONS ((uint64_t)1 << 5)
/* ABI 1.2: read_schema() and read_items() are implemented, plus
 * read_versions() if the sink keeps versions and attachment_read() if it
 * keeps attachments: a restore can read the entity back. */
#define SPSYNC_CAP_READ_BACK ((uint64_t)1 << 6)

/* The largest chunk the host passes to attachment_write() (ABI 1.2); the
 * usual one is 1 MiB. A plugin may size its buffers by it. */
#define SPSYNC_ATTACHMENT_CHUNK_MAX ((size_t)8 << 20)

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

  /* ---- appended in ABI 1.2 ---- */

  /* The capabilities of this instance, when its options decide them (a
   * Kafka sink is transactional only with a transactional id). Called once,
   * right after open() returned OK; the host uses the answer for the life of
   * the instance. It must be a subset of `capabilities` above, which then
   * means "what some instance may have" (the host refuses the instance
   * otherwise). Cannot fail. Optional: without it every instance has the
   * plugin's capabilities. */
  uint64_t (*instance_capabilities)(spsync_instance* inst);

  /* -- Attachments (all six, or none: SPSYNC_CAP_ATTACHMENTS) --
   *
   * An attachment is one file of one item, streamed in bounded chunks: the
   * host never holds a whole file, so neither need the plugin (files of
   * hundreds of MB are normal). At most one attachment is open per instance;
   * while it is open the host calls only attachment_write, _commit and
   * _abort (and close). Attachment writes belong to the current transaction
   * like upserts: they become durable, and visible to other readers, at the
   * next persist(); an instance sees its own at once (attachment_list).
   * A transactional sink keeps no trace of a session that ended without
   * persist. Items removed by delete_items / delete_ranges lose their
   * attachments in the sink too (unless the sink keeps deleted items, e.g.
   * as soft-deleted rows, in which case it keeps their attachments as well);
   * versions are history and stay.
   *
   * How the engine avoids downloading a file twice: before downloading an
   * item's attachments it asks attachment_list() what the sink holds for
   * those items and skips every file whose SharePoint ETag (or, without an
   * ETag, size and modified time) equals what the sink returned; it
   * deletes what the item no longer has. So attachment_list() must return
   * exactly the etag, size and modified it was given at commit. */

  /* Opens `attachment` (item_id, file_name, size or -1, etag, modified, url;
   * sha256 empty) for writing. Committing it replaces any attachment of the
   * item with the same file name. */
  spsync_status (*attachment_begin)(spsync_instance* inst, spsync_call* call,
                                    const spsync_attachment* attachment);

  /* Appends `len` bytes (1 <= len <= SPSYNC_ATTACHMENT_CHUNK_MAX) to the
   * open attachment. `data` is borrowed for the call. */
  spsync_status (*attachment_write)(spsync_instance* inst, spsync_call* call, const void* data,
                                    size_t len);

  /* Closes the open attachment: `attachment` is the final record (exact
   * size, sha256 of the bytes written). The plugin may refuse (FATAL) a size
   * that differs from the bytes it received. If attachment_write or
   * attachment_commit return anything but OK, the attachment stays open and
   * the host's next attachment call is attachment_abort (to retry, the host
   * starts the file again from attachment_begin). */
  spsync_status (*attachment_commit)(spsync_instance* inst, spsync_call* call,
                                     const spsync_attachment* attachment);

  /* Drops the open attachment: the sink is as if it had never been begun
   * (an attachment it replaced is still there). Cannot fail. */
  void (*attachment_abort)(spsync_instance* inst);

  /* Deletes the attachment `file_name` of item `item_id`, or every
   * attachment of the item when file_name is empty. Deleting what does not
   * exist is not an error. */
  spsync_status (*attachment_delete)(spsync_instance* inst, spsync_call* call, int64_t item_id,
                                     spsync_str file_name);

  /* What the sink holds for the `count` items in `item_ids`: *out points to
   * *out_count records, ordered by item ID, then file name (bytewise), each
   * with the size, sha256, etag, modified and url given at commit. Items
   * without attachments have no record. Owned by the plugin, valid until the
   * next call on this instance. */
  spsync_status (*attachment_list)(spsync_instance* inst, spsync_call* call,
                                   const int64_t* item_ids, size_t count,
                                   const spsync_attachment* const** out, size_t* out_count);

  /* -- Versions (SPSYNC_CAP_VERSIONS) -- */

  /* Stores versions of items, aligned to the schema of the last begin().
   * Idempotent by (item_id, version_id): writing a version again replaces
   * it. May reject single records (REJECTED, as upsert). Part of the
   * current transaction, like upserts. */
  spsync_status (*write_versions)(spsync_instance* inst, spsync_call* call,
                                  const spsync_version* const* versions, size_t count);

  /* -- Reading back (SPSYNC_CAP_READ_BACK) --
   *
   * After load_state(entity) (begin() is not needed), for a restore. They
   * read what was persisted (plus this instance's own writes since, where
   * the medium shows them). Everything returned is owned by the plugin and
   * valid until the next call on this instance. */

  /* The stored schema of the bound entity: the fields of the most recent
   * begin() the sink stored (at that begin, or with the next persist), with
   * role, resolves and definition as given, and the entity's list_id,
   * list_title, fingerprint and definition; read_items() values are aligned
   * to it. *schema = NULL when nothing was ever stored. */
  spsync_status (*read_schema)(spsync_instance* inst, spsync_call* call,
                               const spsync_schema** schema);

  /* The live items with ID > after_id, in ascending ID order, at most
   * max_count (>= 1) of them: *count == 0 means the end. Each carries id,
   * raw_json (the item's JSON; a sink that does not keep it builds an object
   * of the stored fields), modified and version where kept (else empty),
   * kind SPSYNC_CHANGE_FULL_SYNC, and values aligned to read_schema()'s
   * fields, or value_count == 0 when the sink keeps only raw_json. */
  spsync_status (*read_items)(spsync_instance* inst, spsync_call* call, int64_t after_id,
                              size_t max_count, const spsync_item* const** items, size_t* count);

  /* The stored versions after (after_item_id, after_version_id), in
   * ascending (item_id, version_id) order, at most max_count: *count == 0
   * means the end. Start with (0, 0). Values as read_items. Required with
   * SPSYNC_CAP_READ_BACK when the sink has SPSYNC_CAP_VERSIONS. */
  spsync_status (*read_versions)(spsync_instance* inst, spsync_call* call, int64_t after_item_id,
                                 int64_t after_version_id, size_t max_count,
                                 const spsync_version* const** versions, size_t* count);

  /* Copies up to `capacity` bytes of the attachment's content, starting at
   * byte `offset`, into the host's `buffer`; *len == 0 means offset is at
   * (or past) the end. FATAL naming the file if there is no such attachment.
   * List them with attachment_list(). Required with SPSYNC_CAP_READ_BACK
   * when the sink has SPSYNC_CAP_ATTACHMENTS. */
  spsync_status (*attachment_read)(spsync_instance* inst, spsync_call* call, int64_t item_id,
                                   spsync_str file_name, uint64_t offset, void* buffer,
                                   size_t capacity, size_t* len);
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
