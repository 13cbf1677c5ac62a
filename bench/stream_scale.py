"""How many event streams one events process holds, at what memory, while events keep flowing.

    .venv/bin/python bench/stream_scale.py [--streams 1000] [--rate 100] [--flow-s 60] [--json out.json]

Starts the local stack, creates one job per stream directly in Firestore (no model runs; this
process plays the run that appends events), opens one SSE stream per job straight to the events
function (the Worker is not in the local path), then appends status events to random jobs at
--rate per second for --flow-s, and finally done to every job. Prints:
- streams connected and streams that received every event exactly once, in order, ending in done;
- RSS of the events process (gunicorn master + its uvicorn worker): before any stream, with all
  streams open, and the peak while events flow;
- delivery (the commit's time in Firestore -> the frame read by the client) p50/p95/p99.
The client runs in this process on the same 2 cores, so the figures include its load.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common.core.settings import get_settings
from common.jobs.eventlog import EventLog
from tests.support import create_job

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (  # noqa: E402
    fake_model_stack,
    pct,
    report,
    use_stack_settings,
)
from devstack.stack import HOST, UPLOAD_BUCKET, stop_on_signals  # noqa: E402


def tree_rss_mib(pid: int) -> tuple[float, float]:
    """(RSS of pid and all its descendants, RSS of the largest one) in MiB, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, largest, todo = 0.0, 0.0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kib = int(line.split()[1])
                    total += kib / 1024
                    largest = max(largest, kib / 1024)
        except OSError:
            pass
    return total, largest


class Viewers:
    """N raw asyncio SSE clients: cheap enough that the client is not what is being measured."""

    def __init__(self, port: int):
        self.port = port
        self.received: dict[str, list[tuple[int, float]]] = {}
        self.done: set[str] = set()
        self.failed: dict[str, str] = {}
        self.connected = 0
        self.tokens: dict[str, str] = {}

    async def view(self, job_id: str) -> None:
        got = self.received.setdefault(job_id, [])
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port)
            writer.write(f"GET /api/v1/scan/jobs/{job_id}/events HTTP/1.1\r\nHost: {HOST}\r\n"
                         f"Authorization: Bearer {self.tokens[job_id]}\r\n"
                         "Accept: text/event-stream\r\n\r\n".encode())
            await writer.drain()
            status = await reader.readline()
            if b" 200 " not in status:
                self.failed[job_id] = status.decode(errors="replace").strip()
                return
            self.connected += 1
            event = None
            while True:
                line = await reader.readline()
                if not line:
                    break
                if line.startswith(b"id: "):
                    got.append((int(line[4:]), time.time()))
                elif line.startswith(b"event: "):
                    event = line[7:].strip()
                    if event == b"done":
                        self.done.add(job_id)
                        break
            writer.close()
        except Exception as exc:  # noqa: BLE001 - counted, not raised: one bad stream must not stop the run
            self.failed[job_id] = repr(exc)[:200]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100.0, help="events appended per second while flowing")
    ap.add_argument("--flow-s", type=float, default=60.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    stop_on_signals()

    stack = fake_model_stack(8200)
    with stack:
        use_stack_settings(stack)
        from common.jobs import lease, payloads

        events_pid = stack.procs["events"].pid
        idle_rss, _ = tree_rss_mib(events_pid)
        # The jobs, and this process as the run holding each one's lease.
        t0 = time.time()
        logs: dict[str, EventLog] = {}
        tokens: dict[str, str] = {}
        with ThreadPoolExecutor(16) as pool:
            def make(_):
                name = f"uploads/{os.urandom(16).hex()}.jpg"
                made = create_job(f"gs://{UPLOAD_BUCKET}/{name}")
                claim = lease.claim(made.job.job_id, "bench-writer", get_settings().run.lease_s)
                tokens[made.job.job_id] = made.access_token
                return made.job.job_id, claim.log
            logs = dict(pool.map(make, range(args.streams)))
        setup_s = time.time() - t0

        commit_time: dict[tuple[str, int], float] = {}

        def append(job_id: str, type_: str, data: dict) -> None:
            log = logs[job_id]
            seq = log.append(type_, data)
            commit_time[(job_id, seq)] = log.committed_at.timestamp()

        viewers = Viewers(stack.ports.function("events"))
        viewers.tokens = tokens
        loop = asyncio.new_event_loop()
        loop_thread = threading.Thread(target=loop.run_forever, daemon=True)
        loop_thread.start()
        t_connect = time.time()
        tasks = [asyncio.run_coroutine_threadsafe(viewers.view(j), loop) for j in logs]
        while viewers.connected + len(viewers.failed) < args.streams and time.time() - t_connect < 120:
            time.sleep(0.2)
        connect_s = time.time() - t_connect
        time.sleep(2.0)  # every stream has its replay (seq 1, 2) and is waiting
        open_rss, _ = tree_rss_mib(events_pid)

        peak_rss, flowing = open_rss, True

        def sample() -> None:
            nonlocal peak_rss
            while flowing:
                peak_rss = max(peak_rss, tree_rss_mib(events_pid)[0])
                time.sleep(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        job_ids = list(logs)
        sent = 0
        t_flow = time.time()
        with ThreadPoolExecutor(8) as pool:
            while time.time() - t_flow < args.flow_s:
                due = int((time.time() - t_flow) * args.rate)
                while sent < due:
                    target = random.choice(job_ids)
                    pool.submit(append, target, "status", payloads.status("analyzing", f"bench event {sent}", target))
                    sent += 1
                time.sleep(0.01)
        flow_s = time.time() - t_flow
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda j: append(j, "done", payloads.done("completed", j, {"elapsed_ms": 0})), job_ids))
        deadline = time.time() + 60
        while len(viewers.done) + len(viewers.failed) < args.streams and time.time() < deadline:
            time.sleep(0.2)
        flowing = False
        for t in tasks:
            t.cancel()
        loop.call_soon_threadsafe(loop.stop)

    complete = 0
    delivery = []
    for job_id, got in viewers.received.items():
        seqs = [s for s, _ in got]
        if job_id in viewers.done and seqs == list(range(1, logs[job_id].last_seq + 1)):
            complete += 1
        for s, t in got:
            c = commit_time.get((job_id, s))
            if c is not None:
                delivery.append(t - c)
    ms = lambda v: round(v * 1000, 1)  # noqa: E731
    res = {
        "benchmark": "stream_scale", "cores": os.cpu_count(), "streams": args.streams,
        "connected": viewers.connected, "failed": len(viewers.failed), "complete_in_order": complete,
        "connect_s": round(connect_s, 1), "setup_s": round(setup_s, 1),
        "events_appended": sent + len(job_ids), "flow_rate_per_s": round(sent / flow_s, 1),
        "rss_mib": {"no_streams": round(idle_rss, 1), "streams_open": round(open_rss, 1),
                    "peak_while_flowing": round(peak_rss, 1)},
        "delivery_ms": {"n": len(delivery), "p50": ms(pct(delivery, 50)), "p95": ms(pct(delivery, 95)),
                        "p99": ms(pct(delivery, 99)), "max": ms(max(delivery)) if delivery else None},
        "failures_sample": list(viewers.failed.values())[:3],
    }
    print(f"\nlocal stack, {os.cpu_count()} cores: {args.streams} streams on one events process, "
          f"{res['flow_rate_per_s']} events/s for {flow_s:.0f} s")
    print(f"connected {res['connected']} (in {res['connect_s']} s), failed {res['failed']}, "
          f"received every event once and in order: {complete}")
    print(f"RSS MiB: no streams {res['rss_mib']['no_streams']}, all open {res['rss_mib']['streams_open']}, "
          f"peak while flowing {res['rss_mib']['peak_while_flowing']}")
    print(f"delivery ms (commit -> client): p50 {res['delivery_ms']['p50']} p95 {res['delivery_ms']['p95']} "
          f"p99 {res['delivery_ms']['p99']} max {res['delivery_ms']['max']} (n={len(delivery)})")
    return report(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
