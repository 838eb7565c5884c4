#!/usr/bin/env python3
"""Runs a qscd command on a fresh pseudo-terminal (its controlling terminal, as a user's shell would
give it), waits for its PIN prompt, then interrupts it: Ctrl-C typed on the terminal (the line
discipline sends SIGINT) or a signal sent with kill. Prints what the test checks, one per line:

  prompt: <the prompt text>
  echo-at-prompt: off|on       terminal echo while the prompt waits
  exit: <code>|signal <n>      how the command ended
  echo-after: off|on           terminal echo after it ended
  output: <everything the command wrote to the terminal, one line>

usage: pin_prompt_pty.py ctrl-c|SIGTERM -- COMMAND ARGS...
"""
import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import time


def echo_state(fd):
    return "on" if termios.tcgetattr(fd)[3] & termios.ECHO else "off"


def read_until(master, done, seconds):
    seen = b""
    deadline = time.monotonic() + seconds
    while not done(seen) and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    how, command = sys.argv[1], sys.argv[3:]
    master, slave = os.openpty()

    def become_session_leader_on_the_pty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave,
                             preexec_fn=become_session_leader_on_the_pty, close_fds=True)
    seen = read_until(master, lambda s: b"PIN" in s and s.endswith(b": "), 30)
    prompt = seen.decode(errors="replace").strip().splitlines()[-1] if seen.strip() else ""
    print("prompt: " + prompt)
    time.sleep(0.2)  # the prompt is written just before echo goes off
    print("echo-at-prompt: " + echo_state(slave))
    if how == "ctrl-c":
        os.write(master, b"\x03")
    else:
        child.send_signal(getattr(signal, how))
    try:
        code = child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        code = child.wait()
    seen += read_until(master, lambda s: False, 0.3)
    print("exit: " + (str(code) if code >= 0 else "signal %d" % -code))
    print("echo-after: " + echo_state(slave))
    print("output: " + seen.decode(errors="replace").replace("\r", " ").replace("\n", " "))


if __name__ == "__main__":
    main()
