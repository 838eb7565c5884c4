#!/usr/bin/env bash
# Runs inside tests/e2e/private_pcscd.sh: creates tokens alice and bob, serves alice in vpcd slot 0
# with qscd-sim, then runs the pcsc_e2e_tests Catch2 program (extra arguments go to it).
#   pcsc_e2e_driver.sh PCSC_E2E_TESTS QSCD QSCD_SIM [CATCH2 ARGS...]
set -euo pipefail
tests=${1:?pcsc_e2e_tests binary}; qscd=${2:?qscd binary}; export QSCD_SIM=${3:?qscd-sim binary}
shift 3
. "${QSCD_E2E_LIB:?run under tests/e2e/private_pcscd.sh}"

state="$QSCD_E2E_DIR/state"
serial_of() { sed -n "s/^Created simulated token '.*' (serial \([0-9A-F]*\),.*/\1/p"; }
QSCD_E2E_ALICE_SERIAL=$("$qscd" --state "$state" sim create --name alice | serial_of)
QSCD_E2E_BOB_SERIAL=$("$qscd" --state "$state" sim create --name bob | serial_of)
[ -n "$QSCD_E2E_ALICE_SERIAL" ] && [ -n "$QSCD_E2E_BOB_SERIAL" ] || { echo "pcsc_e2e: no serial from qscd sim create" >&2; exit 1; }
export QSCD_E2E_ALICE_SERIAL QSCD_E2E_BOB_SERIAL QSCD_SIM_CONTROL

start_sim "$state" 0=alice
status=0
"$tests" "$@" || status=$?
stop_sim || true
exit "$status"
