# Shared set-up for the e2e scripts (source it; runs under private_pcscd.sh): assertions, lib.sh,
# and two simulated tokens — alice (P-256) in slot 0, bob (RSA-2048) in slot 1.
#   $1 = qscd, $2 = qscd-sim. Exports QSCD_SIM_DIR, QSCD_E2E_SERIAL_0/1, defines $qscd and $ca.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../support/assert.sh"
qscd=${1:?path to qscd}
export QSCD_SIM=${2:?path to qscd-sim}
. "${QSCD_E2E_LIB:?run under tests/e2e/private_pcscd.sh}"
export QSCD_SIM_DIR="$QSCD_E2E_DIR/state"
unset QSCD_PIN QSCD_NEW_PIN QSCD_ADMIN_PIN QSCD_RESET_CODE
trap stop_sim EXIT

"$qscd" sim create --name alice --algo p256 >/dev/null || { echo "cannot create token alice"; exit 1; }
"$qscd" sim create --name bob --algo rsa2048 >/dev/null || { echo "cannot create token bob"; exit 1; }
serial_of() { "$qscd" info --token "$1" | sed -n 's/^Serial: *//p'; }
export QSCD_E2E_SERIAL_0=$(serial_of alice) QSCD_E2E_SERIAL_1=$(serial_of bob)
ca="$QSCD_SIM_DIR/test-pki/root.pem"
start_sim "$QSCD_SIM_DIR" 0=alice 1=bob || { echo "qscd-sim did not come up"; exit 1; }
