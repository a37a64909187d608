// The suites register their benchmarks at run time (sizes depend on --huge
// and SPSYNC_BENCH_SMOKE).
#pragma once

namespace spsync::bench {

void RegisterParseSuite();        // 1. page parse
void RegisterFullSyncSuite();     // 2. + 3. full sync into SQLite, CSV, Kafka
void RegisterDeletionsSuite();    // 4. full resync with 10% deleted, reconcile
void RegisterIncrementalSuite();  // 5. 10,000 changes
void RegisterMemorySuite();       // 6. peak RSS at 100k and 1M
void RegisterEstateSuite();       // 7. 500 lists over 20 sites: discovery, idle runs
void RegisterLatencySuite();      // 8. + 9. full sync at SharePoint latency, with a budget
void RegisterShardsSuite();       // 10. four spsync run --shard processes
void RegisterServeSuite();        // 11. spsync serve: change -> row latency, idle cost
void RegisterExportSuite();       // 12. full sync through the Migration Export API vs REST
void RegisterAttachmentsSuite();  // 13. complete backups: attachments, requests and memory
void RegisterRestoreSuite();      // 14. restore into a new list: write requests, round trip

// Suite 12's child process: argv = {exe, "--spsync-export-child", fd, site, db, path, poll s}.
int ExportChildMain(int argc, char** argv);
// Suite 13's child process: argv = {exe, "--spsync-attachments-child", fd, site, db}.
int AttachmentsChildMain(int argc, char** argv);

}  // namespace spsync::bench
