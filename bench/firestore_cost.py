"""What a job costs in Firestore, counted on the wire, and what an idle stream costs, against polling.

    .venv/bin/python bench/firestore_cost.py [--jobs 10] [--idle-s 30] [--json out.json]

Starts the local stack with the fake Gemini answering at once, and puts a metering gRPC proxy
(devstack/firestore_meter.py) between every function and the Firestore emulator. Then:
- per job (3 images, 1 viewer, as the app does: signed upload, create job, open the event stream,
  read until done): billed document writes and reads, by collection, across all functions;
- an idle stream: the model is told to take longer than the window; reads counted during the
  window while one viewer waits, for our stream and, in the same run, for a reader that queries
  for seq > last every second (the original service's way).
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.harness import (  # noqa: E402
    fake_model_stack,
    follow,
    metered,
    pct,
    report,
    start_job,
    unique_photo,
    use_stack_settings,
)
from devstack import firestore_meter, menu_photos  # noqa: E402
from devstack.stack import stop_on_signals  # noqa: E402


def delta(before: dict, after: dict) -> dict:
    out = {}
    for kind in ("reads", "writes"):
        out[kind] = {c: after[kind].get(c, 0) - before[kind].get(c, 0) for c in after[kind]}
        out[kind] = {c: n for c, n in out[kind].items() if n}
        out[kind[:-1] + "_total"] = sum(out[kind].values())
    return out


def polling_reads(job_id: str, seconds: float, meter: firestore_meter.Meter) -> float:
    """Reads per minute of a reader querying pages with seq > last every second."""
    from common.jobs import pages

    before = meter.totals()["read_total"]
    t0, last = time.time(), 1  # seq 1 is on the job document, which the reader got at creation
    while time.time() - t0 < seconds:
        for snap in pages.pages_after(job_id, last).stream():
            last = max(last, int(snap.get("last_seq")))
        time.sleep(1.0)
    return (meter.totals()["read_total"] - before) / (time.time() - t0) * 60


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=10)
    ap.add_argument("--idle-s", type=float, default=30.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    stop_on_signals()

    stack = fake_model_stack(8300)
    with metered(stack) as meter:
        with stack:
            use_stack_settings(stack)  # this process's own queries (the polling reader) are metered too
            http = httpx.Client(base_url=stack.gateway_url, timeout=30)
            page = menu_photos.render(menu_photos.menu("en-diner"))
            photos = (unique_photo(page, n) for n in range(10_000))
            for _ in range(2):  # warm both run_scan instances and the events feed; not counted
                follow(http, start_job(http, next(photos)))
            time.sleep(1.0)
            per_job = []
            for _ in range(args.jobs):
                before = meter.totals()
                types = follow(http, start_job(http, next(photos)))
                time.sleep(1.0)  # the cache write and any late trigger land after done
                d = delta(before, meter.totals())
                d["events"] = len(types)
                per_job.append(d)

            # Idle: the model takes longer than the window, so one viewer waits with nothing to receive.
            httpx.post(f"{stack.gemini_url}/_control/script",
                       json={"kind": "menu", "responses": [{"delay_s": args.idle_s + 15}]})
            job = start_job(http, next(photos))
            stop = threading.Event()
            viewer = threading.Thread(target=follow, args=(http, job, stop), daemon=True)
            viewer.start()
            time.sleep(5.0)  # past the claim, the analyzing status and the viewer's replay
            before = meter.totals()
            time.sleep(args.idle_s)
            idle = delta(before, meter.totals())
            ours_idle_rpm = idle["read_total"] / args.idle_s * 60
            polling_rpm = polling_reads(job.job_id, min(args.idle_s, 20.0), meter)
            stop.set()

    writes = [j["write_total"] for j in per_job]
    reads = [j["read_total"] for j in per_job]
    by_collection = lambda kind: {c: round(sum(j[kind].get(c, 0) for j in per_job) / len(per_job), 2)  # noqa: E731
                                  for c in sorted({c for j in per_job for c in j[kind]})}
    res = {
        "benchmark": "firestore_cost", "cores": os.cpu_count(), "jobs": args.jobs,
        "per_job": {"writes": {"p50": pct(writes, 50), "max": max(writes)},
                    "reads": {"p50": pct(reads, 50), "max": max(reads)},
                    "events": pct([j["events"] for j in per_job], 50),
                    "writes_by_collection_mean": by_collection("writes"),
                    "reads_by_collection_mean": by_collection("reads")},
        "idle_stream": {"window_s": args.idle_s, "ours_reads_per_minute": round(ours_idle_rpm, 2),
                        "ours_writes_in_window": idle["writes"],
                        "polling_reads_per_minute": round(polling_rpm, 1)},
    }
    print(f"\nlocal stack, {os.cpu_count()} cores, {args.jobs} jobs (3 images, 1 viewer), metered at the wire")
    print(f"{'per job':<34} {'p50':>6} {'max':>6}   mean by collection")
    print(f"{'  document writes':<34} {res['per_job']['writes']['p50']:>6} {res['per_job']['writes']['max']:>6}   "
          f"{res['per_job']['writes_by_collection_mean']}")
    print(f"{'  document reads':<34} {res['per_job']['reads']['p50']:>6} {res['per_job']['reads']['max']:>6}   "
          f"{res['per_job']['reads_by_collection_mean']}")
    print(f"{'  events received by the viewer':<34} {res['per_job']['events']:>6}")
    print(f"idle stream, {args.idle_s:.0f} s window: ours {res['idle_stream']['ours_reads_per_minute']} reads/min; "
          f"polling every 1 s {res['idle_stream']['polling_reads_per_minute']} reads/min")
    return report(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
