"""What a job costs in Firestore, counted on the wire, and what an idle stream costs, against polling.

    .venv/bin/python bench/firestore_cost.py [--jobs 10] [--idle-s 30] [--json out.json]

Starts the local stack with the fake Gemini answering at once, and puts a metering gRPC proxy
(devstack/firestore_meter.py) between every function and the Firestore emulator. Then:
- per job (3 images, 1 viewer, as the app does: signed upload, create job, open the event stream,
  read until done): billed document writes and reads, by collection, across all functions; each job
  a menu and dishes of its own (so no near-duplicate hint and no reused picture);
- a 3-page job (v2 gcs_uris; each page its own dishes), and a near-duplicate hit: a page read once,
  then a re-shot of it (the hint, and its three pictures reused), each counted the same way;
- an idle stream: the model is told to take longer than the window; reads counted during the
  window while one viewer waits, for our stream and, in the same run, for a reader that queries
  for seq > last every second (the original service's way).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from PIL import Image  # noqa: E402

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
from devstack import fake_menu, firestore_meter, menu_photos, menu_templates  # noqa: E402
from devstack.reshoot import reshoot  # noqa: E402
from devstack.stack import stop_on_signals  # noqa: E402


def delta(before: dict, after: dict) -> dict:
    out = {}
    for kind in ("reads", "writes"):
        out[kind] = {c: after[kind].get(c, 0) - before[kind].get(c, 0) for c in after[kind]}
        out[kind] = {c: n for c, n in out[kind].items() if n}
        out[kind[:-1] + "_total"] = sum(out[kind].values())
    return out


def counted(meter: firestore_meter.Meter, job) -> dict:
    """What running `job` (to done, plus a second for what lands after it) cost in Firestore."""
    before = meter.totals()
    types = job()
    time.sleep(1.0)  # the cache write, the index records and any late trigger land after done
    d = delta(before, meter.totals())
    d["events"] = len(types)
    return d


def figures(rows: list[dict]) -> dict:
    writes, reads = [j["write_total"] for j in rows], [j["read_total"] for j in rows]
    by_collection = lambda kind: {c: round(sum(j[kind].get(c, 0) for j in rows) / len(rows), 2)  # noqa: E731
                                  for c in sorted({c for j in rows for c in j[kind]})}
    return {"writes": {"p50": pct(writes, 50), "max": max(writes)}, "reads": {"p50": pct(reads, 50), "max": max(reads)},
            "events": pct([j["events"] for j in rows], 50), "writes_by_collection_mean": by_collection("writes"),
            "reads_by_collection_mean": by_collection("reads")}


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
    ap.add_argument("--extra-jobs", type=int, default=3, help="3-page jobs and near-duplicate hits, each")
    ap.add_argument("--json")
    args = ap.parse_args()
    stop_on_signals()

    stack = fake_model_stack(8300)
    # The watchdog's sweep (four queries a minute, one read each when they find nothing) is the
    # deployment's, not a stream's: kept out of the windows measured here.
    stack.watchdog_every_s = 3600.0
    with metered(stack) as meter:
        with stack:
            use_stack_settings(stack)  # this process's own queries (the polling reader) are metered too
            http = httpx.Client(base_url=stack.gateway_url, timeout=30)
            # Each job another menu (no near-duplicate hint) with dishes of its own (no reused picture).
            photos = (unique_photo(menu_photos.render(menu_photos.MENUS[n % len(menu_photos.MENUS)]), n)
                      for n in range(10_000))
            dishes = (httpx.post(f"{stack.gemini_url}/_control/menu", json={"dishes": fake_menu.synthetic_menu(
                6, 1000 + 10 * n)}) for n in range(10_000))
            for _ in range(2):  # warm both run_scan instances and the events feed; not counted
                next(dishes)
                follow(http, start_job(http, next(photos)))
            time.sleep(1.0)
            per_job = []
            for _ in range(args.jobs):
                next(dishes)
                per_job.append(counted(meter, lambda: follow(http, start_job(http, next(photos)))))
            three_pages = []
            for _ in range(args.extra_jobs):
                pages = [next(photos) for _ in range(3)]
                sizes = [Image.open(io.BytesIO(p)).size for p in pages]
                httpx.post(f"{stack.gemini_url}/_control/pages", json={"pages": {
                    f"{w}x{h}": {"items": 6, "first": 2000 + 10 * k} for k, (w, h) in enumerate(sizes)}})
                three_pages.append(counted(meter, lambda: follow(http, start_job(http, pages[0], pages[1:]))))
            hits = []
            for n in range(args.extra_jobs):
                original = menu_templates.render(menu_templates.TEMPLATES[6 + n], 300 + n)[0]
                next(dishes)
                follow(http, start_job(http, reshoot(original, 1)))  # read once: what the re-shot finds
                time.sleep(1.0)
                hits.append(counted(meter, lambda: follow(http, start_job(http, reshoot(original, 2)))))

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
            polling_rpm = polling_reads(job["job_id"], min(args.idle_s, 20.0), meter)
            stop.set()

    res = {
        "benchmark": "firestore_cost", "cores": os.cpu_count(), "jobs": args.jobs,
        "per_job": figures(per_job), "three_page_job": figures(three_pages), "near_duplicate_hit": figures(hits),
        "idle_stream": {"window_s": args.idle_s, "ours_reads_per_minute": round(ours_idle_rpm, 2),
                        "ours_writes_in_window": idle["writes"], "ours_reads_in_window": idle["reads"],
                        "polling_reads_per_minute": round(polling_rpm, 1)},
    }
    print(f"\nlocal stack, {os.cpu_count()} cores, {args.jobs} jobs (3 images, 1 viewer), metered at the wire")
    for name, key in (("per job", "per_job"), ("3-page job", "three_page_job"),
                      ("near-duplicate hit", "near_duplicate_hit")):
        row = res[key]
        print(f"{name:<34} {'p50':>6} {'max':>6}   mean by collection")
        print(f"{'  document writes':<34} {row['writes']['p50']:>6} {row['writes']['max']:>6}   "
              f"{row['writes_by_collection_mean']}")
        print(f"{'  document reads':<34} {row['reads']['p50']:>6} {row['reads']['max']:>6}   "
              f"{row['reads_by_collection_mean']}")
        print(f"{'  events received by the viewer':<34} {row['events']:>6}")
    print(f"idle stream, {args.idle_s:.0f} s window: ours {res['idle_stream']['ours_reads_per_minute']} reads/min; "
          f"polling every 1 s {res['idle_stream']['polling_reads_per_minute']} reads/min")
    return report(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
