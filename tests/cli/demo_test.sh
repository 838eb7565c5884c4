#!/usr/bin/env bash
# make demo end to end (tools/demo.sh) in a temporary directory: it passes the test PKI's CRLs to
# qscd verify and still shows QES, and openssl checks the same CRLs.
set -uo pipefail
qscd=${1:?path to qscd}
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
unset QSCD_PIN QSCD_SIM_DIR

. "$(dirname "$0")/../support/assert.sh"

expect 0 "the demo succeeds" -- env QSCD_DEMO_QSCD="$qscd" QSCD_DEMO_OUT="$work/demo-out" bash "$(dirname "$0")/../../tools/demo.sh"
contains "qscd is given the CRLs" "[ok] revocation"
contains "the demo signature is QES" "Level: QES"
contains "openssl agrees" "CMS Verification successful"
finish
