#!/usr/bin/env bash
# The README's second command and CI's only step: install what is missing,
# check formatting, then build and run the whole suite twice: release, and
# under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/check-format.sh
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
jobs=$(nproc)
# Each stage's heading says when it started, so a slow stage shows in the log.
stage() { echo "==== $1 (at $((SECONDS / 60)) min $((SECONDS % 60)) s)"; }
for preset in release asan; do
  stage "$preset: build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  stage "$preset: test"
  ctest --preset "$preset" -j"$jobs"
done
stage "fuzz: 20 s per target (tests/fuzz/README.md)"
tests/fuzz/run.sh 20
stage "done"
