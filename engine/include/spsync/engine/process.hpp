// Process-wide settings the spsync CLI applies at start-up; embedders may
// call them too.
#pragma once

namespace spsync::engine {

// glibc's malloc raises its mmap and trim thresholds dynamically, so multi-
// hundred-KiB buffers (a page's item array, response bodies, sink batches)
// end up in a heap that fragments as pages come and go: peak memory then
// grows with the list's size (measured, 1M items: 52 MiB instead of 35 MiB).
// Fixing the thresholds only helps if it is done before the first
// allocation, which in practice means in the environment
// (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_): calling mallopt() from
// main(), or even from an early constructor, was measured to be too late.
//
// If neither variable is set, sets both and re-executes the program
// (/proc/self/exe) with `argv`; returns only if that is not possible (then
// the program runs as it is). Call first thing in main().
void ReexecWithTunedAllocator(char** argv);

// Sets the variables for child processes this process will start, without
// re-executing (benchmarks start their measured runs as children).
void SetTunedAllocatorEnvironment();

}  // namespace spsync::engine
