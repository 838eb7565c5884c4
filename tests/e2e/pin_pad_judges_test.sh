#!/usr/bin/env bash
# Independent judges of the simulated PIN-pad reader (issue 14 item 3): OpenSC's PKCS#11 module
# logs in through the protected authentication path (`pkcs11-tool --login` with no PIN: OpenSC
# sends PC/SC part 10 VERIFY_PIN_DIRECT with its own structure) and signs, on the OpenPGP card and
# on the simulated Estonian ID card (OpenSC's esteid2018 driver: 12-byte FF-padded PIN block);
# PIN changes on the keypad (MODIFY_PIN_DIRECT) through OpenSC for both cards; GnuPG's scdaemon signs with the PIN typed on the keypad while gpg-agent's pinentry refuses every
# PIN request (so no PIN passes through gpg-agent). openssl / gpg verify.
#   $1 = qscd, $2 = qscd-sim; run under private_pcscd.sh --pinpad-driver
set -uo pipefail
. "$(dirname "$0")/e2e_prelude.sh" "$1" "$2" judges
[ "${QSCD_READER_NAME:-}" = "QSCD PIN Pad" ] || { echo "run under private_pcscd.sh --pinpad-driver"; exit 1; }
r0="QSCD PIN Pad 00 00" r1="QSCD PIN Pad 00 01"
finish_all() {
  [ -n "${GNUPGHOME:-}" ] && { gpgconf --kill scdaemon; gpgconf --kill gpg-agent; } >/dev/null 2>&1
  if [ "$failed" != 0 ]; then
    echo "---- qscd-sim log (PIN-pad and signing APDUs) ----"; grep -E "PIN pad|APDU 00 (2A|20|88)" "$QSCD_SIM_LOG" | tail -40
    echo "---- display 0 ----"; sim_ctl display 0
  fi
  stop_sim >/dev/null 2>&1
  finish
}
trap 'finish_all; exit $?' EXIT
tries() { "$qscd" info --reader "$1" | sed -n 's/^User PIN: *\([0-9]*\) tr.*/\1/p'; }

expect 0 "create alice (OpenPGP, P-256)" -- "$qscd" sim create --name alice --algo p256
expect 0 "create est (Estonian ID card)" -- "$qscd" sim create --card estonian-id --name est --holder "Mari Maasikas"
QSCD_SIM_VERBOSE=1 start_sim "$QSCD_SIM_DIR" 0=alice 1=est || { bad "qscd-sim did not come up"; exit 1; }
echo "signed through the PIN pad" >"$work/doc.txt"

# ---- OpenSC PKCS#11: protected authentication path ----------------------------------------------
expect 0 "pkcs11-tool -L" -- pkcs11-tool --module "$p11" -L
contains "OpenSC announces the protected authentication path" "PIN pad present"
sig_slot() {
  awk -v r="$1" -v l="$2" '/^Slot [0-9]+ \(0x[0-9a-f]+\): / { id = $3; gsub(/[()]/, "", id); sub(/^Slot [0-9]+ \(0x[0-9a-f]+\): /, ""); rd = $0 }
                 /token label/ && index($0, l) && rd == r { print id; exit }' <<<"$out"
}
slot_a=$(sig_slot "$r0" "User PIN (sig)") slot_e=$(sig_slot "$r1" "(PIN2)")
[ -n "$slot_a" ] && [ -n "$slot_e" ] && ok "signature slots found ($slot_a, $slot_e)" || bad "no signature slots in: $out"

sim_ctl keypad 0 type 123456 >/dev/null
expect 0 "pkcs11-tool --login with no PIN signs (ECDSA, OpenPGP card)" -- \
  pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --login --sign --id 01 -m ECDSA-SHA256 \
  --signature-format openssl -i "$work/doc.txt" -o "$work/alice.sig"
pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --read-object --type cert --id 01 -o "$work/alice.der" >/dev/null 2>&1
openssl x509 -inform DER -in "$work/alice.der" -pubkey -noout >"$work/alice.pub" 2>/dev/null
expect 0 "openssl verifies OpenSC's PIN-pad signature" -- \
  openssl dgst -sha256 -verify "$work/alice.pub" -signature "$work/alice.sig" "$work/doc.txt"
expect 0 "display" -- sim_ctl display 0
contains "the keypad was used (display)" "Enter PIN|******"

t0=$(tries "$r0")
sim_ctl keypad 0 type 999999 >/dev/null
expect 1 "pkcs11-tool --login with a wrong PIN typed on the keypad fails" -- \
  pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --login --sign --id 01 -m ECDSA-SHA256 -i "$work/doc.txt" -o "$work/never.sig"
t1=$(tries "$r0")
[ "$t1" = $((t0 - 1)) ] && ok "one wrong keypad PIN through OpenSC costs exactly one try ($t0 → $t1)" || bad "tries $t0 → $t1"
sim_ctl keypad 0 cancel >/dev/null
expect 1 "pkcs11-tool --login cancelled on the keypad fails" -- \
  pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --login --sign --id 01 -m ECDSA-SHA256 -i "$work/doc.txt" -o "$work/never.sig"
[ "$(tries "$r0")" = "$t1" ] && ok "a keypad cancel through OpenSC costs no try" || bad "tries now $(tries "$r0")"

# PIN2's key needs a context-specific login for each signature (CKA_ALWAYS_AUTHENTICATE): OpenSC
# verifies PIN2 twice, so the holder types it twice.
sim_ctl keypad 1 type 12345 >/dev/null
sim_ctl keypad 1 type 12345 >/dev/null
expect 0 "pkcs11-tool --login with no PIN signs on the ID card (PIN2 on the keypad, ECDSA-SHA384)" -- \
  pkcs11-tool --module "$p11" --slot "${slot_e:-0}" --login --sign --id 02 -m ECDSA-SHA384 \
  --signature-format openssl -i "$work/doc.txt" -o "$work/est.sig"
pkcs11-tool --module "$p11" --slot "${slot_e:-0}" --read-object --type cert --id 02 -o "$work/est.der" >/dev/null 2>&1
openssl x509 -inform DER -in "$work/est.der" -pubkey -noout >"$work/est.pub" 2>/dev/null
expect 0 "openssl verifies the ID card's PIN-pad signature" -- \
  openssl dgst -sha384 -verify "$work/est.pub" -signature "$work/est.sig" "$work/doc.txt"
expect 0 "display" -- sim_ctl display 1
contains "the ID card's PIN2 (5 digits) was typed on the keypad" "Enter PIN|*****"
contains "and accepted by the card" "PIN OK|"
lacks "the card never refused the reader's VERIFY" "Card:"

# ---- PIN change on the keypad (MODIFY_PIN_DIRECT): OpenSC's structures, the reader's formatting ----
sim_ctl keypad 0 type 123456 >/dev/null; sim_ctl keypad 0 type 11223344 >/dev/null; sim_ctl keypad 0 type 44332211 >/dev/null
expect 1 "pkcs11-tool --change-pin: the new PINs typed differ (6402)" -- pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --change-pin
[ "$(tries "$r0")" = "$t1" ] && ok "differing new PINs cost no try" || bad "tries now $(tries "$r0")"
sim_ctl keypad 0 type 123456 >/dev/null; sim_ctl keypad 0 type 11223344 >/dev/null; sim_ctl keypad 0 type 11223344 >/dev/null
expect 0 "pkcs11-tool --change-pin with old, new and confirmation typed on the keypad (OpenPGP: old‖new)" -- \
  pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --change-pin
expect 0 "display" -- sim_ctl display 0
contains "the display asked for the old PIN" "Enter PIN|******"
contains "the display asked for the new PIN" "New PIN|********"
contains "the display asked to confirm it" "Confirm new PIN|********"
contains "the display showed the mismatch" "PINs differ|"
sim_ctl keypad 0 type 11223344 >/dev/null
expect 0 "qscd sign --pin-pad with the new User PIN" -- \
  "$qscd" sign --reader "$r0" --pin-pad --in "$work/doc.txt" --out "$work/newpin.p7s"
sim_ctl keypad 1 type 12345 >/dev/null; sim_ctl keypad 1 type 54321 >/dev/null; sim_ctl keypad 1 type 54321 >/dev/null
expect 0 "pkcs11-tool --change-pin on the ID card (12-byte FF blocks at offsets 0 and 12)" -- \
  pkcs11-tool --module "$p11" --slot "${slot_e:-0}" --change-pin
sim_ctl keypad 1 type 54321 >/dev/null; sim_ctl keypad 1 type 54321 >/dev/null
expect 0 "the ID card signs with the new PIN2 typed on the keypad" -- \
  pkcs11-tool --module "$p11" --slot "${slot_e:-0}" --login --sign --id 02 -m ECDSA-SHA384 -i "$work/doc.txt" -o "$work/est2.sig"

# ---- GnuPG scdaemon: the PIN pad, no PIN through gpg-agent ---------------------------------------
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
cat >"$work/pinentry.sh" <<EOF2
#!/bin/bash
# Assuan pinentry that logs every request and refuses to hand out any PIN.
echo "OK Pleased to meet you"
while IFS= read -r line; do
  echo "\$line" >>"$work/pinentry.log"
  case \$line in
    GETPIN*) echo "ERR 83886179 Operation cancelled <Pinentry>" ;;
    BYE*) echo OK; exit 0 ;;
    *) echo OK ;;
  esac
done
EOF2
chmod +x "$work/pinentry.sh"
printf 'disable-ccid\npcsc-driver %s\nreader-port %s\nenable-pinpad-varlen\n' "$pcsclite" "$r0" >"$GNUPGHOME/scdaemon.conf"
printf 'pinentry-program %s\n' "$work/pinentry.sh" >"$GNUPGHOME/gpg-agent.conf"
expect 0 "gpg --card-status" -- gpg --card-status
out_status=$out
out=$(gpg --card-status --with-colons 2>&1)
card_fpr=$(awk -F: '$1=="fpr" {print $2}' <<<"$out")
card_time=$(awk -F: '$1=="fprtime" {print $2}' <<<"$out")
card_grip=$(awk -F: '$1=="grp" {print $2}' <<<"$out")
# gpg makes two signatures with the card here (PW1 is valid for one signature): two keypad entries.
sim_ctl keypad 0 type 11223344 >/dev/null
sim_ctl keypad 0 type 11223344 >/dev/null
expect 0 "gpg makes an OpenPGP key for the card key" -- \
  gpg --batch --generate-key <(printf '%s\n' "Key-Type: ECDSA" "Key-Grip: $card_grip" "Key-Usage: sign" \
    "Name-Real: alice (TEST)" "Creation-Date: seconds=$card_time" "Expire-Date: 0" "%no-protection" "%commit")
sim_ctl keypad 0 clear >/dev/null
sim_ctl keypad 0 type 11223344 >/dev/null
expect 0 "gpg signs with the PIN typed on the keypad" -- \
  gpg --batch --yes -u "$card_fpr" --detach-sign -o "$work/doc.gpg.sig" "$work/doc.txt"
expect 0 "gpg --verify accepts it" -- gpg --verify "$work/doc.gpg.sig" "$work/doc.txt"
contains "good signature by alice" 'Good signature from "alice (TEST)"'
if grep -q '^GETPIN' "$work/pinentry.log" 2>/dev/null; then bad "gpg-agent asked the pinentry for a PIN"
else ok "gpg-agent never asked for a PIN (the keypad had it)"; fi
expect 0 "display" -- sim_ctl display 0
out=$(grep -c 'Enter PIN|\*\*\*\*\*\*\*\*' <<<"$out")
[ "$out" -ge 1 ] && ok "scdaemon's VERIFY went through the keypad" || bad "no keypad entry for gpg"
gpgconf --kill scdaemon; gpgconf --kill gpg-agent
