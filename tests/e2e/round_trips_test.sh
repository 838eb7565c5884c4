#!/usr/bin/env bash
# APDUs per signature with a PIN each when qscd holds the card (issue 15 item 2), through a real pcscd:
# the OpenPGP card at most 3 (VERIFY, PSO:CDS, the counter read after it), the Estonian ID card 3
# (MSE SET, VERIFY, PSO:CDS), FinEID v4 4 (VERIFY, MSE SET, PSO:HASH, PSO:CDS); a reset or a
# removal between two signatures makes the driver read the card again and still sign correctly.
#   $1 = qscd, $2 = qscd-sim, $3 = round_trips
set -uo pipefail
qscd=${1:?path to qscd}
export QSCD_SIM=${2:?path to qscd-sim}
round_trips=${3:?path to round_trips}
: "${QSCD_E2E_DIR:?run me under tests/e2e/private_pcscd.sh}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/../support/assert.sh"
export QSCD_SIM_DIR="$QSCD_E2E_DIR/round-trips"
unset QSCD_PIN
trap 'stop_sim >/dev/null 2>&1; finish; exit $?' EXIT

expect 0 "create alice (OpenPGP)" -- "$qscd" sim create --name alice --algo p256
expect 0 "create est (Estonian ID card)" -- "$qscd" sim create --card estonian-id --name est --holder "Mari Maasikas"
est_pin2=$(sed -nE 's/^ *PINs: .*PIN2 ([0-9]+).*/\1/p' <<<"$out")
expect 0 "create fin (Finnish ID card)" -- "$qscd" sim create --card finnish-id --name fin --holder "Matti Meikalainen"
fin_pin2=$(sed -nE 's/^ *PINs: .*PIN2 ([0-9]+).*/\1/p' <<<"$out")
start_sim "$QSCD_SIM_DIR" 0=alice 1=est || { bad "qscd-sim did not come up"; exit 1; }

replug() { echo ". '$QSCD_E2E_LIB'; sim_ctl remove $1 >/dev/null && wait_card $1 absent && sim_ctl insert $1 $2 >/dev/null && wait_card $1 present"; }
run() {  # name reader pin max slot token
  local output status
  output=$(ROUND_TRIPS_REPLUG="$(replug "$5" "$6")" "$round_trips" "$2" "$3" 5 "$4" 2>&1); status=$?
  echo "$output" | sed "s/^/  [$1] /"
  [ "$status" = 0 ] && ok "$1: APDUs per signature on a held card, reset and removal" || bad "$1: round trips (exit $status)"
}
run "OpenPGP card" "Virtual PCD 00 00" 123456 3 0 alice
run "Estonian ID card" "Virtual PCD 00 01" "$est_pin2" 3 1 est
sim_ctl remove 1 >/dev/null && wait_card 1 absent && sim_ctl insert 1 fin >/dev/null && wait_card 1 present || bad "fin not inserted"
run "Finnish ID card" "Virtual PCD 00 01" "$fin_pin2" 4 1 fin
