#!/usr/bin/env bash
# Kiosk mode (issue 14) through a real, private pcscd with qscd's simulated PIN-pad reader: `qscd kiosk`
# signs a spool's queue with the card in its reader, the PIN typed on the keypad (scripted with
# `qscd-sim ctl keypad`) for every signature; openssl and `qscd verify` judge each signature.
#   $1 = qscd, $2 = qscd-sim, $3 = part:
#   queue: 10 documents, the card pulled after the third (while the reader waits for the 4th PIN) and
#          reinserted: all 10 signed exactly once (card counter +10); pcscd killed (-9) and restarted
#          mid-queue: the kiosk reconnects, every document signed once; SIGTERM mid-queue: exit 0, the
#          document whose PIN is being typed is finished, the rest stay queued; the figures (time from
#          card insertion to the first signature, APDUs per document on the card side, which must be
#          the host's count plus the reader's VERIFY, at most 3 once the card is held).
#   cards: keypad cancel and timeout (document to failed/ with its reason, no try spent, the card asked
#          again only after reinsertion); an Estonian ID card (host PIN source, --pin-fd: two PINs sign
#          two of three documents, the third stays queued) and an OpenPGP card (PIN pad) in the two
#          slots, one kiosk per reader, both queues signed.
set -uo pipefail
. "$(dirname "$0")/e2e_setup.sh" "$1" "$2"
part=${3:?part: queue or cards}
[ "${QSCD_READER_NAME:-}" = "QSCD PIN Pad" ] || { echo "run under private_pcscd.sh --pinpad-driver"; exit 1; }
r0="QSCD PIN Pad 00 00" r1="QSCD PIN Pad 00 01"
kiosk_pids=() kiosk=
cleanup() {
  local p
  for p in "${kiosk_pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ "$failed" != 0 ]; then
    for f in "$QSCD_E2E_DIR"/*.log; do echo "---- $(basename "$f") ----"; tail -80 "$f"; done
  fi
  stop_sim
}
trap cleanup EXIT

counter() { "$qscd" info --reader "$1" | sed -n 's/^Signatures: *//p'; }
tries() { "$qscd" info --reader "$1" | sed -n 's/^User PIN: *\([0-9]*\) tr.*/\1/p'; }
# A running kiosk holds its card exclusively (no other program can read it): the card's own counter and
# tries then come from alice's state file, with the card out of slot 0. out_of_reader leaves it out.
out_of_reader() { sim_ctl remove 0 >/dev/null; wait_card 0 absent; }
counter_out() { "$qscd" info --token alice | sed -n 's/^Signatures: *//p'; }
tries_out() { "$qscd" info --token alice | sed -n 's/^User PIN: *\([0-9]*\) tr.*/\1/p'; }
back_in() { sim_ctl insert 0 alice >/dev/null; wait_card 0 present; }
apdus() { sim_ctl status | sed -n "s/^slot=$1 .* apdus=\([0-9]*\) .*/\1/p"; }
# count EVENTS_FILE KIND: how many events of that kind
count() { local n; n=$(grep -c "\"event\":\"$2\"" "$1" 2>/dev/null); echo "${n:-0}"; }
# wait_events EVENTS_FILE KIND N [SECS]: until at least N such events (bounded)
wait_events() {
  local i
  for ((i = 0; i < ${4:-15} * 20; i++)); do
    [ "$(count "$1" "$2")" -ge "$3" ] && return 0
    kill -0 "$kiosk" 2>/dev/null || { echo "# the kiosk ($kiosk) is not running" >&2; return 1; }
    sleep 0.05
  done
  echo "# waited for $3 '$2' events, saw $(count "$1" "$2")" >&2
  return 1
}
# wait_prompt SLOT: until the reader's display asks for the PIN (it waits for the keypad)
wait_prompt() {
  local i
  for ((i = 0; i < 200; i++)); do [ "$(sim_ctl display "$1" | tail -1)" = "Enter PIN|" ] && return 0; sleep 0.05; done
  return 1
}
type_pins() { local i; for ((i = 0; i < $2; i++)); do sim_ctl keypad "$1" type "$3" >/dev/null; done; }
# start_kiosk SPOOL READER EXTRA...: in the background; its pid in $kiosk
start_kiosk() {
  local spool=$1 reader=$2; shift 2
  "$qscd" kiosk --spool "$spool" --reader "$reader" --events "$spool.events" "$@" 2>>"$spool.log" &
  kiosk=$!
  kiosk_pids+=("$kiosk")
}
queue() { local spool=$1 n; shift; mkdir -p "$spool/queue"; for n in "$@"; do echo "document $n for the kiosk" >"$spool/queue/.$n"; mv "$spool/queue/.$n" "$spool/queue/$n"; done; }
listing() { (cd "$1" && ls -A | tr '\n' ' '); }
# verified SPOOL NAME CA: qscd verify and openssl accept done/NAME.p7s over done/NAME
verified() {
  "$qscd" verify --in "$1/done/$2" --sig "$1/done/$2.p7s" --ca "$3" >/dev/null 2>&1 &&
    openssl cms -verify -binary -inform DER -in "$1/done/$2.p7s" -content "$1/done/$2" -CAfile "$3" -purpose any -out /dev/null 2>/dev/null
}
signed_once() { [ "$(grep '"event":"document-signed"' "$1" | grep -c "\"name\":\"$2\"")" = 1 ]; }

if [ "$part" = queue ]; then
  spool="$QSCD_E2E_DIR/spool"
  docs=(doc01.txt doc02.txt doc03.txt doc04.txt doc05.txt doc06.txt doc07.txt doc08.txt doc09.txt doc10.txt)
  queue "$spool" "${docs[@]}"
  echo "half copied" >"$spool/queue/.doc11.txt"  # a copy in progress: never picked
  # A kiosk that died after writing doc00's signature, before moving doc00 into done/.
  queue "$spool" doc00.txt
  mkdir -p "$spool/done"; echo "signature of doc00" >"$spool/done/doc00.txt.p7s"
  c0=$(counter "$r0")
  type_pins 0 3 123456
  start_kiosk "$spool" "$r0"
  ev="$spool.events"

  # ---- a: the card pulled after the third signature, while the reader waits for the 4th PIN -----------
  wait_events "$ev" document-signed 3 && ok "three documents signed" || bad "three signatures: $(cat "$ev")"
  wait_prompt 0 && ok "the reader waits for the 4th PIN" || bad "no prompt for the 4th PIN"
  sim_ctl remove 0 >/dev/null
  wait_events "$ev" document-requeued 1 && ok "the 4th document is requeued after the card was pulled" || bad "no requeue: $(cat "$ev")"
  grep '"event":"document-requeued"' "$ev" | grep -q '"code":"card-lost".*"name":"doc04.txt"' && ok "... it is doc04.txt, code card-lost" || bad "requeue event: $(grep requeued "$ev")"
  [ "$(listing "$spool/queue")" = ".doc11.txt doc04.txt doc05.txt doc06.txt doc07.txt doc08.txt doc09.txt doc10.txt " ] &&
    ok "doc04..doc10 still queued (and the dot-file untouched)" || bad "queue: $(listing "$spool/queue")"
  [ "$(listing "$spool/done")" = "doc00.txt doc00.txt.p7s doc01.txt doc01.txt.p7s doc02.txt doc02.txt.p7s doc03.txt doc03.txt.p7s " ] &&
    ok "done/ holds the three documents and their signatures, no temporary" || bad "done: $(listing "$spool/done")"
  type_pins 0 7 123456
  inserted=$(date +%s%N)
  sim_ctl insert 0 alice >/dev/null
  for ((i = 0; i < 1000; i++)); do [ "$(count "$ev" document-signed)" -ge 4 ] && break; sleep 0.01; done
  to_first_ms=$(( ($(date +%s%N) - inserted) / 1000000 ))
  wait_events "$ev" document-signed 10 20 && ok "after reinsertion the kiosk signed the rest" || bad "not all signed: $(tail -5 "$ev")"
  out_of_reader
  c1=$(counter_out)
  [ "$c1" = $((c0 + 10)) ] && ok "the card's counter rose by exactly 10 ($c0 → $((c0 + 10)))" || bad "counter $c0 → $c1"
  back_in
  all=1
  for d in "${docs[@]}"; do
    signed_once "$ev" "$d" || { all=0; bad "$d not signed exactly once"; }
    verified "$spool" "$d" "$ca" || { all=0; bad "$d: signature not verified"; }
  done
  [ "$all" = 1 ] && ok "each of the 10 documents signed exactly once; qscd verify and openssl cms -verify accept every signature"
  [ "$(listing "$spool/queue")" = ".doc11.txt " ] && ok "nothing left in the queue" || bad "queue: $(listing "$spool/queue")"
  [ -z "$(ls -A "$spool/done" | grep -vE '^doc[0-9]+\.txt(\.p7s)?$')" ] && [ "$(ls "$spool/done" | wc -l)" = 22 ] &&
    ok "done/ holds 11 documents and 11 signatures, no stray temporary" || bad "done: $(listing "$spool/done")"
  [ -z "$(ls -A "$spool/failed")" ] && ok "failed/ is empty" || bad "failed: $(listing "$spool/failed")"
  expect 0 "the audit log verifies" -- "$qscd" audit verify --log "$spool/audit.log"

  # figures: the first signature after the reinsertion, as the kiosk measured it and as the test saw it
  first=$(grep '"first_since_card":true' "$ev" | tail -1)
  since_card=$(sed -n 's/.*"ms_since_card":\([0-9]*\).*/\1/p' <<<"$first")
  per_doc=$(grep '"event":"document-signed"' "$ev" | tail -7 | sed -n 's/.*"apdus":\([0-9]*\).*/\1/p' | sort -u | tr '\n' ' ')
  echo "# figure: card insertion → first signature in kiosk mode: ${to_first_ms} ms from \`qscd-sim ctl insert\` until the event was seen (10 ms polls); ${since_card} ms from pcscd's insertion event (the kiosk's clock; card identification included)"
  echo "# figure: APDUs per document sent by the host (the keypad's VERIFY, built by the reader, not included): ${per_doc}"
  [ -n "$since_card" ] && ok "the events carry the time since the card's insertion" || bad "no ms_since_card: $first"

  # ---- b: pcscd killed (-9) and restarted mid-queue ------------------------------------------------------
  echo "another document named doc01.txt" >"$spool/queue/.doc01.txt"; mv "$spool/queue/.doc01.txt" "$spool/queue/doc01.txt"
  queue "$spool" doc12.txt doc13.txt doc14.txt doc15.txt doc16.txt
  type_pins 0 2 123456
  wait_events "$ev" document-signed 12 && ok "two more signed" || bad "two more: $(tail -3 "$ev")"
  wait_prompt 0 && ok "the reader waits for the next PIN" || bad "no prompt"
  restart_pcscd && ok "pcscd killed with -9 and started again" || bad "pcscd did not come back"
  wait_events "$ev" pcscd-unavailable 1 && ok "the kiosk saw pcscd go" || bad "no pcscd-unavailable: $(tail -3 "$ev")"
  sim_ctl remove 0 >/dev/null 2>&1
  type_pins 0 3 123456
  sim_ctl insert 0 alice >/dev/null || bad "alice not inserted into the new pcscd's reader"
  wait_events "$ev" document-signed 15 20 && ok "after pcscd's restart the kiosk reconnected and signed the rest" || bad "after restart: $(tail -5 "$ev")"
  kill -0 "$kiosk" 2>/dev/null && ok "the kiosk never exited" || bad "the kiosk exited"
  grep -q '"event":"pcscd-available"' "$ev" && ok "the kiosk reports pcscd back" || bad "no pcscd-available"
  all=1
  for d in doc12.txt doc13.txt doc14.txt doc15.txt doc16.txt; do
    signed_once "$ev" "$d" || { all=0; bad "$d not signed exactly once"; }
    verified "$spool" "$d" "$ca" || { all=0; bad "$d: signature not verified"; }
  done
  [ "$all" = 1 ] && ok "each document signed exactly once across the pcscd restart, every signature verified"
  out_of_reader
  c2=$(counter_out)
  [ "$c2" = $((c1 + 5)) ] && ok "counter +5 exactly" || bad "counter $c1 → $c2"
  back_in
  [ "$(cut -d: -f1 "$spool/failed/doc01.txt.reason" 2>/dev/null)" = duplicate-name ] && [ "$(cat "$spool/done/doc01.txt")" = "document doc01.txt for the kiosk" ] &&
    ok "a second document named doc01.txt went to failed/ (duplicate-name); done/doc01.txt untouched" || bad "duplicate: $(listing "$spool/failed")"

  # ---- e: SIGTERM mid-queue --------------------------------------------------------------------------------
  queue "$spool" doc17.txt doc18.txt doc19.txt doc20.txt doc21.txt
  type_pins 0 2 123456
  wait_events "$ev" document-signed 17 && ok "doc17, doc18 signed" || bad "doc17, doc18: $(tail -3 "$ev")"
  wait_prompt 0 || bad "no prompt for doc19"
  idle_apdus=$(apdus 0)  # doc19 from here (the card's third document since it was inserted): the reader's VERIFY, then the host's
  kill -TERM "$kiosk"
  sleep 0.2
  sim_ctl keypad 0 type 123456 >/dev/null  # the holder finishes the PIN being typed
  t=$(date +%s%N)
  wait "$kiosk"; status=$?
  stop_ms=$(( ($(date +%s%N) - t) / 1000000 ))
  card_side=$(( $(apdus 0) - idle_apdus ))
  host_side=0
  host_side=$(grep '"event":"document-signed"' "$ev" | tail -1 | sed -n 's/.*"apdus":\([0-9]*\).*/\1/p')
  echo "# figure: APDUs per document on the card side once the card is held (qscd-sim ctl status, the keypad's VERIFY included): $card_side"
  [ "$card_side" = $((host_side + 1)) ] && ok "card-side APDUs = the host's count + the reader's VERIFY ($card_side): nothing else reaches the card" ||
    bad "card side $card_side APDUs, host side $host_side"
  [ "$card_side" -le 3 ] && ok "a held card signs a document in at most 3 APDUs ($card_side)" || bad "$card_side APDUs per document on a held card"
  [ "$status" = 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $status: $(tail -3 "$spool.log")"
  [ "$stop_ms" -lt 3000 ] && ok "... promptly (${stop_ms} ms after the PIN)" || bad "stop took ${stop_ms} ms"
  [ "$(listing "$spool/queue")" = ".doc11.txt doc20.txt doc21.txt " ] && ok "the document whose PIN was typed was finished; doc20, doc21 stay queued" ||
    bad "queue: $(listing "$spool/queue")"
  signed_once "$ev" doc19.txt && verified "$spool" doc19.txt "$ca" && ok "doc19 signed once and verified" || bad "doc19"
  [ -z "$(ls -A "$spool/done" | grep -vE '^doc[0-9]+\.txt(\.p7s)?$')" ] && ok "no half-written output" || bad "done: $(listing "$spool/done")"
  grep -q '"event":"stopped"' "$ev" && ok "the stopped event" || bad "no stopped event"
  # waiting for a card: stops at once, nothing touched
  sim_ctl remove 0 >/dev/null
  wait_card 0 absent
  start_kiosk "$spool" "$r0"
  wait_events "$ev" started 2 || bad "second kiosk not started"
  t=$(date +%s%N)
  kill -TERM "$kiosk"; wait "$kiosk"; status=$?
  stop_ms=$(( ($(date +%s%N) - t) / 1000000 ))
  [ "$status" = 0 ] && [ "$stop_ms" -lt 1500 ] && ok "SIGTERM while waiting for a card: exit 0 in ${stop_ms} ms" || bad "exit $status after ${stop_ms} ms"
  [ "$(listing "$spool/queue")" = ".doc11.txt doc20.txt doc21.txt " ] && ok "the queue is untouched" || bad "queue: $(listing "$spool/queue")"
  grep -q "qscd kiosk: doc01.txt signed" "$spool.log" && ok "one log line per event on stderr" || bad "log: $(head -5 "$spool.log")"
  grep -q '^<' "$spool.log" && bad "priority prefixes without JOURNAL_STREAM" || ok "plain log lines without JOURNAL_STREAM"
fi

if [ "$part" = cards ]; then
  # ---- c: keypad cancel, then keypad timeout ---------------------------------------------------------------
  spool="$QSCD_E2E_DIR/pad"
  queue "$spool" c1.txt c2.txt c3.txt
  ev="$spool.events"
  t0=$(tries "$r0")
  sim_ctl keypad 0 cancel >/dev/null
  JOURNAL_STREAM=8:1234 start_kiosk "$spool" "$r0" --pin-pad-required
  wait_events "$ev" document-failed 1 && ok "keypad cancel: the document failed" || bad "cancel: $(cat "$ev")"
  [ "$(cat "$spool/failed/c1.txt.reason" 2>/dev/null)" = "pin-pad-cancelled: cancelled on the PIN pad" ] &&
    [ -f "$spool/failed/c1.txt" ] && ok "c1.txt in failed/ with the reason 'pin-pad-cancelled: cancelled on the PIN pad'" || bad "failed/: $(listing "$spool/failed")"
  wait_events "$ev" card-refused 1 && ok "the card is not asked again until it is reinserted" || bad "no card-refused"
  sleep 0.5
  [ "$(listing "$spool/queue")" = "c2.txt c3.txt " ] && [ "$(count "$ev" document-started)" = 1 ] && ok "c2, c3 stay queued, not started" || bad "queue: $(listing "$spool/queue")"
  sim_ctl keypad 0 timeout >/dev/null
  sim_ctl remove 0 >/dev/null; sim_ctl insert 0 alice >/dev/null
  wait_events "$ev" document-failed 2 && ok "keypad timeout after reinsertion: the next document failed" || bad "timeout: $(cat "$ev")"
  [ "$(cat "$spool/failed/c2.txt.reason" 2>/dev/null)" = "pin-pad-timeout: nobody typed the PIN on the PIN pad in time" ] &&
    ok "c2.txt's reason: pin-pad-timeout" || bad "c2 reason: $(cat "$spool/failed/c2.txt.reason" 2>/dev/null)"
  out_of_reader
  t1=$(tries_out)
  [ "$t1" = "$t0" ] && ok "cancel and timeout cost no try ($t0 left)" || bad "tries $t0 → $t1"
  grep -q '^<4>qscd kiosk: c1.txt failed: cancelled on the PIN pad' "$spool.log" && grep -q '^<6>qscd kiosk: kiosk started' "$spool.log" &&
    ok "under journald (JOURNAL_STREAM) the lines carry sd-daemon priorities" || bad "log: $(cat "$spool.log")"

  # ---- d: an Estonian ID card (PIN2 from a descriptor) and an OpenPGP card (PIN pad), one kiosk per reader --
  expect 0 "qscd sim create --card estonian-id" -- "$qscd" sim create --card estonian-id --name est --holder "Mari Maasikas"
  sim_ctl remove 1 >/dev/null; wait_card 1 absent  # bob out for good before the kiosk can see the slot
  sim_ctl insert 1 est >/dev/null || bad "est not inserted"
  wait_card 1 present
  id_spool="$QSCD_E2E_DIR/id"
  queue "$id_spool" id1.pdf id2.pdf id3.pdf
  queue "$spool" c4.txt c5.txt
  printf '12345\n12345\n' >"$QSCD_E2E_DIR/pins"  # two PINs for three documents: one PIN per signature
  start_kiosk "$id_spool" "$r1" --pin-fd 3 3<"$QSCD_E2E_DIR/pins"
  type_pins 0 3 123456
  sim_ctl remove 0 >/dev/null; sim_ctl insert 0 alice >/dev/null  # the OpenPGP kiosk's card back in
  wait_events "$id_spool.events" document-signed 2 && ok "the ID-card kiosk signed two documents with two PINs" || bad "ID kiosk: $(cat "$id_spool.events")"
  wait_events "$id_spool.events" document-requeued 1 && grep '"event":"document-requeued"' "$id_spool.events" | grep -q '"code":"no-pin".*"name":"id3.pdf"' &&
    [ "$(listing "$id_spool/queue")" = "id3.pdf " ] && ok "the third waits in the queue: no PIN is kept from one signature to the next (no-pin)" ||
    bad "third document: $(tail -2 "$id_spool.events"); queue $(listing "$id_spool/queue")"
  wait_events "$ev" document-signed 3 && ok "the OpenPGP kiosk signed its queue (c3, c4, c5)" || bad "OpenPGP kiosk: $(tail -4 "$ev")"
  grep '"event":"card-inserted"' "$id_spool.events" | grep -q '"card_type":"Estonian ID card' && ok "the ID kiosk's event names the card type" || bad "card event: $(grep card-inserted "$id_spool.events")"
  all=1
  for d in id1.pdf id2.pdf; do verified "$id_spool" "$d" "$QSCD_SIM_DIR/test-pki/root.pem" || { all=0; bad "$d not verified"; }; done
  for d in c3.txt c4.txt c5.txt; do verified "$spool" "$d" "$ca" || { all=0; bad "$d not verified"; }; done
  [ "$all" = 1 ] && ok "both queues' signatures verify (qscd verify, openssl cms -verify)"
  grep -q '"event":"document-signed"' "$spool.events" && ! grep -q 'id[0-9].pdf' "$ev" && ! grep -q 'c[0-9].txt' "$id_spool.events" &&
    ok "each kiosk served only its own reader" || bad "kiosks crossed"
  expect 7 "a host PIN source is refused for QES in kiosk mode" -- "$qscd" kiosk --spool "$id_spool" --pin-fd 0 --level qes --dry-run
fi

finish
