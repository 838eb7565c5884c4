#!/usr/bin/env bash
# Installs what qscd needs on Debian 12 (or newer): Debian packages, and mbedTLS 3.6 LTS.
# Idempotent and quiet when everything is present. Never edits the system's apt configuration.
#
# mbedTLS: if the system ships >= 3.6 we use it; Debian 12 ships 2.28 (end of life, lacks the
# CVE-2024-23170 fix), so we fetch Debian's own 3.6 packages from trixie with a private sources
# file and list directory, and extract them into a git-ignored project-local prefix (.deps/mbedtls).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix="$root/.deps/mbedtls"

packages=(
  build-essential cmake pkg-config catch2 libcli11-dev nlohmann-json3-dev libfmt-dev
  openssl libpcsclite-dev
  pcscd vsmartcard-vpcd opensc pcsc-tools gnupg scdaemon iproute2 util-linux  # e2e: tests/e2e (private pcscd only)
  clang libclang-rt-14-dev valgrind strace  # robustness: libFuzzer targets (fuzz/), valgrind target; strace: bytes read (tests/cli)
  softhsm2 gnuplot-nox time          # benchmarks: SoftHSM2 as a peer, the chart, peak RSS
  python3 binutils                  # the card core's stack report (simulator/tools/card_stack.py), nm in tests/firmware
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm  # make firmware(-test)
  bzip2                             # the mbedTLS source package for the firmware (cmake/mbedtls_source.sh)
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install packages" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

say() { [ "${QSCD_DEPS_QUIET:-0}" = 1 ] || echo "deps: $*"; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- mbedTLS 3.6 ---------------------------------------------------------------------------
system_mbedtls_ok() {
  local v
  v=$(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null) || return 1
  dpkg --compare-versions "$v" ge 3.6 && [ -f /usr/lib/"$(dpkg-architecture -qDEB_HOST_MULTIARCH)"/cmake/MbedTLS/MbedTLSConfig.cmake ]
}

if system_mbedtls_ok; then
  exit 0
fi
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
if [ -f "$prefix/usr/lib/$multiarch/cmake/MbedTLS/MbedTLSConfig.cmake" ]; then
  exit 0
fi

say "fetching Debian's mbedTLS 3.6 packages into $prefix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs"
# shellcheck source=cmake/trixie_apt.sh
source "$root/cmake/trixie_apt.sh"
trixie_apt_setup "$work" deb || { echo "deps: could not set up apt for trixie" >&2; exit 1; }
(cd "$work/debs" && apt-get "${apt_opts[@]}" download -qq \
   libmbedtls-dev libmbedcrypto16 libmbedtls21 libmbedx509-7 >/dev/null 2>&1) \
  || { echo "deps: could not download mbedTLS 3.6 packages from trixie" >&2; exit 1; }

rm -rf "$prefix.tmp"
mkdir -p "$prefix.tmp"
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$prefix.tmp"; done
[ -f "$prefix.tmp/usr/lib/$multiarch/cmake/MbedTLS/MbedTLSConfig.cmake" ] \
  || { echo "deps: mbedTLS packages lack the CMake config; unexpected layout" >&2; exit 1; }
rm -rf "$prefix"
mv "$prefix.tmp" "$prefix"
say "mbedTLS $(sed -n 's/.*MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$prefix/usr/include/mbedtls/build_info.h") ready"
