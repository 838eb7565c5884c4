#!/usr/bin/env bash
# kill -9 between the audit log's intent and its result: `qscd sign` logs the intent before the card
# is asked (and before the PIN is read), then waits for a PIN on a FIFO nobody writes; killed there,
# it leaves an intent without a result. `qscd audit verify` reports that attempt as a note (exit 0),
# `--token` agrees with the card's counter, and a normal signature afterwards keeps chain and
# counters intact.
set -uo pipefail
qscd=${1:?path to qscd}
work=$(mktemp -d)
signer=
trap '[ -n "$signer" ] && kill -9 "$signer" 2>/dev/null; rm -rf -- "$work"' EXIT
export QSCD_SIM_DIR="$work/state"
unset QSCD_PIN QSCD_NEW_PIN QSCD_ADMIN_PIN QSCD_RESET_CODE

. "$(dirname "$0")/../support/assert.sh"

echo "signed by qscd" > "$work/doc.txt"
log="$QSCD_SIM_DIR/audit.log"
expect 0 "sim create" -- "$qscd" sim create --name alice --algo p256

# Killed while it waits for the PIN: the intent is already in the log, the result never comes.
mkfifo "$work/pin.fifo"
"$qscd" sign --token alice --in "$work/doc.txt" --out "$work/killed.p7s" --pin-fd 3 3<>"$work/pin.fifo" >/dev/null 2>&1 &
signer=$!
for _ in $(seq 100); do grep -qs '"event":"intent"' "$log" && break; sleep 0.1; done
out=$(cat "$log" 2>/dev/null)
contains "the intent is logged before the PIN is read" '"event":"intent"'
kill -0 "$signer" 2>/dev/null && ok "qscd still waits for the PIN" || bad "qscd ended before the kill"
kill -9 "$signer"; wait "$signer" 2>/dev/null; signer=
out=$(cat "$log")
lacks "no result was logged" '"event":"signed"'
[ "$(wc -l < "$log")" = 1 ] && ok "the log holds the intent alone" || bad "log has $(wc -l < "$log") lines"
[ ! -e "$work/killed.p7s" ] && ok "no signature written" || bad "killed.p7s exists"

expect 0 "audit verify: an unfinished attempt is not a broken log" -- "$qscd" audit verify
contains "chain intact" "1 entries, chain intact"
contains "the unfinished attempt is a note" "note: entry 1: intent to sign $work/doc.txt on FFFF"
contains "saying what happened" "has no result (the program ended between asking the card and logging the outcome)"
expect 0 "audit verify --token agrees with the card's counter" -- "$qscd" audit verify --token alice
contains "the card's counter is shown" "card signature counter 0"
contains "the note is repeated" "has no result"

# A normal signature after the kill: the chain continues, the counters meet the card's.
expect 0 "signing after the kill" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/after.p7s"
contains "the card counted it" "Card signature counter: 0 → 1"
out=$(tail -n 1 "$log")
contains "its result answers its own intent" '"event":"signed"'
contains "which is entry 2" '"intent":2,'
expect 0 "audit verify after the kill and a signature" -- "$qscd" audit verify
contains "3 entries, chain intact" "3 entries, chain intact"
contains "the killed attempt is still a note" "note: entry 1: intent to sign"
expect 0 "audit verify --token after the kill and a signature" -- "$qscd" audit verify --token alice
contains "card counter 1" "card signature counter 1"
lacks "nothing missing" "does not show"

# The card counted a signature the log lacks (made outside qscd, or its lines cut): the one
# unfinished attempt excuses one count, so one more than the log shows is still a note, two are not.
cp "$log" "$work/audit.full"
head -n -2 "$work/audit.full" > "$log"   # the signature's intent and result cut off the end
expect 0 "a cut signature hidden by the unfinished attempt's one count" -- "$qscd" audit verify --token alice
expect 0 "a signature outside qscd" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/outside.p7s" \
  --audit-log "$work/other.log"
expect 6 "two counts more than the log shows are found" -- "$qscd" audit verify --token alice
contains "named, with the excuse" "1 unfinished or failed attempt(s) from there on may have cost one count each: the card counted 1 signature(s) the log does not show"
cp "$work/audit.full" "$log"
finish
