#!/usr/bin/env bash
# Our host driver against a simulated Estonian ID card behind a real pcscd (qscd-sim serve + vpcd): the
# card's ATR and SELECT choose the ID-card driver; `qscd readers`, `token list` and `info --reader` name
# the card type and the PIN tries; `qscd sign --reader ... --level qes` makes a CAdES signature with the
# signature key (PIN2) that `qscd verify` reports as QES with the TEST root and CRLs and openssl verifies;
# the authentication key signs only with --key auth; a wrong PIN2 three times blocks it, the PUK
# unblocks it; PIN1 and PIN2 change. Then every other simulated card type (Finnish FinEID v4) the same way
# through pcscd: created with the default PINs it prints, named by readers/info, a QES signature with its
# signature key that qscd verify and openssl (with the card's certificate as the signer) accept, wrong PIN2
# until blocked, the PUK unblock where the card has one.
#
#   tests/e2e/private_pcscd.sh -- bash tests/e2e/id_card_host_test.sh path/to/qscd path/to/qscd-sim
set -uo pipefail
. "$(dirname "$0")/e2e_prelude.sh" "$1" "$2" idhost
reader="Virtual PCD 00 00"
pki="$QSCD_SIM_DIR/test-pki"

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

# ---- every other simulated card type: the same host driver through pcscd ----------------------------------
# card id | type name | PIN2 tries | the PUK unblocks PIN2
other_cards=(
  "finnish-id|Finnish ID card (FinEID v4)|5|no"
  "latvian-id|Latvian eID card (IDEMIA v2)|3|yes"
)
for entry in "${other_cards[@]}"; do
  IFS='|' read -r card type tries has_puk <<<"$entry"
  stop_sim >/dev/null 2>&1
  # pcscd must see the previous card leave, or it keeps that card's ATR for the next one.
  if wait_card 0 absent; then ok "$card: the previous card left the reader"; else bad "$card: the previous card is still seen"; fi
  expect 0 "$card: qscd sim create --card $card" -- "$qscd" sim create --card "$card" --name "$card" --holder "Test Holder"
  pin1=$(sed -nE 's/^ *PINs: +PIN1 ([0-9]+).*/\1/p' <<<"$out")
  pin2=$(sed -nE 's/^ *PINs: .*PIN2 ([0-9]+).*/\1/p' <<<"$out")
  puk=$(sed -nE 's/^ *PINs: .*PUK ([0-9]+).*/\1/p' <<<"$out")
  if [ -n "$pin1" ] && [ -n "$pin2" ]; then ok "$card: the default PINs are printed at creation"
  else bad "$card: no default PINs in: $out"; continue; fi
  if start_sim "$QSCD_SIM_DIR" "0=$card"; then ok "$card: qscd-sim serves it in slot 0"
  else bad "$card: qscd-sim did not come up"; continue; fi
  expect 0 "$card: qscd readers" -- "$qscd" readers
  contains "$card: readers name the card type" "type:     $type"
  expect 0 "$card: qscd info --reader" -- "$qscd" info --reader "$reader"
  contains "$card: info names the card type" "Application:  $type"
  matches "$card: PIN2 tries" "^PIN2: +$tries tries left$"
  printf 'a document signed with a simulated %s\n' "$type" >"$work/$card.txt"
  expect 0 "$card: qscd sign --reader --level qes with PIN2" -- env QSCD_PIN="$pin2" "$qscd" sign --reader "$reader" \
    --in "$work/$card.txt" --level qes
  contains "$card: QES requirements met" "Policy: QES requirements met"
  expect 0 "$card: qscd verify: QES" -- "$qscd" verify --in "$work/$card.txt" --sig "$work/$card.txt.p7s" --ca "$pki/root.pem" \
    --crl "$pki/issuing-ca.crl" --crl "$pki/root-ca.crl"
  contains "$card: the level is QES" "Level: QES"
  expect 0 "$card: openssl cms -verify" -- openssl cms -verify -binary -inform DER -in "$work/$card.txt.p7s" \
    -content "$work/$card.txt" -CAfile "$work/trust.pem" -crl_check_all -signer "$work/$card.signer.pem" -out /dev/null
  contains "$card: openssl agrees" "Verification successful"
  expect 0 "$card: the signer is the card's certificate" -- openssl x509 -in "$work/$card.signer.pem" -noout -subject -ext keyUsage
  contains "$card: the holder's certificate" "Test Holder"
  contains "$card: nonRepudiation" "Non Repudiation"
  if [ "$card" = latvian-id ]; then  # its keys are RSA-2048, generated on the card
    expect 0 "$card: the certificate's key" -- openssl x509 -in "$work/$card.signer.pem" -noout -text
    contains "$card: an RSA-2048 key" "Public-Key: (2048 bit)"
  fi
  expect 0 "$card: --key auth signs with PIN1" -- env QSCD_PIN="$pin1" "$qscd" sign --reader "$reader" --in "$work/$card.txt" \
    --key auth --level basic --format raw -o "$work/$card.auth.sig"
  wrong=$(printf '9%.0s' $(seq ${#pin2}))
  for ((i = tries - 1; i >= 1; i--)); do
    expect 3 "$card: wrong PIN2 ($i left)" -- env QSCD_PIN="$wrong" "$qscd" sign --reader "$reader" --in "$work/$card.txt" -o "$work/x.p7s"
  done
  expect 4 "$card: wrong PIN2: blocked" -- env QSCD_PIN="$wrong" "$qscd" sign --reader "$reader" --in "$work/$card.txt" -o "$work/x.p7s"
  expect 4 "$card: a blocked PIN2 does not sign" -- env QSCD_PIN="$pin2" "$qscd" sign --reader "$reader" --in "$work/$card.txt" -o "$work/x.p7s"
  expect 0 "$card: pin status" -- "$qscd" pin status --reader "$reader"
  contains "$card: PIN2 is blocked" "PIN2:            BLOCKED"
  if [ "$has_puk" = no ]; then
    expect 7 "$card: no PUK to unblock with" -- env QSCD_PUK=12345678 QSCD_NEW_PIN="$pin2" "$qscd" pin unblock --reader "$reader" --which PIN2
    contains "$card: the refusal says why" "PIN2 cannot be unblocked: this card has no PUK"
  else
    expect 0 "$card: pin unblock --which PIN2 with the PUK" -- env QSCD_PUK="$puk" QSCD_NEW_PIN="$pin2" "$qscd" pin unblock \
      --reader "$reader" --which PIN2
    expect 0 "$card: the unblocked PIN2 signs" -- env QSCD_PIN="$pin2" "$qscd" sign --reader "$reader" --in "$work/$card.txt" \
      -o "$work/$card.again.p7s"
  fi
done
