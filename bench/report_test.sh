#!/usr/bin/env bash
# Smoke test of the bench table (ctest bench_report): known metrics in, exact figures out —
# medians of repeated metrics, ratios, "rate:" / "ms:" conversions, pass/MISS and the JSON.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
{
  printf 'METRIC\tsign.p256.card_perpin\t%s\n' 100 300 200   # median 200
  printf 'METRIC\tsign.p256.raw\t%s\n' 400
  printf 'METRIC\tsign.p256.card_batch\t%s\n' 396
  printf 'METRIC\tpcsc.perpin_us\t%s\n' 5000
  printf 'METRIC\topensc.p256\t%s\n' 100
  printf 'METRIC\thash.qscd.rss_mib\t%s\n' 17
  printf 'METRIC\thash.raw.rss_mib\t%s\n' 4
  printf 'METRIC\tcades.raw_sign_us\t%s\n' 250
  printf 'METRIC\tcades.cms_us\t%s\n' 900
  printf 'METRIC\tcades.self_check_us\t%s\n' 800
} >"$dir/m.tsv"
table=$(bash "$here/report.sh" "$dir/m.tsv" "$dir" 2>&1)
fail=0
want() { grep -qF -- "$2" <<<"$(grep -F -- "$1" <<<"$table")" || { echo "FAIL: row '$1' lacks '$2'"; fail=1; }; }
want "P-256 ECDSA, PIN per signature (QSCD default)" "200        400 sig/s     0.500x >=0.95    MISS"
want "P-256 ECDSA, PIN once (batch: card crypto path)" "0.990x >=0.95    pass"
want "OpenSC PKCS#11 vs qscd" "200        100 sig/s     2.000x"
want "Peak RSS while hashing" "ours<=16  MISS"
want "P-384 ECDSA, PIN per signature" "-          - sig/s          - >=0.95    n/a"
want "CAdES-B-B work / one P-256 signature" "900        250 us        360.0% <=0.05    MISS"
want "the self-check alone (one ECDSA verify)" "800        250 us        320.0%"
grep -q '"row": "P-256 ECDSA, PIN per signature (QSCD default)", "ours": 200, "peer": 400, "unit": "sig/s", "ratio": 0.5, "target": ">=0.95", "result": "MISS"' \
  "$dir/results.json" || { echo "FAIL: results.json"; cat "$dir/results.json"; fail=1; }
[ "$fail" = 0 ] || { echo "$table"; exit 1; }
echo "bench report: ok"
