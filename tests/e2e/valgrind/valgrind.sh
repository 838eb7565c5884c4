#!/usr/bin/env bash
# Runs one program under valgrind memcheck; the wrappers valgrind_test.sh puts in place of qscd,
# qscd-sim and the test programs call it. Any memory error or definitely lost block makes the
# program exit 99 (so the calling test sees it); the full report goes to
# $QSCD_VALGRIND_LOGS/NAME.PID.log, which valgrind_test.sh reads afterwards.
#   valgrind.sh PROGRAM ARGS...
set -u
: "${QSCD_VALGRIND_LOGS:?valgrind.sh: set QSCD_VALGRIND_LOGS to a directory for the reports}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-origins=yes \
  --suppressions="$here/third_party.supp" --log-file="$QSCD_VALGRIND_LOGS/$(basename "$1").%p.log" "$@"
