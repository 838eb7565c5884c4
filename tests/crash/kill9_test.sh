#!/usr/bin/env bash
# kill -9 loop against the real CLI (issue 6 item 3): see kill9_driver.cpp for what is checked.
# usage: kill9_test.sh KILL9_DRIVER QSCD_BINARY [RUNS] [SEED]
# RUNS defaults to $CRASH_RUNS, else 200 (make test); `make crash-test` passes 2000.
set -euo pipefail
driver=$1 qscd=$2
runs=${3:-${CRASH_RUNS:-200}}
seed=${4:-${CRASH_SEED:-$(( $(date +%s) % 100000 ))}}
[[ -x $driver && -x $qscd ]] || { echo "kill9_test.sh: missing $driver or $qscd" >&2; exit 2; }
echo "kill9: seed $seed (rerun with CRASH_SEED=$seed)"
exec "$driver" "$qscd" --runs "$runs" --seed "$seed"
