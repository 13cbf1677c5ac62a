"""The local stack itself: one command up, Ctrl-C down, nothing left running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support import ROOT



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
        deadline = time.monotonic() + 10
        while _processes_mentioning(f"{base + 10}") or _processes_mentioning(marker):
            assert time.monotonic() < deadline, _processes_mentioning(marker) + _processes_mentioning(f"{base + 10}")
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_gateway_answers_a_dead_upstream_with_a_json_502_and_logs_its_cause_without_the_query(stack, caplog):
    import asyncio
    import socket

    import httpx

    from devstack import gateway
    from devstack.stack import ENTRY_POINTS

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    app = gateway.build_app({name: dead for name in ENTRY_POINTS})  # every function the route table names

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
            return await c.get("/api/v1/scan/jobs/" + "0" * 32 + "/events", params={"access_token": "s3cret-token"})

    with caplog.at_level("WARNING", logger="gateway"):
        r = asyncio.run(call())
    assert r.status_code == 502 and r.json()["error"]["code"] == "BAD_GATEWAY"
    failed = [rec for rec in caplog.records if rec.getMessage() == "upstream failed"]
    assert failed and failed[0].fields["error"] == "ConnectError" and failed[0].fields["cause"]
    assert "s3cret-token" not in caplog.text and "s3cret-token" not in str(failed[0].fields)
