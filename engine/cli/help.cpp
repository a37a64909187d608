#include "commands.hpp"

namespace spsync::cli {

namespace {

const char* kTop =
    R"(spsync: keeps copies of SharePoint lists in other systems (SQLite, CSV, Kafka, S3, vendor sinks).

Usage: spsync <command> [options]        spsync <command> --help   for details and an example

Commands:
  init      write a starter config from a site: its lists as entities, or a discovery rule
  run       sync the entities of a config into their sinks (full, then incremental)
  serve     keep every pair in sync as a daemon: list webhooks, polling, health, metrics
  status    show the sync state of every (entity, sink) pair
  reset     forget an entity's state so the next run starts a full sync
  validate  check a config: keys, plugins, sink options (--connect: reach the site and sinks)
  snapshot  write a snapshot of an entity's live items, where the sink supports it
  restore   put an entity's items back into SharePoint from a sink (a new list, or the missing ones)
  sinks     list the installed sink plugins
  demo      run the whole thing against a built-in SharePoint emulator
  --version print the version and the sink ABI version

Exit codes:
  0  all sessions complete
  1  at least one session failed
  2  usage or config error
  3  at least one session partial (time budget reached or interrupted; the next run resumes)
  4  an incident threshold was reached (run.incidentAfterFails consecutive failed sessions)
)";

const char* kRun =
    R"(Usage: spsync run --config FILE [--entity NAME]... [--timeout 10m] [--full] [--reconcile]
                  [--shard i/n | --shards n] [--metrics-file F] [--plugin-dir DIR]...
                  [--log-format text|json] [--verbose]

Runs one session for each selected (entity, sink) pair, at most run.parallel at a time.
The first session of a pair copies the whole list (full mode, resumable page by page);
later sessions apply only the changes since the last one (incremental mode).

  --config FILE      the config file (JSON; see "Paths" below)
  --entity NAME      only this entity (repeatable); default: all
  --timeout DUR      time budget, e.g. 90s, 10m, 1h (default: run.timeout, or none);
                     at expiry the page in hand is finished and saved, and the exit code is 3
  --full             forget the state and resync everything (deletions are still detected)
  --reconcile        an ID-only pass that deletes from the sinks what the list no longer has
  --shard i/n        run only shard i (0-based) of n: the entities whose site URL and name hash
                     to it, each with all its sinks (rendezvous hashing: n -> n+1 moves about
                     1/(n+1) of them); this process spends 1/n of the request budget
  --shards n         the same, with i from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job with
                     completions: n); a missing or out-of-range index is a usage error
  --metrics-file F   at the end, write the run's metrics in the Prometheus text format to F
                     (for node_exporter's textfile collector; same names as `serve`'s /metrics)
  --plugin-dir DIR   also look for sink plugins here (repeatable)
  --log-format F     text (default) or json (one JSON object per line)
  --verbose          debug logging

Ctrl-C / SIGTERM finish the page in hand, save the state and exit with 3.

Paths: relative paths in the config (sink paths such as sqlite's path and csv's dir,
run.workDir, run.caFile, pluginDirs, the auth files) are relative to the config file's folder,
not to the current directory, so a run from any folder reads and writes the same files. The
run logs the absolute work directory and sink paths at start. A relative path that does not
exist next to the config but does exist under the current directory (where earlier versions
put it) is used there, with a warning; move it next to the config, or make the path absolute,
to silence it.

Examples:
  spsync run --config /etc/spsync/sales.json --timeout 9m
  spsync run --config /config/spsync.json --shards 4 --timeout 12m   # pod of an Indexed Job
)";

const char* kStatus =
    R"(Usage: spsync status --config FILE [--entity GLOB]... [--site NAME]... [--failed] [--gone]
                     [--shard i/n | --shards n] [--json] [--plugin-dir DIR]...

Shows a summary of every (entity, sink) pair by state (incremental, full sync in progress, not
synced yet, failing, gone, unreadable), then the pairs: state, stage, last successful sync,
failed sessions, change token age and items synced. Discovered entities are included, with the
lists that have gone away since. Reads only the state the sinks and the work directory hold.

  --entity GLOB   only entities whose name matches (* and ?; repeatable)
  --site NAME     only entities of this site (repeatable)
  --failed        only pairs whose last session failed
  --gone          only discovered lists that no longer exist
  --shard i/n     only the pairs `spsync run --shard i/n` runs (--shards n: i from
                  JOB_COMPLETION_INDEX); the summary counts only them
  --json          every field of every selected pair, as a JSON array

Example:
  spsync status --config estate.json --site sales --failed
)";

const char* kReset =
    R"(Usage: spsync reset --config FILE (--entity NAME [--sink NAME] | --gone) [--plugin-dir DIR]...

Forgets the sync state of an entity (in every sink, or only --sink), so the next run starts a
full sync. The data in the sink stays; the full sync overwrites it and deletes what is gone.
With --gone, forgets every discovered list that no longer exists: its state in each sink and its
entry in the work directory (the data the sinks hold stays).

Examples:
  spsync reset --config sales.json --entity orders --sink db
  spsync reset --config estate.json --gone
)";

const char* kValidate = R"(Usage: spsync validate --config FILE [--connect] [--plugin-dir DIR]...

Parses the config, loads every plugin and checks every sink option against the options the
sink declares. With --connect it also reads each list from the site and asks each sink to
check its destination. A mistake is shown as file:line:column with the line and a caret under
the spot, and the exit code is 2.

Relative paths in the config are relative to the config file's folder, not to the current
directory (see `spsync run --help`).

Example:
  spsync validate --config sales.json --connect
)";

const char* kSnapshot =
    R"(Usage: spsync snapshot --config FILE --entity NAME [--sink NAME] [--plugin-dir DIR]...

Asks the sink to write a snapshot of the entity's live items (CSV: snapshot.csv next to the
change log; S3: snapshot.ndjson.gz). Without --sink, every sink of the entity that can.

Example:
  spsync snapshot --config sales.json --entity orders
)";

const char* kRestore =
    R"TXT(Usage: spsync restore --config FILE --entity NAME --from SINK
                      (--to-list TITLE [--site NAME] | --missing) [--as-of TIME]
                      [--dry-run] [--map FILE] [--plugin-dir DIR]... [--verbose]

Writes the items a sink holds for an entity back into SharePoint:
  --to-list TITLE  a new list of that title (in the entity's site, or --site NAME of the
                   config), created with the backup's fields (types, required flags, choices),
                   filled with every item of the backup and their attachments
  --missing        the original list: only the items gone from it, restored from the site's
                   recycle bin where they still are (keeping their IDs), else created again
  --as-of TIME     the items as they were at TIME (ISO 8601, e.g. 2026-11-30T12:00:00Z, or
                   Unix seconds), from the version history the sink keeps (`versions: true`)
  --dry-run        read the backup and the target, print what would be written, write nothing

The sink must be readable (SQLite, CSV and S3 are; Kafka is not). Items are created in OData
$batches of 100. People are mapped by e-mail (ensureuser) and lookups by their looked-up value
when the backup kept them (`resolve: true`); otherwise, in the site the backup came from, their
IDs are kept. A value that cannot be mapped is left out and listed in the report; the item is
still written. The ID map (one `map OLD NEW` line per item) is written as the restore goes, by
default under <workDir>/restore/<entity>/<sink>-<target>.map; it is also the restore's progress:
run the same command again after a kill or an error and it goes on without creating any item
twice. Exit code 1 if SharePoint refused an item (listed in the report).

Examples:
  spsync restore --config sales.json --entity orders --from db --to-list "Orders (restored)"
  spsync restore --config sales.json --entity orders --from db --missing --dry-run
)TXT";

const char* kSinks = R"(Usage: spsync sinks [--plugin-dir DIR]...

Lists every sink plugin found: name, version, ABI version, capabilities and file.
Search order: --plugin-dir, SPSYNC_PLUGIN_PATH (colon-separated), <bin>/../lib/spsync/sinks,
then the install prefix's lib/spsync/sinks.

Example:
  spsync sinks --plugin-dir ./build/my-sink
)";

const char* kInit =
    R"(Usage: spsync init --site URL [auth options] [--sink KIND:WHERE]... [--discover]
                   [--include GLOB]... [--exclude GLOB]... [--template list|library|N]...
                   [-o FILE] [--force] [--site-name NAME] [--plugin-dir DIR]...

Connects to the site, lists its lists, and writes a working starter config: the site with the
auth given, one entity per list with its visible fields as `select` (or, with --discover, a
discovery rule that also takes the subwebs' lists and the lists added later), the sinks, and a
run block (workDir .spsync next to the config, parallel 4, timeout 10m). Then it checks the
file as `spsync validate` does. It takes generic lists (BaseTemplate 100) that are neither
hidden nor system lists, and says what it skipped and why.

  --site URL            the site, e.g. https://contoso.sharepoint.com/sites/sales
  --sink KIND:WHERE     sqlite:PATH, csv:DIR, kafka:BROKERS, s3:s3://BUCKET/PREFIX or
                        s3:http(s)://HOST:PORT/BUCKET/PREFIX (repeatable; default
                        sqlite:<FILE's name>.db next to the config); S3 credentials are
                        written as ${AWS_ACCESS_KEY_ID} and ${AWS_SECRET_ACCESS_KEY}
  --discover            a discovery rule (with subwebs) instead of one entity per list
  --include GLOB        only lists whose title matches (* and ?; repeatable; default *)
  --exclude GLOB        not these lists (repeatable)
  --template T          list (default), library, or a BaseTemplate number (repeatable)
  -o, --output FILE     the config to write (default: spsync.json in the current folder);
                        an existing file is left alone unless --force is given
  --site-name NAME      the site's key under `sites` (default: the URL's last segment); it
                        begins the names of discovered entities

Auth (the type follows from the options when --auth is left out; default none):
  --auth TYPE                    bearer, azure-certificate, managed-identity or none
  --token-env NAME               bearer: the environment variable holding the token
  --token-file FILE              bearer: a file holding the token
  --tenant T --client-id ID --certificate PEM [--private-key PEM]
  [--private-key-password-env NAME] [--authority URL] [--algorithm RS256|PS256]
                                 azure-certificate (an app registration with a certificate)
  --client-id ID                 managed-identity: a user-assigned identity
  --resource URL                 the token audience (default: the site's scheme and host)
Secrets never reach the file: it holds the NAMES of environment variables (`tokenEnv`,
`${NAME}`), and options that would take a secret as a value (--token, --client-secret,
--private-key-password) are refused. A ${NAME} typed in a value (--client-id '${APP_ID}') is
written as it is and expanded when the config is read.

Paths on the command line are relative to the current folder, as in any command; the config
holds them relative to its own folder when they lie under it, else absolute (relative paths
in a config are relative to the config's folder: see `spsync run --help`).

Exit codes: 0 written and valid; 1 the site could not be read or has no list to take;
2 usage error, the output exists (without --force), or the written config fails the checks.

Examples:
  export SP_TOKEN=...
  spsync init --site https://contoso.sharepoint.com/sites/sales --token-env SP_TOKEN \
              --sink sqlite:data/sales.db -o sales.json
  spsync init --site https://contoso.sharepoint.com/sites/hr --tenant contoso.onmicrosoft.com \
              --client-id 1b2c... --certificate spsync.pem --discover -o hr.json
)";

const char* kDemo = R"(Usage: spsync demo [--items 100000] [--dir ./spsync-demo]

Starts a SharePoint emulator in-process with a list of --items items, syncs it into SQLite and
CSV, then adds, updates, deletes and restores items through SharePoint's REST API, runs an
incremental sync, and shows what happened and how to look at the result.

Example:
  spsync demo --items 20000 --dir /tmp/spsync-demo
)";

const char* kServe =
    R"(Usage: spsync serve --config FILE [--unsubscribe] [--plugin-dir DIR]... [--log-format text|json]
                    [--verbose]

Keeps every (entity, sink) pair of the config in sync until stopped. With serve.publicUrl set,
each list gets a SharePoint webhook subscription (made at start, renewed before it expires, made
again if SharePoint loses it; kept in <run.workDir>/serve/subscriptions.json); a notification
schedules an incremental session for its list within seconds. Every pair is also polled every
serve.pollEvery (15m), since SharePoint drops notifications it cannot deliver. At most one
session per entity runs at a time (notifications meanwhile give one more session after it),
run.parallel at once; a long full sync yields its worker every serve.sessionBudget (5m).

  --config FILE      the config file; its `serve` section (all optional):
                       listen "0.0.0.0:8080", publicUrl "https://host/webhook", pollEvery "15m",
                       staleAfter "1h", sessionBudget "5m", subscriptionCheckEvery "1h",
                       subscriptionDays 180, renewBefore "60d", tlsCertificate/tlsKey (PEM)
  --unsubscribe      delete this config's webhook subscriptions from SharePoint, then exit
  --plugin-dir DIR   also look for sink plugins here (repeatable)
  --log-format F     text (default) or json
  --verbose          debug logging

Endpoints: POST <publicUrl's path> (SharePoint's webhook calls: the validation handshake and
notifications, checked against each subscription's secret clientState), GET /healthz (alive),
GET /readyz (503 while a pair has no complete session within staleAfter), GET /metrics
(Prometheus text format). Plain HTTP is meant to sit behind a TLS reverse proxy; SharePoint
calls only https URLs. SIGTERM / Ctrl-C finish the pages in hand, save the state, exit 0.

Example:
  spsync serve --config /etc/spsync/sales.json
)";

}  // namespace

std::string HelpText(const std::string& command) {
  if (command == "run") return kRun;
  if (command == "serve") return kServe;
  if (command == "status") return kStatus;
  if (command == "reset") return kReset;
  if (command == "validate") return kValidate;
  if (command == "snapshot") return kSnapshot;
  if (command == "sinks") return kSinks;
  if (command == "restore") return kRestore;
  if (command == "demo") return kDemo;
  if (command == "init") return kInit;
  return kTop;
}

}  // namespace spsync::cli
