#!/usr/bin/env bash
# The simulated PIN-pad reader (issue 14) behind a real pcscd: qscd's own pcscd driver
# (libifdqscdpinpad.so, installed by private_pcscd.sh --pinpad-driver) with qscd-sim's cards in its
# slots, the keypad scripted with `qscd-sim ctl keypad`. Our host signs with the PIN typed on the
# keypad (PC/SC part 10 VERIFY_PIN_DIRECT; the host never has it) and openssl verifies; a wrong PIN
# on the keypad costs exactly one try; keypad cancel and timeout are typed errors that cost none; the
# class-3 display shows what is about to be signed (document, start of its hash) before the PIN is
# asked, each prompt, and what was typed (as *).
#   $1 = qscd, $2 = qscd-sim
set -uo pipefail
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
[ "${QSCD_READER_NAME:-}" = "QSCD PIN Pad" ] || { echo "run under private_pcscd.sh --pinpad-driver"; exit 1; }
r0="QSCD PIN Pad 00 00" r1="QSCD PIN Pad 00 01"
doc="$QSCD_E2E_DIR/contract.txt"
echo "contract signed on the PIN pad" >"$doc"
tries() { "$qscd" info --reader "$1" | sed -n 's/^User PIN: *\([0-9]*\) tr.*/\1/p'; }
apdus() { sim_ctl status | sed -n "s/^slot=$1 .* apdus=\([0-9]*\) .*/\1/p"; }
sign() { "$qscd" sign --reader "$1" --pin-pad --in "$doc" --out "$QSCD_E2E_DIR/$2" --force "${@:3}"; }
judge() { openssl cms -verify -binary -inform DER -in "$QSCD_E2E_DIR/$1" -content "$doc" -CAfile "$ca" -purpose any -out /dev/null 2>&1; }

# ---- the reader announces a PIN pad (GET_FEATURE_REQUEST), OpenSC sees it ---------------------
out=$(opensc-tool -l 2>&1)
contains "OpenSC lists the reader with a PIN pad" "PIN pad   $r0"

expect 0 "qscd readers" -- "$qscd" readers
contains "qscd lists the reader's part 10 features" "features: FEATURE_VERIFY_PIN_DIRECT, FEATURE_MODIFY_PIN_DIRECT, FEATURE_IFD_PIN_PROPERTIES, FEATURE_WRITE_DISPLAY, FEATURE_IFD_DISPLAY_PROPERTIES, FEATURE_GET_TLV_PROPERTIES"
contains "qscd will use the PIN pad" "PIN pad:  yes (qscd sign --pin-pad)"

# ---- sign with the PIN typed on the keypad ------------------------------------------------------
before=$(apdus 0)
sim_ctl keypad 0 type 123456 >/dev/null
start=$(date +%s%N)
expect 0 "qscd sign --pin-pad: the PIN typed on the keypad (P-256, slot 0)" -- sign "$r0" p256.p7s
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# one PIN-pad signature: $(( $(apdus 0) - before )) APDUs (the VERIFY built by the reader included), ${elapsed_ms} ms"
contains "the signature report" "Card signature counter: 0 → 1"
out=$(judge p256.p7s); [ $? = 0 ] && ok "openssl verifies the PIN-pad signature" || bad "openssl: $out"
expect 0 "display" -- sim_ctl display 0
shown="sign contract.tx|SHA-256 $(sha256sum "$doc" | cut -c1-8 | tr a-f A-F)"
contains "before the PIN, the display showed the document (cut to 16 columns) and the start of its hash (WRITE_DISPLAY)" "$shown"
[ "$(grep -A1 -F "$shown" <<<"$out" | sed -n 2p)" = "Enter PIN|" ] && ok "... and only then asked for the PIN" || bad "display order: $out"
contains "the display asked for the PIN and showed 6 digits typed" "Enter PIN|******"
contains "the display showed the card's answer" "PIN OK|"
lacks "the display never shows the PIN" "123456"

sim_ctl keypad 1 type 123456 >/dev/null
expect 0 "qscd sign --pin-pad on the RSA card in slot 1" -- sign "$r1" rsa.p7s
out=$(judge rsa.p7s); [ $? = 0 ] && ok "openssl verifies the RSA PIN-pad signature" || bad "openssl: $out"

# ---- the host never had the PIN: no QSCD_PIN, no terminal, and --pin-fd is refused with --pin-pad
expect 2 "--pin-pad and --pin-fd exclude each other" -- "$qscd" sign --reader "$r0" --pin-pad --pin-fd 0 --in "$doc"

# ---- wrong PIN on the keypad: exactly one try ---------------------------------------------------
t0=$(tries "$r0")
sim_ctl keypad 0 type 654321 >/dev/null
expect 3 "a wrong PIN typed on the keypad: exit 3" -- sign "$r0" wrong.p7s
contains "the wrong-PIN message says the tries left" "wrong User PIN, $((t0 - 1)) tries left"
t1=$(tries "$r0")
[ "$t1" = $((t0 - 1)) ] && ok "the retry counter went down exactly once ($t0 → $t1)" || bad "retry counter $t0 → $t1"
[ ! -e "$QSCD_E2E_DIR/wrong.p7s" ] && ok "no signature file after a wrong PIN" || bad "wrong.p7s written"

# ---- cancel and timeout: typed errors, no try spent ---------------------------------------------
sim_ctl keypad 0 cancel >/dev/null
expect 8 "Cancel on the keypad: exit 8 (cancelled)" -- sign "$r0" cancel.p7s
contains "the cancel message" "PIN entry cancelled on the reader's keypad"
sim_ctl keypad 0 timeout >/dev/null
expect 8 "nobody types (keypad timeout): exit 8" -- sign "$r0" timeout.p7s
contains "the timeout message" "(timeout)"
sim_ctl keypad 0 type 123 >/dev/null
expect 3 "a PIN shorter than the card's minimum (6): refused by the reader, exit 3" -- sign "$r0" short.p7s
contains "the length message" "too short or too long"
[ "$(tries "$r0")" = "$t1" ] && ok "cancel, timeout and a short PIN cost no try ($t1 left)" || bad "tries now $(tries "$r0"), were $t1"
expect 0 "display" -- sim_ctl display 0
contains "the display showed the cancel" "Enter PIN|Cancelled"
contains "the display showed the timeout" "Enter PIN|Timeout"
contains "the display showed the refused length" "Invalid length|"
contains "the display showed the card refusing the wrong PIN (6982, OpenPGP card 3.4 §7.2.2)" "Card: 6982|"

# ---- a right PIN afterwards works again, and resets the counter --------------------------------
sim_ctl keypad 0 type 123456 >/dev/null
expect 0 "the right PIN on the keypad signs again" -- sign "$r0" again.p7s
[ "$(tries "$r0")" = 3 ] && ok "the retry counter is back at 3" || bad "tries: $(tries "$r0")"

# ---- interactive: the reader shows its prompt and waits; the holder types then -------------------
# last_screen SLOT: what the display shows now
last_screen() { sim_ctl display "$1" | tail -1; }
wait_prompt() {
  local i
  for ((i = 0; i < 200; i++)); do [ "$(last_screen "$1")" = "Enter PIN|" ] && return 0; sleep 0.05; done
  return 1
}
"$qscd" sign --reader "$r0" --pin-pad --in "$doc" --out "$QSCD_E2E_DIR/late.p7s" --force </dev/null >"$QSCD_E2E_DIR/late.out" 2>&1 &
pid=$!
wait_prompt 0 && ok "the display says 'Enter PIN' while the reader waits" || bad "no prompt: $(last_screen 0)"
sim_ctl keypad 0 type 123456 >/dev/null
wait "$pid" && ok "typed while the reader waited: signed" || bad "late typing: $(cat "$QSCD_E2E_DIR/late.out")"

# ---- the card pulled (and put straight back) while the reader waits for the keypad: a card-removed
# error, no hang, the new card served at once --------------------------------------------------------
"$qscd" sign --reader "$r0" --pin-pad --in "$doc" --out "$QSCD_E2E_DIR/pulled.p7s" --force </dev/null >"$QSCD_E2E_DIR/pulled.out" 2>&1 &
pid=$!
wait_prompt 0 || bad "no prompt before the removal"
sim_ctl remove 0 >/dev/null
sim_ctl insert 0 alice >/dev/null || bad "alice not reinserted"
wait "$pid"; status=$?
[ "$status" = 5 ] && ok "card pulled during PIN entry: exit 5" || bad "card pulled during PIN entry: exit $status: $(cat "$QSCD_E2E_DIR/pulled.out")"
grep -q "card removed" "$QSCD_E2E_DIR/pulled.out" && ok "the message says the card was removed" || bad "message: $(cat "$QSCD_E2E_DIR/pulled.out")"
[ ! -e "$QSCD_E2E_DIR/pulled.p7s" ] && ok "no signature file" || bad "pulled.p7s written"
wait_card 0 present || bad "the reinserted card is not seen"
sim_ctl keypad 0 type 123456 >/dev/null
expect 0 "after reinsertion the PIN pad signs again" -- sign "$r0" back.p7s
[ "$(tries "$r0")" = 3 ] && ok "the removal cost no try" || bad "tries: $(tries "$r0")"

# ---- the User PIN changed on the keypad (MODIFY_PIN_DIRECT, old ‖ new at their own length) --------
for p in 123456 24681357 24681357; do sim_ctl keypad 0 type "$p" >/dev/null; done
expect 0 "qscd pin change --pin-pad: the User PIN changed on the keypad" -- "$qscd" pin change --reader "$r0" --pin-pad
contains "the change message" "User PIN changed on the reader's PIN pad."
sim_ctl keypad 0 type 24681357 >/dev/null
expect 0 "the new 8-digit PIN typed on the keypad signs" -- sign "$r0" changed.p7s
for p in 24681357 123456 123456; do sim_ctl keypad 0 type "$p" >/dev/null; done
expect 0 "and changed back on the keypad" -- "$qscd" pin change --reader "$r0" --pin-pad
expect 2 "--pin-pad and --new-pin-fd exclude each other" -- "$qscd" pin change --reader "$r0" --pin-pad --new-pin-fd 0

# ---- on a reader without a PIN pad, nothing reaches the card -----------------------------------
expect 7 "--pin-pad with a simulated token (no reader, no PIN pad): not supported, exit 7" -- \
  "$qscd" sign --token alice --pin-pad --in "$doc" --out "$QSCD_E2E_DIR/nopad.p7s"
contains "the no-PIN-pad message" "has no PIN pad"

finish
