#!/usr/bin/env bash
# cmake --install gives a usable package: exactly the public headers (each compiles on its own from the
# installed tree), a downstream CMake project that finds it with find_package(qscd), builds, signs
# through SigningService and verifies; pkg-config knows the flags too.
set -euo pipefail
build=${1:?build dir}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in lib/cmake/qscd/qscdConfig.cmake lib/pkgconfig/qscd.pc lib/libqscd_service.a lib/libqscd_core.a bin/qscd lib/systemd/system/qscd-kiosk@.service; do
  [ -e "$work/prefix/$f" ] || { echo "missing after install: $f"; exit 1; }
done

# The public API, and nothing else (README "Signing from C++" lists the same headers).
expected="qscd/algorithms.hpp
qscd/audit.hpp
qscd/codec/bytes.hpp
qscd/codec/status_word.hpp
qscd/error.hpp
qscd/key_handle.hpp
qscd/kiosk.hpp
qscd/pin_entry.hpp
qscd/secure_bytes.hpp
qscd/signing/cades.hpp
qscd/signing/cades_verify.hpp
qscd/signing_policy.hpp
qscd/signing_service.hpp
qscd/simulated_token.hpp
qscd/token.hpp
qscd/token_discovery.hpp"
installed=$(cd "$work/prefix/include" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
if [ "$installed" != "$expected" ]; then
  echo "installed headers differ from the public API:"; diff <(echo "$expected") <(echo "$installed") || true; exit 1
fi
# Each header stands alone: it includes only public headers and the standard library.
for h in $installed; do
  echo "#include <$h>" | c++ -std=c++20 -fsyntax-only -Wall -Werror -I"$work/prefix/include" -x c++ - \
    || { echo "public header $h does not compile on its own from the installed tree"; exit 1; }
done

cmake -S "$here/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" -j 2 >/dev/null
(cd "$work" && "$work/consumer/consumer" "$work/state")
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs qscd | grep -q -- "-lqscd_service"
echo "install: $(echo "$installed" | wc -l) public headers, package found, consumer built, signed through SigningService and verified"
