#!/usr/bin/env bash
# Simulated tokens behind a real pcscd (vsmartcard vpcd), judged by independent middleware:
# opensc-tool, openpgp-tool, OpenSC's PKCS#11 module + openssl, GnuPG (scdaemon over PC/SC), and
# pcsc-tools' scriptor for the card life cycle (removal, re-insertion, faults, shutdown).
#
# Run it under the private pcscd harness:
#   tests/e2e/private_pcscd.sh -- bash tests/e2e/interop_test.sh path/to/qscd path/to/qscd-sim
set -uo pipefail
. "$(dirname "$0")/e2e_prelude.sh" "$1" "$2" interop
reader0="Virtual PCD 00 00" reader1="Virtual PCD 00 01"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

finish() {
  [ -n "${GNUPGHOME:-}" ] && { gpgconf --kill scdaemon; gpgconf --kill gpg-agent; } >/dev/null 2>&1
  stop_sim >/dev/null 2>&1
  if [ "$failed" != 0 ]; then echo "---- qscd-sim log ----"; cat "$QSCD_SIM_LOG" 2>/dev/null; fi
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
trap 'finish; exit $?' EXIT

# ---- tokens and the card server -------------------------------------------------------------
expect 0 "qscd sim create alice (p256)" -- "$qscd" sim create --name alice --algo p256
expect 0 "qscd sim create bob (rsa2048)" -- "$qscd" sim create --name bob --algo rsa2048
serial_of() { "$qscd" info --token "$1" 2>/dev/null | awk '$1=="Serial:" {print $2}'; }
sigcount_of() { "$qscd" info --token "$1" 2>/dev/null | awk '$1=="Signatures:" {print $2}'; }
alice_serial=$(serial_of alice)   # FFFF + 8 hex digits
bob_serial=$(serial_of bob)

if start_sim "$QSCD_SIM_DIR" 0=alice 1=bob; then ok "qscd-sim serves alice (slot 0) and bob (slot 1); pcscd sees both cards"
else bad "qscd-sim did not come up"; exit 1; fi
expect 0 "qscd-sim ctl status" -- sim_ctl status
contains "status shows alice in slot 0" "slot=0 token=alice"
contains "status shows bob in slot 1" "slot=1 token=bob"
expect 1 "a token cannot be in two slots" -- sim_ctl insert 1 alice
contains "the refusal says where it is" "already in slot 0"
expect 2 "bad --slot is a usage error" -- "$QSCD_SIM" serve --slot alice

# ---- opensc-tool / openpgp-tool ------------------------------------------------------------------
expect 0 "opensc-tool -l" -- opensc-tool -l
matches "reader 0 has a card" "^0 +Yes +$reader0\$"
matches "reader 1 has a card" "^1 +Yes +$reader1\$"
expect 0 "opensc-tool -a reads the ATR" -- opensc-tool -r 0 -a
atr_body="3b 8d 81 31 fe 15 80 73 c0 21 c0 57 54 65 73 74 53 69 67"
tck=0; for b in ${atr_body#3b }; do tck=$((tck ^ 0x$b)); done
same "ATR is the TEST card's (issuer data TestSig, TCK ok)" "$(tr -d '\n' <<<"$out")" \
  "$(printf '%s %02x' "$atr_body" "$tck" | tr ' ' ':')"
expect 0 "openpgp-tool reads the card" -- openpgp-tool -r 0 -C -U -K
contains "openpgp-tool: serial" "Serial number:   ${alice_serial:4}"
contains "openpgp-tool: manufacturer" "Manufacturer:    test card"
contains "openpgp-tool: cardholder name" "Name:            alice"
contains "openpgp-tool: ECDSA signature key" "Sig Algorithm:   ECDSA"
expect 0 "openpgp-tool reads the RSA card in reader 1" -- openpgp-tool -r 1 -C -K
contains "openpgp-tool: bob's serial" "Serial number:   ${bob_serial:4}"

# ---- OpenSC PKCS#11 + openssl -------------------------------------------------------------
echo "signed through pcscd" > "$work/doc.txt"
expect 0 "pkcs11-tool lists the slots" -- pkcs11-tool --module "$p11" -L
# sig_slot READER: the id of the "(User PIN (sig))" slot of that reader
sig_slot() {
  awk -v r="$1" '/^Slot [0-9]+ \(0x[0-9a-f]+\): / { id = $3; gsub(/[()]/, "", id); sub(/^Slot [0-9]+ \(0x[0-9a-f]+\): /, ""); rd = $0 }
                 /token label/ && /User PIN \(sig\)/ && rd == r { print id; exit }' <<<"$out"
}
slot_a=$(sig_slot "$reader0") slot_b=$(sig_slot "$reader1")
if [ -n "$slot_a" ] && [ -n "$slot_b" ]; then ok "a 'User PIN (sig)' slot per card ($slot_a, $slot_b)"
else bad "no 'User PIN (sig)' slots in: $out"; fi
expect 0 "pkcs11-tool lists alice's objects after login" -- \
  pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --login --pin 123456 -O
contains "alice: private signature key" "Private Key Object; EC"
contains "alice: SIG certificate" "SIG certificate"
expect 0 "pkcs11-tool reads alice's certificate" -- \
  pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --read-object --type cert --id 01 -o "$work/alice.der"
expect 0 "the certificate names alice" -- openssl x509 -inform DER -in "$work/alice.der" -noout -subject
contains "certificate subject" "CN = alice Tester (TEST)"
openssl x509 -inform DER -in "$work/alice.der" -pubkey -noout >"$work/alice.pub" 2>/dev/null
expect 0 "pkcs11-tool reads alice's public key" -- \
  pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --read-object --type pubkey --id 01 -o "$work/alice.pubkey.der"
same "the card's public key is the certificate's" \
  "$(openssl pkey -pubin -inform DER -in "$work/alice.pubkey.der" -outform DER 2>/dev/null | sha256sum)" \
  "$(openssl pkey -pubin -in "$work/alice.pub" -outform DER 2>/dev/null | sha256sum)"

expect 1 "pkcs11 login with a wrong PIN fails" -- \
  pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --login --pin 654321 --sign --id 01 -m ECDSA-SHA256 \
  -i "$work/doc.txt" -o "$work/never.sig"
expect 0 "ECDSA signature through PKCS#11 (User PIN, sig slot)" -- \
  pkcs11-tool --module "$p11" --slot "${slot_a:-0}" --login --pin 123456 --sign --id 01 -m ECDSA-SHA256 \
  --signature-format openssl -i "$work/doc.txt" -o "$work/doc.p11.sig"
expect 0 "openssl verifies the ECDSA signature with the card's certificate" -- \
  openssl dgst -sha256 -verify "$work/alice.pub" -signature "$work/doc.p11.sig" "$work/doc.txt"
expect 0 "RSA signature through PKCS#11 (bob, reader 1)" -- \
  pkcs11-tool --module "$p11" --slot "${slot_b:-0}" --login --pin 123456 --sign --id 01 -m SHA256-RSA-PKCS \
  -i "$work/doc.txt" -o "$work/doc.bob.sig"
pkcs11-tool --module "$p11" --slot "${slot_b:-0}" --read-object --type cert --id 01 -o "$work/bob.der" >/dev/null 2>&1
openssl x509 -inform DER -in "$work/bob.der" -pubkey -noout >"$work/bob.pub" 2>/dev/null
expect 0 "openssl verifies the RSA signature with bob's certificate" -- \
  openssl dgst -sha256 -verify "$work/bob.pub" -signature "$work/doc.bob.sig" "$work/doc.txt"

# The same token signed directly by qscd (state file, flock) while it sits in the reader.
expect 0 "qscd signs with alice while qscd-sim serves her" -- \
  env QSCD_PIN=123456 "$qscd" sign --token alice --format raw --in "$work/doc.txt" --out "$work/doc.qscd.sig"
expect 0 "openssl verifies qscd's signature" -- \
  openssl dgst -sha256 -verify "$work/alice.pub" -signature "$work/doc.qscd.sig" "$work/doc.txt"
same "signature counter counts PKCS#11 and qscd signatures" "$(sigcount_of alice)" 2

# ---- GnuPG (scdaemon over PC/SC) ------------------------------------------------------------
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
cat >"$work/pinentry.sh" <<'EOF'
#!/bin/bash
# Assuan pinentry for tests: OK to everything; GETPIN answers the Admin PIN when the prompt asks for it.
echo "OK Pleased to meet you"
admin=0
while IFS= read -r line; do
  case $line in
    SETDESC*|SETPROMPT*) case $line in *Admin*|*admin*) admin=1 ;; esac; echo OK ;;
    GETPIN*) if [ "$admin" = 1 ]; then echo "D 12345678"; else echo "D 123456"; fi; echo OK ;;
    BYE*) echo OK; exit 0 ;;
    *) echo OK ;;
  esac
done
EOF
chmod +x "$work/pinentry.sh"
printf 'disable-ccid\npcsc-driver %s\nreader-port %s\n' "$pcsclite" "$reader0" >"$GNUPGHOME/scdaemon.conf"
printf 'pinentry-program %s\n' "$work/pinentry.sh" >"$GNUPGHOME/gpg-agent.conf"

expect 0 "gpg --card-status" -- gpg --card-status
contains "gpg: reader" "Reader ...........: $reader0"
contains "gpg: serial" "Serial number ....: ${alice_serial:4}"
contains "gpg: cardholder" "Name of cardholder: alice"
contains "gpg: PIN retry counters" "PIN retry counter : 3 0 3"
contains "gpg: signature counter matches qscd's" "Signature counter : 2"
contains "gpg: ECDSA P-256 key attributes" "Key attributes ...: nistp256"
out=$(gpg --card-status --with-colons 2>&1)
card_fpr=$(awk -F: '$1=="fpr" {print $2}' <<<"$out")
card_time=$(awk -F: '$1=="fprtime" {print $2}' <<<"$out")
card_grip=$(awk -F: '$1=="grp" {print $2}' <<<"$out")
if [ ${#card_fpr} = 40 ] && [ "$card_time" -gt 0 ] 2>/dev/null; then ok "card holds a fingerprint (C7) and creation time (CE)"
else bad "no fingerprint/creation time on the card: $out"; fi

# An OpenPGP key for the existing card key: from its keygrip, with the card's creation time, so
# its v4 fingerprint must equal the one qscd wrote to the card.
expect 0 "gpg creates an OpenPGP key for the card key (Key-Grip, card's creation time)" -- \
  gpg --batch --generate-key <(printf '%s\n' "Key-Type: ECDSA" "Key-Grip: $card_grip" "Key-Usage: sign" \
    "Name-Real: alice (TEST)" "Creation-Date: seconds=$card_time" "Expire-Date: 0" "%no-protection" "%commit")
gpg_fpr=$(gpg --with-colons --list-keys "alice (TEST)" 2>/dev/null | awk -F: '$1=="fpr" {print $10; exit}')
same "gpg's fingerprint equals the card's (qscd computed C7 correctly)" "$gpg_fpr" "$card_fpr"
expect 0 "gpg signs with the card" -- \
  gpg --batch --yes -u "$card_fpr" --detach-sign -o "$work/doc.gpg.sig" "$work/doc.txt"
expect 0 "gpg --verify accepts the card's signature" -- gpg --verify "$work/doc.gpg.sig" "$work/doc.txt"
contains "good signature by alice" 'Good signature from "alice (TEST)"'
expect 0 "gpg-connect-agent SCD GETATTR SIG-COUNTER" -- gpg-connect-agent "SCD GETATTR SIG-COUNTER" /bye
gpg_count=$(awk '$2=="SIG-COUNTER" {print $3}' <<<"$out")
same "counter seen by scdaemon equals the state file's" "$gpg_count" "$(sigcount_of alice)"
gpgconf --kill scdaemon; gpgconf --kill gpg-agent   # scdaemon holds reader 0 exclusively
unset GNUPGHOME

# ---- card life cycle through pcscd: removal, re-insertion, faults ---------------------------
select_apdu=00A4040006D27600012401
getdata_apdu=00CA006E00
# scriptor sends exactly the APDUs given (no driver probing), so APDU counts are exact.
apdus() { printf '%s\n' "$@" | timeout 20 scriptor -r "$reader0" 2>&1; }
answered() { grep -cE '^< [0-9A-F]{2}' "$@"; }   # responses scriptor received (not "<  : wrong SW size")

expect 0 "remove slot 1" -- sim_ctl remove 1
if wait_card 1 absent 5; then ok "pcscd sees the card in reader 1 removed"; else bad "reader 1 still has a card"; fi
expect 1 "removing an empty slot is an error" -- sim_ctl remove 1
expect 0 "re-insert bob into slot 1" -- sim_ctl insert 1 bob
if wait_card 1 present 5; then ok "pcscd sees bob re-inserted"; else bad "bob not present again"; fi
expect 0 "bob answers after re-insertion" -- openpgp-tool -r 1 -C
contains "bob's serial after re-insertion" "${bob_serial:4}"

expect 0 "fault 0 delay 300" -- sim_ctl fault 0 delay 300
t0=$(now_ms); expect 0 "an APDU with the delay fault" -- apdus $select_apdu; t1=$(now_ms)
if [ $((t1 - t0)) -ge 300 ]; then ok "the answer came after >= 300 ms ($((t1 - t0)) ms)"; else bad "answer after $((t1 - t0)) ms"; fi
expect 0 "fault 0 clear" -- sim_ctl fault 0 clear

expect 0 "fault 0 remove-after 1" -- sim_ctl fault 0 remove-after 1
expect 0 "status shows the fault" -- sim_ctl status
contains "status: remove-after" "slot=0 token=alice apdus="
contains "status: fault listed" "faults=remove-after:1"
apdus $select_apdu $getdata_apdu $getdata_apdu >"$work/removed.out"
if [ "$(answered "$work/removed.out")" = 1 ] && grep -q '^< 90 00' "$work/removed.out"; then
  ok "exactly one APDU answered before the card was pulled"
else bad "remove-after 1: $(cat "$work/removed.out")"; fi
if wait_card 0 absent 5; then ok "pcscd reports the card removed"; else bad "card still present after remove-after"; fi
expect 0 "status after the removal" -- sim_ctl status
matches "slot 0 is empty and the one-shot fault is gone" "^slot=0 token=- apdus=[0-9]+ faults=none\$"
expect 0 "re-insert alice" -- sim_ctl insert 0 alice
wait_card 0 present 5 || bad "alice not present again"

expect 0 "fault 0 mute" -- sim_ctl fault 0 mute
apdus $select_apdu >"$work/mute.out" 2>&1 &
muted=$!
sleep 0.5   # the check is "still unanswered after a while": a fixed wait is the point here
if kill -0 "$muted" 2>/dev/null; then ok "a muted card leaves the APDU unanswered"; else bad "muted APDU returned: $(cat "$work/mute.out")"; fi
expect 0 "remove the muted card" -- sim_ctl remove 0
wait "$muted"; mute_status=$?
if [ "$mute_status" != 124 ] && [ "$(answered "$work/mute.out")" = 0 ]; then
  ok "the waiting client gets an error when the muted card is pulled"
else bad "muted client: exit $mute_status: $(cat "$work/mute.out")"; fi
expect 0 "clear faults and re-insert alice" -- bash -c "'$QSCD_SIM' ctl --control '$QSCD_SIM_CONTROL' fault 0 clear && '$QSCD_SIM' ctl --control '$QSCD_SIM_CONTROL' insert 0 alice"
wait_card 0 present 5 || bad "alice not present after mute"
expect 0 "pcscd still works after the faults" -- apdus $select_apdu $getdata_apdu
if [ "$(grep -c ': Normal processing' <<<"$out")" = 2 ]; then ok "both APDUs answered 9000"; else bad "after faults: $out"; fi

# ---- shutdown --------------------------------------------------------------------------------
pid=$QSCD_SIM_PID
if stop_sim; then ok "qscd-sim exits 0 on SIGTERM"; else bad "qscd-sim exit status on SIGTERM"; fi
if [ ! -e "$QSCD_SIM_CONTROL" ]; then ok "the control socket is removed"; else bad "control socket left behind"; fi
if wait_card 0 absent 5 && wait_card 1 absent 5; then ok "both cards removed on shutdown"; else bad "cards still present after shutdown"; fi
kill -0 "$pid" 2>/dev/null && bad "qscd-sim still running"
expect 0 "the tokens are intact after the server ended" -- "$qscd" info --token alice
contains "alice's counter survived (PKCS#11, qscd, gpg key certification and signing)" "Signatures:   $gpg_count"
expect 1 "ctl without a server says so" -- sim_ctl status
contains "ctl error names the socket" "is \`qscd-sim serve\` running?"
