#!/usr/bin/env bash
# Builds the card firmware (docs/firmware.md) and prints its flash and RAM use: fetches the mbedTLS 3.6 sources
# once (cmake/mbedtls_source.sh), configures firmware/ with the arm-none-eabi toolchain into BUILD_DIR (default
# build-firmware; the host build is untouched) and builds BUILD_DIR/qscd-card.elf.
# usage: firmware/build.sh [BUILD_DIR] [JOBS]      (`make firmware`; the CTest test runs it too)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-firmware}
jobs=${2:-$(nproc)}
command -v arm-none-eabi-g++ >/dev/null || { echo "firmware: no arm-none-eabi-g++ (make deps installs gcc-arm-none-eabi)" >&2; exit 1; }
bash "$root/cmake/mbedtls_source.sh"
cmake -S "$root/firmware" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" >/dev/null
if ! cmake --build "$build" -j "$jobs" >"$build/build.log" 2>&1; then
  cat "$build/build.log" >&2
  echo "firmware: build failed (log: $build/build.log)" >&2
  exit 1
fi
echo "firmware: $build/qscd-card.elf (Cortex-M4, newlib, mbedTLS $(sed -n 's/.*MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$root/.deps/mbedtls-src/mbedtls/include/mbedtls/build_info.h"))"
python3 "$root/firmware/size_report.py" "$build/qscd-card.elf" "$build/qscd-card.map"
# Worst-case stack: the card core's entry points with mbedTLS's frames counted too, on this target.
if ! python3 "$root/simulator/tools/card_stack.py" "$build/CMakeFiles" --limit 4096 >"$build/stack.txt"; then
  cat "$build/stack.txt" >&2
  echo "firmware: worst-case stack over 4096 bytes (or the report failed)" >&2
  exit 1
fi
echo "worst-case stack, card core + mbedTLS (full report: $build/stack.txt)"
grep -v '<lambda' "$build/stack.txt" |
  sed -n 's/^ *\([0-9]*\) bytes  worst chain from .*qscd::sim::VirtualCard::\(process\|load\|format\)(.*/VirtualCard::\2 \1/p' | awk '{ printf "  %-40s %8s\n", $1, $2 }'
