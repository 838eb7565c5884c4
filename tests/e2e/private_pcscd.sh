#!/usr/bin/env bash
# Runs a command next to a private pcscd with the vsmartcard vpcd reader driver, isolated from the
# system, and tears everything down afterwards. The exit status is the command's.
#
#   tests/e2e/private_pcscd.sh [--slots N] [--debug] [--pinpad-driver LIB [--pinpad-name NAME]] -- COMMAND ARGS...
#
# --pinpad-driver LIB: pcscd gets qscd's simulated PIN-pad reader (simulator/ifd, libifdqscdpinpad.so;
# reader "QSCD PIN Pad", 2 slots, same ports and card protocol as vpcd) instead of vpcd.
# --pinpad-name NAME: that reader under another name (to play a reader model from the quirks table).
#
# Isolation (never touches a system pcscd, nothing outside the private dir is written):
#   * new mount, network and PID namespaces (unshare; as non-root inside a user namespace; fails
#     loudly when they are not available — the tests are never skipped);
#   * network: only a private loopback, so vpcd's listening sockets (35963 + slot, INADDR_ANY)
#     are unreachable from outside and cannot collide with a system vpcd;
#   * a private tmpfs over /run (pcscd 1.9.9 always uses /run/pcscd/pcscd.comm; /run/pcscd may not
#     exist on the host and must not be created there) and a private /etc/reader.conf.d holding
#     only the vpcd entry;
#   * everything the command writes belongs in $QSCD_E2E_DIR (a tmpfs); when the script ends the
#     PID namespace ends, so every process started inside (qscd-sim, gpg-agent, scdaemon) dies.
#
# Exported to COMMAND: QSCD_E2E_DIR (private temp dir), QSCD_PCSCD_PID, QSCD_VPCD_SLOTS,
# QSCD_VPCD_PORT (35963), QSCD_E2E_LIB (path of lib.sh, to source), QSCD_READER_NAME ("Virtual PCD",
# "QSCD PIN Pad" or the --pinpad-name).
# --debug: pcscd logs APDUs and debug messages to $QSCD_E2E_DIR/pcscd.log, printed at the end.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
die() { echo "private_pcscd: $*" >&2; exit 1; }

slots=2 debug=0 pinpad_driver= pinpad_name="QSCD PIN Pad"
args=("$@")
while [ $# -gt 0 ]; do
  case $1 in
    --slots) [ $# -ge 2 ] || die "--slots needs a number"; slots=$2; shift 2 ;;
    --debug) debug=1; shift ;;
    --pinpad-driver) [ $# -ge 2 ] || die "--pinpad-driver needs a path"; pinpad_driver=$2; shift 2 ;;
    --pinpad-name) [ $# -ge 2 ] || die "--pinpad-name needs a name"; pinpad_name=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -e/{/^#/p}' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (usage: private_pcscd.sh [--slots N] [--debug] [--pinpad-driver LIB [--pinpad-name NAME]] -- COMMAND ARGS...)" ;;
  esac
done
[ $# -gt 0 ] || die "no command given (usage: private_pcscd.sh [--slots N] [--debug] -- COMMAND ARGS...)"
case $slots in ''|*[!0-9]*) die "--slots must be a number" ;; esac

# ---- outside: re-exec in fresh namespaces ---------------------------------------------------
if [ "${QSCD_PRIVATE_PCSCD_INNER:-}" != 1 ]; then
  for tool in unshare pcscd ip mount dpkg; do
    command -v "$tool" >/dev/null || die "'$tool' not found; run: make deps (or bash cmake/deps.sh)"
  done
  # As root: plain namespaces. Otherwise: a user namespace where we are root (unprivileged user
  # namespaces), which is enough for private mounts, a private network and pcscd.
  userns=()
  [ "$(id -u)" = 0 ] || userns=(--user --map-root-user)
  if ! err=$(unshare "${userns[@]}" --mount --net --pid --fork --propagation private true 2>&1); then
    echo "private_pcscd: ERROR: cannot create mount/network/PID namespaces: $err" >&2
    echo "private_pcscd: the end-to-end tests need them (root, or unprivileged user namespaces, or a container" >&2
    echo "private_pcscd: started with CAP_SYS_ADMIN). They are NOT skipped: this is a failure." >&2
    exit 1
  fi
  # --kill-child: if we are killed (e.g. a CTest timeout), the namespace's init dies, and with it
  # every process in the namespace.
  exec unshare "${userns[@]}" --mount --net --pid --kill-child --mount-proc --propagation private \
    env QSCD_PRIVATE_PCSCD_INNER=1 bash "$self" "${args[@]}"
fi

# ---- inside: private network, /run, reader.conf.d; start pcscd ------------------------------
vpcd_lib=$(dpkg -L vsmartcard-vpcd 2>/dev/null | grep -E '/libifdvpcd\.so(\.[0-9.]+)?$' | head -1 || true)
[ -n "$vpcd_lib" ] && vpcd_lib=$(readlink -f "$vpcd_lib")
[ -n "$vpcd_lib" ] && [ -f "$vpcd_lib" ] || die "vpcd driver not found (package vsmartcard-vpcd); run: make deps"

ip link set lo up || die "cannot bring up the private loopback interface"

dir=$(mktemp -d "${TMPDIR:-/tmp}/qscd-e2e.XXXXXX")
mount -t tmpfs -o mode=0700 qscd-e2e "$dir" || die "cannot mount a tmpfs on $dir"
mkdir -p "$dir/reader.conf.d" "$dir/tmp"
reader_name="Virtual PCD"
if [ -n "$pinpad_driver" ]; then
  [ -f "$pinpad_driver" ] || die "PIN-pad driver '$pinpad_driver' not found"
  [ "$slots" -le 2 ] || die "the PIN-pad reader has 2 slots"
  reader_name=$pinpad_name
  cat > "$dir/reader.conf.d/qscd-pinpad" <<EOF
FRIENDLYNAME "$reader_name"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      $(readlink -f "$pinpad_driver")
EOF
else
  cat > "$dir/reader.conf.d/vpcd" <<EOF
FRIENDLYNAME "$reader_name"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      $vpcd_lib
CHANNELID    0x8C7B
EOF
fi
mount -t tmpfs -o mode=0755 qscd-e2e-run /run || die "cannot mount a private /run"
mkdir -p /run/pcscd
mount --bind "$dir/reader.conf.d" /etc/reader.conf.d || die "cannot bind-mount a private /etc/reader.conf.d"

pcscd_pid=
teardown() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  # Orderly first (qscd-sim removes its control socket; state files are replaced atomically anyway).
  if [ -f "$dir/qscd-sim.pid" ]; then kill -TERM "$(cat "$dir/qscd-sim.pid")" 2>/dev/null; fi
  [ -n "$pcscd_pid" ] && kill -TERM "$pcscd_pid" 2>/dev/null
  for _ in $(seq 50); do
    [ -n "$pcscd_pid" ] && kill -0 "$pcscd_pid" 2>/dev/null || break
    sleep 0.05
  done
  # Everything else still alive in our PID namespace (gpg-agent, scdaemon, ...).
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = 1 ] || [ "$p" = "$$" ] || kill -KILL "$p" 2>/dev/null
  done
  wait 2>/dev/null
  if [ "$debug" = 1 ] && [ -f "$dir/pcscd.log" ]; then
    echo "---- pcscd.log ----" >&2; cat "$dir/pcscd.log" >&2
  fi
  cd /
  umount "$dir" 2>/dev/null
  rmdir "$dir" 2>/dev/null
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pcscd_args=(--foreground)
[ "$debug" = 1 ] && pcscd_args+=(--debug --apdu)
pcscd "${pcscd_args[@]}" >"$dir/pcscd.log" 2>&1 &
pcscd_pid=$!

# Ready when its socket exists and vpcd listens on every slot's port.
ready=0
for _ in $(seq 200); do
  if [ -S /run/pcscd/pcscd.comm ]; then
    listening=$(ss -Hltn 2>/dev/null | awk '{print $4}')
    all=1
    for ((s = 0; s < slots; s++)); do
      grep -qE ":$((35963 + s))\$" <<<"$listening" || { all=0; break; }
    done
    [ "$all" = 1 ] && { ready=1; break; }
  fi
  kill -0 "$pcscd_pid" 2>/dev/null || break
  sleep 0.025
done
if [ "$ready" != 1 ]; then
  echo "private_pcscd: pcscd did not come up with $slots vpcd slot(s) listening; its log:" >&2
  cat "$dir/pcscd.log" >&2
  exit 1
fi

export QSCD_E2E_DIR="$dir" QSCD_PCSCD_PID="$pcscd_pid" QSCD_VPCD_SLOTS="$slots" QSCD_VPCD_PORT=35963
export QSCD_E2E_LIB="$here/lib.sh" TMPDIR="$dir/tmp" QSCD_READER_NAME="$reader_name"
unset QSCD_PRIVATE_PCSCD_INNER PCSCLITE_CSOCK_NAME
set +e
"$@"
status=$?
set -e
exit "$status"
