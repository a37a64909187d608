#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a
# few seconds from its seed corpus. Fails if any target finds a crash (the
# reproducer is left in build/fuzz/crashes/<target>/: add it to
# tests/fuzz/corpus/<target>/ as a regression input once fixed).
#   tests/fuzz/run.sh [seconds per target, default 20] [target...]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(item_page change_page next_link change_token config caml)
build=build/fuzz
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not installed (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
cmake -S tests/fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
status=0
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus" "$build/crashes/$t"
  # Regression inputs first (every committed input, once), then fuzz from a
  # scratch copy so the committed corpus only grows by hand.
  "$build/fuzz_$t" -runs=0 tests/fuzz/corpus/$t >/dev/null 2>&1 || {
    echo "fuzz: $t fails on a committed corpus input"; status=1; continue; }
  log="$build/$t.log"
  if "$build/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$build/crashes/$t/" -print_final_stats=1 \
      "$corpus" tests/fuzz/corpus/$t >"$log" 2>&1; then
    runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz: $t ok, ${runs:-?} executions in ${secs}s"
  else
    echo "fuzz: $t FOUND A CRASH (log: $log, input in $build/crashes/$t/)"
    grep -m5 -E 'ERROR|SUMMARY|runtime error' "$log" || true
    status=1
  fi
done
exit $status
