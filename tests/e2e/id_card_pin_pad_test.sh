#!/usr/bin/env bash
# National ID cards on the simulated PIN-pad reader (issue 14 item 1): our host driver sends PC/SC part 10
# VERIFY_PIN_DIRECT with the card profile's PIN block (Estonian IDEMIA: ASCII in 12 bytes padded with FF;
# FinEID v4: padded with 00), so PIN2 is typed on the keypad and never reaches the host; a QES signature
# that qscd verify and openssl accept; the class-3 display shows the document and the start of its hash
# before the PIN is asked; a wrong PIN2 typed costs exactly one try, keypad cancel and timeout none; the
# policy "PIN pad required for QES" (qscd sign --require-pin-pad) refuses a host PIN and a token without
# a PIN pad before any PIN is asked.
#   $1 = qscd, $2 = qscd-sim; run under private_pcscd.sh --pinpad-driver
set -uo pipefail
qscd=${1:?path to qscd}
export QSCD_SIM=${2:?path to qscd-sim}
: "${QSCD_E2E_DIR:?run me under tests/e2e/private_pcscd.sh}"
[ "${QSCD_READER_NAME:-}" = "QSCD PIN Pad" ] || { echo "run under private_pcscd.sh --pinpad-driver"; exit 1; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/../support/assert.sh"
work="$QSCD_E2E_DIR/idpad"
mkdir -p "$work"
export QSCD_SIM_DIR="$work/state"
unset QSCD_PIN QSCD_PUK QSCD_NEW_PIN
pki="$QSCD_SIM_DIR/test-pki"
finish_all() {
  if [ "$failed" != 0 ]; then
    echo "---- qscd-sim log ----"; tail -40 "$QSCD_SIM_LOG" 2>/dev/null
    echo "---- display 0 ----"; sim_ctl display 0; echo "---- display 1 ----"; sim_ctl display 1
  fi
  stop_sim >/dev/null 2>&1
  finish
}
trap 'finish_all; exit $?' EXIT
pin2_tries() { "$qscd" info --reader "$1" | sed -nE 's/^PIN2: +([0-9]+) tr.*/\1/p'; }
apdus() { sim_ctl status | sed -n "s/^slot=$1 .* apdus=\([0-9]*\) .*/\1/p"; }

expect 0 "create est (Estonian ID card)" -- "$qscd" sim create --card estonian-id --name est --holder "Mari Maasikas"
est_pin2=$(sed -nE 's/^ *PINs: .*PIN2 ([0-9]+).*/\1/p' <<<"$out")
expect 0 "create fin (Finnish ID card)" -- "$qscd" sim create --card finnish-id --name fin --holder "Matti Meikalainen"
fin_pin2=$(sed -nE 's/^ *PINs: .*PIN2 ([0-9]+).*/\1/p' <<<"$out")
start_sim "$QSCD_SIM_DIR" 0=est 1=fin || { bad "qscd-sim did not come up"; exit 1; }
cat "$pki/root.pem" "$pki/issuing-ca.crl" "$pki/root-ca.crl" >"$work/trust.pem"

# slot | card | PIN2 | its tries | a wrong PIN2 of valid length
for entry in "0|est|$est_pin2|3|99999" "1|fin|$fin_pin2|5|999999"; do
  IFS='|' read -r slot card pin2 max wrong <<<"$entry"
  reader="QSCD PIN Pad 00 0$slot"
  doc="$work/$card-contract.txt"
  echo "a contract signed with PIN2 typed on the keypad ($card)" >"$doc"
  sign() { "$qscd" sign --reader "$reader" --pin-pad --level qes --require-pin-pad --in "$doc" --out "$work/$1" --force; }

  # ---- QES with PIN2 typed on the keypad, the PIN pad required ------------------------------------------
  before=$(apdus "$slot")
  sim_ctl keypad "$slot" type "$pin2" >/dev/null
  expect 0 "$card: qscd sign --pin-pad --level qes --require-pin-pad: PIN2 typed on the keypad" -- sign "$card.p7s"
  echo "# $card: one PIN-pad signature in a new process: $(( $(apdus "$slot") - before )) APDUs"
  contains "$card: QES requirements met" "Policy: QES requirements met"
  expect 0 "$card: qscd verify: QES" -- "$qscd" verify --in "$doc" --sig "$work/$card.p7s" --ca "$pki/root.pem" \
    --crl "$pki/issuing-ca.crl" --crl "$pki/root-ca.crl"
  contains "$card: the level is QES" "Level: QES"
  expect 0 "$card: openssl cms -verify" -- openssl cms -verify -binary -inform DER -in "$work/$card.p7s" -content "$doc" \
    -CAfile "$work/trust.pem" -crl_check_all -out /dev/null
  contains "$card: openssl agrees" "Verification successful"
  expect 0 "$card: display" -- sim_ctl display "$slot"
  shown="sign $(basename "$doc" | cut -c1-11)|SHA-384 $(sha384sum "$doc" | cut -c1-8 | tr a-f A-F)"
  contains "$card: the display showed the document and the start of its hash" "$shown"
  [ "$(grep -A1 -F "$shown" <<<"$out" | sed -n 2p)" = "Enter PIN|" ] && ok "$card: ... before the PIN was asked" || bad "$card: display order: $out"
  contains "$card: the display shows the card's answer" "PIN OK|"
  lacks "$card: the display never shows the PIN" "$pin2"
  [ "$(pin2_tries "$reader")" = "$max" ] && ok "$card: PIN2 has all $max tries" || bad "$card: PIN2 tries $(pin2_tries "$reader")"

  # ---- a wrong PIN2 on the keypad costs exactly one try; cancel and timeout none -------------------------
  sim_ctl keypad "$slot" type "$wrong" >/dev/null
  expect 3 "$card: a wrong PIN2 typed on the keypad: exit 3" -- sign wrong.p7s
  contains "$card: the message says the tries left" "wrong PIN2, $((max - 1)) tries left"
  [ "$(pin2_tries "$reader")" = $((max - 1)) ] && ok "$card: the retry counter went down exactly once" || bad "$card: tries $(pin2_tries "$reader")"
  sim_ctl keypad "$slot" cancel >/dev/null
  expect 8 "$card: Cancel on the keypad: exit 8" -- sign cancel.p7s
  contains "$card: the cancel message" "PIN entry cancelled on the reader's keypad"
  sim_ctl keypad "$slot" timeout >/dev/null
  expect 8 "$card: nobody types: exit 8" -- sign timeout.p7s
  contains "$card: the timeout message" "(timeout)"
  [ "$(pin2_tries "$reader")" = $((max - 1)) ] && ok "$card: cancel and timeout cost no try" || bad "$card: tries $(pin2_tries "$reader")"
  for f in wrong cancel timeout; do [ -e "$work/$f.p7s" ] && bad "$card: $f.p7s written"; done

  # ---- the PIN pad required for QES: a host PIN is refused before anything is asked ----------------------
  expect 7 "$card: --require-pin-pad with a host PIN: refused (exit 7)" -- env QSCD_PIN="$pin2" "$qscd" sign --reader "$reader" \
    --level qes --require-pin-pad --in "$doc" --out "$work/$card-host.p7s"
  contains "$card: the policy message" "pin pad: QES requires the PIN typed on the reader's PIN pad"
  [ ! -e "$work/$card-host.p7s" ] && ok "$card: no signature" || bad "$card: $card-host.p7s written"
  expect 0 "$card: without --require-pin-pad the host PIN signs QES (the default)" -- env QSCD_PIN="$pin2" "$qscd" sign \
    --reader "$reader" --level qes --in "$doc" --out "$work/$card-host.p7s"
  sim_ctl keypad "$slot" type "$pin2" >/dev/null
  expect 0 "$card: the right PIN2 on the keypad signs again" -- sign again.p7s
  [ "$(pin2_tries "$reader")" = "$max" ] && ok "$card: the retry counter is back at $max" || bad "$card: tries $(pin2_tries "$reader")"

  # ---- PIN2 changed on the keypad (MODIFY_PIN_DIRECT): current, new, new again ----------------------------
  new_pin2=${pin2%?}7
  sim_ctl keypad "$slot" type "$pin2" >/dev/null; sim_ctl keypad "$slot" type "$new_pin2" >/dev/null; sim_ctl keypad "$slot" type "$new_pin2" >/dev/null
  expect 0 "$card: qscd pin change --pin-pad: PIN2 changed on the keypad" -- "$qscd" pin change --reader "$reader" --pin-pad
  contains "$card: the change message" "PIN2 changed on the reader's PIN pad."
  sim_ctl keypad "$slot" type "$new_pin2" >/dev/null
  expect 0 "$card: the new PIN2 typed on the keypad signs" -- sign new.p7s
  sim_ctl keypad "$slot" type "$pin2" >/dev/null
  expect 3 "$card: the old PIN2 is wrong now" -- sign old.p7s
done

# ---- a token without a PIN pad: the in-process simulated card ------------------------------------------
expect 7 "--require-pin-pad on a token without a PIN pad: refused before any PIN (exit 7)" -- "$qscd" sign --token est --pin-pad \
  --level qes --require-pin-pad --in "$work/est-contract.txt" --out "$work/nopad.p7s"
contains "the no-PIN-pad policy message" "pin pad: QES requires a reader with a PIN pad"
