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
# `script` runs qscd on a new pseudo-terminal (its controlling terminal, as a shell would give it);
# what we write to script's input is typed on that terminal (^C: the line discipline sends SIGINT).
# After qscd, however it ended, the same terminal's echo flag is printed from inside it by `stty`
# (the shell there traps INT and TERM, so it outlives a qscd killed by them).
qscd_pid() {  # the qscd process signing to $1
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = "$(readlink -f "$qscd")" ] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$1" && { echo "${p#/proc/}"; return; }
  done
}
interrupt_prompt() {  # ctrl-c | TERM; leaves the terminal's output in $out
  local how=$1 keys="$work/keys.$1" screen="$work/screen.$1" pid="" i
  mkfifo "$keys"
  # A background job of this script starts with SIGINT ignored, and qscd leaves an ignored signal
  # ignored: give the terminal's programs the default disposition, as a login shell would.
  SHELL=/bin/bash env --default-signal=INT,QUIT script -qfec "trap : INT TERM; \"$qscd\" sign --token alice --in \"$work/doc.txt\" --out \"$work/int.p7s\"; echo \"EXIT=\$?\"; stty -a | tr ' ;' '\n\n' | grep -x -- '-\{0,1\}echo' | sed 's/^/ECHO-AFTER=/'" \
    /dev/null <"$keys" >"$screen" 2>&1 &
  local script_pid=$!
  exec 3>"$keys"
  for ((i = 0; i < 200; i++)); do grep -q "left): " "$screen" 2>/dev/null && pid=$(qscd_pid "$work/int.p7s") && [ -n "$pid" ] && break; sleep 0.05; done
  sleep 0.2  # the prompt is written just before echo goes off
  if [ -n "$pid" ] && stty -a <"/proc/$pid/fd/0" | tr ' ;' '\n\n' | grep -qx -- '-echo'; then
    echo "ECHO-AT-PROMPT=-echo" >>"$work/at-prompt.$how"; fi
  if [ "$how" = ctrl-c ]; then printf '\003' >&3; else [ -n "$pid" ] && kill -TERM "$pid"; fi
  for ((i = 0; i < 200; i++)); do kill -0 "$script_pid" 2>/dev/null || break; sleep 0.05; done
  exec 3>&-
  wait "$script_pid" 2>/dev/null
  out="$(cat "$screen" "$work/at-prompt.$how" 2>/dev/null)"
}
for how in ctrl-c TERM; do
  interrupt_prompt "$how"
  contains "$how: the prompt was shown" "User PIN (signature) for alice"
  contains "$how: prompt says 1 try left" "(1 try left): "
  contains "$how: echo was off at the prompt" "ECHO-AT-PROMPT=-echo"
  contains "$how: echo is back on afterwards" "ECHO-AFTER=echo"
  contains "$how: ends as a cancellation (exit 8)" "EXIT=8"
  contains "$how: says why" "PIN entry interrupted"
  [ ! -e "$work/int.p7s" ] && ok "$how: nothing written" || bad "$how: a signature was written"
done
[ "$(tries 'User PIN')" = "1 try left" ] && ok "an interrupted prompt costs no try" || bad "User PIN tries: $(tries 'User PIN')"
finish
