#!/usr/bin/env bash
# Stress through the real pcscd: CLIENTS long-lived processes (stress_client) × TRANSACTIONS card
# transactions each on one simulated card — every SIGN_EVERY-th a signature, the others SELECT +
# GET DATA 7A. Passes only with zero failures, zero interleavings and zero lost counter updates:
#   * failures: every transaction of every client succeeded, every signature verified, and the
#     driver's own check (counter +1 inside the signing transaction) held;
#   * interleavings: the card's own APDU log (QSCD_SIM_VERBOSE=1), cut at every SELECT (each
#     transaction starts with one), holds only whole transactions — SELECT, GET DATA 6E, GET DATA
#     7A, VERIFY 81, PSO:CDS, GET DATA 7A for a signature, SELECT, GET DATA 7A for a light one —
#     exactly as many of each as the clients made. Neither shape is a prefix of the other, so an
#     APDU of one transaction inside another leaves a cut-off piece that matches neither;
#   * lost updates: the counter rose by exactly the number of signatures, and the (before, after)
#     counters the clients read inside their signing transactions cover every step once.
#
#   private_pcscd.sh -- bash stress_test.sh QSCD QSCD_SIM STRESS_CLIENT [CLIENTS=16] [TRANSACTIONS=1000] [SIGN_EVERY=4]
set -uo pipefail
export QSCD_SIM_VERBOSE=1  # the card logs every APDU header: the interleaving check reads it
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
client=${3:?path to stress_client}
clients=${4:-16} per=${5:-1000} every=${6:-4}
reader="Virtual PCD 00 00"
work="$QSCD_E2E_DIR/stress"
mkdir -p "$work"
counter() { "$qscd" info --reader "$reader" | sed -n 's/^Signatures: *//p'; }
before=$(counter)
case $before in ''|*[!0-9]*) echo "cannot read the signature counter: '$before'"; exit 1 ;; esac

# ---- start every client; they open the token, say "ready" and wait for the go file -----------
pids=()
for ((c = 0; c < clients; c++)); do
  "$client" "$reader" "$per" "$every" "$work/go" "$work/c$c.counters" "$c" >"$work/c$c.out" 2>"$work/c$c.err" &
  pids+=($!)
done
for ((i = 0; i < 1200; i++)); do
  [ "$(cat "$work"/c*.out 2>/dev/null | grep -c '^ready$')" = "$clients" ] && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "a client exited while opening:"; cat "$work"/c*.err; exit 1; }; done
  sleep 0.05
done
[ "$(cat "$work"/c*.out | grep -c '^ready$')" = "$clients" ] || { echo "clients not ready after 60 s"; exit 1; }

# ---- run: everything the card logs from here on belongs to the run ---------------------------
mark=$(wc -l <"$QSCD_SIM_LOG")
t0=$(date +%s%N)
touch "$work/go"
exits=0
for p in "${pids[@]}"; do wait "$p" || exits=$((exits + 1)); done  # not a bare `wait`: qscd-sim is a job too
t1=$(date +%s%N)
tail -n +"$((mark + 1))" "$QSCD_SIM_LOG" >"$work/run.log"
after=$(counter)

sum() { sed -n "s/^done .*$1=\([0-9]*\).*/\1/p" "$work"/c*.out | paste -sd+ | bc; }
signatures=$(sum signatures) light=$(sum light) failures=$(sum failures)
signatures=${signatures:-0} light=${light:-0}
max_ms=$(sed -n 's/^done .*max_ms=\([0-9]*\).*/\1/p' "$work"/c*.out | sort -n | tail -1)
done_clients=$(grep -c '^done ' "$work"/c*.out | awk -F: '{ n += $2 } END { print n + 0 }')
failures=$(( ${failures:-0} + clients - done_clients ))

# ---- the card's log: whole transactions only -------------------------------------------------
# whole_transactions < LOG: "SIGNING LIGHT BROKEN" — slot 0's APDUs cut at every SELECT.
whole_transactions() {
  grep -E 'slot 0: APDU' | sed -E 's/.*APDU .. (.. .. ..) .*-> (....).*/\1 \2/' |
  awk 'function close_segment() {
         if (segment == "SDCVPC") s++; else if (segment == "SC") l++;
         else if (segment != "") { b++; if (b <= 5) print "piece that is no whole transaction: " segment > "/dev/stderr" }
         segment = "" }
       { h = $1 " " $2 " " $3
         code = h == "A4 04 00" ? "S" : h == "CA 00 6E" ? "D" : h == "CA 00 7A" ? "C" : h == "20 00 81" ? "V" : h == "2A 9E 9A" ? "P" : "?"
         if ($4 != "9000") code = code "!"
         if (code == "S") close_segment()
         segment = segment code }
       END { close_segment(); print s + 0, l + 0, b + 0 }'
}
# The check itself must catch an interleaving: a light transaction inside a signing one.
crafted=$(printf 'qscd-sim: slot 0: APDU 00 %s (5 bytes) -> 9000 (2 bytes)\n' "A4 04 00" "CA 00 6E" "CA 00 7A" \
  "A4 04 00" "CA 00 7A" "20 00 81" "2A 9E 9A" "CA 00 7A" | whole_transactions 2>/dev/null)
[ "$crafted" = "0 0 2" ] && ok "the log check finds a light transaction inside a signing one" || bad "crafted interleaving read as '$crafted'"
read -r seen_sign seen_light broken < <(whole_transactions <"$work/run.log")
interleavings=$(( broken + (seen_sign > signatures ? seen_sign - signatures : signatures - seen_sign) +
                  (seen_light > light ? seen_light - light : light - seen_light) ))

# ---- the counter: every step once ---------------------------------------------------------------
steps=$(cat "$work"/c*.counters | wc -l)
duplicates=$(awk '{ print $2 }' "$work"/c*.counters | sort -n | uniq -d | wc -l)
outside=$(awk -v lo="$before" -v hi="$after" '$2 <= lo || $2 > hi || $2 != $1 + 1' "$work"/c*.counters | wc -l)
rise=$(( after - before ))
lost=$(( (rise > signatures ? rise - signatures : signatures - rise) + duplicates + outside ))

# ---- report ----------------------------------------------------------------------------------
ms=$(( (t1 - t0) / 1000000 ))
total=$(( ${signatures:-0} + ${light:-0} ))
rate=$(awk -v n="$total" -v ms="$ms" 'BEGIN { printf "%.1f", ms ? n * 1000 / ms : 0 }')
echo "processes:      $clients"
echo "transactions:   $total of $((clients * per)) (signatures $signatures, light $light)"
echo "elapsed:        $(awk -v ms="$ms" 'BEGIN { printf "%.1f", ms / 1000 }') s, $rate transactions/s, slowest transaction ${max_ms:-?} ms"
echo "interleavings:  $interleavings"
echo "lost updates:   $lost (counter $before -> $after, $steps signing steps reported)"
echo "failures:       $failures"

[ "$failures" = 0 ] && [ "$exits" = 0 ] && ok "$total transactions by $clients clients, none failed" ||
  bad "$failures failed transactions, $exits clients exited non-zero: $(head -qn 3 "$work"/c*.err | head -10)"
[ "$total" = $((clients * per)) ] && [ "$signatures" = $((clients * ((per + every - 1) / every))) ] &&
  ok "every client made its $per transactions ($(((per + every - 1) / every)) signatures)" || bad "transactions $total, signatures $signatures"
[ "$interleavings" = 0 ] && [ "$seen_sign" -gt 0 ] &&
  ok "the card saw $seen_sign whole signing and $seen_light whole light transactions, nothing interleaved" ||
  bad "interleavings: $broken broken pieces; card saw $seen_sign signing / $seen_light light, clients made $signatures / $light"
[ "$lost" = 0 ] && [ "$steps" = "$signatures" ] && ok "counter rose by exactly $signatures, each step claimed by one signature" ||
  bad "lost updates: counter rose $rise for $signatures signatures; $duplicates duplicated, $outside out-of-range steps of $steps"
finish
