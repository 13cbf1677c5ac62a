"""The local stack itself: one command up, Ctrl-C down, nothing left running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT, eventually


def _processes_mentioning(text: str) -> list[str]:
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd and int(pid) != os.getpid():
            out.append(f"{pid}: {cmd[:120]}")
    return out


def test_ctrl_c_on_the_stack_command_stops_every_process_it_started():
    base = int(os.environ.get("STACK_PORT_BASE", "8800")) + 150  # clear of the test stacks at +100, +200, +300
    env = {**os.environ, "STACK_PORT_BASE": str(base), "PYTHONPATH": str(ROOT)}
    env.pop("GEMINI_API_KEY", None)
    proc = subprocess.Popen([sys.executable, "-m", "devstack", "up"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        first = proc.stdout.readline()
        assert first.startswith("stack up in"), first + proc.stdout.read()
        marker = f"127.0.0.1:{base + 1}"  # the Firestore emulator's address, in its command line
        assert _processes_mentioning(marker)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        def left() -> list[str]:
            return _processes_mentioning(marker) + _processes_mentioning(f"{base + 10}")

        eventually(lambda: not left(), timeout_s=10, every_s=0.2, what=lambda: f"every process to stop: {left()}")
    finally:
        if proc.poll() is None:
            proc.kill()
