#!/usr/bin/env bash
# The README's first command: install what is missing, build (release), and
# run the demo: a full and an incremental sync of an emulated SharePoint list
# into SQLite and CSV.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target spsync spsync-emulator spsync_sink_sqlite spsync_sink_csv
build/release/bin/spsync demo --items "${SPSYNC_DEMO_ITEMS:-100000}" --dir "${SPSYNC_DEMO_DIR:-./spsync-demo}"
