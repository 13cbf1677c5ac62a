"""Cloud Scheduler's part in the local stack: POST to an internal entry point on a schedule.

The internal secret comes from the environment (INTERNAL_SECRET), as the stack gives it to every
function; Cloud Scheduler sends an OIDC token instead. A failed call is logged and tried at the next tick.
"""
from __future__ import annotations

import argparse
import time

import httpx

from common.gcp import tasks
from common.core import logs

log = logs.get_logger("scheduler")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--every", type=float, required=True, help="seconds between calls")
    args = ap.parse_args()
    logs.configure("INFO")
    while True:
        time.sleep(args.every)
        try:
            r = httpx.post(args.url, json={}, headers=tasks.internal_headers(), timeout=120)
            log.info("scheduled call", status=r.status_code, body=r.text[:200])
        except httpx.HTTPError as exc:
            log.warning("scheduled call failed", error=type(exc).__name__)


if __name__ == "__main__":
    main()
