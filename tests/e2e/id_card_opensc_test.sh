#!/usr/bin/env bash
# A simulated Estonian ID card (qscd sim create --card estonian-id) behind a real pcscd, judged by
# OpenSC's own esteid2018 driver (Debian's OpenSC): it must take the card for an "EstEID 2018" by its ATR
# and SELECT, list both certificates and the three PINs, sign with the signature key (PIN2) so that
# openssl verifies the signature with the card's certificate, count wrong PIN2s down to blocked, and
# unblock with the PUK. No qscd host code is involved: only the simulated card is under test.
#
#   tests/e2e/private_pcscd.sh -- bash tests/e2e/id_card_opensc_test.sh path/to/qscd path/to/qscd-sim
set -uo pipefail
. "$(dirname "$0")/e2e_prelude.sh" "$1" "$2" idcard
finish_all() {
  stop_sim >/dev/null 2>&1
  if [ "$failed" != 0 ]; then echo "---- qscd-sim log ----"; tail -60 "$QSCD_SIM_LOG" 2>/dev/null; fi
  finish
}
trap 'finish_all; exit $?' EXIT

expect 2 "OpenPGP-only options are refused for an ID card" -- "$qscd" sim create --card estonian-id --name nope --algo p256
contains "the refusal names the options" "--algo, --profile and --pin-policy are for --card openpgp"
expect 2 "an unknown card is refused" -- "$qscd" sim create --card no-such-card --name nope
expect 0 "no token was left behind" -- "$qscd" token list
lacks "no token 'nope'" "nope"
expect 0 "qscd sim create --card estonian-id" -- "$qscd" sim create --card estonian-id --name est --holder "Mari Maasikas"
contains "creation prints the default PINs" "PIN1 1234, PIN2 12345, PUK 17258403"
if QSCD_SIM_VERBOSE=1 start_sim "$QSCD_SIM_DIR" 0=est; then ok "qscd-sim serves the card in slot 0"
else bad "qscd-sim did not come up"; exit 1; fi

# ---- OpenSC recognises the card by ATR + SELECT ---------------------------------------------------
expect 0 "opensc-tool -a" -- opensc-tool -r 0 -a
contains "the ATR is the IDEMIA 2018 card's" "3b:db:96:00:80:b1:fe:45:1f:83:00:12:23:3f:53:65:49:44:0f:90:00:f1"
expect 0 "opensc-tool -n" -- opensc-tool -r 0 -n
contains "OpenSC's driver names it" "EstEID 2018"

# ---- PKCS#15 emulation: certificates, PINs, document number as serial ---------------------------------
expect 0 "pkcs15-tool --list-certificates" -- pkcs15-tool -r 0 --list-certificates
contains "authentication certificate" "Isikutuvastus"
contains "signature certificate" "Allkirjastamine"
contains "its path 3F00/ADF1/3401" "3f00adf13401"
contains "its path 3F00/ADF2/341F" "3f00adf2341f"
expect 0 "pkcs15-tool --list-pins" -- pkcs15-tool -r 0 --list-pins
for pin in PIN1 PIN2 PUK; do contains "PIN object $pin" "PIN [$pin]"; done
contains "PIN2 is local to 3F00/ADF2" "3f00adf2"
contains "pad char FF, 12-byte block" "stored_len:12"
expect 0 "pkcs11-tool -L" -- pkcs11-tool --module "$p11" -L
matches "a PIN1 token" "token label +: .*\(PIN1\)"
matches "a PIN2 token" "token label +: .*\(PIN2\)"
matches "the document number marks a TEST card" "serial num +: T[0-9A-F]{8}"

# ---- a signature with the signature key, judged by openssl -------------------------------------------
printf 'a document signed with a simulated Estonian ID card\n' >"$work/doc"
expect 0 "pkcs11-tool --sign with PIN2 (ECDSA-SHA384)" -- pkcs11-tool --module "$p11" --slot-index 1 --login --pin 12345 \
  --sign --mechanism ECDSA-SHA384 --id 02 --input-file "$work/doc" --output-file "$work/sig" --signature-format openssl
expect 0 "pkcs15-tool --read-certificate 02" -- pkcs15-tool -r 0 --read-certificate 02 -o "$work/sign.pem"
expect 0 "the signature certificate has nonRepudiation and QCStatements" -- \
  openssl x509 -in "$work/sign.pem" -noout -ext keyUsage,qcStatements
contains "nonRepudiation" "Non Repudiation"
contains "QCStatements" "qcStatements"
openssl x509 -in "$work/sign.pem" -noout -pubkey >"$work/sign-pub.pem"
expect 0 "openssl verifies the card's signature with the certificate" -- \
  openssl dgst -sha384 -verify "$work/sign-pub.pem" -signature "$work/sig" "$work/doc"
contains "openssl says so" "Verified OK"
expect 0 "pkcs15-tool --read-certificate 01" -- pkcs15-tool -r 0 --read-certificate 01 -o "$work/auth.pem"
expect 0 "its key is P-384" -- openssl x509 -in "$work/auth.pem" -noout -text
contains "P-384" "NIST CURVE: P-384"

# ---- wrong PIN2 three times blocks it; the PUK unblocks it ------------------------------------------
for i in 1 2 3; do
  expect 255 "wrong PIN2 #$i refused" -- pkcs15-tool -r 0 --verify-pin --auth-id 02 --pin 99999
  contains "wrong PIN2 #$i: OpenSC says incorrect" "PIN code or key incorrect"
done
expect 255 "the right PIN2 is refused now: blocked" -- pkcs15-tool -r 0 --verify-pin --auth-id 02 --pin 12345
contains "OpenSC reports it blocked" "Authentication method blocked"
tries=$(grep -c "APDU 00 20 00 85 (17 bytes) -> 63C" "$QSCD_SIM_LOG")
if [ "$tries" = 3 ]; then ok "the card answered 63C2, 63C1, 63C0"; else bad "63Cx answers: $tries"; fi
if grep -q "APDU 00 20 00 85 (17 bytes) -> 6983" "$QSCD_SIM_LOG"; then ok "then 6983 (blocked)"; else bad "no 6983 for the blocked PIN2"; fi
expect 0 "pkcs15-tool --unblock-pin with the PUK" -- pkcs15-tool -r 0 --unblock-pin --auth-id 02 --puk 17258403 --new-pin 54321
expect 0 "the new PIN2 verifies" -- pkcs15-tool -r 0 --verify-pin --auth-id 02 --pin 54321
expect 0 "pkcs11-tool signs again with the new PIN2" -- pkcs11-tool --module "$p11" --slot-index 1 --login --pin 54321 \
  --sign --mechanism ECDSA-SHA384 --id 02 --input-file "$work/doc" --output-file "$work/sig2" --signature-format openssl
expect 0 "openssl verifies it" -- openssl dgst -sha384 -verify "$work/sign-pub.pem" -signature "$work/sig2" "$work/doc"

# ---- PIN1 change --------------------------------------------------------------------------------------
expect 0 "pkcs15-tool --change-pin PIN1" -- pkcs15-tool -r 0 --change-pin --auth-id 01 --pin 1234 --new-pin 4321
expect 255 "the old PIN1 is refused" -- pkcs15-tool -r 0 --verify-pin --auth-id 01 --pin 1234
expect 0 "the new PIN1 verifies" -- pkcs15-tool -r 0 --verify-pin --auth-id 01 --pin 4321
