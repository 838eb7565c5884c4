#!/usr/bin/env bash
# ctest "bench: measured rows" (bench/CMakeLists.txt): the figures the table builds on are what
# docs/benchmarks.md says they are, from a short run of the real subcommands.
#   bench/model_test.sh QSCD_BENCH QSCD QSCD_SIM
# * CAdES (group 5): the CMS work is a direct timing with a precomputed signature (cades.cms_us), the
#   self-check is timed by itself, and no row is a difference of two medians;
# * PC/SC batch model (group 2, inside a private pcscd): one signature in an open batch is one APDU
#   (PSO:CDS), and the model is raw signature + round trip x exactly those APDUs;
# * issue 15's target row (pcsc-durable, against a qscd-sim with durable state): VERIFY + PSO:CDS is timed
#   and the model is raw signature + 2 round trips + one measured fdatasync.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/support/assert.sh"
bench=$1 qscd=$2 qscd_sim=$3
value() { awk -F'\t' -v n="$1" '$1 == "METRIC" && $2 == n { v = $3 } END { print v }' <<<"$2"; }

cades=$("$bench" cades --passes 1 --rounds 1)
for m in cades.raw_sign_us cades.cms_us cades.self_check_us cades.oneshot_cms_us cades.verify cades.raw_verify; do
  if [ -n "$(value "$m" "$cades")" ]; then ok "cades: $m measured"; else bad "cades: no $m in: $cades"; fi
done
out=$cades
lacks "cades: no overhead derived as a difference of medians" "overhead"

pcsc=$(bash "$here/../tests/e2e/private_pcscd.sh" -- bash -c '
  set -e
  export QSCD_SIM=$3 QSCD_SIM_DIR="$QSCD_E2E_DIR/state" QSCD_PIN=123456
  . "$QSCD_E2E_LIB"
  trap stop_sim EXIT
  "$2" sim create --name perpin --algo p256 >/dev/null
  "$2" sim create --name session --algo p256 --pin-policy session >/dev/null
  QSCD_SIM_DURABILITY=relaxed start_sim "$QSCD_SIM_DIR" 0=perpin 1=session >&2
  "$1" pcsc --passes 1 --rounds 2 "Virtual PCD 00 00" "Virtual PCD 00 01"
  stop_sim
  unset QSCD_SIM_DURABILITY
  start_sim "$QSCD_SIM_DIR" 0=perpin 1=session >&2
  "$1" pcsc-durable --passes 1 --rounds 2 "Virtual PCD 00 00" "$QSCD_SIM_DIR"' _ "$bench" "$qscd" "$qscd_sim")
out=$pcsc
[ "$(value pcsc.apdus_batch_sign "$pcsc")" = 1 ] && ok "pcsc: one signature in an open batch is 1 APDU" \
  || bad "pcsc: APDUs of one batch signature: '$(value pcsc.apdus_batch_sign "$pcsc")' in: $pcsc"
model=$(value pcsc.model_batch_us "$pcsc") raw=$(value pcsc.raw_sign_us "$pcsc") rtt=$(value pcsc.rtt_us "$pcsc")
n=$(value pcsc.apdus_batch_sign "$pcsc")
if awk -v m="$model" -v r="$raw" -v t="$rtt" -v n="$n" 'BEGIN { d = m - (r + t * n); exit !(m != "" && n != "" && d < 0.01 && d > -0.01) }'; then
  ok "pcsc: batch model = raw + RTT x APDUs of one batch signature"
else
  bad "pcsc: batch model $model is not raw $raw + RTT $rtt x $n"
fi
for m in pcsc.durable.verify_pso_us pcsc.durable.fdatasync_us; do
  if [ -n "$(value "$m" "$pcsc")" ]; then ok "pcsc-durable: $m measured"; else bad "pcsc-durable: no $m in: $pcsc"; fi
done
model=$(value pcsc.durable.model_us "$pcsc") raw=$(value pcsc.durable.raw_sign_us "$pcsc")
rtt=$(value pcsc.durable.rtt_us "$pcsc") sync=$(value pcsc.durable.fdatasync_us "$pcsc")
if awk -v m="$model" -v r="$raw" -v t="$rtt" -v s="$sync" 'BEGIN { d = m - (r + 2 * t + s); exit !(m != "" && s != "" && d < 0.01 && d > -0.01) }'; then
  ok "pcsc-durable: model = raw + 2 RTT + one fdatasync"
else
  bad "pcsc-durable: model $model is not raw $raw + 2 x RTT $rtt + fdatasync $sync"
fi
finish
