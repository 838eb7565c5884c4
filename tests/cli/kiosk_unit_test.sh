#!/usr/bin/env bash
# The kiosk's systemd unit (packaging/systemd/qscd-kiosk@.service.in, as configured for installation):
# its ExecStart command line, with the instance and the reader setting filled in as systemd would, is
# accepted by `qscd kiosk` (--dry-run: parsed and checked, nothing started); and `systemd-analyze
# verify` accepts the unit where systemd-analyze exists (the binary path pointed at this build's qscd).
#   $1 = qscd, $2 = the configured unit file
set -uo pipefail
. "$(dirname "$0")/../support/assert.sh"
qscd=${1:?path to qscd} unit=${2:?path to qscd-kiosk@.service}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ -n "$exec_start" ] && ok "the unit has an ExecStart" || bad "no ExecStart in $unit"
# run_exec_start READER: the ExecStart words for instance "front-desk", ${QSCD_KIOSK_READER} one word
# (systemd's rule for a variable standing alone), the program replaced by this build's qscd.
run_exec_start() {
  local words=() w args=()
  read -ra words <<<"${exec_start//%i/front-desk}"
  for w in "${words[@]:1}"; do
    if [ "$w" = '${QSCD_KIOSK_READER}' ]; then args+=("$1"); else args+=("$w"); fi
  done
  "$qscd" "${args[@]}" --dry-run
}
[ "$(basename "${exec_start%% *}")" = qscd ] && ok "ExecStart runs qscd" || bad "ExecStart: $exec_start"
out=$(run_exec_start "" 2>&1); status=$?
[ "$status" = 0 ] && ok "qscd kiosk accepts ExecStart (reader setting empty)" || bad "exit $status: $out"
contains "the spool is the instance's" "spool /var/spool/qscd-kiosk/front-desk,"
contains "every reader" "readers all"
contains "the PIN pad is required" "PIN on the reader's PIN pad (required)"
contains "the events file" "events /var/spool/qscd-kiosk/front-desk/events.jsonl"
out=$(run_exec_start "QSCD PIN Pad 00 01" 2>&1); status=$?
[ "$status" = 0 ] && ok "qscd kiosk accepts ExecStart with a reader name containing spaces" || bad "exit $status: $out"
contains "the reader filter" "readers containing 'QSCD PIN Pad 00 01'"

if command -v systemd-analyze >/dev/null; then
  sed "s|^ExecStart=[^ ]*|ExecStart=$(readlink -f "$qscd")|" "$unit" >"$work/qscd-kiosk@front-desk.service"
  out=$(systemd-analyze verify --man=no "$work/qscd-kiosk@front-desk.service" 2>&1); status=$?
  [ "$status" = 0 ] && [ -z "$out" ] && ok "systemd-analyze verify accepts the unit" || bad "systemd-analyze verify: exit $status: $out"
else
  echo "# systemd-analyze not installed: the unit's syntax is not judged by systemd here"
fi
finish
