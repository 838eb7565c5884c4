#!/usr/bin/env bash
# `make bench`: every figure beside a peer measured in the same run (raw mbedTLS, SoftHSM2, OpenSC),
# written to OUT/metrics.tsv, then bench/report.sh prints the table and writes OUT/results.json and
# OUT/bench.png. See docs/benchmarks.md.
#   bench/run.sh BUILD_DIR [OUT_DIR] [--quick]
# --quick: one pass, few rounds, a 64 MiB document — a smoke test of the harness (seconds).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/run.sh BUILD_DIR [OUT_DIR] [--quick]}" && pwd)
out=${2:-$root/bench-out}
quick=0
for a in "$@"; do [ "$a" = --quick ] && quick=1; done
[ "${out#--}" = "$out" ] || out=$root/bench-out

mkdir -p "$out"
out=$(cd "$out" && pwd)
work="$out/work"                      # on disk (not tmpfs): fsync must cost what it costs
rm -rf "$work" && mkdir -p "$work"
metrics="$out/metrics.tsv"
: >"$metrics"
bench="$build/bench/qscd_bench" p11="$build/bench/p11_bench" qscd="$build/tools/qscd/qscd" qscd_sim="$build/tools/qscd-sim/qscd-sim"
[ -x "$qscd" ] || qscd="$build/tools/qscd"
[ -x "$qscd_sim" ] || qscd_sim="$build/tools/qscd-sim"
softhsm=/usr/lib/softhsm/libsofthsm2.so
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
opensc="/usr/lib/$multiarch/opensc-pkcs11.so"
for f in "$bench" "$p11" "$qscd" "$qscd_sim" "$softhsm" "$opensc" /usr/bin/time; do
  [ -e "$f" ] || { echo "bench: $f not found (make deps && make build)" >&2; exit 1; }
done

if [ "$quick" = 1 ]; then passes=1 rounds=3 procs=1 doc_mib=64
else passes=${BENCH_PASSES:-3} rounds=${BENCH_ROUNDS:-20} procs=${BENCH_PROCESS_RUNS:-7} doc_mib=1024
fi
pr=(--passes "$passes" --rounds "$rounds")
step() { echo "bench: $*" >&2; }
collect() { grep -a '^METRIC' | tee -a "$metrics" >/dev/null; }
metric() { printf 'METRIC\t%s\t%s\n' "$1" "$2" >>"$metrics"; }
# ms COMMAND...: wall milliseconds of one run of a whole command (its output discarded).
ms() {
  local t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; return 1; }
  local t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}
export QSCD_PIN=123456

# ---- 1, 5: in-process simulated card and CAdES against raw mbedTLS --------------------------------
step "1/7 signatures through KeyHandle on the in-process simulator vs raw mbedTLS"
"$bench" sign "${pr[@]}" | collect
step "5/7 CAdES-B-B overhead and verification"
"$bench" cades "${pr[@]}" | collect

# ---- 7: durability: fsync'ed state file vs QSCD_SIM_DURABILITY=relaxed (processes interleaved) ----
step "7/7 state-file durability: fsync vs relaxed"
mkdir -p "$work/durability"
for ((p = 0; p < passes; p++)); do
  env -u QSCD_SIM_DURABILITY "$bench" durability "$work/durability" fsync --passes 1 --rounds "$rounds" | collect
  QSCD_SIM_DURABILITY=relaxed "$bench" durability "$work/durability" relaxed --passes 1 --rounds "$rounds" | collect
done

# ---- 4: streaming hash of a large document, peak RSS -----------------------------------------------
step "4/7 streaming SHA-256 of a ${doc_mib} MiB document vs raw mbedTLS"
doc="$out/doc-${doc_mib}m.bin"  # kept between runs (git-ignored with bench-out/)
if [ "$(stat -c %s "$doc" 2>/dev/null || echo 0)" != $((doc_mib * 1024 * 1024)) ]; then
  head -c $((doc_mib * 1024 * 1024)) /dev/urandom >"$doc.tmp" && mv "$doc.tmp" "$doc"
fi
cat "$doc" >/dev/null  # into the page cache: both sides read the same cached file
for ((p = 0; p < passes; p++)); do
  for impl in qscd raw; do
    /usr/bin/time -f '%M' -o "$work/rss" "$bench" hash "$doc" "$impl" | collect
    metric "hash.$impl.rss_mib" "$(awk '{ printf "%.2f", $1 / 1024 }' "$work/rss")"
  done
done

# ---- 3, 6: SoftHSM2 ------------------------------------------------------------------------------
step "3/7 SoftHSM2 through PKCS#11; 6/7 fresh token: qscd sim create vs SoftHSM2 init-token + keygen"
export SOFTHSM2_CONF="$work/softhsm2.conf"
mkdir -p "$work/softhsm-tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/softhsm-tokens" >"$SOFTHSM2_CONF"
export P11_PIN=123456
softhsm2-util --init-token --free --label bench --so-pin 12345678 --pin "$P11_PIN" >/dev/null
keygen() { pkcs11-tool --module "$softhsm" --token-label "$1" --login --pin "$P11_PIN" --keypairgen --key-type "$2" --id "$3" --label "k$3"; }
keygen bench EC:prime256v1 01 >/dev/null 2>&1
keygen bench EC:secp384r1 02 >/dev/null 2>&1
keygen bench rsa:2048 03 >/dev/null 2>&1
keygen bench rsa:3072 04 >/dev/null 2>&1
p11run() { "$p11" --module "$softhsm" --label-contains bench --timer cpu --passes "$passes" --rounds "$rounds" "$@" | collect; }
p11run --id 01 --mech ecdsa --digest-len 32 --name softhsm.p256
p11run --id 02 --mech ecdsa --digest-len 32 --name softhsm.p384
p11run --id 03 --mech rsa --name softhsm.rsa2048
p11run --id 03 --mech rsa-pss --digest-len 32 --name softhsm.rsa2048-pss
p11run --id 04 --mech rsa --name softhsm.rsa3072

export QSCD_SIM_DIR="$work/sim-create"
"$qscd" sim create --name warmup --algo p256 >/dev/null  # the test PKI is created once, like on first use
create_qscd=() create_softhsm=()
for ((i = 0; i < procs; i++)); do
  create_qscd+=("$(ms "$qscd" sim create --name "t$i" --algo p256)")
  t0=$(ms softhsm2-util --init-token --free --label "t$i" --so-pin 12345678 --pin "$P11_PIN")
  t1=$(ms keygen "t$i" EC:prime256v1 01)
  create_softhsm+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print a + b }')")
done
for v in "${create_qscd[@]}"; do metric create.qscd_ms "$v"; done
for v in "${create_softhsm[@]}"; do metric create.softhsm_ms "$v"; done
unset QSCD_SIM_DIR

# ---- 2, 3: pcscd + vpcd + qscd-sim; OpenSC's PKCS#11 module over the simulated card ----------------
step "2/7 + 3/7 through pcscd + vpcd + qscd-sim, and OpenSC PKCS#11 over it"
QSCD_BENCH_DISK_DIR="$work/pcsc-disk" bash "$root/tests/e2e/private_pcscd.sh" -- bash "$root/bench/pcsc_inner.sh" "$build" "$bench" "$p11" "$qscd" "$qscd_sim" \
  "$opensc" "$passes" "$rounds" "$procs" | collect

rm -rf "$work"
bash "$root/bench/report.sh" "$metrics" "$out"
