#!/usr/bin/env bash
# What qscd reads and writes (issue 11, items 5 and 7): only regular files are replaced, never the
# document itself; `-o -`; an output that cannot be written fails before the PIN; sign-batch refuses
# duplicates; the counter shown is the one read inside the signing transaction; `sim create` that
# fails leaves nothing and never chmods an existing directory; exit codes as README's table.
set -uo pipefail
qscd=$(realpath "${1:?path to qscd}")
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
export QSCD_SIM_DIR="$work/state"
unset QSCD_PIN QSCD_NEW_PIN QSCD_ADMIN_PIN QSCD_RESET_CODE

. "$(dirname "$0")/../support/assert.sh"

cd "$work" || exit 1
echo "the document" > doc.txt
ca="$QSCD_SIM_DIR/test-pki/root.pem"
counter() { "$qscd" info --token "$1" | sed -n 's/^Signatures: *//p'; }

expect 0 "sim create alice" -- "$qscd" sim create --name alice
expect 0 "sim create batcher (session PIN policy)" -- "$qscd" sim create --name batcher --pin-policy session

# ---- Exit codes and messages: an existing token, documents that are not regular files -------------
expect 2 "an existing token name is a usage error" -- "$qscd" sim create --name alice
contains "the existing token is named" "token 'alice' already exists"
mkdir adir; mkfifo afifo
expect 5 "a missing document is not found" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in nosuch.txt
contains "missing document named" "no such document: nosuch.txt"
expect 2 "a directory as the document is a usage error" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in adir
contains "the directory is named as such" "adir is a directory"
expect 2 "a FIFO as the document is a usage error" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in afifo
contains "the FIFO is named as such" "afifo is a FIFO"
expect 2 "a device as the document is a usage error" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in /dev/null
contains "the device is named as such" "/dev/null is a device"
expect 5 "sign-batch: a missing document is not found" -- env QSCD_PIN=123456 "$qscd" sign-batch --token batcher --confirm nosuch.txt
contains "sign-batch names the missing document" "no such document: nosuch.txt"
expect 2 "sign-batch: a directory is a usage error" -- env QSCD_PIN=123456 "$qscd" sign-batch --token batcher --confirm adir
contains "sign-batch names the directory as such" "adir is a directory"
expect 5 "a missing --chain file is not found" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt --chain nosuch.pem
expect 5 "a missing --pubkey file is not found" -- "$qscd" pki issue --pubkey nosuch.pem --given X --out x.pem
echo "not PEM" > junk.pem
expect 1 "a --chain file without certificates is a failure, not a usage error" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt --chain junk.pem
contains "the bad chain file is named" "junk.pem"
expect 1 "a --pubkey file without a key is a failure, not a usage error" -- "$qscd" pki issue --pubkey junk.pem --given X --out x.pem
contains "the bad key file is named" "junk.pem"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -pubout -out key.pub 2>/dev/null
expect 2 "pki issue does not replace a directory" -- "$qscd" pki issue --pubkey key.pub --given X --out adir
contains "the directory output is named" "adir is a directory"
expect 2 "a directory as the audit log is named as such" -- "$qscd" audit verify --log adir
contains "audit verify names the directory" "adir is a directory"
expect 2 "sign refuses a directory as its audit log, before the PIN" -- setsid -w "$qscd" sign --token alice --in doc.txt -o x.p7s --audit-log adir
[ ! -e x.p7s ] && ok "nothing signed without an audit log" || bad "signed although the audit log is a directory"

# ---- Outputs: only regular files are replaced, even with --force -----------------------------------
n0=$(counter alice)
mkfifo out.fifo
expect 2 "--force does not replace a FIFO" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o out.fifo --force
contains "the FIFO output is named as such" "out.fifo is a FIFO"
[ -p out.fifo ] && ok "the FIFO is still there" || bad "the FIFO was replaced"
mkdir out.dir
expect 2 "--force does not replace a directory" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o out.dir --force
contains "the directory output is named as such" "out.dir is a directory"
ln -s out.dir link-to-dir
expect 2 "--force does not replace a symbolic link to a directory" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o link-to-dir --force
[ -L link-to-dir ] && ok "the link is still there" || bad "the link was replaced"
if mknod out.dev c 1 3 2>/dev/null; then
  expect 2 "--force does not replace a device node" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o out.dev --force
  contains "the device output is named as such" "out.dev is a device"
  [ -c out.dev ] && ok "the device node is still there" || bad "the device node was replaced"
fi
cp doc.txt doc.orig
expect 2 "the document is never its own output" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o doc.txt --force
contains "the refusal says why" "is the document"
ln doc.txt hardlink.txt; ln -s doc.txt symlink.txt
expect 2 "nor under another name (hard link)" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o hardlink.txt --force
expect 2 "nor under another name (symbolic link)" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in ./doc.txt -o symlink.txt --force
cmp -s doc.txt doc.orig && ok "the document is unchanged" || bad "the document was replaced"
[ "$(counter alice)" = "$n0" ] && ok "no signature was made for a refused output" || bad "counter went from $n0 to $(counter alice)"

# An output that cannot be created fails before the PIN is asked: no PIN source, no terminal, and
# the error is about the output (not "no PIN", exit 8); the card signed nothing; the message names
# the output, not a temporary file.
expect 1 "an output in a missing directory fails before the PIN" -- setsid -w "$qscd" sign --token alice --in doc.txt -o missing-dir/doc.p7s
contains "the write error names the output" "cannot create missing-dir/doc.p7s"
lacks "the write error does not name a temporary file" ".tmp"
expect 1 "the same with a PIN at hand" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o missing-dir/doc.p7s
[ "$(counter alice)" = "$n0" ] && ok "the card never signed for an unwritable output" || bad "counter went from $n0 to $(counter alice)"
last=$(tail -n 1 "$QSCD_SIM_DIR/audit.log")
case $last in
  *'"event":"refused"'*'missing-dir/doc.p7s'*) ok "the unwritable output is in the audit log as refused" ;;
  *) bad "audit log's last entry is not the refused output: $last" ;;
esac
expect 0 "the audit log verifies with the refusals in it" -- "$qscd" audit verify --token alice

# Killed while the PIN is asked: nothing is left in the output's directory (no temporary either)
mkdir killed; mkfifo pin.fifo
"$qscd" sign --token alice --in doc.txt -o killed/doc.p7s --pin-fd 3 3<>pin.fifo >/dev/null 2>&1 &
victim=$!
for _ in $(seq 100); do   # until it reads the PIN (at most 10 s)
  grep -q pipe_read "/proc/$victim/wchan" 2>/dev/null && break
  sleep 0.1
done
kill -9 "$victim"; wait "$victim" 2>/dev/null
[ -z "$(ls -A killed)" ] && ok "a signer killed at the PIN prompt leaves nothing" || bad "left behind: $(ls -A killed)"

# -o - writes the signature to standard output, and only the signature
if QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o - >stdout.p7s 2>stderr.txt </dev/null; then
  ok "-o - signs"; else bad "-o - failed: $(cat stderr.txt)"; fi
[ ! -e ./- ] && ok "-o - writes no file named '-'" || bad "a file named '-' was written"
if openssl cms -verify -binary -inform DER -in stdout.p7s -content doc.txt -CAfile "$ca" -out /dev/null 2>ossl.err; then
  ok "openssl verifies the signature from standard output"; else bad "openssl rejects standard output: $(cat ossl.err)"; fi
out=$(cat stderr.txt)
contains "the report goes to stderr" "Signed doc.txt"

# ---- The counter shown is the one read inside the signing transaction ----------------------------
# The first signer stops after its preparation (reading --chain from a FIFO) while another program
# signs; it must then report the counter its own transaction saw, not the one read before.
before=$(counter alice)
mkfifo chain.fifo
exec 7<>chain.fifo   # a writer that exists already: the first signer opens the FIFO, then waits for data
QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o first.p7s --chain chain.fifo >first.out 2>&1 7>&- &
first=$!
for _ in $(seq 300); do   # until it holds the FIFO open (at most 30 s)
  ls -l /proc/$first/fd 2>/dev/null | grep -q chain.fifo && break
  kill -0 $first 2>/dev/null || break
  sleep 0.1
done
expect 0 "another program signs meanwhile" -- env QSCD_PIN=123456 "$qscd" sign --token alice --in doc.txt -o second.p7s
cat "$QSCD_SIM_DIR/test-pki/issuing.pem" >&7
exec 7>&-
wait "$first"; rc=$?
out=$(cat first.out)
[ "$rc" = 0 ] && ok "the first signer finished" || bad "the first signer failed: $out"
contains "the counter shown is the transaction's" "Card signature counter: $((before + 1)) → $((before + 2))"

# ---- sign-batch refuses duplicates and checks every output before the PIN -------------------------
for i in 1 2; do echo "batch document $i" > b$i.txt; done
nb=$(counter batcher)
expect 2 "a document listed twice is refused" -- env QSCD_PIN=123456 "$qscd" sign-batch --token batcher --confirm b1.txt ./b1.txt
contains "the duplicate is named" "same document"
ln b2.txt b2-hardlink.txt
expect 2 "one document under two names is refused" -- env QSCD_PIN=123456 "$qscd" sign-batch --token batcher --confirm b2.txt b2-hardlink.txt
echo "a document named like a signature" > b1.txt.p7s
expect 2 "a document that is another one's output is refused" -- env QSCD_PIN=123456 "$qscd" sign-batch --token batcher --confirm --force b1.txt b1.txt.p7s
contains "the collision is explained" "would replace the document"
grep -q "named like a signature" b1.txt.p7s && ok "that document is unchanged" || bad "that document was replaced"
rm b1.txt.p7s
mkfifo b2.txt.p7s
expect 2 "sign-batch --force does not replace a FIFO" -- env QSCD_PIN=123456 "$qscd" sign-batch --token batcher --confirm --force b1.txt b2.txt
[ -p b2.txt.p7s ] && ok "the FIFO is still there" || bad "the FIFO was replaced"
[ ! -e b1.txt.p7s ] && ok "nothing written when one output is refused" || bad "b1.txt.p7s was written"
[ "$(counter batcher)" = "$nb" ] && ok "no batch signature was made" || bad "batch counter went from $nb to $(counter batcher)"
rm b2.txt.p7s
expect 0 "the batch signs once the outputs are fine" -- env QSCD_PIN=123456 "$qscd" sign-batch --token batcher --confirm b1.txt b2.txt
contains "batch counter as read in its transaction" "card signature counter $nb → $((nb + 2))"

# ---- Two creations of one name: the second waits for the first and is refused, never replaces it ---
# The test plays the first creator: it holds the token's lock while it puts a token in place.
exec 8>"$QSCD_SIM_DIR/twice.lock"; flock -x 8
"$qscd" sim create --name twice >twice.out 2>&1 8>&- &
second=$!
for _ in $(seq 50); do   # until it waits for the lock (/proc/locks: "-> FLOCK ... PID"), at most 5 s
  grep -qE -- "-> FLOCK +ADVISORY +WRITE +$second " /proc/locks && break
  kill -0 "$second" 2>/dev/null || break
  sleep 0.1
done
cp "$QSCD_SIM_DIR/alice.qscdsim" "$QSCD_SIM_DIR/twice.qscdsim"
sum=$(sha256sum <"$QSCD_SIM_DIR/twice.qscdsim")
flock -u 8; exec 8>&-
wait "$second"; rc=$?
out=$(cat twice.out)
[ "$rc" = 2 ] && ok "a concurrent creation of the same name is refused (exit 2)" || bad "concurrent creation: exit $rc: $out"
contains "the refusal names the token" "token 'twice' already exists"
[ "$sum" = "$(sha256sum <"$QSCD_SIM_DIR/twice.qscdsim")" ] && ok "the first token is untouched" || bad "the first token was replaced"

# ---- sim create: nothing left behind on failure, no chmod of an existing directory ---------------
mkdir -p s2 && touch s2/test-pki       # the test PKI cannot be created: creation fails half-way
expect 1 "sim create fails when the test PKI cannot be made" -- "$qscd" --state s2 sim create --name half
contains "the failure names the test PKI" "test-pki"
[ "$(ls -A s2)" = "test-pki" ] && ok "no token file is left behind" || bad "left behind: $(ls -A s2 | tr '\n' ' ')"
rm s2/test-pki
expect 0 "the name is free again" -- "$qscd" --state s2 sim create --name half
mkdir -m 0755 s3
expect 0 "sim create in an existing directory" -- "$qscd" --state s3 sim create --name keep
[ "$(stat -c %a s3)" = 755 ] && ok "its mode is left alone" || bad "its mode changed to $(stat -c %a s3)"
expect 0 "sim create in a new directory" -- "$qscd" --state s4/sub sim create --name fresh
[ "$(stat -c %a s4/sub)" = 700 ] && ok "a directory it makes is private" || bad "new directory mode $(stat -c %a s4/sub)"

finish
