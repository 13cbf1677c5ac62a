"""What the phone waits for, on the local stack: job start, event delivery, pipeline overhead.

    .venv/bin/python bench/event_stream.py [--jobs 30] [--json out.json]

Starts the local stack with the fake Gemini answering at once, then runs jobs one after another as
the app does (signed upload, create job, open the event stream) and prints:
- job start: POST /scan/jobs sent -> first status event received by the SSE client;
- event delivery: event document stored (its Firestore create_time) -> frame received, for events
  stored while the client was already connected;
- pipeline overhead: POST /scan/jobs sent -> done received (instant model, 3 images);
and, in the same run, the same delivery figure for a polling reader (a Firestore query for
seq > last every second, as the original service streamed), with its queries per stream-minute.
Figures are wall-clock on one machine (client, emulators and functions share its clock).
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
    pct,
    report,
    unique_photo,
    use_stack_settings,
)
from devstack import menu_photos  # noqa: E402
from devstack.stack import stop_on_signals  # noqa: E402


def event_times(job_id: str) -> dict[int, float]:
    """seq -> the create_time (epoch seconds) of the document that stored it (seq 1: the job's own)."""
    from common.gcp import db
    from common.jobs import pages, store

    job = db.client().collection(store.JOBS).document(job_id).get()
    out = {ev.seq: job.create_time.timestamp() for ev in pages.decode_page(job.get("head"))}
    for snap in pages.pages_after(job_id, 0).stream():
        for ev in pages.decode_page(snap.get("events")):
            out[ev.seq] = snap.create_time.timestamp()
    return out


def run_job(http: httpx.Client, photo: bytes) -> dict:
    signed = http.post("/api/v1/uploads/signed-url", json={"content_type": "image/jpeg"}).json()
    httpx.put(signed["upload_url"], content=photo, headers=signed["headers"]).raise_for_status()
    t_post = time.time()
    body = http.post("/api/v1/scan/jobs", json={"gcs_uri": signed["gcs_uri"],
                                                "user_preferences": {"language": "en"}}).json()
    job_id, auth = body["job_id"], {"Authorization": f"Bearer {body['access_token']}"}
    received: dict[int, float] = {}
    t_open = None
    with http.stream("GET", f"/api/v1/scan/jobs/{job_id}/events", headers=auth, timeout=60) as r:
        t_open = time.time()
        seq, event = None, None
        for line in r.iter_lines():
            if line.startswith("id: "):
                seq = int(line[4:])
            elif line.startswith("event: "):
                event = line[7:]
            elif line == "" and seq is not None:
                received[seq] = time.time()
                if event == "done":
                    break
                seq = None
    stored = event_times(job_id)
    live = [received[s] - stored[s] for s in received if s in stored and stored[s] > t_open]
    return {"job_id": job_id, "job_start": received[1] - t_post, "overhead": received[max(received)] - t_post,
            "delivery": live, "events": len(received),
            # create_job stores seq 1; the run stores seq 2 once a trigger has reached run_scan and it claimed
            "trigger": stored[2] - stored[1], "run": stored[max(stored)] - stored[2]}


def polling_reader(job_id: str, interval_s: float, stop: threading.Event, out: dict) -> None:
    """The baseline: query events with seq > last every interval, as the original service did.

    It starts after seq 1, which the job's creation answer stands for (the job document holds it).
    """
    from common.jobs import pages

    last, queries, got = 1, 0, {}
    t0 = time.time()
    while not stop.is_set():
        queries += 1
        for snap in pages.pages_after(job_id, last).stream():
            for ev in pages.decode_page(snap.get("events")):
                if ev.seq not in got:
                    got[ev.seq] = time.time()
                    last = max(last, ev.seq)
        stop.wait(interval_s)
    out.update(received=got, queries=queries, seconds=time.time() - t0)


def run_polled_job(http: httpx.Client, photo: bytes, interval_s: float) -> dict:
    signed = http.post("/api/v1/uploads/signed-url", json={"content_type": "image/jpeg"}).json()
    httpx.put(signed["upload_url"], content=photo, headers=signed["headers"]).raise_for_status()
    body = http.post("/api/v1/scan/jobs", json={"gcs_uri": signed["gcs_uri"],
                                                "user_preferences": {"language": "en"}}).json()
    job_id, auth = body["job_id"], {"Authorization": f"Bearer {body['access_token']}"}
    t_open = time.time()
    stop, out = threading.Event(), {}
    reader = threading.Thread(target=polling_reader, args=(job_id, interval_s, stop, out))
    reader.start()
    deadline = time.time() + 60
    while time.time() < deadline:
        snap = http.get(f"/api/v1/scan/jobs/{job_id}", headers=auth).json()
        if snap["status"] in ("completed", "failed"):
            break
        time.sleep(0.2)
    time.sleep(interval_s * 1.5)  # let the poller see the last events
    stop.set()
    reader.join()
    stored = event_times(job_id)
    live = [out["received"][s] - stored[s] for s in out["received"] if s in stored and stored[s] > t_open]
    return {"delivery": live, "queries": out["queries"], "seconds": out["seconds"]}


def idle_polling_queries(interval_s: float, seconds: float) -> float:
    """Queries a polling stream makes per minute while nothing happens (each costs at least one read)."""
    stop, out = threading.Event(), {}
    t = threading.Thread(target=polling_reader, args=("no-such-job-idle", interval_s, stop, out))
    t.start()
    time.sleep(seconds)
    stop.set()
    t.join()
    return out["queries"] / out["seconds"] * 60


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=30)
    ap.add_argument("--poll-interval", type=float, default=1.0)
    ap.add_argument("--json")
    ap.add_argument("--explain-slow", action="store_true", help="print the function logs of the 3 slowest jobs")
    args = ap.parse_args()
    stop_on_signals()

    stack = fake_model_stack(8600)
    with stack:
        use_stack_settings(stack)
        http = httpx.Client(base_url=stack.gateway_url, timeout=30)
        page = menu_photos.render(menu_photos.menu("en-diner"))
        photos = (unique_photo(page, n) for n in range(10_000))  # distinct bytes: no cache hits
        for _ in range(2):
            run_job(http, next(photos))  # warm both run_scan instances; not counted
        ours = [run_job(http, next(photos)) for _ in range(args.jobs)]
        polled = [run_polled_job(http, next(photos), args.poll_interval) for _ in range(max(5, args.jobs // 3))]
        idle_qpm = idle_polling_queries(args.poll_interval, 20)
        if args.explain_slow:
            for r in sorted(ours, key=lambda r: -r["overhead"])[:3]:
                print(f"slow job {r['job_id']}: {r['overhead'] * 1000:.0f} ms")
                for name in ("run-scan-task", "run-scan-finalize", "create-job", "tasks", "relay"):
                    for line in stack.log_path(name).read_text(errors="replace").splitlines():
                        if r["job_id"] in line:
                            print(f"  {name}: {line[:300]}")

    ms = lambda v: round(v * 1000, 1)  # noqa: E731
    delivery = [d for r in ours for d in r["delivery"]]
    p_delivery = [d for r in polled for d in r["delivery"]]
    starts = [r["job_start"] for r in ours]
    overheads = [r["overhead"] for r in ours]
    triggers = [r["trigger"] for r in ours]
    runs = [r["run"] for r in ours]
    res = {
        "benchmark": "event_stream", "cores": os.cpu_count(), "jobs": args.jobs,
        "job_start_ms": {"p50": ms(pct(starts, 50)), "p95": ms(pct(starts, 95))},
        "delivery_ms": {"n": len(delivery), "p50": ms(pct(delivery, 50)), "p95": ms(pct(delivery, 95)),
                        "p99": ms(pct(delivery, 99))},
        "pipeline_overhead_ms": {"p50": ms(pct(overheads, 50)), "p95": ms(pct(overheads, 95))},
        "trigger_ms": {"p50": ms(pct(triggers, 50)), "p95": ms(pct(triggers, 95))},
        "run_ms": {"p50": ms(pct(runs, 50)), "p95": ms(pct(runs, 95))},
        "polling_baseline": {
            "interval_s": args.poll_interval, "n": len(p_delivery),
            "delivery_ms": {"p50": ms(pct(p_delivery, 50)), "p95": ms(pct(p_delivery, 95)),
                            "p99": ms(pct(p_delivery, 99))},
            "queries_per_stream_minute_idle": round(idle_qpm, 1),
        },
    }
    res["ratio_polling_over_ours_delivery_p50"] = round(pct(p_delivery, 50) / pct(delivery, 50), 1)
    print(f"\nlocal stack, {os.cpu_count()} cores, {args.jobs} jobs, instant fake model, 3 images each")
    print(f"{'figure':<44} {'p50':>8} {'p95':>8} {'p99':>8}")
    print(f"{'job start (POST -> first status at client)':<44} {res['job_start_ms']['p50']:>8} "
          f"{res['job_start_ms']['p95']:>8} {'':>8}")
    print(f"{'event delivery, ours (stored -> received)':<44} {res['delivery_ms']['p50']:>8} "
          f"{res['delivery_ms']['p95']:>8} {res['delivery_ms']['p99']:>8}")
    print(f"{'event delivery, polling every 1 s':<44} {res['polling_baseline']['delivery_ms']['p50']:>8} "
          f"{res['polling_baseline']['delivery_ms']['p95']:>8} {res['polling_baseline']['delivery_ms']['p99']:>8}")
    print(f"{'pipeline overhead (POST -> done at client)':<44} {res['pipeline_overhead_ms']['p50']:>8} "
          f"{res['pipeline_overhead_ms']['p95']:>8} {'':>8}")
    print(f"{'  of which: job stored -> run claimed it':<44} {res['trigger_ms']['p50']:>8} {res['trigger_ms']['p95']:>8}")
    print(f"{'  of which: claimed -> done stored':<44} {res['run_ms']['p50']:>8} {res['run_ms']['p95']:>8}")
    print(f"polling: {res['polling_baseline']['queries_per_stream_minute_idle']} queries per idle stream-minute "
          f"(ours: one Listen target per job, no queries while idle); delivery p50 ratio polling/ours "
          f"{res['ratio_polling_over_ours_delivery_p50']}x (ms)")
    return report(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
