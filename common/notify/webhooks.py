"""Standard Webhooks (https://www.standardwebhooks.com): signed job.completed / job.failed callbacks.

One message per job, its webhook-id fixed (msg_<job_id>), so a receiver de-duplicates every retry
and duplicate delivery by it. Each attempt is signed afresh (webhook-timestamp is the attempt's
time) with every secret in WEBHOOK_SECRETS, so receivers keep verifying across a rotation. Retries
follow the specification's schedule, each one a Cloud Task scheduled for its time.
"""
from __future__ import annotations

import datetime as dt
import json
import random

from common.core import logs
from common.core.settings import get_settings

log = logs.get_logger(__name__)
# Seconds before attempt n+1 after attempt n failed: immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 14 h, 20 h and 24 h (the specification's schedule); jitter spreads a receiver's backlog.
SCHEDULE_S = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.1


def message_id(job_id: str) -> str:
    return f"msg_{job_id}"


def event_type(status: str) -> str:
    return "job.completed" if status == "completed" else "job.failed"


def body(job_id: str, status: str, snapshot: dict, snapshot_url: str) -> bytes:
    """The payload: the snapshot, or when it is larger than WEBHOOK_MAX_BYTES a summary and its URL."""
    now = dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    full = {"type": event_type(status), "timestamp": now, "data": snapshot}
    raw = json.dumps(full, ensure_ascii=False, separators=(",", ":")).encode()
    if len(raw) <= get_settings().notify.webhook_max_bytes:
        return raw
    summary = {k: snapshot.get(k) for k in ("job_id", "status", "language", "error", "summary", "created_at",
                                            "updated_at", "profile") if k in snapshot}
    summary.update(items_count=len(snapshot.get("items") or []), snapshot_url=snapshot_url, truncated=True)
    return json.dumps({"type": event_type(status), "timestamp": now, "data": summary}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def headers(msg_id: str, payload: bytes, now: dt.datetime | None = None) -> dict:
    """webhook-id, webhook-timestamp and webhook-signature (one v1 signature per secret)."""
    from standardwebhooks.webhooks import Webhook

    now = now or dt.datetime.now(dt.timezone.utc)
    secrets = get_settings().notify.webhook_secret_list
    text = payload.decode()
    signatures = " ".join(Webhook(s).sign(msg_id, now, text) for s in secrets)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signatures,
            "Content-Type": "application/json", "User-Agent": "menu-scan-webhooks/1"}


def next_delay_s(attempt: int) -> float | None:
    """Seconds from failed attempt `attempt` (1-based) to the next one; None when none is left."""
    if attempt >= len(SCHEDULE_S):
        return None
    base = SCHEDULE_S[attempt] * get_settings().notify.webhook_retry_scale
    return base * random.uniform(1 - JITTER, 1 + JITTER)
