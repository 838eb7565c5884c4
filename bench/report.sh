#!/usr/bin/env bash
# Turns METRIC lines (name, value; repeated values → their median) into the bench table on stdout,
# OUT/results.json and OUT/bench.png (gnuplot).   bench/report.sh METRICS_TSV OUT_DIR
#
# Each row: ours and the peer from the same run, ratio = ours / peer, and the target where issue 7
# states one. A value spec is a metric name, "rate:NAME" (1e6 / µs → per second), "ms:NAME"
# (µs → ms) or "-" (none). Target: ">=X" / "<=X" on the ratio, "ours<=X" on our figure, or "-".
set -euo pipefail
metrics=${1:?metrics.tsv} out=${2:?out dir}

rows=$(cat <<'ROWS'
1|P-256 ECDSA, PIN per signature (QSCD default)|sign.p256.card_perpin|sign.p256.raw|sig/s|>=0.95|the card's PIN check per signature
1|P-256 ECDSA, PIN once (batch: card crypto path)|sign.p256.card_batch|sign.p256.raw|sig/s|>=0.95|
1|P-384 ECDSA, PIN per signature|sign.p384.card_perpin|sign.p384.raw|sig/s|>=0.95|
1|P-384 ECDSA, PIN once (batch)|sign.p384.card_batch|sign.p384.raw|sig/s|>=0.95|
1|RSA-2048 PKCS#1 v1.5, PIN per signature|sign.rsa2048.card_perpin|sign.rsa2048.raw|sig/s|>=0.95|
1|RSA-2048 PKCS#1 v1.5, PIN once (batch)|sign.rsa2048.card_batch|sign.rsa2048.raw|sig/s|>=0.95|
1|RSA-2048 PSS|-|sign.rsa2048-pss.raw|sig/s|>=0.95|not offered by the card (OpenPGP 3.4): raw figure only
1|RSA-3072 PKCS#1 v1.5, PIN per signature|sign.rsa3072.card_perpin|sign.rsa3072.raw|sig/s|>=0.95|
1|RSA-3072 PKCS#1 v1.5, PIN once (batch)|sign.rsa3072.card_batch|sign.rsa3072.raw|sig/s|>=0.95|
2|PC/SC P-256 latency, PIN/sig vs raw+RTT*APDUs|ms:pcsc.perpin_us|ms:pcsc.model_perpin_us|ms|-|model leaves out the card's PIN check; qscd-sim without fsync
2|PC/SC P-256 latency, PIN/sig vs model+PIN check|ms:pcsc.perpin_us|ms:pcsc.model_perpin_kdf_us|ms|-|model + the PIN check measured here
2|PC/SC P-256 latency in a batch vs raw+RTT*APDUs|ms:pcsc.batch_us|ms:pcsc.model_batch_us|ms|-|APDUs of one signature in an open batch
2|PC/SC VERIFY+PSO:CDS durable vs raw+2 RTT+fdatasync|ms:pcsc.durable.verify_pso_us|ms:pcsc.durable.model_us|ms|<=1.5|qscd-sim with durable state; issue 15
2|  one fdatasync of a preallocated file (same disk)|ms:pcsc.durable.fdatasync_us|-|ms|-|the model's disk term
2|PC/SC APDU round trip (GET DATA C4)|ms:pcsc.rtt_us|-|ms|-|pcscd + vpcd + qscd-sim
2|APDUs per signature, PIN per signature|pcsc.apdus_perpin|-|APDUs|ours<=2|target 2 (extended length; the card has it)
2|APDUs per signature, batch of 10 (amortised)|pcsc.apdus_batch10|-|APDUs|ours<=2|
2|APDUs of one signature in an open batch|pcsc.apdus_batch_sign|-|APDUs|-|the timed call of the batch rows
3|SoftHSM2 P-256 vs simulator (PIN once)|sign.p256.card_batch|softhsm.p256|sig/s|-|both: one login, then signatures
3|SoftHSM2 P-256 vs simulator (PIN per sig.)|sign.p256.card_perpin|softhsm.p256|sig/s|-|
3|SoftHSM2 P-384 vs simulator (PIN once)|sign.p384.card_batch|softhsm.p384|sig/s|-|
3|SoftHSM2 RSA-2048 v1.5 vs simulator (PIN once)|sign.rsa2048.card_batch|softhsm.rsa2048|sig/s|-|
3|SoftHSM2 RSA-2048 PSS vs simulator|-|softhsm.rsa2048-pss|sig/s|-|not offered by the card (OpenPGP 3.4)
3|SoftHSM2 RSA-3072 v1.5 vs simulator (PIN once)|sign.rsa3072.card_batch|softhsm.rsa3072|sig/s|-|
3|OpenSC PKCS#11 vs qscd, same card via pcscd, P-256|rate:pcsc.perpin_us|opensc.p256|sig/s|-|both verify the PIN per signature
3|One signature, whole process: qscd vs pkcs11-tool|process.qscd_sign_ms|process.pkcs11_tool_ms|ms|-|`qscd sign --format raw` vs `pkcs11-tool --sign`
4|Streaming SHA-256, 1 GiB document|hash.qscd|hash.raw|MiB/s|>=0.95|MiB per CPU second
4|Peak RSS while hashing|hash.qscd.rss_mib|hash.raw.rss_mib|MiB|ours<=16|whole process (/usr/bin/time)
5|CAdES-B-B work / one P-256 signature|cades.cms_us|cades.raw_sign_us|us|<=0.05|precomputed signature; includes the deliberate self-check
5|  the self-check alone (one ECDSA verify)|cades.self_check_us|cades.raw_sign_us|us|-|mbedtls_pk_verify, timed by itself
5|  one-shot, certificates parsed per document|cades.oneshot_cms_us|cades.raw_sign_us|us|-|create_cades_detached, precomputed signature
5|CAdES verification vs one raw ECDSA verify|cades.verify|cades.raw_verify|verif/s|-|chain to root: 3 signatures checked
6|Fresh token: qscd sim create vs SoftHSM2|create.qscd_ms|create.softhsm_ms|ms|-|qscd also issues the certificate
7|State file fsync vs relaxed, PIN per signature|durability.fsync.perpin|durability.relaxed.perpin|sig/s|-|QSCD_SIM_DURABILITY=relaxed
7|State file fsync vs relaxed, batch|durability.fsync.batch|durability.relaxed.batch|sig/s|-|
ROWS
)

export LC_ALL=C
awk -F'\t' -v rows="$rows" -v json="$out/results.json" -v dat="$out/bench.dat" '
function median(name,   n, i, j, v, t) {
  n = cnt[name]; if (n == 0) return "";
  for (i = 1; i <= n; i++) v[i] = val[name, i];
  for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
  return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2;
}
function value(spec,   m) {
  if (spec == "-") return "";
  if (spec ~ /^rate:/) { m = median(substr(spec, 6)); return m == "" || m == 0 ? "" : 1e6 / m }
  if (spec ~ /^ms:/) { m = median(substr(spec, 4)); return m == "" ? "" : m / 1000 }
  return median(spec);
}
function fmt(x) {
  if (x == "") return "-";
  x += 0; if (x < 0) return sprintf("%.3g", x);
  return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.3g", x);
}
function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
function jnum(x) { return x == "" ? "null" : sprintf("%.6g", x) }
$1 == "METRIC" { cnt[$2]++; val[$2, cnt[$2]] = $3 + 0 }
END {
  n = split(rows, line, "\n");
  printf "%-2s %-52s %10s %10s %-7s %8s %-9s %s\n", "#", "row (ours vs peer, same run)", "ours", "peer", "unit", "ratio", "target", "result";
  print "-- ---------------------------------------------------- ---------- ---------- ------- -------- --------- ------";
  printf "[\n" > json; first = 1; k = 0;
  for (i = 1; i <= n; i++) {
    if (split(line[i], f, "|") < 7) continue;
    ours = value(f[3]); peer = value(f[4]); ratio = (ours != "" && peer != "" && peer != 0) ? ours / peer : "";
    target = f[6]; result = "";
    if (target ~ /^ours<=/) { lim = substr(target, 7) + 0; result = ours == "" ? "n/a" : (ours <= lim ? "pass" : "MISS") }
    else if (target ~ /^>=/) { lim = substr(target, 3) + 0; result = ratio == "" ? "n/a" : (ratio >= lim ? "pass" : "MISS") }
    else if (target ~ /^<=/) { lim = substr(target, 3) + 0; result = ratio == "" ? "n/a" : (ratio <= lim ? "pass" : "MISS") }
    ratio_s = ratio == "" ? "-" : sprintf(ratio >= 10 ? "%.1fx" : "%.3fx", ratio);
    if (f[5] == "us" && f[4] == "cades.raw_sign_us") ratio_s = ratio == "" ? "-" : sprintf("%.1f%%", 100 * ratio);
    printf "%-2s %-52s %10s %10s %-7s %8s %-9s %s%s\n", f[1], f[2], fmt(ours), fmt(peer), f[5], ratio_s,
           target == "-" ? "" : target, result, f[7] == "" ? "" : "  (" f[7] ")";
    printf "%s  {\"group\": %s, \"row\": \"%s\", \"ours\": %s, \"peer\": %s, \"unit\": \"%s\", \"ratio\": %s, \"target\": %s, \"result\": %s, \"note\": \"%s\"}",
           first ? "" : ",\n", f[1], esc(f[2]), jnum(ours), jnum(peer), f[5], jnum(ratio),
           target == "-" ? "null" : "\"" target "\"", result == "" ? "null" : "\"" result "\"", esc(f[7]) > json;
    first = 0;
    if (ratio != "" && ratio > 0) { k++; label = f[2]; gsub(/"/, "", label); printf "%d %g \"%s %s\"\n", k, ratio, f[1], label > dat }
  }
  printf "\n]\n" > json;
}' "$metrics"

if command -v gnuplot >/dev/null && [ -s "$out/bench.dat" ]; then
  gnuplot <<GNUPLOT 2>/dev/null || echo "bench: gnuplot failed; no chart" >&2
set terminal pngcairo size 1400,900 noenhanced font ",10"
set output "$out/bench.png"
set title "qscd bench: ratio ours / peer (same run; log scale; 1 = parity)"
set logscale x
set xrange [0.001:100]
set yrange [0:*] reverse
set ytics nomirror
set grid xtics
set style fill solid 0.6
unset key
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"
set arrow from 0.95, graph 0 to 0.95, graph 1 nohead dt 2 lc rgb "red"
plot "$out/bench.dat" using (sqrt(\$2)):1:(\$2 < 1 ? \$2 : 1):(\$2 < 1 ? 1 : \$2):(\$1 - 0.4):(\$1 + 0.4):ytic(3) with boxxyerror lc rgb "#4477aa"
GNUPLOT
fi
echo "bench: table above; $out/results.json, $out/bench.png"
