#!/usr/bin/env bash
# Fails when a Catch2 test case name contains ';' (CTest would split it and never run the test), and
# when a program lists no test at all.
set -uo pipefail
status=0
for program in "$@"; do
  # Catch2 v2 exits with the number of tests listed: the exit status says nothing; a program that
  # cannot run lists nothing (caught just below).
  [ -x "$program" ] || { echo "cannot run $program"; status=1; continue; }
  names=$("$program" --list-test-names-only 2>/dev/null)
  [ -n "$names" ] || { echo "$program lists no test"; status=1; }
  bad=$(printf '%s\n' "$names" | grep -F ';' || true)
  if [ -n "$bad" ]; then echo "$(basename "$program"): names with ';' (CTest splits them):"; echo "$bad"; status=1; fi
done
[ $status -eq 0 ] && echo "$# test programs, no name with ';'"
exit $status
