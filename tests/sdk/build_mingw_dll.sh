#!/usr/bin/env bash
# Builds samples/vendor-sink as a Windows DLL with MinGW-w64, against the
# SDK as `cmake --install --component sdk` installs it, and checks the DLL's
# export table lists exactly spsync_sink_entry (nothing of libstdc++, the
# SDK's inline helpers or the sink leaks out). Exit 77 (ctest: skipped) with
# the reason when the cross compiler is missing.
#
# Usage: build_mingw_dll.sh <spsync build dir> <sample source dir> <work dir> <cmake generator>
set -euo pipefail
binary_dir=$1 source_dir=$2 work_dir=$3 generator=$4

gxx=$(command -v x86_64-w64-mingw32-g++ || true)
objdump=$(command -v x86_64-w64-mingw32-objdump || true)
if [[ -z $gxx || -z $objdump ]]; then
  echo "SKIPPED: MinGW-w64 is not installed (x86_64-w64-mingw32-g++ / -objdump not found);" \
    "install Debian's g++-mingw-w64-x86-64, as scripts/setup.sh does"
  exit 77
fi

rm -rf "$work_dir"
mkdir -p "$work_dir"
cmake --install "$binary_dir" --component sdk --prefix "$work_dir/prefix" >/dev/null
cat > "$work_dir/mingw.cmake" <<TOOLCHAIN
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_CXX_COMPILER $gxx)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
TOOLCHAIN
# A self-contained DLL: the C++ runtime linked in, not a DLL it needs.
cmake -S "$source_dir" -B "$work_dir/build" -G "$generator" \
  -DCMAKE_TOOLCHAIN_FILE="$work_dir/mingw.cmake" \
  -DCMAKE_PREFIX_PATH="$work_dir/prefix" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" \
  -DCMAKE_MODULE_LINKER_FLAGS="-static-libgcc -static-libstdc++ -static" >/dev/null
cmake --build "$work_dir/build"

dll="$work_dir/build/libspsync-sink-jsonl.dll"
[[ -f $dll ]] || { echo "FAIL: $dll was not built"; exit 1; }
format=$("$objdump" -f "$dll" | sed -n 's/.*file format //p')
[[ $format == pei-x86-64 ]] || { echo "FAIL: $dll is '$format', not a PE32+ DLL"; exit 1; }
exports=$("$objdump" -p "$dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | sed '1d;/^$/d' |
  awk '{print $NF}')
echo "export table of $dll:"
echo "$exports" | sed 's/^/  /'
if [[ $exports != spsync_sink_entry ]]; then
  echo "FAIL: the DLL must export exactly spsync_sink_entry"
  exit 1
fi
echo "ok: $dll exports exactly spsync_sink_entry"
