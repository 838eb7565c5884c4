#!/usr/bin/env bash
# Runs inside tests/e2e/private_pcscd.sh (called by bench/run.sh): two simulated P-256 cards in
# qscd-sim behind the private pcscd — reader 0 wants the PIN per signature (QSCD default), reader 1
# keeps it for several (--pin-policy session). Prints METRIC lines on stdout.
set -euo pipefail
bench=$2 p11=$3 qscd=$4 opensc=$6 passes=$7 rounds=$8 procs=$9
export QSCD_SIM=$5
. "${QSCD_E2E_LIB:?run under tests/e2e/private_pcscd.sh}"
export QSCD_SIM_DIR="$QSCD_E2E_DIR/state" QSCD_PIN=123456 P11_PIN=123456
trap stop_sim EXIT
"$qscd" sim create --name perpin --algo p256 >/dev/null
"$qscd" sim create --name session --algo p256 --pin-policy session >/dev/null
# Relaxed state-file durability (no fsync) in the card daemon: these rows measure the transport and
# the protocol; what fsync costs is row group 7.
QSCD_SIM_DURABILITY=relaxed start_sim "$QSCD_SIM_DIR" 0=perpin 1=session >&2
r0="Virtual PCD 00 00" r1="Virtual PCD 00 01"

"$bench" pcsc --passes "$passes" --rounds "$rounds" "$r0" "$r1"


# OpenSC: its "User PIN (sig)" slot of reader 0 (the first such slot), key id 01, raw ECDSA on a digest.
"$p11" --module "$opensc" --label-contains "User PIN (sig)" --id 01 --mech ecdsa --digest-len 32 \
  --passes "$passes" --rounds "$rounds" --name opensc.p256
slot=$(pkcs11-tool --module "$opensc" -L 2>/dev/null | awk '/^Slot [0-9]+ \(0x[0-9a-f]+\): / { id = $3; gsub(/[()]/, "", id) }
  /token label/ && /User PIN \(sig\)/ { print id; exit }')

# One signature as a whole process: `qscd sign` vs `pkcs11-tool --sign`, the same card and document.
doc="$QSCD_E2E_DIR/doc.txt"
echo "one signature as a whole process" >"$doc"
ms() {
  local t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; return 1; }
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}
ms "$qscd" sign --reader "$r0" --in "$doc" --format raw --out "$doc.sig" --force >/dev/null  # warm-up
for ((i = 0; i < procs; i++)); do
  printf 'METRIC\tprocess.qscd_sign_ms\t%s\n' "$(ms "$qscd" sign --reader "$r0" --in "$doc" --format raw --out "$doc.sig" --force)"
  printf 'METRIC\tprocess.pkcs11_tool_ms\t%s\n' "$(ms pkcs11-tool --module "$opensc" --slot "$slot" --login --pin "$P11_PIN" \
    --sign --id 01 -m ECDSA-SHA256 -i "$doc" -o "$doc.p11sig")"
done

# Issue 15's target, last (the rows above run against the relaxed daemon): VERIFY + PSO:CDS with durable
# state, the daemon restarted without relaxed mode on a copy of the state directory on disk
# ($QSCD_BENCH_DISK_DIR: $QSCD_E2E_DIR is a tmpfs, where fdatasync costs nothing), against raw signature +
# 2 round trips + one fdatasync measured in the same process on the same disk.
disk=${QSCD_BENCH_DISK_DIR:?set by bench/run.sh: a directory on disk}
stop_sim || true
rm -rf "$disk" && mkdir -p "$disk" && cp -a "$QSCD_SIM_DIR"/. "$disk"/
unset QSCD_SIM_DURABILITY
start_sim "$disk" 0=perpin 1=session >&2
"$bench" pcsc-durable --passes "$passes" --rounds "$rounds" "$r0" "$disk"
