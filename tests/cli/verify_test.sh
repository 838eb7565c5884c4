#!/usr/bin/env bash
# qscd verify beside openssl cms -verify, the independent judge, on the same files: valid, revoked
# (CRLs of the test PKI), expired (at --at / -attime, and a certificate expired for real) and TLS-only
# signatures must get the same verdict. Then the signatures qscd must handle rather than call INVALID
# (RSA-PSS, attached content, several signers), SHA-1 refused as too weak, trust anchor bundles,
# and the exit codes of the README table.
set -uo pipefail
qscd=${1:?path to qscd}
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
export QSCD_SIM_DIR="$work/state"
unset QSCD_PIN QSCD_NEW_PIN QSCD_ADMIN_PIN QSCD_RESET_CODE

. "$(dirname "$0")/../support/assert.sh"

pki="$QSCD_SIM_DIR/test-pki"
ca="$pki/root.pem"
crls=(--crl "$pki/issuing-ca.crl" --crl "$pki/root-ca.crl")
doc="$work/doc.txt"
echo "verified by qscd and by openssl" > "$doc"

# judge WANT MSG ARGS...: openssl cms -verify on $doc with ARGS; WANT accept|refuse; its output in $out
judge() {
  local want=$1 what=$2; shift 2
  out=$(openssl cms -verify -binary -inform DER -content "$doc" -out /dev/null "$@" 2>&1); local got=$?
  if { [ "$want" = accept ] && [ $got = 0 ]; } || { [ "$want" = refuse ] && [ $got != 0 ]; }; then
    ok "openssl: $what"; else bad "openssl: $what (wanted $want, exit $got): $out"; fi
}
# openssl 3.0's cms has no -CRLfile: its certificate store reads CRLs from the -CAfile bundle.
bundle_with_crls() { cat "$ca" "$pki/issuing-ca.crl" "$pki/root-ca.crl" > "$work/bundle.pem"; }

# issue_openssl NAME EXTENSIONS [KEYALG]: a key and a certificate issued by the test PKI's issuing CA
# with openssl (extensions qscd's own issuer does not write), as NAME.key / NAME.pem.
issue_openssl() {
  local name=$1 ext=$2 alg=${3:-ec}
  case $alg in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$name.key" 2>/dev/null ;;
    p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$work/$name.key" 2>/dev/null ;;
    *) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$name.key" 2>/dev/null ;;
  esac
  openssl req -new -key "$work/$name.key" -subj "/C=XX/O=qscd TEST/CN=$name (TEST)" -out "$work/$name.csr" 2>/dev/null
  printf '%b\n' "$ext" > "$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -CA "$pki/issuing.pem" -CAkey "$pki/issuing-key.pem" -CAcreateserial \
    -days 30 -extfile "$work/$name.ext" -out "$work/$name.pem" 2>/dev/null
}
# sign_openssl NAME OUT [cms -sign options...]: a CAdES signature over $doc by NAME, issuing CA embedded
sign_openssl() {
  local name=$1 out=$2; shift 2
  openssl cms -sign -binary -cades -in "$doc" -signer "$work/$name.pem" -inkey "$work/$name.key" \
    -certfile "$pki/issuing.pem" -outform DER -out "$out" "$@" 2>"$work/sign.err" || bad "openssl cms -sign $name: $(cat "$work/sign.err")"
}

expect 0 "sim create (the test PKI comes with current CRLs)" -- "$qscd" sim create --name alice --algo p256
[ -s "$pki/issuing-ca.crl" ] && [ -s "$pki/root-ca.crl" ] && ok "both CRLs exist after sim create" || bad "CRLs missing after sim create"
out=$(openssl crl -in "$pki/issuing-ca.crl" -noout -text 2>&1)
contains "the issuing CA's CRL is v2" "Version 2"
contains "CRL has a CRL number" "X509v3 CRL Number"
contains "CRL has an authority key identifier" "X509v3 Authority Key Identifier"
if openssl crl -in "$pki/issuing-ca.crl" -CAfile "$pki/issuing.pem" -noout 2>&1 | grep -q "verify OK"; then
  ok "openssl: the CRL is signed by the issuing CA"; else bad "openssl rejects the CRL's signature"; fi
expect 0 "sign" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in "$doc" --out "$work/alice.p7s"

# ---- valid: both accept; with the CRLs it is QES, without them never ----
bundle_with_crls
expect 0 "qscd: valid with CRLs" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$ca" "${crls[@]}"
contains "valid is QES with CRLs" "Level: QES"
contains "revocation checked" "no certificate of the chain revoked"
judge accept "valid with CRLs (-crl_check_all)" -in "$work/alice.p7s" -CAfile "$work/bundle.pem" -crl_check_all
expect 0 "qscd: valid without CRLs" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$ca"
contains "without CRLs: AdES" "Level: AdES"
contains "without CRLs: the reason" "revocation status not checked"

# ---- expired: at a validation time after notAfter (the user's assumption), and for real ----
expect 6 "qscd: expired at --at 2040" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$ca" --at 2040-01-01
contains "expired named" "certificate expired on"
contains "no proof of existence named" "no proof"
contains "--at named as the user's assumption" "your assumption"
contains "expired is INDETERMINATE, not VALID" "Result: INDETERMINATE"
judge refuse "expired at -attime 2040" -in "$work/alice.p7s" -CAfile "$ca" -attime "$(date -u -d 2040-01-01 +%s)"
contains "openssl says expired" "expired"
expect 0 "qscd: valid at --at tomorrow" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$ca" --at "$(date -u -d tomorrow +%Y-%m-%dT%H:%M:%SZ)"
expect 2 "qscd: --at must be a time" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$ca" --at yesterday
# The issue's case, as fixed files (data/expired-2021: a CA from 2019, a qualified leaf valid in 2020 only,
# a CAdES-B-B signature whose signing-time claims 2020-06-01; made with create_test_ca(.., 2019-01-01),
# issue_certificate and create_cades_detached): the claim proves nothing, the certificate has expired.
fx="$(dirname "$0")/data/expired-2021"
expect 6 "qscd: expired in 2021, the signature claims 2020" -- "$qscd" verify --in "$fx/doc.txt" --sig "$fx/sig.p7s" --ca "$fx/ca.pem"
contains "claim shown as a claim" "claimed by the signer, not proven"
contains "expired in 2021 named" "certificate expired on 2021-01-01"
lacks "not VALID" "Result: VALID"
if out=$(openssl cms -verify -binary -inform DER -in "$fx/sig.p7s" -content "$fx/doc.txt" -CAfile "$fx/ca.pem" -out /dev/null 2>&1); then
  bad "openssl accepts the expired certificate"; else ok "openssl: expired in 2021, the signature claims 2020"; fi
contains "openssl says expired" "expired"
# A certificate expired in 2021 (openssl ca can back-date), signed with it today.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/old.key" 2>/dev/null
openssl req -new -key "$work/old.key" -subj "/C=XX/O=qscd TEST/CN=old (TEST)" -out "$work/old.csr" 2>/dev/null
mkdir -p "$work/ca-db" && : > "$work/ca-db/index.txt" && echo 1000 > "$work/ca-db/serial"
cat > "$work/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
database = $work/ca-db/index.txt
serial = $work/ca-db/serial
new_certs_dir = $work/ca-db
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical, nonRepudiation
EOF
openssl ca -batch -config "$work/ca.cnf" -cert "$pki/issuing.pem" -keyfile "$pki/issuing-key.pem" -in "$work/old.csr" \
  -out "$work/old.pem" -startdate 20200101000000Z -enddate 20210101000000Z -extensions leaf -notext 2>"$work/ca.err" \
  || bad "openssl ca: $(cat "$work/ca.err")"
sign_openssl old "$work/old.p7s" -md sha256
expect 6 "qscd: a certificate expired in 2021" -- "$qscd" verify --in "$doc" --sig "$work/old.p7s" --ca "$ca"
contains "expired in 2021 named" "certificate expired on 2021-01-01"
judge refuse "a certificate expired in 2021" -in "$work/old.p7s" -CAfile "$ca"
contains "openssl says expired" "expired"

# ---- TLS-only: extended key usage serverAuth/clientAuth excludes signing documents ----
issue_openssl tls "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth"
sign_openssl tls "$work/tls.p7s" -md sha256
expect 6 "qscd: TLS-only certificate refused" -- "$qscd" verify --in "$doc" --sig "$work/tls.p7s" --ca "$ca" "${crls[@]}"
contains "EKU named" "extended key usage excludes signing documents"
contains "the purposes listed" "TLS Web Server Authentication"
judge refuse "TLS-only certificate" -in "$work/tls.p7s" -CAfile "$work/bundle.pem" -crl_check_all
contains "openssl says purpose" "unsuitable certificate purpose"
# keyUsage for encryption only: refused by both.
issue_openssl enc "basicConstraints=CA:FALSE\nkeyUsage=critical,keyAgreement"
sign_openssl enc "$work/enc.p7s" -md sha256
expect 6 "qscd: keyUsage without nonRepudiation or digitalSignature refused" -- "$qscd" verify --in "$doc" --sig "$work/enc.p7s" --ca "$ca"
contains "key usage named" "permits neither nonRepudiation nor digitalSignature"
judge refuse "keyUsage keyAgreement only" -in "$work/enc.p7s" -CAfile "$ca"
# No keyUsage extension at all: a valid signature, never QES.
issue_openssl noku "basicConstraints=CA:FALSE"
sign_openssl noku "$work/noku.p7s" -md sha256
expect 0 "qscd: no keyUsage extension is still a valid signature" -- "$qscd" verify --in "$doc" --sig "$work/noku.p7s" --ca "$ca" "${crls[@]}"
contains "no keyUsage: not QES, with the reason" "certificate has no keyUsage extension"
judge accept "no keyUsage extension" -in "$work/noku.p7s" -CAfile "$work/bundle.pem" -crl_check_all

# ---- signatures qscd handles: RSA-PSS, attached content, several signers ----
issue_openssl pss "basicConstraints=CA:FALSE\nkeyUsage=critical,nonRepudiation" rsa
sign_openssl pss "$work/pss.p7s" -md sha256 -keyopt rsa_padding_mode:pss
expect 0 "qscd: RSA-PSS verifies" -- "$qscd" verify --in "$doc" --sig "$work/pss.p7s" --ca "$ca"
contains "RSA-PSS named" "RSA-PSS with SHA-256"
judge accept "RSA-PSS" -in "$work/pss.p7s" -CAfile "$ca"
sign_openssl pss "$work/attached.p7s" -md sha256 -nodetach
expect 0 "qscd: attached content verifies without --in" -- "$qscd" verify --sig "$work/attached.p7s" --ca "$ca"
contains "attached named" "content attached"
expect 0 "qscd: attached content equal to --in" -- "$qscd" verify --in "$doc" --sig "$work/attached.p7s" --ca "$ca"
echo "another text" > "$work/other.txt"
expect 6 "qscd: attached content differing from --in" -- "$qscd" verify --in "$work/other.txt" --sig "$work/attached.p7s" --ca "$ca"
contains "difference named" "differs from the content inside the signature"
openssl cms -sign -binary -cades -md sha256 -in "$doc" -signer "$work/pss.pem" -inkey "$work/pss.key" \
  -signer "$work/noku.pem" -inkey "$work/noku.key" -certfile "$pki/issuing.pem" -outform DER -out "$work/two.p7s" 2>/dev/null
expect 0 "qscd: two signers, both verified" -- "$qscd" verify --in "$doc" --sig "$work/two.p7s" --ca "$ca"
contains "second signer reported" "Signer 2 of 2"
judge accept "two signers" -in "$work/two.p7s" -CAfile "$ca"
openssl cms -sign -binary -cades -md sha256 -in "$doc" -signer "$work/pss.pem" -inkey "$work/pss.key" \
  -signer "$work/tls.pem" -inkey "$work/tls.key" -certfile "$pki/issuing.pem" -outform DER -out "$work/two-bad.p7s" 2>/dev/null
expect 6 "qscd: two signers, the second TLS-only" -- "$qscd" verify --in "$doc" --sig "$work/two-bad.p7s" --ca "$ca"
contains "the failing signer is named" ": certificate extended key usage excludes signing documents"
contains "one signer INVALID" "of 2: INVALID"
contains "the other signer VALID" "of 2: VALID"
judge refuse "two signers, the second TLS-only" -in "$work/two-bad.p7s" -CAfile "$ca"
sign_openssl pss "$work/sha1.p7s" -md sha1
expect 6 "qscd: SHA-1 refused" -- "$qscd" verify --in "$doc" --sig "$work/sha1.p7s" --ca "$ca"
contains "SHA-1 reason" "SHA-1 is too weak for signatures (ETSI TS 119 312)"
contains "SHA-1 is INDETERMINATE" "Result: INDETERMINATE"
lacks "SHA-1 is not called malformed" "malformed"
# A key qscd does not handle (P-521): named UNSUPPORTED, not INVALID, while openssl accepts it.
issue_openssl p521 "basicConstraints=CA:FALSE\nkeyUsage=critical,nonRepudiation" p521
sign_openssl p521 "$work/p521.p7s" -md sha512
expect 6 "qscd: a P-521 signer is not checked" -- "$qscd" verify --in "$doc" --sig "$work/p521.p7s" --ca "$ca"
contains "P-521 is UNSUPPORTED" "Result: UNSUPPORTED"
lacks "P-521 is not INVALID" "INVALID"
judge accept "P-521" -in "$work/p521.p7s" -CAfile "$ca"

# ---- trust anchors and inputs: a PEM bundle is used whole; exit codes as in the README ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/other-root.key" -subj "/CN=other root" \
  -days 30 -out "$work/other-root.pem" 2>/dev/null
cat "$work/other-root.pem" "$ca" > "$work/anchors.pem"
expect 0 "qscd: every certificate of a --ca bundle is an anchor" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$work/anchors.pem"
expect 5 "missing --in file" -- "$qscd" verify --in "$work/nope.txt" --sig "$work/alice.p7s" --ca "$ca"
contains "missing --in named" "nope.txt"
expect 5 "missing --sig file" -- "$qscd" verify --in "$doc" --sig "$work/nope.p7s" --ca "$ca"
expect 5 "missing --ca file" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$work/nope.pem"
expect 5 "missing --crl file" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$ca" --crl "$work/nope.crl"
head -c 300 /dev/urandom > "$work/corrupt.pem"
expect 1 "corrupt --ca file" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$work/corrupt.pem"
contains "corrupt CA file named" "corrupt.pem"
printf -- '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' > "$work/corrupt2.pem"
expect 1 "corrupt PEM --ca file" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$work/corrupt2.pem"
contains "corrupt PEM CA file named" "corrupt2.pem"
expect 1 "corrupt --crl file" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$ca" --crl "$work/corrupt.pem"
contains "corrupt CRL file named" "corrupt.pem"
expect 2 "a directory as --in is named" -- "$qscd" verify --in "$work" --sig "$work/alice.p7s" --ca "$ca"
contains "directory named" "is a directory"
mkfifo "$work/fifo"
expect 2 "a FIFO as --in is named, not read" -- timeout 10 "$qscd" verify --in "$work/fifo" --sig "$work/alice.p7s" --ca "$ca"
contains "FIFO named" "is a FIFO"
expect 2 "a detached signature needs --in" -- "$qscd" verify --sig "$work/alice.p7s" --ca "$ca"
contains "--in asked for" "--in"

# ---- revoked: qscd pki revoke, both judges refuse with the new CRLs ----
serial=$(openssl pkcs7 -inform DER -in "$work/alice.p7s" -print_certs 2>/dev/null | openssl x509 -noout -serial | cut -d= -f2)
expect 0 "pki revoke the signer" -- "$qscd" pki revoke --serial "$serial" --reason keyCompromise
contains "revoke names the issuing CA" "by the issuing CA"
expect 2 "pki revoke twice" -- "$qscd" pki revoke --serial "$serial"
contains "already revoked" "already revoked"
expect 2 "pki revoke with an unknown reason" -- "$qscd" pki revoke --serial 01 --reason whatever
out=$(openssl crl -in "$pki/issuing-ca.crl" -noout -text 2>&1)
contains "openssl reads the revoked serial" "Serial Number: $serial"
contains "openssl reads the reason" "Key Compromise"
grep -q "revoked issuing $serial" "$pki/revocations" && ok "revocation persisted" || bad "revocation not in $pki/revocations"
bundle_with_crls
expect 6 "qscd: revoked" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$ca" "${crls[@]}"
contains "revoked named with the reason" "(reason keyCompromise)"
contains "revoked is INVALID" "Result: INVALID"
judge refuse "revoked (-crl_check)" -in "$work/alice.p7s" -CAfile "$work/bundle.pem" -crl_check
contains "openssl says revoked" "certificate revoked"
expect 0 "qscd: without the CRL the revocation is unknown, never QES" -- "$qscd" verify --in "$doc" --sig "$work/alice.p7s" --ca "$ca"
contains "unknown revocation: AdES" "Level: AdES"
# Revoking the issuing CA (on the root's CRL) revokes every signature below it.
issuing_serial=$(openssl x509 -in "$pki/issuing.pem" -noout -serial | cut -d= -f2)
expect 0 "pki revoke the issuing CA" -- "$qscd" pki revoke --serial "$issuing_serial" --reason cACompromise
contains "the root revokes the issuing CA" "by the root CA"
bundle_with_crls
expect 6 "qscd: a revoked intermediate" -- "$qscd" verify --in "$doc" --sig "$work/pss.p7s" --ca "$ca" "${crls[@]}"
contains "intermediate revoked named" "Qualified Issuing CA - NOT FOR PRODUCTION\" revoked on"
judge refuse "a revoked intermediate (-crl_check_all)" -in "$work/pss.p7s" -CAfile "$work/bundle.pem" -crl_check_all
contains "openssl says revoked" "certificate revoked"
root_serial=$(openssl x509 -in "$ca" -noout -serial | cut -d= -f2)
expect 2 "pki revoke the root refused" -- "$qscd" pki revoke --serial "$root_serial"
contains "root refusal says what to do" "trust anchors"
finish
