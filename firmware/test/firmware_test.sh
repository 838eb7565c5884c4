#!/usr/bin/env bash
# make firmware-test (issue 15 item 5, docs/firmware.md): runs the card firmware on QEMU's Cortex-M4 board
# (mps2-an386) with each APDU script here, then judges the transcripts on the host: every APDU answers 9000,
# the signature is over message.txt, openssl verifies it with the public key the card generated and rejects
# it with one byte flipped (so this test can fail); the signature counter is 1; the stack was not used up;
# the image links no allocator or exception runtime.
#   sign.apdu      ECDSA P-256 (the raw SHA-256 digest in, r || s out)
#   sign_rsa.apdu  RSA-2048 PKCS#1 v1.5 (the DigestInfo in)
# usage: firmware_test.sh FIRMWARE.elf
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/support/assert.sh"
elf=${1:?usage: firmware_test.sh FIRMWARE.elf}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
message=$here/message.txt
digest=$(openssl dgst -sha256 -binary "$message" | xxd -p -c 64)

# The emulated board: semihosting carries the script in and the transcript out, and ends QEMU with the
# firmware's exit status. The timeout bounds a hung firmware.
run_firmware() {
  timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$elf" -append "$1"
}

# Runs SCRIPT; checks what every script must show; the transcript is left in $transcript.
run_script() {
  local script=$1 n_commands n_ok peak reserved
  expect 0 "$script: the firmware runs to the end of the script" -- run_firmware "$here/$script"
  transcript=$out
  printf '%s\n' "$transcript" | sed 's/^\([<>] [0-9a-f]\{72\}\).*/\1.../'
  contains "$script: the firmware reports the end of the script" "end of script"
  n_commands=$(grep -c '^> ' <<<"$transcript")
  n_ok=$(grep -c '^< \([0-9a-f][0-9a-f]\)*9000$' <<<"$transcript")
  if [ "$n_commands" = 7 ] && [ "$n_ok" = 7 ]; then ok "$script: all 7 APDUs answer 9000"; else bad "$script: $n_ok of $n_commands APDUs (7 expected) answer 9000"; fi
  if [ "$(response_to 00ca007a)" = 7a0593030000019000 ]; then ok "$script: GET DATA 7A, the signature counter is 1"; else bad "$script: GET DATA 7A answer: $(response_to 00ca007a)"; fi
  # The painted stack (startup.cpp) must not have been used up: below it lies .bss, the card object.
  peak=$(sed -n 's/^stack peak: \([0-9]*\) bytes$/\1/p' <<<"$transcript")
  reserved=$(sed -n 's/^stack reserved: \([0-9]*\) bytes$/\1/p' <<<"$transcript")
  if [ -n "$peak" ] && [ -n "$reserved" ] && [ "$peak" -lt "$reserved" ]; then ok "$script: stack peak $peak bytes < $reserved reserved"; else bad "$script: stack peak '$peak' of '$reserved'"; fi
}

# The response to (the command after) the first command whose hex starts with $1, without its SW if 9000.
response_to() { printf '%s\n' "$transcript" | awk -v p="> $1" 'index($0, p) == 1 { getline; sub(/^< /, ""); print; exit }'; }
command_starting() { printf '%s\n' "$transcript" | awk -v p="> $1" 'index($0, p) == 1 { sub(/^> /, ""); print; exit }'; }

# DER (X.690 §8.1.3 lengths, §8.3 INTEGER): a TLV from a tag and hex contents; an INTEGER from unsigned hex
# without redundant leading zeros and with one 00 before a high bit.
der() {
  local tag=$1 body=$2 n=$((${#2} / 2))
  if [ $n -lt 128 ]; then printf '%s%02x%s' "$tag" $n "$body"
  elif [ $n -lt 256 ]; then printf '%s81%02x%s' "$tag" $n "$body"
  else printf '%s82%04x%s' "$tag" $n "$body"; fi
}
der_integer() {
  local h=$1
  while [ ${#h} -gt 2 ] && [ "${h:0:2}" = 00 ] && [ $((16#${h:2:1})) -lt 8 ]; do h=${h:2}; done
  [ $((16#${h:0:1})) -ge 8 ] && h=00$h
  der 02 "$h"
}
# The signature with its last byte's low bit flipped.
flipped() { printf '%s%02x' "${1:0:${#1}-2}" $((16#${1: -2} ^ 0x01)); }

# Verifies signature file $2 over message.txt with public key $1 (PEM); then a flipped copy $3 must fail.
judge() {
  local name=$1
  expect 0 "$name: openssl verifies the firmware's signature over message.txt" -- \
    openssl dgst -sha256 -verify "$work/$name.pem" -signature "$work/$name.sig" "$message"
  contains "$name: openssl says Verified OK" "Verified OK"
  expect 1 "$name: openssl rejects the signature with one byte flipped" -- \
    openssl dgst -sha256 -verify "$work/$name.pem" -signature "$work/$name.bad" "$message"
}

# The image links no heap allocator and no C++ exception runtime: mbedTLS's bignums come from its static
# buffer (firmware/mbedtls_config.h), the card core allocates nothing.
linked=$(arm-none-eabi-nm -C "$elf" | grep -E ' [TtWw] (malloc|_malloc_r|calloc|_calloc_r|realloc|free|_free_r|_sbrk|operator new|operator delete|__cxa_throw|__cxa_allocate_exception|__gxx_personality_v0|_Unwind_Resume)\b' || true)
if [ -z "$linked" ]; then ok "the image links no allocator and no exception runtime"; else bad "the image links: $linked"; fi

# ---- ECDSA P-256 ---------------------------------------------------------------------------------------
run_script sign.apdu
# GENERATE: 7F49 43 86 41 04 X Y (OpenPGP card 3.4 §7.2.14).
point=$(response_to 0047800002b6)
point=${point#7f49438641}
point=${point%9000}
if [[ $point =~ ^04[0-9a-f]{128}$ ]]; then ok "p256: GENERATE answers an uncompressed point"; else bad "p256: GENERATE answer: $(response_to 0047800002b6)"; fi
if [ "$(command_starting 002a9e9a)" = "002a9e9a20${digest}00" ]; then ok "p256: PSO:CDS signs SHA-256(message.txt)"; else bad "p256: PSO:CDS command: $(command_starting 002a9e9a)"; fi
rs=$(response_to 002a9e9a)
rs=${rs%9000}
if [[ $rs =~ ^[0-9a-f]{128}$ ]]; then ok "p256: PSO:CDS answers r || s, 64 bytes"; else bad "p256: PSO:CDS answer: $rs"; fi
# SubjectPublicKeyInfo (RFC 5480 §2: id-ecPublicKey, secp256r1); openssl also checks the point is on the curve.
xxd -r -p <<<"3059301306072a8648ce3d020106082a8648ce3d030107034200$point" >"$work/p256.der"
expect 0 "p256: openssl reads the card's public key" -- \
  openssl pkey -pubin -inform DER -in "$work/p256.der" -out "$work/p256.pem"
# ECDSA-Sig-Value (RFC 5480 §2.2): SEQUENCE { INTEGER r, INTEGER s }.
ecdsa_der() { der 30 "$(der_integer "${1:0:64}")$(der_integer "${1:64:64}")" | xxd -r -p; }
ecdsa_der "$rs" >"$work/p256.sig"
ecdsa_der "$(flipped "$rs")" >"$work/p256.bad"
judge p256

# ---- RSA-2048 ------------------------------------------------------------------------------------------
run_script sign_rsa.apdu
# GENERATE: 7F49 82 0109 | 81 82 0100 n | 82 03 e.
generated=$(response_to 00478000000002b6)
modulus=${generated:18:512}
exponent=${generated:534:6}
if [ "${generated:0:18}" = 7f4982010981820100 ] && [ "${generated:530:4}" = 8203 ] && [ ${#generated} = 544 ]; then
  ok "rsa2048: GENERATE answers a 2048-bit modulus and a 3-byte exponent"
else
  bad "rsa2048: GENERATE answer: ${generated:0:40}... (${#generated} hex digits)"
fi
if [ "$(command_starting 002a9e9a)" = "002a9e9a333031300d060960864801650304020105000420${digest}00" ]; then
  ok "rsa2048: PSO:CDS signs the DigestInfo of SHA-256(message.txt)"
else
  bad "rsa2048: PSO:CDS command: $(command_starting 002a9e9a)"
fi
signature=$(response_to 002a9e9a)
signature=${signature%9000}
if [[ $signature =~ ^[0-9a-f]{512}$ ]]; then ok "rsa2048: PSO:CDS answers 256 bytes"; else bad "rsa2048: PSO:CDS answer: ${signature:0:40}..."; fi
# RSAPublicKey (RFC 8017 §A.1.1): SEQUENCE { INTEGER n, INTEGER e }.
der 30 "$(der_integer "$modulus")$(der_integer "$exponent")" | xxd -r -p >"$work/rsa2048.der"
expect 0 "rsa2048: openssl reads the card's public key" -- \
  openssl rsa -RSAPublicKey_in -inform DER -in "$work/rsa2048.der" -pubout -out "$work/rsa2048.pem"
xxd -r -p <<<"$signature" >"$work/rsa2048.sig"
xxd -r -p <<<"$(flipped "$signature")" >"$work/rsa2048.bad"
judge rsa2048

finish
