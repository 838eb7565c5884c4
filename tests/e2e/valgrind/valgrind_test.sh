#!/usr/bin/env bash
# The end-to-end interop tests with every qscd process under valgrind memcheck (`make test-valgrind`):
# tests/e2e/interop_test.sh, pcsc_backend_test.sh and a small stress run (4 clients x 12
# transactions), each under its own private pcscd, are given wrappers in place of qscd, qscd-sim,
# pcsc_backend_tests and stress_client that run them through valgrind.sh.
# Passes iff both tests pass, every valgrind-checked process finished its report and no report has
# an error (memory errors, and definitely lost blocks, which count as errors here).
#
#   valgrind_test.sh QSCD QSCD_SIM PCSC_BACKEND_TESTS STRESS_CLIENT
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
e2e=$(cd "$here/.." && pwd)
command -v valgrind >/dev/null || { echo "valgrind_test: valgrind not found; run: make deps"; exit 1; }
for program in "$@"; do [ -x "$program" ] || { echo "valgrind_test: '$program' is not an executable; run: make build"; exit 1; }; done
[ $# = 4 ] || { echo "usage: valgrind_test.sh QSCD QSCD_SIM PCSC_BACKEND_TESTS STRESS_CLIENT"; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/qscd-valgrind.XXXXXX")
mkdir -p "$work/bin"
# One wrapper per program, named like it: the tests call "$qscd ..." exactly as before.
wrap() {
  local real
  real=$(readlink -f "$1")
  printf '#!/bin/sh\nexec bash %q %q "$@"\n' "$here/valgrind.sh" "$real" >"$work/bin/$(basename "$real")"
  chmod +x "$work/bin/$(basename "$real")"
  echo "$work/bin/$(basename "$real")"
}
qscd=$(wrap "$1") sim=$(wrap "$2") backend=$(wrap "$3") stress=$(wrap "$4")

status=0
run() {
  local name=$1; shift
  local t0=$SECONDS
  echo "==== $name (under valgrind) ===="
  # A directory per test: each runs in its own PID namespace, so process ids repeat between them.
  export QSCD_VALGRIND_LOGS="$work/logs/$name"
  mkdir -p "$QSCD_VALGRIND_LOGS"
  if bash "$e2e/private_pcscd.sh" -- "$@"; then echo "==== $name: passed in $((SECONDS - t0)) s"
  else echo "==== $name: FAILED after $((SECONDS - t0)) s"; status=1; fi
}
run interop bash "$e2e/interop_test.sh" "$qscd" "$sim"
run pcsc-backend bash "$e2e/pcsc_backend_test.sh" "$qscd" "$sim" "$backend"
run stress bash "$e2e/stress_test.sh" "$qscd" "$sim" "$stress" 4 12

# ---- the reports ------------------------------------------------------------------------------
processes=0 errors=0 unfinished=0
declare -A per_program=()
for log in "$work"/logs/*/*.log; do
  [ -e "$log" ] || continue
  processes=$((processes + 1))
  program=$(basename "$log"); program=${program%.*.log}
  per_program[$program]=$(( ${per_program[$program]:-0} + 1 ))
  summary=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
  if [ -z "$summary" ]; then
    unfinished=$((unfinished + 1))
    echo "---- no ERROR SUMMARY (process killed before valgrind finished): $log"; tail -5 "$log"
  elif [ "$summary" != 0 ]; then
    errors=$((errors + summary))
    echo "---- $summary error(s): $log"; cat "$log"
  fi
done
echo "valgrind-checked processes: $processes ($(for p in "${!per_program[@]}"; do printf '%s %s, ' "$p" "${per_program[$p]}"; done | sed 's/, $//'))"
echo "valgrind errors:            $errors"
echo "unfinished reports:         $unfinished"
[ "$processes" -gt 0 ] || { echo "no process ran under valgrind"; status=1; }
[ "$errors" = 0 ] && [ "$unfinished" = 0 ] || status=1
if [ "$status" = 0 ]; then rm -rf "$work"; else echo "reports kept in $work/logs"; fi
exit "$status"
