#!/usr/bin/env bash
# make demo: create a simulated signature card in a fresh directory, sign a sample document,
# verify it with qscd and with openssl, and say where everything is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
qscd=${QSCD_DEMO_QSCD:-$root/$build/tools/qscd}  # the test suite runs the demo with its own binary
out=${QSCD_DEMO_OUT:-$root/demo-out}              # ... and its own directory

# A fresh directory every run (only ever our own demo-out).
rm -rf -- "$out"
mkdir -p "$out"
export QSCD_SIM_DIR="$out/state"

echo "== 1. Create a simulated OpenPGP signature card (a TEST card) with a key generated on it"
"$qscd" sim create --name demo --algo p256 --holder "Demo Signer"

echo
echo "== 2. Sign a document at QES level: policy checked, hashed here, signed on the card after the User PIN"
printf 'This is a sample document signed by the qscd demo on %s.\n' "$(date -u +%FT%TZ)" > "$out/document.txt"
QSCD_PIN=123456 "$qscd" sign --token demo --level qes --in "$out/document.txt" --out "$out/document.txt.p7s"

echo
echo "== 3. Verify with qscd against the TEST root CA and its CRLs: validity now, revocation, chain and signature level"
"$qscd" verify --in "$out/document.txt" --sig "$out/document.txt.p7s" --ca "$QSCD_SIM_DIR/test-pki/root.pem" \
  --crl "$QSCD_SIM_DIR/test-pki/issuing-ca.crl" --crl "$QSCD_SIM_DIR/test-pki/root-ca.crl"

echo
echo "== 4. Verify independently with openssl cms (CRLs checked too: they travel in the -CAfile bundle)"
cat "$QSCD_SIM_DIR/test-pki/root.pem" "$QSCD_SIM_DIR/test-pki/issuing-ca.crl" "$QSCD_SIM_DIR/test-pki/root-ca.crl" > "$out/trust.pem"
openssl cms -verify -binary -inform DER -in "$out/document.txt.p7s" -content "$out/document.txt" \
  -CAfile "$out/trust.pem" -crl_check_all -out /dev/null

echo
echo "Demo succeeded. Files:"
echo "  document:        $out/document.txt"
echo "  signature:       $out/document.txt.p7s (CAdES-B-B, detached)"
echo "  token state:     $QSCD_SIM_DIR/demo.qscdsim"
echo "  TEST root CA:    $QSCD_SIM_DIR/test-pki/root.pem"
echo "  CRLs:            $QSCD_SIM_DIR/test-pki/issuing-ca.crl, root-ca.crl (qscd pki revoke --serial HEX re-issues them)"
echo "Inspect: $qscd --state $QSCD_SIM_DIR info --token demo"
