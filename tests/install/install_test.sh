#!/usr/bin/env bash
# cmake --install gives a usable package: a downstream CMake project finds it with find_package(qscd),
# builds, signs and verifies; pkg-config knows the flags too.
set -euo pipefail
build=${1:?build dir}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in lib/cmake/qscd/qscdConfig.cmake lib/pkgconfig/qscd.pc include/qscd/key_handle.hpp include/qscd/audit.hpp lib/libqscd_core.a lib/libqscd_service.a bin/qscd; do
  [ -e "$work/prefix/$f" ] || { echo "missing after install: $f"; exit 1; }
done
cmake -S "$here/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" -j 2 >/dev/null
(cd "$work" && "$work/consumer/consumer" "$work/state")
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs qscd | grep -q -- "-lqscd_core"
echo "install: package found, consumer built, signed and verified"
