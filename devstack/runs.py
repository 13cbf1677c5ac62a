"""Which runs of the stack's functions are still going, read from their log files as they grow.

A run that completed a job still writes for a moment after done (its cache entry, what the dish
knowledge learned). Stack.reset() waits here for those runs to end before it wipes the store: a wipe
before them would leave their writes in the next test's store.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

RUNNERS = ("run-scan-task", "run-scan-finalize", "scan-stream", "run-scan-watchdog")


class Runs:
    def __init__(self, log_path: Callable[[str], Path]):
        self._log_path = log_path
        self._offsets: dict[Path, int] = {}
        # job -> the function whose run claimed it last, until a run that completed it has ended
        self._going: dict[str, str] = {}

    def wait_ended(self, jobs: set[str], timeout_s: float) -> None:
        """Until no run in a function is still going on any of these jobs, or timeout_s has passed."""
        deadline = time.monotonic() + timeout_s
        while True:
            self._read()
            if not jobs & self._going.keys() or time.monotonic() > deadline:
                return
            time.sleep(0.05)

    def killed(self, name: str) -> None:
        """The function's process was stopped: its runs will write nothing more."""
        self._read()
        self._going = {job: runner for job, runner in self._going.items() if runner != name}

    def _read(self) -> None:
        # A claim is logged as its run starts; "run over" as its delivery ends (common/scan/run.py).
        for name in RUNNERS:
            for entry in self._read_on(self._log_path(name), b'"message": "'):
                message, job_id = entry.get("message"), str(entry.get("job_id"))
                if message == "claim" and entry.get("outcome") == "claimed":
                    self._going[job_id] = name
                elif message == "run over" and self._going.get(job_id) == name:
                    self._going.pop(job_id)

    def _read_on(self, path: Path, needle: bytes) -> list[dict]:
        """The JSON lines holding `needle` written to path since the last call (a line being written waits)."""
        if not path.exists():
            return []
        offset = self._offsets.get(path, 0)
        with open(path, "rb") as f:
            f.seek(offset)
            chunk = f.read()
        whole = chunk[:chunk.rfind(b"\n") + 1]
        self._offsets[path] = offset + len(whole)
        return [json.loads(line) for line in whole.splitlines() if line.startswith(b"{") and needle in line]
