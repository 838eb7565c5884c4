#!/usr/bin/env bash
# No PIN state is left on the card, through a real pcscd (issue 11 item 4). After qscd verified a
# PIN it did not consume (Admin PIN for an unblock, a session-policy signature, a batch), another
# PC/SC program that connects without any PIN (scriptor from pcsc-tools: shared, no SELECT of its
# own first) finds the card reset (6985: no application selected) and, once it selects OpenPGP,
# every PIN-protected command refused with 6982. A per-signature signature consumed the PIN: the
# card is left as it was (no reset disturbs other programs).
set -uo pipefail
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
command -v scriptor >/dev/null || { bad "scriptor (pcsc-tools) not found; run: make deps"; finish; exit 1; }

reader0="Virtual PCD 00 00" reader1="Virtual PCD 00 01"
select_openpgp="00 A4 04 00 06 D2 76 00 01 24 01"
reset_retry_counter="00 2C 02 81 06 31 31 31 31 31 31"   # new User PIN after VERIFY 83 [§6.3]
put_data_name="00 DA 00 5B 03 44 6F 65"                    # cardholder name, needs PW3
pso_cds="00 2A 9E 9A 20 $(printf '11 %.0s' $(seq 32))00"   # a signature, needs PW1 81

# other_program READER APDU...: the status words scriptor got, space-separated (e.g. "6985 9000").
other_program() {
  local reader=$1; shift
  printf '%s\n' "$@" | scriptor -r "$reader" -p T=1 2>&1 |
    sed -n 's/^< \(.* \)\{0,1\}\([0-9A-F][0-9A-F]\) \([0-9A-F][0-9A-F]\) : .*/\2\3/p' | tr '\n' ' ' | sed 's/ $//'
}
check_sws() {  # MSG WANT GOT
  [ "$3" = "$2" ] && ok "$1" || bad "$1: status words '$3', wanted '$2'"
}

echo "a document" > "$QSCD_E2E_DIR/doc.txt"

# Per-signature PIN: PSO:CDS consumed it; no reset, the application is still selected.
expect 0 "per-signature sign through PC/SC" -- env QSCD_PIN=123456 "$qscd" sign --reader "$reader0" \
  --in "$QSCD_E2E_DIR/doc.txt" --out "$QSCD_E2E_DIR/doc.p7s"
check_sws "after a consumed PIN: no reset (GET DATA C4 without SELECT works), no PIN left (PSO:CDS 6982)" \
  "9000 6982" "$(other_program "$reader0" "00 CA 00 C4 00" "$pso_cds")"

# Admin PIN for an unblock: logged out, and the connection ends with a card reset.
expect 0 "pin unblock --with admin through PC/SC" -- env QSCD_ADMIN_PIN=12345678 QSCD_NEW_PIN=123456 \
  "$qscd" pin unblock --reader "$reader0" --with admin
check_sws "after the unblock: card reset (6985 without SELECT), then RESET RETRY COUNTER and PUT DATA refused with 6982" \
  "6985 6985 9000 6982 6982" \
  "$(other_program "$reader0" "$reset_retry_counter" "$put_data_name" "$select_openpgp" "$reset_retry_counter" "$put_data_name")"
expect 0 "the User PIN is the one qscd set (not the other program's)" -- env QSCD_PIN=123456 "$qscd" sign --reader "$reader0" \
  --in "$QSCD_E2E_DIR/doc.txt" --out "$QSCD_E2E_DIR/doc2.p7s"

# Session PIN policy (the card keeps PW1 valid for several signatures): a signature, then a batch.
expect 0 "session-policy token" -- "$qscd" sim create --name carol --algo p256 --pin-policy session
sim_ctl remove 1 >/dev/null && wait_card 1 absent && sim_ctl insert 1 carol >/dev/null && wait_card 1 present
expect 0 "session-policy sign through PC/SC" -- env QSCD_PIN=123456 "$qscd" sign --reader "$reader1" \
  --in "$QSCD_E2E_DIR/doc.txt" --out "$QSCD_E2E_DIR/carol.p7s"
check_sws "after a session-policy signature: reset, then PSO:CDS refused" \
  "6985 9000 6982" "$(other_program "$reader1" "$pso_cds" "$select_openpgp" "$pso_cds")"
cp "$QSCD_E2E_DIR/doc.txt" "$QSCD_E2E_DIR/b1.txt"; cp "$QSCD_E2E_DIR/doc.txt" "$QSCD_E2E_DIR/b2.txt"
expect 0 "batch through PC/SC" -- env QSCD_PIN=123456 "$qscd" sign-batch --reader "$reader1" --confirm \
  "$QSCD_E2E_DIR/b1.txt" "$QSCD_E2E_DIR/b2.txt"
check_sws "after a batch: reset, then PSO:CDS refused" \
  "6985 9000 6982" "$(other_program "$reader1" "$pso_cds" "$select_openpgp" "$pso_cds")"
finish
