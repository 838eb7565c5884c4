#!/usr/bin/env bash
# The reader quirks table (pcsc/src/reader_quirks.cpp) against a real pcscd: the simulated PIN-pad
# reader plays a reader model from the table (private_pcscd.sh --pinpad-name). It announces
# VERIFY_PIN_DIRECT as always (OpenSC believes it), but qscd goes by the table: "Dell Smart Card
# Reader Keyboard" has no usable PIN pad, "Gemalto PC Pinpad" no variable-length PIN entry (OpenPGP).
# Either way `qscd sign --pin-pad` is refused before anything reaches the card: exit 7, no keypad
# prompt, no try spent.
#   $1 = qscd, $2 = qscd-sim
set -uo pipefail
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
r0="$QSCD_READER_NAME 00 00"
case $QSCD_READER_NAME in
  "Dell Smart Card Reader Keyboard") why="has no PIN pad" ;;
  "Gemalto PC Pinpad") why="cannot take a variable-length OpenPGP PIN" ;;
  *) echo "run under private_pcscd.sh --pinpad-name with a reader from the quirks table"; exit 1 ;;
esac
doc="$QSCD_E2E_DIR/doc.txt"
echo "quirks" >"$doc"
out=$(opensc-tool -l 2>&1)
contains "the reader still announces a PIN pad (OpenSC sees one)" "PIN pad   $r0"
expect 0 "qscd readers" -- "$qscd" readers
contains "qscd readers names the quirk" "PIN pad:  "
contains "with its source" "OpenSC issue #"
sim_ctl keypad 0 type 123456 >/dev/null
expect 7 "qscd sign --pin-pad on '$QSCD_READER_NAME': refused by the quirks table" -- \
  "$qscd" sign --reader "$r0" --pin-pad --in "$doc" --out "$QSCD_E2E_DIR/doc.p7s"
contains "the message says why" "$why"
contains "and that nothing reached the card" "nothing was sent to the card"
expect 0 "display" -- sim_ctl display 0
lacks "the reader never asked for the PIN" "Enter PIN"
expect 0 "the host PIN still works on this reader" -- env QSCD_PIN=123456 "$qscd" sign --reader "$r0" --in "$doc" --out "$QSCD_E2E_DIR/host.p7s"
out=$("$qscd" info --reader "$r0")
contains "no try was spent" "User PIN:     3 tries left"
finish
