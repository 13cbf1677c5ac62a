"""A front of either kind (worker/index.js under workerd, or devstack/gateway.py) started on its own
port, before any origins a test chooses: the stack's functions, or a hop in front of them."""
from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from devstack import workerd
from devstack.stack import wait_http

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["workerd", "python"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def front(kind: str, stack, tmp_path: Path, origins: dict, env: dict | None = None) -> Iterator[str]:
    """Start a front of `kind` on a free port; yields its URL. `env` overrides the stack's variables
    (ORIGIN_SECRET, MAX_UPLOAD_BYTES, ...) for the front alone."""
    if kind == "workerd" and not workerd.binary().exists():
        pytest.skip("workerd is not installed (./run setup)")
    origins_file = tmp_path / f"origins-{kind}.json"
    origins_file.write_text(json.dumps(origins))
    port, full_env = free_port(), {**stack.process_env(), **(env or {})}
    cmd = (workerd.command(stack.worker_config(tmp_path, port, origins_file, full_env)) if kind == "workerd" else
           [sys.executable, "-m", "devstack.gateway", "--port", str(port), "--origins", str(origins_file)])
    with open(tmp_path / f"front-{kind}.log", "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=full_env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"the {kind} front (front-{kind}.log in {tmp_path})", url + "/", proc, 30)
        yield url
    finally:
        proc.kill()
        proc.wait()
