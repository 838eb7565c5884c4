# Helpers for commands run by tests/e2e/private_pcscd.sh. Source it:  . "$QSCD_E2E_LIB"
#
#   QSCD_SIM=/path/to/qscd-sim            (required)
#   start_sim STATE_DIR SLOT=TOKEN...     start `qscd-sim serve` (control socket in $QSCD_E2E_DIR) and
#                                         wait until pcscd reports every given card present
#   sim_ctl ARGS...                       `qscd-sim ctl ARGS...` against that server
#   wait_card SLOT present|absent [SECS]  wait until pcscd reports reader SLOT with / without a card
#   stop_sim                              SIGTERM the server and wait for it
#   restart_pcscd                         kill -9 the private pcscd and start it again (same config)
#   QSCD_SIM_VERBOSE=1                    start_sim logs every APDU header to $QSCD_SIM_LOG
#
# Waiting uses pcscd's own view (opensc-tool -l), never fixed sleeps; every wait is bounded.

: "${QSCD_E2E_DIR:?lib.sh: run under tests/e2e/private_pcscd.sh}"
QSCD_SIM_CONTROL="$QSCD_E2E_DIR/qscd-sim.sock"
QSCD_SIM_LOG="$QSCD_E2E_DIR/qscd-sim.log"
QSCD_SIM_PID=

sim_ctl() {
  "${QSCD_SIM:?set QSCD_SIM to the qscd-sim binary}" ctl --control "$QSCD_SIM_CONTROL" "$@"
}

# reader_line SLOT: the `opensc-tool -l` line of "Virtual PCD 00 0SLOT" (Card column: Yes/No); the
# reader is $QSCD_READER_NAME when private_pcscd.sh installed another driver (--pinpad-driver).
reader_line() {
  opensc-tool -l 2>/dev/null | grep -E "${QSCD_READER_NAME:-Virtual PCD} 00 0*$1\$" || true
}

wait_card() {
  local slot=$1 want=$2 secs=${3:-10} i line
  for ((i = 0; i < secs * 20; i++)); do
    line=$(reader_line "$slot")
    if [ "$want" = present ] && grep -qE '^[0-9]+ +Yes' <<<"$line"; then return 0; fi
    if [ "$want" = absent ] && [ -n "$line" ] && grep -qE '^[0-9]+ +No' <<<"$line"; then return 0; fi
    sleep 0.05
  done
  echo "lib.sh: slot $slot not $want after ${secs}s: '${line}'" >&2
  return 1
}

start_sim() {
  local state=$1; shift
  local args=() spec i
  for spec in "$@"; do args+=(--slot "$spec"); done
  "${QSCD_SIM:?set QSCD_SIM to the qscd-sim binary}" serve --state "$state" --control "$QSCD_SIM_CONTROL" \
    --slots "${QSCD_VPCD_SLOTS:-2}" ${QSCD_SIM_VERBOSE:+--verbose} "${args[@]}" >>"$QSCD_SIM_LOG" 2>&1 &
  QSCD_SIM_PID=$!
  echo "$QSCD_SIM_PID" >"$QSCD_E2E_DIR/qscd-sim.pid"
  for ((i = 0; i < 200; i++)); do
    sim_ctl status >/dev/null 2>&1 && break
    if ! kill -0 "$QSCD_SIM_PID" 2>/dev/null; then
      echo "lib.sh: qscd-sim exited; its log:" >&2; cat "$QSCD_SIM_LOG" >&2; return 1
    fi
    sleep 0.025
  done
  sim_ctl status >/dev/null || { cat "$QSCD_SIM_LOG" >&2; return 1; }
  for spec in "$@"; do wait_card "${spec%%=*}" present || return 1; done
}

stop_sim() {
  [ -n "$QSCD_SIM_PID" ] || return 0
  kill -TERM "$QSCD_SIM_PID" 2>/dev/null
  wait "$QSCD_SIM_PID" 2>/dev/null
  local status=$?
  QSCD_SIM_PID=
  rm -f "$QSCD_E2E_DIR/qscd-sim.pid"
  return "$status"
}

# restart_pcscd: kill -9 the private pcscd (a crash) and start it again with the same configuration
# (what systemd's Restart= does); waits until its socket is back and the reader driver listens on
# every slot's port again. QSCD_PCSCD_PID names the new one. The cards must be inserted again
# (sim_ctl remove/insert): their connections to the old reader driver died with it.
restart_pcscd() {
  local i
  kill -KILL "$QSCD_PCSCD_PID" 2>/dev/null
  for ((i = 0; i < 200; i++)); do  # gone, or a zombie its parent has not reaped yet
    [ "$(awk '{print $3}' "/proc/$QSCD_PCSCD_PID/stat" 2>/dev/null)" = "" ] && break
    [ "$(awk '{print $3}' "/proc/$QSCD_PCSCD_PID/stat" 2>/dev/null)" = Z ] && break
    sleep 0.025
  done
  rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
  pcscd --foreground >>"$QSCD_E2E_DIR/pcscd.log" 2>&1 &
  QSCD_PCSCD_PID=$!
  local listening s all
  for ((i = 0; i < 200; i++)); do
    if [ -S /run/pcscd/pcscd.comm ]; then
      listening=$(ss -Hltn 2>/dev/null | awk '{print $4}')
      all=1
      for ((s = 0; s < ${QSCD_VPCD_SLOTS:-2}; s++)); do
        grep -qE ":$((35963 + s))\$" <<<"$listening" || { all=0; break; }
      done
      [ "$all" = 1 ] && return 0
    fi
    sleep 0.025
  done
  echo "lib.sh: pcscd did not come back; its log:" >&2; tail -20 "$QSCD_E2E_DIR/pcscd.log" >&2
  return 1
}
