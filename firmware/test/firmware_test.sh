#!/usr/bin/env bash
# make firmware-test (issue 15 item 5, docs/firmware.md): runs the card firmware on QEMU's Cortex-M4 board
# (mps2-an386) with the APDU script sign.apdu, then judges the transcript on the host: every APDU answers 9000,
# the signature is over the SHA-256 digest of message.txt, openssl verifies it with the public key the card
# generated, and rejects it with one byte flipped (so this test can fail); the signature counter is 1.
# usage: firmware_test.sh FIRMWARE.elf
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/support/assert.sh"
elf=${1:?usage: firmware_test.sh FIRMWARE.elf}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The emulated board: semihosting carries the script in and the transcript out, and ends QEMU with the
# firmware's exit status. The timeout bounds a hung firmware (the run takes well under a second).
run_firmware() {
  timeout 120 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$elf" -append "$1"
}

expect 0 "the firmware runs the APDU script to its end under qemu-system-arm -M mps2-an386" -- run_firmware "$here/sign.apdu"
transcript=$out
printf '%s\n' "$transcript" | sed 's/^\(< [0-9a-f]\{72\}\).*/\1.../'
contains "the firmware reports the end of the script" "end of script"
# The painted stack (startup.cpp) must not have been used up: below it lies .bss, the card object.
peak=$(sed -n 's/^stack peak: \([0-9]*\) bytes$/\1/p' <<<"$transcript")
reserved=$(sed -n 's/^stack reserved: \([0-9]*\) bytes$/\1/p' <<<"$transcript")
if [ -n "$peak" ] && [ -n "$reserved" ] && [ "$peak" -lt "$reserved" ]; then ok "stack peak $peak bytes < $reserved reserved"; else bad "stack peak '$peak' of '$reserved'"; fi

# The response to the command whose hex starts with $1 (the line after "> $1...").
response_to() { printf '%s\n' "$transcript" | awk -v p="> $1" 'index($0, p) == 1 { getline; sub(/^< /, ""); print; exit }'; }
command_starting() { printf '%s\n' "$transcript" | awk -v p="> $1" 'index($0, p) == 1 { sub(/^> /, ""); print; exit }'; }

n_commands=$(grep -c '^> ' <<<"$transcript")
n_ok=$(grep -c '^< \([0-9a-f][0-9a-f]\)*9000$' <<<"$transcript")
if [ "$n_commands" = 7 ] && [ "$n_ok" = 7 ]; then ok "all 7 APDUs answer 9000"; else bad "$n_ok of $n_commands APDUs (7 expected) answer 9000"; fi

# GENERATE: 7F49 43 86 41 04 X Y 9000 (OpenPGP card 3.4 §7.2.14).
generated=$(response_to 0047800002b6)
point=${generated#7f49438641}
point=${point%9000}
if [[ $point =~ ^04[0-9a-f]{128}$ ]]; then ok "GENERATE answers an uncompressed P-256 point"; else bad "GENERATE answer: $generated"; fi

# PSO:CDS: the digest sent is SHA-256(message.txt); r || s (2 x 32 bytes) + 9000.
digest=$(openssl dgst -sha256 -binary "$here/message.txt" | xxd -p -c 64)
pso=$(command_starting 002a9e9a)
if [ "$pso" = "002a9e9a20${digest}00" ]; then ok "PSO:CDS signs the SHA-256 digest of message.txt"; else bad "PSO:CDS command: $pso"; fi
signature=$(response_to 002a9e9a)
signature=${signature%9000}
if [[ $signature =~ ^[0-9a-f]{128}$ ]]; then ok "PSO:CDS answers r || s, 64 bytes"; else bad "PSO:CDS answer: $signature"; fi

counter=$(response_to 00ca007a)
if [ "$counter" = 7a0593030000019000 ]; then ok "GET DATA 7A: the signature counter is 1"; else bad "GET DATA 7A answer: $counter"; fi

# The public key as SubjectPublicKeyInfo (RFC 5480 §2: id-ecPublicKey, secp256r1), DER then PEM via openssl
# (which also checks that the point lies on the curve).
xxd -r -p <<<"3059301306072a8648ce3d020106082a8648ce3d030107034200$point" >"$work/pub.der"
expect 0 "openssl reads the card's public key" -- openssl pkey -pubin -inform DER -in "$work/pub.der" -out "$work/pub.pem"

# r || s as an ECDSA-Sig-Value (RFC 5480 §2.2 / RFC 3279 §2.2.3): SEQUENCE { INTEGER r, INTEGER s }, each
# integer without leading zero bytes and with one 00 before a high bit.
der_integer() {
  local h=$1
  while [ ${#h} -gt 2 ] && [ "${h:0:2}" = 00 ] && [ $((16#${h:2:1})) -lt 8 ]; do h=${h:2}; done
  [ $((16#${h:0:1})) -ge 8 ] && h=00$h
  printf '02%02x%s' $((${#h} / 2)) "$h"
}
ecdsa_der() {
  local body
  body=$(der_integer "${1:0:64}")$(der_integer "${1:64:64}")
  printf '30%02x%s' $((${#body} / 2)) "$body" | xxd -r -p
}
ecdsa_der "$signature" >"$work/sig.der"
expect 0 "openssl verifies the firmware's signature over message.txt" -- \
  openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/sig.der" "$here/message.txt"
contains "openssl says Verified OK" "Verified OK"

# The negative: one byte of s flipped, the signature must not verify.
last=$(( 16#${signature:126:2} ^ 0x01 ))
ecdsa_der "${signature:0:126}$(printf '%02x' $last)" >"$work/bad.der"
expect 1 "openssl rejects the signature with one byte flipped" -- \
  openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/bad.der" "$here/message.txt"

finish
