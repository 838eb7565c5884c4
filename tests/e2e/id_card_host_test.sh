#!/usr/bin/env bash
# Our host driver against a simulated Estonian ID card behind a real pcscd (qscd-sim serve + vpcd): the
# card's ATR and SELECT choose the ID-card driver; `qscd readers`, `token list` and `info --reader` name
# the card type and the PIN tries; `qscd sign --reader ... --level qes` makes a CAdES signature with the
# signature key (PIN2) that `qscd verify` reports as QES with the TEST root and CRLs and openssl verifies;
# the authentication key signs only with --key auth; a wrong PIN2 three times blocks it, the PUK
# unblocks it; PIN1 and PIN2 change.
#
#   tests/e2e/private_pcscd.sh -- bash tests/e2e/id_card_host_test.sh path/to/qscd path/to/qscd-sim
set -uo pipefail
qscd=${1:?path to qscd}
export QSCD_SIM=${2:?path to qscd-sim}
: "${QSCD_E2E_DIR:?run me under tests/e2e/private_pcscd.sh}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/../support/assert.sh"

work="$QSCD_E2E_DIR/idhost"
mkdir -p "$work"
export QSCD_SIM_DIR="$work/state"
unset QSCD_PIN QSCD_PUK QSCD_NEW_PIN
reader="Virtual PCD 00 00"
pki="$QSCD_SIM_DIR/test-pki"
matches() { if grep -qE -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no /$2/ in: $out"; fi; }

finish_all() {
  stop_sim >/dev/null 2>&1
  if [ "$failed" != 0 ]; then echo "---- qscd-sim log ----"; tail -60 "$QSCD_SIM_LOG" 2>/dev/null; fi
  finish
}
trap 'finish_all; exit $?' EXIT

expect 0 "qscd sim create --card estonian-id" -- "$qscd" sim create --card estonian-id --name est --holder "Mari Maasikas"
if start_sim "$QSCD_SIM_DIR" 0=est; then ok "qscd-sim serves the card in slot 0"
else bad "qscd-sim did not come up"; exit 1; fi

# ---- the card's answers choose the driver; listings name the card type and the PINs' tries ---------------
all_tries="PIN1 3 tries left, PIN2 3 tries left, PUK 3 tries left"
expect 0 "qscd readers" -- "$qscd" readers
contains "readers: the card type" "type:     Estonian ID card (IDEMIA 2018)"
contains "readers: the PINs' tries" "PINs:     $all_tries"
expect 0 "qscd token list" -- "$qscd" token list
contains "token list: card type and tries" "Estonian ID card (IDEMIA 2018): $all_tries"
expect 0 "qscd info --reader" -- "$qscd" info --reader "$reader"
contains "info: the card type" "Application:  Estonian ID card (IDEMIA 2018)"
contains "info: the document number" "Serial:       T"
for pin in PIN1 PIN2 PUK; do matches "info: $pin tries" "^$pin: +3 tries left$"; done
contains "info: the signature key" "Key SIG:      ECDSA P-384"
contains "info: the authentication key" "Key AUT:      ECDSA P-384"
contains "info: its usage" "authentication key (qscd sign --key auth)"

# ---- a qualified signature with the signature key (PIN2), judged by qscd verify and openssl ---------------
printf '%%PDF-1.4\n%% a document signed with a simulated Estonian ID card\n' >"$work/doc.pdf"
expect 0 "qscd sign --reader --level qes with PIN2" -- env QSCD_PIN=12345 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" --level qes
contains "no signature counter on this card" "Policy: QES requirements met"
lacks "no counter line for a card without one" "Card signature counter"
expect 0 "qscd verify: QES" -- "$qscd" verify --in "$work/doc.pdf" --sig "$work/doc.pdf.p7s" --ca "$pki/root.pem" \
  --crl "$pki/issuing-ca.crl" --crl "$pki/root-ca.crl"
contains "the level is QES" "Level: QES"
contains "the CRLs were checked" "[ok] revocation"
cat "$pki/root.pem" "$pki/issuing-ca.crl" "$pki/root-ca.crl" >"$work/trust.pem"
expect 0 "openssl cms -verify (CRLs checked)" -- openssl cms -verify -binary -inform DER -in "$work/doc.pdf.p7s" \
  -content "$work/doc.pdf" -CAfile "$work/trust.pem" -crl_check_all -out /dev/null
contains "openssl agrees" "Verification successful"
expect 0 "the audit log of a counter-less card verifies" -- "$qscd" audit verify
contains "chain intact" "chain intact"

# ---- the authentication key (PIN1) signs only when asked for with --key auth -----------------------------
expect 0 "--key auth --level basic signs with PIN1" -- env QSCD_PIN=1234 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" \
  --key auth --level basic --format raw -o "$work/doc.auth.sig"
expect 7 "--key auth at the default level: refused (no nonRepudiation)" -- env QSCD_PIN=1234 "$qscd" sign --reader "$reader" \
  --in "$work/doc.pdf" --key auth -o "$work/refused.p7s"
contains "the refusal names the reason" "nonRepudiation"

# ---- wrong PIN2 three times blocks it; the PUK unblocks it --------------------------------------------------
expect 3 "wrong PIN2 (1)" -- env QSCD_PIN=99999 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" -o "$work/x.p7s"
contains "2 tries left" "wrong PIN2, 2 tries left"
expect 3 "wrong PIN2 (2)" -- env QSCD_PIN=99999 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" -o "$work/x.p7s"
contains "1 try left" "wrong PIN2, 1 try left"
expect 4 "wrong PIN2 (3): blocked" -- env QSCD_PIN=99999 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" -o "$work/x.p7s"
expect 0 "pin status" -- "$qscd" pin status --reader "$reader"
contains "PIN2 is blocked" "PIN2:            BLOCKED"
contains "PIN1 is untouched" "PIN1:            3 tries left"
expect 4 "a blocked PIN2 does not sign" -- env QSCD_PIN=12345 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" -o "$work/x.p7s"
expect 0 "pin unblock --which PIN2 with the PUK" -- env QSCD_PUK=17258403 QSCD_NEW_PIN=54321 "$qscd" pin unblock --reader "$reader" --which PIN2
contains "unblocked" "PIN2 unblocked and set."
expect 0 "the new PIN2 signs" -- env QSCD_PIN=54321 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" -o "$work/y.p7s" --level qes

# ---- PIN1 and PIN2 change ----------------------------------------------------------------------------------
expect 0 "pin change --which PIN1" -- env QSCD_PIN=1234 QSCD_NEW_PIN=4321 "$qscd" pin change --reader "$reader" --which PIN1
contains "PIN1 changed" "PIN1 changed."
expect 0 "pin change (PIN2, the PIN that signs)" -- env QSCD_PIN=54321 QSCD_NEW_PIN=11223 "$qscd" pin change --reader "$reader"
contains "PIN2 changed" "PIN2 changed."
expect 3 "the old PIN1 is wrong now" -- env QSCD_PIN=1234 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" --key auth \
  --level basic -o "$work/z.p7s"
expect 0 "the new PIN1 works" -- env QSCD_PIN=4321 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" --key auth \
  --level basic -o "$work/z.p7s" --force
expect 0 "the new PIN2 signs" -- env QSCD_PIN=11223 "$qscd" sign --reader "$reader" --in "$work/doc.pdf" -o "$work/w.p7s"

# ---- the audit log after all of it: the chain holds without counters; the card has none to compare -------
expect 0 "audit verify after signatures, refusals and failures" -- "$qscd" audit verify
contains "chain intact" "chain intact"
expect 7 "audit verify --reader: no counter on the card" -- "$qscd" audit verify --reader "$reader"
contains "says why" "has no signature counter to compare with"
