// spsync-bench: Google Benchmark suites of issue 9, with raw baselines in the
// same process and a summary of ratios vs targets at the end.
//
//   spsync-bench [--huge] [benchmark flags]
//   SPSYNC_BENCH_SMOKE=1 spsync-bench   # tiny lists (the ctest smoke run)
#include "bench_common.hpp"
#include "spsync/engine/process.hpp"
#include "suites.hpp"

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  // The measured runs are child processes: give them the allocator settings
  // the spsync CLI runs with (see engine/include/spsync/engine/process.hpp).
  spsync::engine::SetTunedAllocatorEnvironment();
  if (argc > 1 && std::strcmp(argv[1], "--spsync-child") == 0)
    return spsync::bench::ChildMain(argc, argv);
  if (argc > 1 && std::strcmp(argv[1], "--spsync-export-child") == 0)
    return spsync::bench::ExportChildMain(argc, argv);
  if (argc > 1 && std::strcmp(argv[1], "--spsync-attachments-child") == 0)
    return spsync::bench::AttachmentsChildMain(argc, argv);

  // Our own flags, stripped before benchmark::Initialize sees them.
  bool json = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--huge") == 0) {
      spsync::bench::SetHugeMode(true);
      continue;
    }
    std::string a = argv[i];
    if (a.rfind("--benchmark_format=", 0) == 0 && a != "--benchmark_format=console") json = true;
    args.push_back(argv[i]);
  }
  spsync::bench::RegisterParseSuite();
  spsync::bench::RegisterFullSyncSuite();
  spsync::bench::RegisterDeletionsSuite();
  spsync::bench::RegisterIncrementalSuite();
  spsync::bench::RegisterMemorySuite();
  spsync::bench::RegisterEstateSuite();
  spsync::bench::RegisterLatencySuite();
  spsync::bench::RegisterShardsSuite();
  spsync::bench::RegisterServeSuite();
  spsync::bench::RegisterExportSuite();
  spsync::bench::RegisterAttachmentsSuite();
  spsync::bench::RegisterRestoreSuite();

  int n = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  // With a machine-readable format on stdout the table goes to stderr.
  std::string summary = spsync::bench::Summary::Get().Format();
  if (json) {
    std::cerr << summary << std::flush;
  } else {
    std::cout << summary << std::flush;
  }
  return 0;
}
