#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60) from its committed seed corpus, writing
# new inputs to a scratch directory (never the committed corpus), and prints one line per target:
# executions, exec/s, coverage (cov = edges, ft = features) and crashes. Exits 1 if any target crashed;
# the crashing inputs are kept in the scratch directory (artifacts/), the log beside them.
#   fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sim_commands id_card_commands host_responses tlv certificate cms state_file apdu)
scratch=${FUZZ_SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/qscd-fuzz.XXXXXX")}

# Longest input worth trying per target: a few APDUs / responses, a certificate chain, a state image.
max_len() {
    case $1 in
        sim_commands|id_card_commands|host_responses) echo 16384 ;;
        tlv|apdu) echo 4096 ;;
        certificate|cms) echo 16384 ;;
        state_file) echo 32768 ;;
    esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

printf '%-15s %10s %8s %7s %7s %8s\n' target execs exec/s cov ft crashes
failed=0
for t in "${targets[@]}"; do
    bin="$build/fuzz/fuzz_$t"
    [ -x "$bin" ] || { echo "fuzz/run.sh: $bin missing (cmake --build --preset fuzz --target fuzz_all)" >&2; exit 2; }
    work="$scratch/$t"
    mkdir -p "$work/corpus" "$work/artifacts"
    log="$work/fuzz.log"
    # -fork is not used: one process, so the final stats line covers the whole run.
    "$bin" "$work/corpus" "$here/corpus/$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
        -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+.*(cov|ft):' "$log" | tail -1)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
    crashes=$(find "$work/artifacts" -type f | wc -l)
    printf '%-15s %10s %8s %7s %7s %8s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        failed=1
        echo "  $t FAILED (exit $rc): log $log, inputs in $work/artifacts/" >&2
        grep -m3 -E 'ERROR|runtime error|invariant violated|uncaught|deadly signal' "$log" | sed 's/^/  /' >&2
    fi
done
echo "scratch corpus and logs: $scratch"
exit $failed
