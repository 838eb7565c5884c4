#!/usr/bin/env bash
# Runs bench/pcsc_bench inside a private pcscd (tests/e2e/private_pcscd.sh) with one simulated card.
#   bench/pcsc_bench.sh BUILD_DIR [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?build dir}" && pwd)
rounds=${2:-200}
exec bash "$root/tests/e2e/private_pcscd.sh" -- bash -c '
  set -euo pipefail
  export QSCD_SIM="$1/tools/qscd-sim" QSCD_SIM_DIR="$QSCD_E2E_DIR/state"
  . "$QSCD_E2E_LIB"
  "$1/tools/qscd" sim create --name bench --algo p256 >/dev/null
  start_sim "$QSCD_SIM_DIR" 0=bench
  "$1/bench/pcsc_bench" "$2"
  stop_sim' bench "$build" "$rounds"
