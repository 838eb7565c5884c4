#!/usr/bin/env bash
# The card is pulled at every APDU index of the signing flow: each time qscd reports a removed card
# within 2 s, the card's state stays intact, and after reinsertion the next signature works.
set -uo pipefail
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
doc="$QSCD_E2E_DIR/doc.txt"
echo "removal" > "$doc"
sign() { env QSCD_PIN=123456 "$qscd" sign --reader "Virtual PCD 00 00" --in "$doc" --out "$QSCD_E2E_DIR/$1.p7s" --force; }
counter() { "$qscd" info --reader "Virtual PCD 00 00" | sed -n 's/^Signatures: *//p'; }

# How many APDUs one `qscd sign` sends to the card, counted by the card itself (discovery included).
card_apdus() { sim_ctl status | sed -n 's/^slot=0 .*apdus=\([0-9]*\).*/\1/p'; }
first=$(card_apdus)
sign count >/dev/null 2>&1 </dev/null
apdus=$(( $(card_apdus) - first ))
[ "$apdus" -gt 5 ] && ok "signing flow has $apdus APDUs" || bad "could not count the APDUs ($apdus)"
before=$(counter)

for ((n = 0; n < apdus; n++)); do
  sim_ctl fault 0 remove-after "$n" >/dev/null || bad "fault $n not accepted"
  start=$(date +%s%N)
  out=$(sign "cut$n" 2>&1 </dev/null); code=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ "$code" = 5 ] && grep -qi "removed\|no card\|not found" <<<"$out" && [ "$ms" -lt 2000 ]; then
    ok "removal after APDU $n: '$out' in ${ms} ms"
  elif [ "$n" -ge $((apdus - 2)) ] && [ "$code" = 0 ]; then
    ok "removal after APDU $n came after the signature was complete"
  else
    bad "removal after APDU $n: exit $code after ${ms} ms: $out"
  fi
  [ ! -e "$QSCD_E2E_DIR/cut$n.p7s" ] || [ "$code" = 0 ] || bad "a signature file was written after removal $n"
  sim_ctl fault 0 clear >/dev/null
  # Re-insert like a person would: after pcscd has seen the card go. (vpcd + pcscd 1.9.9 lose a
  # card that reconnects within ~1 s of a removal in mid-APDU; a later one is always seen.)
  wait_card 0 absent 5 >/dev/null 2>&1; sleep 1.5
  sim_ctl insert 0 alice >/dev/null 2>&1
  wait_card 0 present || bad "card $n not back"
done

expect 0 "signature after the last reinsertion" -- sign final
after=$(counter)
[ -n "$after" ] && [ "$after" -ge $((before + 1)) ] && ok "counter consistent ($before → $after)" || bad "counter $before → $after"
expect 0 "state file still loads in-process" -- "$qscd" info --token alice
finish
