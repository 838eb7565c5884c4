#!/usr/bin/env bash
# The kill -9 loop must fail when none of its kills lands inside a card operation (a loop that only
# kills processes before they reach the card tests nothing): kills at once (--max-delay-us 0) are
# refused by the driver even though every invariant holds.
# usage: kill9_selftest.sh KILL9_DRIVER QSCD_BINARY
set -uo pipefail
. "$(dirname "$0")/../support/assert.sh"
driver=$1 qscd=$2
out=$("$driver" "$qscd" --runs 20 --seed 1 --max-delay-us 0 2>&1); code=$?
echo "$out"
kept=$(sed -n 's/^kill9: state kept in //p' <<<"$out")
[ -n "$kept" ] && [ -d "$kept" ] && rm -rf -- "$kept"
[ "$code" = 1 ] && ok "the loop fails (exit 1)" || bad "the loop exited $code"
contains "it says why" "0 of 20 runs were killed inside a card operation, at least 2 needed"
lacks "no invariant failed: the count alone decides" "INVARIANT FAILED"
finish
