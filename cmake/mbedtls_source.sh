#!/usr/bin/env bash
# The mbedTLS 3.6 sources for the firmware build (`make firmware`, docs/firmware.md): the upstream release
# tarball (.orig.tar) of Debian trixie's mbedtls source package, fetched through a private apt configuration
# (apt checks it against the signed Sources index) and unpacked into .deps/mbedtls-src/mbedtls.
# Idempotent: does nothing once the tree is there. Never edits the system's apt configuration.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.deps/mbedtls-src"
[ -f "$dest/mbedtls/include/mbedtls/build_info.h" ] && exit 0

echo "mbedtls-source: fetching Debian trixie's mbedtls source package into $dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=cmake/trixie_apt.sh
source "$root/cmake/trixie_apt.sh"
trixie_apt_setup "$work" deb-src
mkdir -p "$work/src"
(cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only -qq mbedtls >/dev/null) \
  || { echo "mbedtls-source: could not download the mbedtls source package from trixie" >&2; exit 1; }
orig=$(ls "$work"/src/mbedtls_*.orig.tar.*)
mkdir -p "$work/tree"
tar -xf "$orig" -C "$work/tree"
tree=$(ls -d "$work"/tree/mbedtls-*)
version=$(sed -n 's/.*MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$tree/include/mbedtls/build_info.h")
case $version in
  3.6.*) ;;
  *) echo "mbedtls-source: trixie has mbedTLS $version, the firmware needs 3.6" >&2; exit 1 ;;
esac
rm -rf "$dest"
mkdir -p "$dest"
mv "$tree" "$dest/mbedtls"
echo "mbedtls-source: mbedTLS $version ($(basename "$orig")) ready"
