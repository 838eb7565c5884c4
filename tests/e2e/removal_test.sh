#!/usr/bin/env bash
# The card is pulled at every APDU index of the signing flow: each time qscd reports a removed card
# within 2 s, the card's state stays intact, and after reinsertion the next signature works. Exit 0
# is accepted only for a signature that is complete (the file is there), verified (qscd verify and
# openssl cms) and counted (the card's counter rose by exactly one); a removal never leaves a file
# and never costs more than one count.
set -uo pipefail
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
doc="$QSCD_E2E_DIR/doc.txt"
echo "removal" > "$doc"
sign() { env QSCD_PIN=123456 "$qscd" sign --reader "Virtual PCD 00 00" --in "$doc" --out "$QSCD_E2E_DIR/$1.p7s" --force; }
counter() { "$qscd" info --reader "Virtual PCD 00 00" | sed -n 's/^Signatures: *//p'; }
# The card's own counter from its state file: readable while the card is out of the reader.
card_counter() { "$qscd" info --token alice | sed -n 's/^Signatures: *//p'; }
# A signature file that qscd and openssl (the independent judge) both accept.
verified() {
  "$qscd" verify --in "$doc" --sig "$1" --ca "$ca" >/dev/null 2>&1 &&
    openssl cms -verify -binary -inform DER -in "$1" -content "$doc" -CAfile "$ca" -out /dev/null 2>/dev/null
}

# How many APDUs one `qscd sign` sends to the card, counted by the card itself (discovery included).
card_apdus() { sim_ctl status | sed -n 's/^slot=0 .*apdus=\([0-9]*\).*/\1/p'; }
first=$(card_apdus)
sign count >/dev/null 2>&1 </dev/null
apdus=$(( $(card_apdus) - first ))
[ "$apdus" -gt 5 ] && ok "signing flow has $apdus APDUs" || bad "could not count the APDUs ($apdus)"
before=$(counter)

completed=0
for ((n = 0; n < apdus; n++)); do
  sim_ctl fault 0 remove-after "$n" >/dev/null || bad "fault $n not accepted"
  count_before=$(card_counter)
  start=$(date +%s%N)
  out=$(sign "cut$n" 2>&1 </dev/null); code=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  count_after=$(card_counter)
  file="$QSCD_E2E_DIR/cut$n.p7s"
  if [ "$code" = 0 ]; then
    # The removal came after the signature was complete: it must be a whole, valid, counted one.
    if [ ! -s "$file" ]; then bad "removal after APDU $n: exit 0 but no signature file: $out"
    elif ! verified "$file"; then bad "removal after APDU $n: exit 0 but the signature does not verify"
    elif [ "$count_after" != $((count_before + 1)) ]; then
      bad "removal after APDU $n: exit 0 but the card's counter went $count_before → $count_after"
    else
      completed=$((completed + 1))
      ok "removal after APDU $n came after the signature was complete (verified, counter $count_before → $count_after)"
    fi
  elif [ "$code" = 5 ] && grep -qi "removed\|no card\|not found" <<<"$out" && [ "$ms" -lt 2000 ]; then
    ok "removal after APDU $n: '$out' in ${ms} ms"
  else
    bad "removal after APDU $n: exit $code after ${ms} ms: $out"
  fi
  [ ! -e "$file" ] || [ "$code" = 0 ] || bad "a signature file was written after removal $n"
  # The card may have signed before the cut (its answer lost), never more than once.
  [ "$count_after" -ge "$count_before" ] && [ "$count_after" -le $((count_before + 1)) ] ||
    bad "removal after APDU $n: the card's counter went $count_before → $count_after"
  sim_ctl fault 0 clear >/dev/null
  # Re-insert like a person would: after pcscd has seen the card go. (vpcd + pcscd 1.9.9 lose a
  # card that reconnects within ~1 s of a removal in mid-APDU; a later one is always seen.)
  wait_card 0 absent 5 >/dev/null 2>&1; sleep 1.5
  sim_ctl insert 0 alice >/dev/null 2>&1
  wait_card 0 present || bad "card $n not back"
done

echo "# $completed of $apdus removals came after a complete signature"
expect 0 "signature after the last reinsertion" -- sign final
verified "$QSCD_E2E_DIR/final.p7s" && ok "it verifies" || bad "the final signature does not verify"
after=$(counter)
[ -n "$after" ] && [ "$after" -ge $((before + 1)) ] && ok "counter consistent ($before → $after)" || bad "counter $before → $after"
expect 0 "state file still loads in-process" -- "$qscd" info --token alice
finish
