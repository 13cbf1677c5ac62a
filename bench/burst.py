"""A burst: N jobs created at once on the local stack; every one must reach done exactly once.

    .venv/bin/python bench/burst.py [--jobs 200] [--json out.json]

Uploads N distinct photos first (not timed), then creates the N jobs from 20 client threads at once
and watches the job documents until all are finished. Prints throughput (jobs/s), create->done
latency percentiles, and the checks: none lost (all finished), none failed, every job's events
gapless 1..last with exactly one done. The fake Gemini answers at once, so this measures the
platform: triggers, claims, Firestore, R2.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--json")
    args = ap.parse_args()
    stop_on_signals()
    stack = fake_model_stack(8400)
    with stack:
        use_stack_settings(stack)
        from common.gcp import db
        from common.jobs import pages, store

        http = httpx.Client(base_url=stack.gateway_url, timeout=60,
                            limits=httpx.Limits(max_connections=50, max_keepalive_connections=50))
        page = menu_photos.render(menu_photos.menu("en-diner"))

        def upload(n: int) -> str:
            signed = http.post("/api/v1/uploads/signed-url", json={"content_type": "image/jpeg"}).json()
            httpx.put(signed["upload_url"], content=unique_photo(page, n), headers=signed["headers"]).raise_for_status()
            return signed["gcs_uri"]

        with ThreadPoolExecutor(20) as pool:
            uris = list(pool.map(upload, range(args.jobs)))
        time.sleep(3)  # let the uploads' finalize events drain: they find no job yet and are acknowledged

        created: dict[str, float] = {}

        def create(uri: str) -> None:
            t = time.time()
            r = http.post("/api/v1/scan/jobs", json={"gcs_uri": uri, "user_preferences": {"language": "en"}})
            r.raise_for_status()
            created[r.json()["job_id"]] = t

        t0 = time.time()
        with ThreadPoolExecutor(20) as pool:
            list(pool.map(create, uris))
        t_created = time.time() - t0
        jobs_col = db.client().collection(store.JOBS)
        finished: dict[str, tuple[str, float]] = {}
        deadline = time.time() + args.timeout
        while len(finished) < len(created) and time.time() < deadline:
            for snap in jobs_col.where("status", "in", ["completed", "failed"]).stream():
                if snap.id in created and snap.id not in finished:
                    finished[snap.id] = (snap.get("status"), snap.update_time.timestamp())
            time.sleep(0.5)
        elapsed = max((t for _, t in finished.values()), default=time.time()) - t0
        bad_sequences = 0
        for job_id in created:
            snap = jobs_col.document(job_id).get()
            last = int(snap.get("last_seq") or 0)
            stored = pages.read_after(job_id, 0)
            seqs = [e.seq for e in stored]
            types = [e.type for e in stored]
            if seqs != list(range(1, last + 1)) or types.count("done") != 1 or types[-1:] != ["done"]:
                bad_sequences += 1
    latencies = [t - created[j] for j, (_, t) in finished.items()]
    res = {"benchmark": "burst", "cores": os.cpu_count(), "jobs": args.jobs, "create_s": round(t_created, 2),
           "all_done_s": round(elapsed, 2), "jobs_per_s": round(len(finished) / elapsed, 2) if elapsed else None,
           "finished": len(finished), "lost": args.jobs - len(finished),
           "failed": sum(1 for s, _ in finished.values() if s != "completed"), "bad_sequences": bad_sequences,
           "create_to_done_s": {"p50": round(pct(latencies, 50), 2), "p95": round(pct(latencies, 95), 2),
                                "max": round(max(latencies), 2) if latencies else None}}
    print(f"\nburst of {args.jobs} jobs on the local stack ({os.cpu_count()} cores, instant fake model)")
    print(f"created in {res['create_s']} s; all finished after {res['all_done_s']} s: {res['jobs_per_s']} jobs/s")
    print(f"finished {res['finished']}, lost {res['lost']}, failed {res['failed']}, bad event sequences "
          f"{res['bad_sequences']}; create->done p50 {res['create_to_done_s']['p50']} s, "
          f"p95 {res['create_to_done_s']['p95']} s, max {res['create_to_done_s']['max']} s")
    return report(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
