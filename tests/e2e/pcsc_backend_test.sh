#!/usr/bin/env bash
# Through a real pcscd: the backend test program, then the qscd CLI choosing cards by reader,
# serial and label, and `qscd watch` seeing a removal and an insertion.
set -uo pipefail
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
tests=${3:?path to pcsc_backend_tests}

if "$tests"; then ok "backend test program"; else bad "backend test program"; fi

echo "a document for the reader" > "$QSCD_E2E_DIR/doc.txt"
expect 0 "readers lists both slots" -- "$qscd" readers
contains "slot 0 present" "Virtual PCD 00 00"
contains "token in slot 0 named by serial" "serial $QSCD_E2E_SERIAL_0"
contains "reader features reported" "features:"
expect 0 "token list shows readers" -- "$qscd" token list
contains "pcsc kind listed" "pcsc"

expect 0 "sign through PC/SC by reader" -- env QSCD_PIN=123456 "$qscd" sign --reader "Virtual PCD 00 00" \
  --in "$QSCD_E2E_DIR/doc.txt" --out "$QSCD_E2E_DIR/doc.p7s"
expect 0 "qscd verifies it" -- "$qscd" verify --in "$QSCD_E2E_DIR/doc.txt" --sig "$QSCD_E2E_DIR/doc.p7s" --ca "$ca"
if openssl cms -verify -binary -inform DER -in "$QSCD_E2E_DIR/doc.p7s" -content "$QSCD_E2E_DIR/doc.txt" -CAfile "$ca" -out /dev/null 2>/dev/null; then
  ok "openssl verifies the PC/SC signature"; else bad "openssl rejects the PC/SC signature"; fi
expect 0 "sign through PC/SC by serial (RSA card)" -- env QSCD_PIN=123456 "$qscd" sign --serial "$QSCD_E2E_SERIAL_1" \
  --in "$QSCD_E2E_DIR/doc.txt" --out "$QSCD_E2E_DIR/doc.rsa.p7s"
expect 0 "RSA PC/SC signature verifies" -- "$qscd" verify --in "$QSCD_E2E_DIR/doc.txt" --sig "$QSCD_E2E_DIR/doc.rsa.p7s" --ca "$ca"
expect 0 "info by label" -- "$qscd" info --reader "Virtual PCD 00 00" --label alice
expect 0 "info in exclusive mode" -- "$qscd" info --reader "Virtual PCD 00 00" --exclusive
expect 5 "unknown serial" -- "$qscd" info --serial FFFF0BADBAD0
expect 3 "wrong PIN through PC/SC" -- env QSCD_PIN=000000 "$qscd" sign --reader "Virtual PCD 00 00" --in "$QSCD_E2E_DIR/doc.txt" --out "$QSCD_E2E_DIR/x.p7s"
contains "tries left through PC/SC" "2 tries left"
expect 0 "right PIN resets the counter" -- env QSCD_PIN=123456 "$qscd" sign --reader "Virtual PCD 00 00" --in "$QSCD_E2E_DIR/doc.txt" --out "$QSCD_E2E_DIR/y.p7s"

# Hot-plug: watch while slot 1's card is removed and inserted again.
# Waits for watch's own output, not fixed sleeps (it starts slowly under valgrind): first what is there
# (its initial events), at the end the re-insertion.
"$qscd" watch --timeout 30 > "$QSCD_E2E_DIR/watch.log" 2>&1 &
watcher=$!
watch_saw() { for _ in $(seq 200); do [ "$(grep -c "$1" "$QSCD_E2E_DIR/watch.log")" -ge "$2" ] && return; sleep 0.05; done; }
watch_saw "card inserted  Virtual PCD 00 01" 1
sim_ctl remove 1 >/dev/null && wait_card 1 absent && sim_ctl insert 1 bob >/dev/null && wait_card 1 present
watch_saw "card inserted  Virtual PCD 00 01" 2
kill -INT "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null
out=$(cat "$QSCD_E2E_DIR/watch.log")
contains "watch reports the removal" "card removed   Virtual PCD 00 01"
contains "watch reports the insertion" "card inserted  Virtual PCD 00 01"
finish
