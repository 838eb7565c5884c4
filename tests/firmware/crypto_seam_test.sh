#!/usr/bin/env bash
# The card core's crypto seam and codec split (issue 15 item 3), checked on the sources and the built objects:
# - no card public header (simulator/card/include) names mbedTLS;
# - of the card sources, only card_crypto_mbedtls.cpp includes mbedTLS, and only its object references it;
# - the card core and the codec parsers it links reference no allocator (operator new, malloc) and no
#   exception machinery; the host encoders live in qscd_codec, which the card does not link.
# usage: crypto_seam_test.sh SOURCE_DIR LIBQSCD_SIM.a LIBQSCD_CODEC_PARSERS.a
set -uo pipefail
src=$1 sim_lib=$2 parsers_lib=$3
source "$src/tests/support/assert.sh"

headers=$(grep -rlE 'mbedtls_[a-z]|<mbedtls/|MBEDTLS_' "$src/simulator/card/include")
if [ -z "$headers" ]; then ok "no card public header names mbedTLS"; else bad "card public headers name mbedTLS: $headers"; fi

includers=$(grep -rlE '#include <mbedtls/' "$src/simulator/card" | sed "s|$src/||" | sort)
if [ "$includers" = "simulator/card/src/card_crypto_mbedtls.cpp" ]; then ok "only card_crypto_mbedtls.cpp includes mbedTLS"
else bad "mbedTLS included outside the seam: $includers"; fi

# Per object: which members of the card library reference mbedTLS symbols.
users=$(nm -A --undefined-only "$sim_lib" | grep -E ' U mbedtls_' | sed -E 's/^[^:]*:([^:]*):.*/\1/' | sort -u)
if [ "$users" = "card_crypto_mbedtls.cpp.o" ]; then ok "only card_crypto_mbedtls.cpp.o calls mbedTLS"
else bad "objects calling mbedTLS outside the seam: $users"; fi

for lib in "$sim_lib" "$parsers_lib"; do
    syms=$(nm -C --undefined-only "$lib") || { bad "nm $lib"; continue; }
    forbidden=$(grep -E ' U (operator new|operator delete|malloc|calloc|realloc|free|__cxa_throw|__cxa_allocate_exception)\b' <<<"$syms")
    if [ -z "$forbidden" ]; then ok "$(basename "$lib") references no allocator and no exception"
    else bad "$(basename "$lib") references the heap or exceptions: $forbidden"; fi
done
finish
