"""Cold start per deployed entry point: process start -> first 200, as a new Cloud Run instance pays it.

    .venv/bin/python bench/cold_start.py [--runs 5] [--json out.json]

Starts the local stack once (so settings and emulators are real), then for each entry point starts
a fresh functions-framework process with the same environment, times until /health answers 200,
and stops it; `--runs` times each, reported as median and max. Runs go round-robin over the entry
points, so a noisy minute on a shared machine spreads over all of them. Two empty functions (one
Flask, one ASGI) give the platform's floor in the same run: what functions-framework, gunicorn or
uvicorn cost before any code of ours. For signed-url, create-job and events it also times the first
real answer (a signed URL, a job created, a job's snapshot), which pays whatever /health does not
load: a client's channel, a lazy import. Also prints the import time of the heavy libraries each
function may load, measured in fresh interpreters.

Every entry point is timed with tracing off (TRACE_EXPORTER=none: the SDK is never imported) and on
(TRACE_EXPORTER=file: the SDK, its instrumentations and an exporter, as in production but for the
exporter's module, whose import is timed on its own), interleaved in one run.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.harness import fake_model_stack, follow, report, start_job  # noqa: E402
from devstack import menu_photos  # noqa: E402
from devstack.stack import (  # noqa: E402
    ENTRY_POINTS,
    HOST,
    ROOT,
    VENV_BIN,
    stop_on_signals,
)

EMPTY = {  # the platform floor: functions-framework serving a function that imports nothing
    "empty-flask": ("import functions_framework\n\n\n@functions_framework.http\ndef empty(request):\n"
                    "    return 'ok'\n"),
    "empty-asgi": ("import functions_framework.aio\nfrom starlette.responses import Response\n\n\n"
                   "@functions_framework.aio.http\nasync def empty(request):\n    return Response('ok')\n"),
}
TARGETS = {"signed-url": 0.5, "create-job": 0.9, "events": 0.9, "run-scan-task": 1.6, "run-scan-finalize": 1.6,
           "scan-stream": 1.6}
IMPORTS = ["google.cloud.firestore", "google.cloud.storage", "google.cloud.tasks_v2", "google.genai", "boto3", "PIL.Image",
           "functions_framework", "opentelemetry.sdk.trace", "opentelemetry.instrumentation.grpc",
           "opentelemetry.exporter.cloud_trace"]
MODES = ("off", "on")  # tracing


def cold_start(name: str, env: dict, port: int, empty_dir: Path, job: dict) -> tuple[float, float | None]:
    """(seconds to the first 200 on /health, and seconds to the first real answer where one is timed)."""
    if name in EMPTY:
        source, target, path = empty_dir / f"{name}.py", "empty", "/"
    else:
        folder, target = ENTRY_POINTS[name]
        source, path = ROOT / "functions" / folder / "main.py", "/health"
    sig = "cloudevent" if name == "run-scan-finalize" else "http"
    _wait_port_free(port)  # else a lingering worker of the last run could answer for this one
    errors = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(VENV_BIN / "functions-framework"), "--source", str(source),
                             "--target", target, "--signature-type", sig, "--host", HOST, "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
    deadline = t0 + 60
    try:
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                errors.seek(0)
                raise RuntimeError(f"{name} exited: {errors.read().decode(errors='replace')[-500:]}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=2) as r:
                    if r.status == 200:
                        ready = time.perf_counter() - t0
                        first = _first_answer(name, port, job, env["ORIGIN_SECRET"]) if name in FIRST_ANSWERS else None
                        return ready, (first - t0 if first is not None else None)
            except urllib.error.HTTPError:
                # A CloudEvent function has no /health route: any HTTP answer means it is serving.
                if name == "run-scan-finalize":
                    return time.perf_counter() - t0, None
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"{name} did not answer within 60 s")
    finally:
        # The whole process group: gunicorn's worker must not outlive its master on our port.
        for sig_ in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig_)
                proc.wait(5)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        errors.close()


def _wait_port_free(port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
        except OSError:
            return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} is still taken after {timeout_s} s")


FIRST_ANSWERS = {  # entry point -> (what the first real request is, its expected status)
    "signed-url": ("first signed URL", 200),
    "create-job": ("first job created", 201),
    "events": ("first snapshot", 200),
}


def _first_answer(name: str, port: int, job: dict, origin_secret: str) -> float:
    """When the first real answer is out: /health loads nothing lazily, a request may."""
    base = f"http://{HOST}:{port}"
    via_worker = {"X-Origin-Secret": origin_secret}  # public functions answer only what the Worker passes on
    if name == "signed-url":
        req = urllib.request.Request(f"{base}/api/v1/uploads/signed-url", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json", **via_worker})
    elif name == "create-job":  # the photo is uploaded already, so the job runs (from the cache) and ends
        req = urllib.request.Request(f"{base}/api/v1/scan/jobs", data=json.dumps({"gcs_uri": job["gcs_uri"]}).encode(),
                                     method="POST", headers={"Content-Type": "application/json", **via_worker})
    else:
        req = urllib.request.Request(f"{base}/api/v1/scan/jobs/{job['job_id']}",
                                     headers={"Authorization": f"Bearer {job['access_token']}", **via_worker})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == FIRST_ANSWERS[name][1], r.status
    return time.perf_counter()


def import_time(module: str) -> float:
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    stop_on_signals()
    stack = fake_model_stack(8500)
    names = [*EMPTY, *ENTRY_POINTS]
    times: dict[tuple[str, str], list[float]] = {(n, m): [] for n in names for m in MODES}
    # process start -> first real answer
    firsts: dict[tuple[str, str], list[float]] = {(n, m): [] for n in FIRST_ANSWERS for m in MODES}
    with stack, tempfile.TemporaryDirectory() as empty_dir:
        for name, code in EMPTY.items():
            Path(empty_dir, f"{name}.py").write_text(code)
        env = {"off": {**os.environ, **stack.env(), "TRACE_EXPORTER": "none"},
               "on": {**os.environ, **stack.env(), "TRACE_EXPORTER": "file", "TRACE_DIR": str(Path(empty_dir, "spans"))}}
        port = stack.base_port + 40
        with httpx.Client(base_url=stack.gateway_url, timeout=30) as http:  # a scanned job to ask about
            job = start_job(http, menu_photos.jpeg(menu_photos.render(menu_photos.menu("en-diner")), 80))
            follow(http, job)
        for _ in range(args.runs):
            for name in names:
                for mode in MODES if name not in EMPTY else ("off",):
                    ready, answered = cold_start(name, env[mode], port, Path(empty_dir), job)
                    times[name, mode].append(ready)
                    if answered is not None:
                        firsts[name, mode].append(answered)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    floor = {"flask": med["empty-flask", "off"], "asgi": med["empty-asgi", "off"]}
    rows = []
    for name in names:
        base = floor["asgi" if name in ("events", "empty-asgi") else "flask"]
        on = med.get((name, "on"))
        rows.append({"entry_point": name, "median_s": round(med[name, "off"], 3),
                     "max_s": round(max(times[name, "off"]), 3), "above_floor_s": round(med[name, "off"] - base, 3),
                     "tracing_median_s": round(on, 3) if on is not None else None,
                     "tracing_max_s": round(max(times[name, "on"]), 3) if on is not None else None,
                     "tracing_ratio": round(on / med[name, "off"], 2) if on is not None else None,
                     "target_s": TARGETS.get(name)})
    imports = {m: round(statistics.median(import_time(m) for _ in range(3)), 3) for m in IMPORTS}
    print(f"\ncold start, process start -> first 200 on /health; {args.runs} runs each; {os.cpu_count()} cores")
    print(f"{'entry point':<20} {'median s':>9} {'max s':>7} {'above floor s':>14} {'tracing on s':>13} "
          f"{'on/off':>7} {'target s':>9}")
    for r in rows:
        print(f"{r['entry_point']:<20} {r['median_s']:>9} {r['max_s']:>7} {r['above_floor_s']:>14} "
              f"{r['tracing_median_s'] if r['tracing_median_s'] is not None else '-':>13} "
              f"{r['tracing_ratio'] if r['tracing_ratio'] is not None else '-':>7} "
              f"{r['target_s'] if r['target_s'] is not None else '-':>9}")
    print("floor: the same server running an empty function (events against the ASGI one, the rest Flask)")
    first = {f"{n} (tracing {m})": {"what": FIRST_ANSWERS[n][0], "median_s": round(statistics.median(t), 3),
                                    "max_s": round(max(t), 3), "runs_s": [round(x, 3) for x in t]}
             for (n, m), t in firsts.items()}
    for n, f in first.items():
        print(f"{n}, process start -> {f['what']} answered: median {f['median_s']} s (max {f['max_s']} s)")
    print("import alone, median of 3 fresh interpreters: " + ", ".join(f"{m} {t} s" for m, t in imports.items()))
    out = {"benchmark": "cold_start", "cores": os.cpu_count(), "runs": args.runs, "entry_points": rows,
           "first_answer": first, "imports_s": imports}
    return report(out, args.json)


if __name__ == "__main__":
    sys.exit(main())
