#!/usr/bin/env bash
# 4 processes × 100 signatures through one pcscd on one card: every signature verifies, the card's
# signature counter rises by exactly 400, and no APDU of one transaction lands inside another's
# (on the card, every PSO:CDS directly follows its own VERIFY, which follows SELECT + GET DATA).
set -uo pipefail
export QSCD_SIM_VERBOSE=1  # the card logs every APDU header: the interleaving check reads it
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
workers=${3:-4} per=${4:-100}
counter() { "$qscd" info --reader "Virtual PCD 00 00" | sed -n 's/^Signatures: *//p'; }
before=$(counter)
case $before in ''|*[!0-9]*) echo "cannot read the signature counter: '$before'"; exit 1 ;; esac

worker() {
  local w=$1 i failures=0
  for ((i = 0; i < per; i++)); do
    echo "worker $w document $i" > "$QSCD_E2E_DIR/w$w-$i.txt"
    env QSCD_PIN=123456 "$qscd" sign --reader "Virtual PCD 00 00" --in "$QSCD_E2E_DIR/w$w-$i.txt" \
      --out "$QSCD_E2E_DIR/w$w-$i.p7s" >/dev/null 2>>"$QSCD_E2E_DIR/w$w.err" || failures=$((failures + 1))
  done
  echo "$failures" > "$QSCD_E2E_DIR/w$w.failures"
}
start=$(date +%s)
pids=()
for ((w = 0; w < workers; w++)); do worker "$w" & pids+=($!); done
wait "${pids[@]}"  # not a bare `wait`: qscd-sim is a background job of this shell too
secs=$(( $(date +%s) - start ))
total_failures=$(cat "$QSCD_E2E_DIR"/w*.failures | paste -sd+ | bc)
[ "$total_failures" = 0 ] && ok "$((workers * per)) signatures in ${secs}s, none failed" || bad "$total_failures signatures failed: $(head -3 "$QSCD_E2E_DIR"/w*.err)"

invalid=0
for ((w = 0; w < workers; w++)); do
  for ((i = 0; i < per; i++)); do
    "$qscd" verify --in "$QSCD_E2E_DIR/w$w-$i.txt" --sig "$QSCD_E2E_DIR/w$w-$i.p7s" --ca "$ca" >/dev/null 2>&1 || invalid=$((invalid + 1))
  done
done
[ "$invalid" = 0 ] && ok "every signature verifies" || bad "$invalid signatures do not verify"
after=$(counter)
[ "$after" = $((before + workers * per)) ] && ok "counter rose by exactly $((workers * per)) ($before → $after)" || bad "counter $before → $after"
# The processes append to one audit log in whatever order they finish: ordered by counter, the entries
# leave no gap, and the last one meets the card's own counter.
expect 0 "audit log: $((workers * per)) concurrent signatures, no counter gap, tail meets the card" -- \
  "$qscd" audit verify --reader "Virtual PCD 00 00"

# The card's own log: a signing transaction is SELECT, GET DATA 6E, GET DATA 7A (counter), VERIFY 81,
# PSO:CDS, GET DATA 7A. Any APDU of another transaction between them would show here (and would have
# cost that signature its PIN or tripped the counter check).
grep -E 'slot 0: APDU' "$QSCD_SIM_LOG" | sed -E 's/.*APDU (.. .. .. ..).*-> (....).*/\1 \2/' > "$QSCD_E2E_DIR/apdus.txt"
pso=$(grep -c '^00 2A 9E 9A 9000' "$QSCD_E2E_DIR/apdus.txt")
broken=$(awk '{ h[NR] = $0 } END { for (i = 5; i < NR; i++) if (h[i] ~ /^00 2A 9E 9A/ &&
  !(h[i-1] ~ /^00 20 00 81 9000/ && h[i-2] ~ /^00 CA 00 7A 9000/ && h[i-3] ~ /^00 CA 00 6E 9000/ &&
    h[i-4] ~ /^00 A4 04 00 9000/ && h[i+1] ~ /^00 CA 00 7A 9000/)) n++; print n + 0 }' "$QSCD_E2E_DIR/apdus.txt")
[ "$pso" = $((workers * per)) ] && ok "the card saw $pso successful PSO:CDS" || bad "the card saw $pso successful PSO:CDS"
[ "$broken" = 0 ] && ok "every PSO:CDS sits inside its own SELECT, GET DATA, counter, VERIFY … counter sequence" || bad "$broken signing transactions interleaved"
finish
