# The start every e2e script shares (source it; runs under private_pcscd.sh): $qscd and QSCD_SIM,
# lib.sh and the assertions, no PIN or OpenSC setting inherited from the caller, and where the peers'
# libraries are ($p11: OpenSC's PKCS#11 module, $pcsclite: the PC/SC client library, for scdaemon).
#   $1 = qscd, $2 = qscd-sim, $3 = a name: the script's own directory $work = $QSCD_E2E_DIR/NAME, with
#   its simulated tokens in $QSCD_SIM_DIR = $work/state.
qscd=${1:?path to qscd}
export QSCD_SIM=${2:?path to qscd-sim}
: "${QSCD_E2E_DIR:?run me under tests/e2e/private_pcscd.sh}"
e2e_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$e2e_dir/lib.sh"
. "$e2e_dir/../support/assert.sh"
unset QSCD_PIN QSCD_PUK QSCD_NEW_PIN QSCD_ADMIN_PIN QSCD_RESET_CODE OPENSC_CONF
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
p11="/usr/lib/$multiarch/opensc-pkcs11.so"
pcsclite="/usr/lib/$multiarch/libpcsclite.so.1"
work="$QSCD_E2E_DIR/${3:?a name for the work directory}"
mkdir -p "$work"
export QSCD_SIM_DIR="$work/state"
