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
