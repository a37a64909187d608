#!/usr/bin/env bash
# Installs what spsync needs on Debian 12 and is missing: the build
# dependencies (apt; MinGW-w64 proves the SDK builds a Windows sink DLL)
# and the test peers (npm ci, from the committed lock file). Idempotent:
# does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config ccache clang-format git python3 nodejs npm
  libpoco-dev libboost-dev libspdlog-dev librdkafka-dev libsqlite3-dev sqlite3
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev libsimdjson-dev zlib1g-dev
  g++-mingw-w64-x86-64 python3-yaml prometheus openssl ca-certificates clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  # node/npm may come from elsewhere (e.g. NodeSource); only ask apt when absent.
  if [[ $p == nodejs && -x "$(command -v node)" ]] || [[ $p == npm && -x "$(command -v npm)" ]]; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The npm test peers, exactly as locked; skipped when the lock has not changed.
stamp=tests/node_modules/.spsync-lock.sha256
want=$(sha256sum tests/package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: npm ci in tests/"
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi
