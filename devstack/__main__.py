"""python -m devstack up | scan [PHOTO] [--language 繁體中文] [--keep] | trace JOB_ID"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time

import httpx

from devstack import menu_photos, waterfall
from devstack.stack import Stack, stop_on_signals


def _engine_env(stack: Stack, engine: str = "auto") -> str:
    key = os.environ.get("GEMINI_API_KEY", "")
    if engine == "fake-gemini":
        stack.gemini_api_key = "local-fake-key"
        stack.gemini_base_url = stack.gemini_url
        stack.extra_env["ENGINE"] = "gemini"
        return f"gemini engine against the LOCAL FAKE Gemini server at {stack.gemini_url} (canned menu)"
    if key and engine in ("auto", "gemini"):
        stack.gemini_api_key = key
        return "gemini (real API: GEMINI_API_KEY is set)"
    stack.extra_env["ENGINE"] = "local"
    return "local (offline: on-machine OCR and the bundled dish list; no GEMINI_API_KEY)"


def _cli_stack() -> Stack:
    """A stack for a person at the terminal: its spans go to .traces/ (emptied), where ./run trace looks."""
    shutil.rmtree(waterfall.DEFAULT_DIR, ignore_errors=True)
    return Stack(trace_dir=waterfall.DEFAULT_DIR)


def scan(args) -> int:
    stack = _cli_stack()
    engine = _engine_env(stack, args.engine)
    print(f"starting the local stack (ports from {stack.base_port}) ...", flush=True)
    with stack:
        print(f"stack up in {stack.started_in_s:.1f} s; origin {stack.gateway_url} ({_front(stack)}); engine: {engine}",
              flush=True)
        photo = open(args.photo, "rb").read() if args.photo else menu_photos.sample_photo()
        from common.scan.photos import sniff

        ctype = sniff(photo) or "image/jpeg"
        http = httpx.Client(base_url=stack.gateway_url, timeout=60)
        t0 = time.monotonic()
        signed = http.post("/api/v1/uploads/signed-url", json={"content_type": ctype}).raise_for_status().json()
        httpx.put(signed["upload_url"], content=photo, headers=signed["headers"]).raise_for_status()
        print(f"uploaded {len(photo)} bytes to {signed['gcs_uri']} through a signed URL", flush=True)
        job = http.post("/api/v1/scan/jobs", json={"gcs_uri": signed["gcs_uri"],
                                                    "user_preferences": {"language": args.language}})
        job.raise_for_status()
        job_id = job.json()["job_id"]
        # As the shipped app reads it: /api/v1, by the job id alone, no token.
        print(f"job {job_id} (language {args.language!r} read as {job.json()['language']!r}); events:", flush=True)
        menu, images, done = [], [], None
        with http.stream("GET", f"/api/v1/scan/jobs/{job_id}/events",
                         headers={"Accept": "text/event-stream", "Accept-Charset": "utf-8"}) as r:
            event = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event != "heartbeat":
                    data = json.loads(line[6:])
                    print(f"  +{time.monotonic() - t0:6.2f}s {event}: {json.dumps(data, ensure_ascii=False)[:160]}",
                          flush=True)
                    if event == "menu_data":
                        menu = data["items"]  # every menu_data, partial or whole, holds all dishes so far
                    elif event == "image_update" and data["image_status"] != "generating":
                        images.append(data)
                    elif event == "done":
                        done = data
                        break
        print("\nmenu:")
        for item in menu:
            star = "★" if item["is_top3"] else " "
            print(f"  {star} {item['original_name']} → {item['translated_name']}  {item.get('price') or ''}  "
                  f"{','.join(item['tags'] + item.get('allergens', []))}")
            if item.get("description"):
                print(f"      {item['description']}")
        print("\nimages:")
        for img in images:
            ok = ""
            if img["image_url"]:
                resp = httpx.get(img["image_url"])
                ok = f"({resp.status_code} {resp.headers.get('content-type')}, {len(resp.content)} bytes)"
            print(f"  {img['item_id']}: {img['image_status']} {img['image_url'] or ''} {ok}")
        print(f"\ndone: {json.dumps(done, ensure_ascii=False)}")
        print(f"\ntimeline (./run trace {job_id}):\n{_timeline(stack, job_id)}", flush=True)
        if args.keep:
            print(f"\nthe stack stays up at {stack.gateway_url}; the page: {stack.gateway_url}/; Ctrl-C stops it",
                  flush=True)
            _wait_for_signal()
        return 0 if done and done["status"] == "completed" else 1


def _timeline(stack: Stack, job_id: str, wait_s: float = 5.0) -> str:
    """The job's waterfall, once its run's span is written (it ends just after done is stored)."""
    deadline = time.monotonic() + wait_s
    while True:
        own, linked = waterfall.of_job(waterfall.load(stack.trace_dir), job_id)
        if any(s["name"] == "scan.run" for s in own) or time.monotonic() > deadline:
            return waterfall.render(own, linked, job_id)
        time.sleep(0.2)


def up(args) -> int:
    stack = _cli_stack()
    engine = _engine_env(stack, args.engine)
    stack.start()
    try:
        print(f"stack up in {stack.started_in_s:.1f} s at {stack.gateway_url}; engine: {engine}")
        print(f"the page: {stack.gateway_url}/ (scan a menu in a browser); origin served by {_front(stack)}")
        print(f"API base for the app: {stack.gateway_url} (/api/v1 and /api/v2); uploads go to "
              f"{stack.gcs_public_url}, the front that checks signed URLs as GCS does")
        print(f"logs in {stack.workdir}; spans in {stack.trace_dir} (./run trace JOB_ID); Ctrl-C stops every "
              "process", flush=True)
        _wait_for_signal()
    except KeyboardInterrupt:
        _stopping()  # a signal that lands between the lines above is the same request to stop
    stack.stop()
    return 0


def _front(stack: Stack) -> str:
    return "worker/index.js under workerd" if stack.front == "workerd" else "devstack/gateway.py"


def _wait_for_signal() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        _stopping()


def _stopping() -> None:
    # A second signal while stopping would abandon emulators half-killed: stopping runs to the end.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    print("\nstopping ...", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m devstack")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scan", help="scan a menu photo end to end on the local stack")
    s.add_argument("photo", nargs="?", help="a JPEG, PNG, WebP or HEIC photo; a rendered sample menu when omitted")
    s.add_argument("--language", default="繁體中文", help="as the app sends it (a display name) or a BCP-47 tag")
    s.add_argument("--keep", action="store_true", help="keep the stack up afterwards so the URLs stay open")
    u = sub.add_parser("up", help="start the local stack until Ctrl-C")
    for p in (s, u):
        p.add_argument("--engine", choices=("auto", "local", "gemini", "fake-gemini"), default="auto",
                       help="auto: gemini when GEMINI_API_KEY is set, else the offline engine")
    t = sub.add_parser("trace", help="print a job's timeline from the spans of the last ./run stack or scan")
    t.add_argument("job_id")
    t.add_argument("--dir", default=str(waterfall.DEFAULT_DIR))
    args = ap.parse_args()
    if args.cmd == "trace":
        return waterfall.main([args.job_id, "--dir", args.dir])
    stop_on_signals()
    try:
        return scan(args) if args.cmd == "scan" else up(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
