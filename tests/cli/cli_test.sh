#!/usr/bin/env bash
# The qscd program end to end: create a simulated token, sign, verify with qscd and openssl,
# PIN errors with exit codes and messages, tamper detection, secrets never printed.
set -uo pipefail
qscd=${1:?path to qscd}
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
export QSCD_SIM_DIR="$work/state"
unset QSCD_PIN QSCD_NEW_PIN QSCD_ADMIN_PIN QSCD_RESET_CODE

. "$(dirname "$0")/../support/assert.sh"

echo "signed by qscd" > "$work/doc.txt"
ca="$QSCD_SIM_DIR/test-pki/root.pem"

expect 0 "help lists the commands" -- "$qscd" --help
contains "help shows exit codes" "Exit codes"
expect 2 "unknown option is a usage error" -- "$qscd" sign --bogus
expect 5 "no tokens yet" -- "$qscd" info
contains "no-token message says what to do" "qscd sim create"

expect 0 "sim create p256" -- "$qscd" sim create --name alice --algo p256
contains "create names the serial" "serial FFFF"
expect 0 "sim create rsa2048" -- "$qscd" sim create --name bob --algo rsa2048
expect 2 "duplicate token name refused" -- "$qscd" sim create --name alice
expect 2 "bad algorithm refused" -- "$qscd" sim create --name carol --algo dsa
expect 0 "token list" -- "$qscd" token list
contains "list shows alice" "alice"
contains "list shows bob" "bob"
contains "list shows the kind of a simulated token" "simulator  FFFF"
expect 2 "two tokens need --token" -- "$qscd" info
expect 0 "info" -- "$qscd" info --token alice
contains "info marks the test card" "TEST CARD"
contains "info shows the certificate" "qscd TEST"
contains "info shows PIN tries" "3 tries left"

for t in alice bob; do
  expect 0 "sign with $t (PIN from env)" -- env QSCD_PIN=123456 "$qscd" sign --token $t --in "$work/doc.txt" --out "$work/doc.$t.p7s"
  expect 0 "qscd verify $t" -- "$qscd" verify --in "$work/doc.txt" --sig "$work/doc.$t.p7s" --ca "$ca"
  if openssl cms -verify -binary -inform DER -in "$work/doc.$t.p7s" -content "$work/doc.txt" -CAfile "$ca" -out /dev/null 2>"$work/ossl.err"; then
    ok "openssl cms verifies $t"; else bad "openssl cms verify $t: $(cat "$work/ossl.err")"; fi
done
expect 2 "existing output is not overwritten" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/doc.alice.p7s"

# Signing policy (QES / AdES / basic) is checked before the card is asked; verify reports the level
expect 0 "qualified token verifies as QES" -- "$qscd" verify --in "$work/doc.txt" --sig "$work/doc.alice.p7s" --ca "$ca" \
  --crl "$QSCD_SIM_DIR/test-pki/issuing-ca.crl" --crl "$QSCD_SIM_DIR/test-pki/root-ca.crl"
contains "level QES reported" "Level: QES"
expect 0 "sim create non-qualified" -- "$qscd" sim create --name nq --profile non-qualified
expect 0 "sim create seal" -- "$qscd" sim create --name seal --profile seal --holder "Example Org"
expect 7 "QES refused for a non-qualified certificate" -- env QSCD_PIN=123456 "$qscd" sign --token nq --level qes --in "$work/doc.txt" --out "$work/nq.p7s"
contains "the failing rule is named" "qc compliance"
[ ! -e "$work/nq.p7s" ] && ok "nothing written after a policy refusal" || bad "a file was written after a policy refusal"
expect 7 "QES refused for a legal-person seal" -- env QSCD_PIN=123456 "$qscd" sign --token seal --level qes --in "$work/doc.txt" --out "$work/seal.p7s"
contains "seal refusal names the rule" "natural person"
expect 0 "AdES allowed with a non-qualified certificate" -- env QSCD_PIN=123456 "$qscd" sign --token nq --level ades --in "$work/doc.txt" --out "$work/nq.p7s"
expect 0 "non-qualified signature verifies" -- "$qscd" verify --in "$work/doc.txt" --sig "$work/nq.p7s" --ca "$ca"
contains "level AdES reported with the reason" "not qualified"
expect 0 "QES with the qualified token" -- env QSCD_PIN=123456 "$qscd" sign --token alice --level qes --in "$work/doc.txt" --out "$work/qes.p7s"
if openssl cms -verify -binary -inform DER -in "$work/qes.p7s" -content "$work/doc.txt" -CAfile "$ca" -out /dev/null 2>/dev/null; then
  ok "openssl verifies the QES signature through the issuing CA"; else bad "openssl rejects the QES signature"; fi
openssl pkcs7 -inform DER -in "$work/qes.p7s" -print_certs -out "$work/qes-certs.pem" 2>/dev/null
out=$(openssl x509 -in "$work/qes-certs.pem" -noout -text 2>&1)
contains "certificate shows QCStatements (openssl)" "qcStatements"
contains "keyUsage is non-repudiation" "Non Repudiation"

# PIN from a file descriptor
expect 0 "sign with --pin-fd" -- bash -c "exec 3<<<'123456'; \"$qscd\" sign --token alice --in \"$work/doc.txt\" --out \"$work/fd.p7s\" --pin-fd 3"

# Raw signature, judged by openssl dgst
expect 0 "raw signature" -- env QSCD_PIN=123456 "$qscd" sign --token alice --format raw --in "$work/doc.txt" --out "$work/doc.sig"
openssl x509 -in "$ca" -noout >/dev/null 2>&1 && true
openssl cms -cmsout -print -inform DER -in "$work/doc.alice.p7s" >/dev/null 2>&1 || true
openssl pkcs7 -inform DER -in "$work/doc.alice.p7s" -print_certs -out "$work/alice.pem" >/dev/null 2>&1
openssl x509 -in "$work/alice.pem" -pubkey -noout > "$work/alice.pub" 2>/dev/null
if openssl dgst -sha256 -verify "$work/alice.pub" -signature "$work/doc.sig" "$work/doc.txt" >/dev/null 2>&1; then
  ok "openssl dgst verifies the raw signature"; else bad "openssl dgst rejects the raw signature"; fi

# A digest computed elsewhere (--digest ALG:HEX): the card signs it, openssl judges against the document
digest=$(openssl dgst -sha256 -r "$work/doc.txt" | cut -d' ' -f1)
expect 0 "sign a given digest (CAdES)" -- env QSCD_PIN=123456 "$qscd" sign --token alice --digest "sha256:$digest" --out "$work/digest.p7s"
contains "the report says the document was not seen" "the document itself was not seen"
if openssl cms -verify -binary -inform DER -in "$work/digest.p7s" -content "$work/doc.txt" -CAfile "$ca" -out /dev/null 2>/dev/null; then
  ok "openssl verifies the --digest CAdES over the document"; else bad "openssl rejects the --digest CAdES"; fi
expect 0 "qscd verifies it over the document" -- "$qscd" verify --in "$work/doc.txt" --sig "$work/digest.p7s" --ca "$ca"
expect 0 "sign a given digest (raw)" -- env QSCD_PIN=123456 "$qscd" sign --token alice --digest "SHA256:${digest^^}" --format raw --out "$work/digest.sig"
if openssl dgst -sha256 -verify "$work/alice.pub" -signature "$work/digest.sig" "$work/doc.txt" >/dev/null 2>&1; then
  ok "openssl dgst verifies the --digest raw signature"; else bad "openssl dgst rejects the --digest raw signature"; fi
out=$(tail -n 1 "$QSCD_SIM_DIR/audit.log")
contains "the audit entry says the document was not seen" "the document itself was not seen"
contains "and holds the digest" "${digest^^}"
expect 2 "--digest of the wrong length" -- env QSCD_PIN=123456 "$qscd" sign --token alice --digest "sha384:$digest" --out "$work/bad.p7s"
contains "the length is named" "SHA-384 wants 96 hex digits"
expect 2 "--digest with an unknown algorithm" -- env QSCD_PIN=123456 "$qscd" sign --token alice --digest "md5:$digest" --out "$work/bad.p7s"
expect 2 "--digest needs --out" -- env QSCD_PIN=123456 "$qscd" sign --token alice --digest "sha256:$digest"
expect 2 "--digest and --in together" -- env QSCD_PIN=123456 "$qscd" sign --token alice --digest "sha256:$digest" --in "$work/doc.txt" --out "$work/bad.p7s"
expect 2 "neither --in nor --digest" -- env QSCD_PIN=123456 "$qscd" sign --token alice --out "$work/bad.p7s"
[ ! -e "$work/bad.p7s" ] && ok "no file for a refused --digest" || bad "a file was written for a refused --digest"

# Tampering
cp "$work/doc.txt" "$work/tampered.txt"; echo "one more line" >> "$work/tampered.txt"
expect 6 "tampered document is invalid" -- "$qscd" verify --in "$work/tampered.txt" --sig "$work/doc.alice.p7s" --ca "$ca"
openssl x509 -in "$work/alice.pem" -out "$work/alice-leaf.pem" 2>/dev/null  # the signer's certificate alone
expect 6 "wrong trust anchor is invalid" -- "$qscd" verify --in "$work/doc.txt" --sig "$work/doc.alice.p7s" --ca "$work/alice-leaf.pem"
head -c 100 "$work/doc.alice.p7s" > "$work/truncated.p7s"
expect 6 "truncated signature file is invalid" -- "$qscd" verify --in "$work/doc.txt" --sig "$work/truncated.p7s" --ca "$ca"

# Wrong PIN → tries left → blocked → unblock, with exit codes and one-line messages
expect 3 "wrong PIN" -- env QSCD_PIN=000000 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/w1.p7s"
contains "wrong PIN says tries left" "wrong User PIN, 2 tries left"
lacks "wrong PIN is not echoed" "000000"
expect 3 "wrong PIN again" -- env QSCD_PIN=000000 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/w2.p7s"
contains "one try left" "1 try left"
expect 4 "third wrong PIN blocks" -- env QSCD_PIN=000000 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/w3.p7s"
expect 4 "blocked even with the right PIN" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/w4.p7s"
[ ! -e "$work/w4.p7s" ] && ok "no output file after a refused signature" || bad "output written after refusal"
expect 0 "pin status" -- "$qscd" pin status --token alice
contains "status shows BLOCKED" "BLOCKED"
expect 0 "unblock with the Admin PIN" -- env QSCD_ADMIN_PIN=12345678 QSCD_NEW_PIN=246810 "$qscd" pin unblock --token alice --with admin
expect 0 "sign with the new PIN" -- env QSCD_PIN=246810 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/after.p7s"
expect 0 "change the User PIN" -- env QSCD_PIN=246810 QSCD_NEW_PIN=135791 "$qscd" pin change --token alice
expect 3 "old PIN no longer works" -- env QSCD_PIN=246810 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/old.p7s"
expect 8 "no PIN source and no terminal" -- setsid -w "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/none.p7s"

# The trace shows APDUs but never a PIN
expect 0 "traced signature" -- env QSCD_PIN=135791 "$qscd" --trace sign --token alice --in "$work/doc.txt" --out "$work/traced.p7s"
contains "trace shows VERIFY redacted" "00 20 00 81 06 REDACTED"
lacks "trace hides the PIN" "31 33 35 37 39 31"

# A corrupted state file is reported, not rewritten
cp "$QSCD_SIM_DIR/bob.qscdsim" "$work/bob.backup"
# a byte of the image in each of the three slots (header block 4096, slot 36864, slot header 64: file_storage.hpp)
for at in 4170 41034 77898; do
  printf '\xff' | dd of="$QSCD_SIM_DIR/bob.qscdsim" bs=1 seek=$at conv=notrunc status=none
done
sum_before=$(sha256sum < "$QSCD_SIM_DIR/bob.qscdsim")
expect 1 "corrupted state file" -- "$qscd" info --token bob
contains "corruption message names the file" "bob.qscdsim"
[ "$sum_before" = "$(sha256sum < "$QSCD_SIM_DIR/bob.qscdsim")" ] && ok "corrupted file left untouched" || bad "corrupted file was modified"
[ "$(stat -c %a "$QSCD_SIM_DIR/alice.qscdsim")" = 600 ] && ok "state file mode 0600" || bad "state file mode $(stat -c %a "$QSCD_SIM_DIR/alice.qscdsim")"

# Batch signing under sole control: one PIN for N documents only if the card allows it, after the list
for i in 1 2 3; do echo "batch document $i" > "$work/b$i.txt"; done
expect 7 "batch refused on a per-signature card" -- env QSCD_PIN=135791 "$qscd" sign-batch --token alice --confirm "$work/b1.txt" "$work/b2.txt"
contains "refusal explains sole control" "requires the User PIN for every signature"
expect 0 "sim create with a session PIN policy" -- "$qscd" sim create --name batcher --pin-policy session
expect 8 "batch needs --confirm without a terminal" -- setsid -w env QSCD_PIN=123456 "$qscd" sign-batch --token batcher "$work/b1.txt" "$work/b2.txt" "$work/b3.txt"
contains "the list is shown first" "b3.txt"
[ ! -e "$work/b1.txt.p7s" ] && ok "nothing signed without confirmation" || bad "signed without confirmation"
expect 0 "batch of 3 with one PIN" -- env QSCD_PIN=123456 "$qscd" sign-batch --token batcher --confirm "$work/b1.txt" "$work/b2.txt" "$work/b3.txt"
contains "progress shown" "[3/3] signed"
contains "counter rose by 3" "0 → 3"
for i in 1 2 3; do
  expect 0 "batch signature $i verifies" -- "$qscd" verify --in "$work/b$i.txt" --sig "$work/b$i.txt.p7s" --ca "$ca"
done
expect 3 "a wrong PIN fails the whole batch" -- env QSCD_PIN=000000 "$qscd" sign-batch --token batcher --confirm --force "$work/b1.txt"

# The test PKI from the command line: a qualified certificate for a key made elsewhere
expect 0 "pki show" -- "$qscd" pki show
contains "root listed" "qscd TEST Root CA"
contains "issuing CA listed" "Qualified Issuing CA"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/other.key" 2>/dev/null
openssl pkey -in "$work/other.key" -pubout -out "$work/other.pub" 2>/dev/null
expect 0 "pki issue for an external public key" -- "$qscd" pki issue --pubkey "$work/other.pub" --given Erika --surname Muster --out "$work/other.pem"
if openssl verify -CAfile "$ca" -untrusted "$QSCD_SIM_DIR/test-pki/issuing.pem" "$work/other.pem" >/dev/null 2>&1; then
  ok "openssl verifies the issued certificate's chain"; else bad "openssl rejects the issued certificate's chain"; fi
out=$(openssl asn1parse -in "$work/other.pem" 2>&1)
contains "QCStatements present (asn1parse)" "qcStatements"

# The audit log: one hash-chained JSON line per signing attempt, never a PIN; edits and removals are detected
log="$QSCD_SIM_DIR/audit.log"
expect 0 "audit log verifies" -- "$qscd" audit verify
contains "audit chain intact" "chain intact"
out=$(cat "$log")
contains "audit records the document hash" "document_hash"
contains "audit records the card counter" "counter_after"
contains "audit records failed attempts too" '"event":"failed"'
contains "with the reason" '"detail":"wrong User PIN'
contains "audit records the intent before the card is asked" '"event":"intent"'
contains "results name the intent they answer" '"intent":1,'

contains "audit records policy refusals" '"event":"refused"'
contains "with the rule" '"detail":"qc compliance'
contains "audit records a refused batch" '"detail":"batch signing refused'
lacks "audit never contains a PIN" "123456"
[ "$(stat -c %a "$log")" = 600 ] && ok "audit log mode 0600" || bad "audit log mode $(stat -c %a "$log")"
cp "$log" "$work/audit.orig"
sed -i '2s/"document":"/"document":"EDITED/' "$log"
expect 6 "an edited audit line is detected" -- "$qscd" audit verify
contains "edit reported" "does not chain"
cp "$work/audit.orig" "$log"; sed -i '2d' "$log"
expect 6 "a removed audit line is detected" -- "$qscd" audit verify
contains "removal reported" "sequence number"
cp "$work/audit.orig" "$log"

# The signature counter, token by token: a gap between an entry and the token's entry before it is
# reported; a tail cut off the end is invisible in the file alone and found with --token (the card's
# own counter). The whole tail of both attempts (intent and result lines) is cut here, so the chain
# itself stays intact.
expect 0 "signing twice more" -- bash -c "QSCD_PIN=135791 \"$qscd\" sign --token alice --in \"$work/doc.txt\" --out \"$work/t1.p7s\" && QSCD_PIN=135791 \"$qscd\" sign --token alice --in \"$work/doc.txt\" --out \"$work/t2.p7s\""
expect 0 "the card's counter agrees with the log" -- "$qscd" audit verify --token alice
contains "the card's counter is shown" "card signature counter"
cp "$log" "$work/audit.full"
head -n -4 "$work/audit.full" > "$log"
expect 0 "a cut-off tail passes the file-only check (a hash chain cannot see it)" -- "$qscd" audit verify
expect 6 "a cut-off tail is found with the card's counter" -- "$qscd" audit verify --token alice
contains "and named" "2 signature(s) the log does not show"
# An attempt (intent and result) removed from the middle also leaves a gap in its token's counter
# (besides the chain).
lines=$(wc -l < "$work/audit.full")
awk -v drop=$((lines - 3)) 'NR != drop && NR != drop + 1' "$work/audit.full" > "$log"
expect 6 "a removed entry is found" -- "$qscd" audit verify
contains "and leaves a counter gap" "its previous entry ended at"
cp "$work/audit.full" "$log"

# Appending reads the log's last line, not the whole log: 8 MiB of older lines, and the bytes qscd reads
# from the log (strace) stay a few KiB.
big="$work/big-audit.log"
head -c $((8 << 20)) /dev/zero | tr '\0' 'x' > "$big"; echo >> "$big"
tail -n 1 "$log" >> "$big"
last_seq=$(tail -n 1 "$log" | grep -o '"seq":[0-9]*' | cut -d: -f2)
# (token nq, which signs nothing later: its signature is logged in that other log only)
# (LeakSanitizer cannot run under ptrace: leak checks off for this one run of an ASan build)
expect 0 "signing into an 8 MiB audit log" -- env QSCD_PIN=123456 ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  strace -f -y -e trace=read,pread64 -o "$work/strace.txt" \
  "$qscd" sign --token nq --in "$work/doc.txt" --out "$work/big.p7s" --audit-log "$big"
read_bytes=$(awk '/big-audit\.log>/ { n = $NF; if (n ~ /^[0-9]+$/) sum += n } END { print sum + 0 }' "$work/strace.txt")
[ "$read_bytes" -lt 65536 ] && ok "appending read $read_bytes bytes of the 8 MiB log" || bad "appending read $read_bytes bytes of the 8 MiB log"
out=$(tail -n 2 "$big" | head -n 1)
contains "the new intent continues the sequence" "\"seq\":$((last_seq + 1))"
contains "and is an intent" '"event":"intent"'
out=$(tail -n 1 "$big")
contains "its result follows" "\"seq\":$((last_seq + 2))"
contains "and is a signed entry" '"event":"signed"'
rm -f "$big" "$work/strace.txt"

# Nothing that reaches the audit writer makes it fail after a signature: a document name that is not
# UTF-8 is logged with its odd bytes as \xNN; a torn last line (a crash mid-append) is sealed, so the
# next entry is a whole line and the torn one is reported, not swallowed.
odd="$work/$(printf 'odd\xff\xc3name.txt')"
echo "odd name" > "$odd"
expect 0 "a document name that is not UTF-8 is signed" -- env QSCD_PIN=135791 "$qscd" sign --token alice --in "$odd" --out "$work/odd.p7s"
[ -s "$work/odd.p7s" ] && ok "its signature is written" || bad "no signature for the odd name"
out=$(tail -n 1 "$log")
contains "and logged, odd bytes escaped" 'odd\\xFF\\xC3name.txt'
contains "as a signed entry" '"event":"signed"'
expect 0 "the log still verifies" -- "$qscd" audit verify
lines_before=$(wc -l < "$log")
printf '{"seq":%s,"prev":"torn by a cra' "$lines_before" >> "$log"
expect 0 "signing after a torn audit line" -- env QSCD_PIN=135791 "$qscd" sign --token alice --in "$work/doc.txt" --out "$work/after-torn.p7s"
[ "$(wc -l < "$log")" = $((lines_before + 3)) ] && ok "the torn line was sealed: the new entries are lines of their own" \
  || bad "log has $(wc -l < "$log") lines, wanted $((lines_before + 3))"
out=$(tail -n 1 "$log")
contains "the entry after the torn line is whole" '"event":"signed"'
expect 6 "the torn line is reported" -- "$qscd" audit verify
contains "by its line number" "line $((lines_before + 1)): not an audit entry"
lacks "and the new entries chain to it" "line $((lines_before + 2)):"
lacks "and to each other" "line $((lines_before + 3)):"
cp "$work/audit.orig" "$log"

finish
