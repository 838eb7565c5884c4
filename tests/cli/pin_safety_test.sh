#!/usr/bin/env bash
# PIN input safety through the real qscd binary (issue 11 items 5 and 7): a new PIN outside the
# card's limits is refused before anything reaches the card (no try lost, never "wrong PIN"); Ctrl-C
# or SIGTERM at a PIN prompt gives the terminal its echo back (a real pseudo-terminal); "1 try left".
set -uo pipefail
qscd=${1:?path to qscd}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
export QSCD_SIM_DIR="$work/state"
unset QSCD_PIN QSCD_NEW_PIN QSCD_ADMIN_PIN QSCD_RESET_CODE
. "$here/../support/assert.sh"

expect 0 "sim create" -- "$qscd" sim create --name alice --algo p256
long_user=$(printf '7%.0s' $(seq 128))   # one more than the card's 127 (C4)
long_admin=$(printf '8%.0s' $(seq 128))
tries() { "$qscd" pin status --token alice | sed -n "s/^$1: *//p"; }

# ---- new PIN length, checked on the host ----------------------------------------------------
expect 3 "new User PIN longer than the card's maximum refused" -- \
  env QSCD_PIN=123456 QSCD_NEW_PIN="$long_user" "$qscd" pin change --token alice
contains "names the card's limit" "at most 127 characters"
lacks "never reported as a wrong PIN" "wrong"
expect 3 "new User PIN shorter than 6 refused" -- env QSCD_PIN=123456 QSCD_NEW_PIN=12345 "$qscd" pin change --token alice
contains "names the minimum" "at least 6 characters"
expect 3 "new Admin PIN longer than the card's maximum refused" -- \
  env QSCD_ADMIN_PIN=12345678 QSCD_NEW_PIN="$long_admin" "$qscd" pin change --admin --token alice
lacks "Admin: never reported as a wrong PIN" "wrong"
expect 3 "new Admin PIN shorter than 8 refused" -- env QSCD_ADMIN_PIN=12345678 QSCD_NEW_PIN=1234567 "$qscd" pin change --admin --token alice
expect 3 "unblock to a too long User PIN refused" -- \
  env QSCD_ADMIN_PIN=12345678 QSCD_NEW_PIN="$long_user" "$qscd" pin unblock --token alice --with admin
lacks "unblock: never reported as a wrong PIN" "wrong"
[ "$(tries 'User PIN')" = "3 tries left" ] && ok "no User PIN try spent" || bad "User PIN tries: $(tries 'User PIN')"
[ "$(tries 'Admin PIN')" = "3 tries left" ] && ok "no Admin PIN try spent" || bad "Admin PIN tries: $(tries 'Admin PIN')"
expect 0 "the old User PIN still works" -- env QSCD_PIN=123456 QSCD_NEW_PIN=135791 "$qscd" pin change --token alice
expect 0 "a new PIN of exactly the maximum is accepted" -- \
  env QSCD_PIN=135791 QSCD_NEW_PIN="${long_user:1}" "$qscd" pin change --token alice

# ---- "1 try left", singular, everywhere a count is printed --------------------------------
echo doc > "$work/doc.txt"
expect 3 "wrong PIN (2 left)" -- env QSCD_PIN=000000 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/x.p7s"
expect 3 "wrong PIN (1 left)" -- env QSCD_PIN=000000 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/x.p7s"
contains "error message: 1 try left" "1 try left"
expect 0 "pin status" -- "$qscd" pin status --token alice
[ "$(tries 'User PIN')" = "1 try left" ] && ok "pin status: 1 try left" || bad "pin status says '$(tries 'User PIN')'"
lacks "pin status: no '1 tries'" "1 tries"
expect 0 "info" -- "$qscd" info --token alice
contains "info: 1 try left" "1 try left"
lacks "info: no '1 tries'" "1 tries"

# ---- Ctrl-C / SIGTERM at the PIN prompt (a real pseudo-terminal) ---------------------------
for how in ctrl-c SIGTERM; do
  out=$(python3 "$here/pin_prompt_pty.py" "$how" -- "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/int.p7s" 2>&1)
  contains "$how: the prompt was shown" "prompt: User PIN (signature) for alice"
  contains "$how: prompt says 1 try left" "(1 try left): "
  contains "$how: echo was off at the prompt" "echo-at-prompt: off"
  contains "$how: echo is back on afterwards" "echo-after: on"
  contains "$how: ends as a cancellation (exit 8)" "exit: 8"
  contains "$how: says why" "PIN entry interrupted"
  [ ! -e "$work/int.p7s" ] && ok "$how: nothing written" || bad "$how: a signature was written"
done
[ "$(tries 'User PIN')" = "1 try left" ] && ok "an interrupted prompt costs no try" || bad "User PIN tries: $(tries 'User PIN')"
finish
