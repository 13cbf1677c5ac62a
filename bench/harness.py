"""What the benchmarks share: the local stack with the instant fake model, the app's flow, the JSON report."""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path

import httpx

from devstack import menu_photos
from devstack.stack import Stack


def fake_model_stack(default_port: int) -> Stack:
    """A local stack whose run_scan uses the gemini engine against the fake Gemini (answers at once)."""
    stack = Stack(base_port=int(os.environ.get("STACK_PORT_BASE", str(default_port))), gemini_api_key="bench-key",
                  # Limits stay on (their Firestore cost is part of each request) but never bind: the
                  # benchmarks are one client address playing many phones.
                  extra_env={"ENGINE": "gemini", "RATE_UPLOAD_PER_MIN": "1000000", "RATE_JOB_PER_MIN": "1000000",
                             "RATE_STREAM_PER_MIN": "1000000", "RATE_BURST": "100000",
                             # every benchmark client is one address: the read limits would measure themselves
                             "RATE_READ_PER_MIN": "1000000", "RATE_READ_BURST": "100000",
                             "RATE_READ_MISS_PER_MIN": "1000000", "RATE_READ_MISS_BURST": "100000",
                             "MAX_OPEN_STREAMS_PER_CALLER": "0"})
    stack.gemini_base_url = stack.gemini_url
    return stack


@contextlib.contextmanager
def metered(stack: Stack):
    """Put a metering proxy (devstack/firestore_meter.py) between every function and Firestore, for
    the gRPC and the REST API; yields the meter. Enter it before the stack starts."""
    from devstack import firestore_meter
    from devstack.stack import HOST

    meter = firestore_meter.Meter()
    proxy = firestore_meter.serve(stack.ports.meter, f"{HOST}:{stack.ports.firestore}", meter)
    rest_proxy = firestore_meter.serve_rest(stack.ports.meter_rest, f"{HOST}:{stack.ports.firestore}", meter)
    stack.extra_env["FIRESTORE_EMULATOR_HOST"] = f"{HOST}:{stack.ports.meter}"
    stack.extra_env["FIRESTORE_EMULATOR_REST_HOST"] = f"{HOST}:{stack.ports.meter_rest}"
    try:
        yield meter
    finally:
        proxy.stop(0)
        rest_proxy.shutdown()


def use_stack_settings(stack: Stack) -> None:
    """Let this process read the stack's Firestore with the functions' own settings."""
    os.environ.update(stack.env())
    from common.core.settings import reset_settings

    reset_settings()


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def unique_photo(page, n: int) -> bytes:
    """The rendered page with a faint mark, so every job's bytes differ (no cache hits)."""
    from PIL import ImageDraw

    img = page.copy()
    ImageDraw.Draw(img).text((10, 10), f"#{n}", fill=(200, 200, 200))
    return menu_photos.jpeg(img, 80)


def start_job(http: httpx.Client, photo: bytes, more_pages: list[bytes] = ()) -> dict:
    """A new job made as the app makes it (signed URL, upload, create): its job_id, access_token, gcs_uri.
    With more_pages, a multi-page scan on v2 (gcs_uris), each page its own signed upload."""
    version = "v2" if more_pages else "v1"
    uris = []
    for page in (photo, *more_pages):
        signed = http.post(f"/api/{version}/uploads/signed-url", json={"content_type": "image/jpeg"}).json()
        httpx.put(signed["upload_url"], content=page, headers=signed["headers"]).raise_for_status()
        uris.append(signed["gcs_uri"])
    where = {"gcs_uris": uris} if more_pages else {"gcs_uri": uris[0]}
    body = http.post(f"/api/{version}/scan/jobs", json={**where, "user_preferences": {"language": "en"}}).json()
    return {"job_id": body["job_id"], "access_token": body["access_token"], "gcs_uri": uris[0]}


def watch(http: httpx.Client, job: dict, t0: float, timeout_s: float = 300) -> dict:
    """Read the job's events to done: seconds from t0 to the first dish, the whole menu and done; the
    partial menus, the whole menu's dish count, done's status and summary."""
    out = {"first_item_s": None, "menu_s": None, "done_s": None, "partials": 0, "status": None,
           "items_returned": 0, "summary": {}}
    event = None
    with http.stream("GET", f"/api/v1/scan/jobs/{job['job_id']}/events",
                     headers={"Authorization": f"Bearer {job['access_token']}"}, timeout=timeout_s) as r:
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event in ("menu_data", "done"):
                now, data = time.monotonic() - t0, json.loads(line[6:])
                if event == "menu_data":
                    if data.get("items") and out["first_item_s"] is None:
                        out["first_item_s"] = now
                    if data.get("is_partial"):
                        out["partials"] += 1
                    else:
                        out["menu_s"], out["items_returned"] = now, len(data["items"])
                else:
                    out["done_s"], out["status"], out["summary"] = now, data["status"], data.get("summary") or {}
                    break
    return out


def follow(http: httpx.Client, job: dict, stop: threading.Event | None = None) -> list[str]:
    """Read the job's event stream to done (or until stop is set); returns the event types received."""
    types = []
    with http.stream("GET", f"/api/v1/scan/jobs/{job['job_id']}/events",
                     headers={"Authorization": f"Bearer {job['access_token']}"}, timeout=120) as r:
        for line in r.iter_lines():
            if line.startswith("event: ") and line != "event: heartbeat":
                types.append(line[7:])
                if line == "event: done":
                    break
            if stop is not None and stop.is_set():
                break
    return types


def report(result: dict, json_path: str | None) -> int:
    """Print the figures as one JSON line (and to a file when asked); benchmarks always exit 0."""
    print(json.dumps(result))
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return 0
