#!/usr/bin/env bash
# A card whose signature counter misbehaves, through pcscd: the card signs, but reports its counter
# (DO 93, OpenPGP card 3.4 §8.2) as not rising (`fault counter-stuck`) or rising by two
# (`fault counter-skip`). `qscd sign` must discard the signature: a typed one-line error naming the
# counter, exit 1, no output file, and the audit log records the attempt as failed.
set -uo pipefail
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
doc="$QSCD_E2E_DIR/doc.txt"
echo "counter" >"$doc"
audit="$QSCD_E2E_DIR/audit.log"
sign() {
  env QSCD_PIN=123456 "$qscd" sign --reader "Virtual PCD 00 00" --in "$doc" --out "$QSCD_E2E_DIR/$1.p7s" \
    --audit-log "$audit" "${@:2}"
}
counter() { "$qscd" info --reader "Virtual PCD 00 00" | sed -n 's/^Signatures: *//p'; }
# The card's own counter, from its state file (not through the faulty slot).
card_counter() { "$qscd" info --token alice | sed -n 's/^Signatures: *//p'; }

expect 0 "a signature through the well-behaved card" -- sign good
[ -s "$QSCD_E2E_DIR/good.p7s" ] && ok "good.p7s written" || bad "good.p7s missing"

for fault in counter-stuck counter-skip; do
  for format in cades raw; do
    name="$fault-$format"
    sim_ctl fault 0 "$fault" >/dev/null || bad "fault $fault not accepted"
    grep -q "^slot=0 token=alice apdus=[0-9]* faults=$fault\$" <<<"$(sim_ctl status)" &&
      ok "$fault ($format): status names the fault" || bad "$fault ($format): status: $(sim_ctl status)"
    shown_before=$(counter) real_before=$(card_counter)
    expect 1 "$fault ($format): qscd sign refuses" -- sign "$name" --format "$format" $([ "$format" = raw ] && echo --level basic)
    step=$([ "$fault" = counter-stuck ] && echo 0 || echo 2)
    contains "$fault ($format): one line naming the counter step" \
      "signature counter went from $shown_before to $((shown_before + step)), expected $((shown_before + 1))"
    contains "$fault ($format): says the signature is discarded" "the signature is discarded"
    [ "$(wc -l <<<"$out")" = 1 ] && ok "$fault ($format): one line" || bad "$fault ($format): several lines: $out"
    [ ! -e "$QSCD_E2E_DIR/$name.p7s" ] && ok "$fault ($format): no output file" || bad "$fault ($format): $name.p7s written"
    # Nothing left behind next to the output either (temp files of an atomic write).
    leftovers=$(find "$QSCD_E2E_DIR" -maxdepth 1 -name "*$name*" | wc -l)
    [ "$leftovers" = 0 ] && ok "$fault ($format): no temp file" || bad "$fault ($format): $leftovers files named after the output"
    last=$(tail -n 1 "$audit")
    grep -q '"event":"failed".*"detail":"the card'"'"'s signature counter went from' <<<"$last" &&
      ok "$fault ($format): audit log says failed" || bad "$fault ($format): last audit line: $last"
    # The card itself did sign (and count) once: what it reported was wrong.
    [ "$(card_counter)" = $((real_before + 1)) ] && ok "$fault ($format): the card counted one signature" ||
      bad "$fault ($format): card counter $real_before → $(card_counter)"
    sim_ctl fault 0 clear >/dev/null
  done
done
grep -q "^slot=0 token=alice apdus=[0-9]* faults=none\$" <<<"$(sim_ctl status)" &&
  ok "fault clear removes the counter faults" || bad "status after clear: $(sim_ctl status)"
expect 0 "the audit log's chain is intact" -- "$qscd" audit verify --log "$audit"
expect 0 "after the faults are cleared, signing works again" -- sign after
expect 0 "and its signature verifies" -- "$qscd" verify --in "$doc" --sig "$QSCD_E2E_DIR/after.p7s" --ca "$ca"
finish
