"""Server-Sent Events: replay every stored event after the client's last id, then follow live."""
from __future__ import annotations

import json
import time
from typing import Iterator

from common import events, logs
from common.errors import BadRequest
from common.watch import JobWatchHub

log = logs.get_logger(__name__)
HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # tells proxies (and our gateway) not to buffer the stream
    "Connection": "keep-alive",
}


def frame(data: dict, event: str, id_: int | None = None) -> str:
    lines = []
    if id_ is not None:
        lines.append(f"id: {id_}")
    lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def parse_last_event_id(query_value: str | None, header_value: str | None) -> int:
    """?last_event_id= (the app) wins over Last-Event-ID (browsers); absent means from the start."""
    raw = query_value if query_value not in (None, "") else header_value
    if raw in (None, ""):
        return 0
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise BadRequest(f"last_event_id must be a non-negative integer, got {raw!r}",
                         code="INVALID_LAST_EVENT_ID") from None
    if value < 0:
        raise BadRequest("last_event_id must be a non-negative integer", code="INVALID_LAST_EVENT_ID")
    return value


def stream(hub: JobWatchHub, job: dict, after: int, *, heartbeat_s: float, max_s: float,
           retry_ms: int) -> Iterator[str]:
    """Yield SSE frames until `done` is sent, or a `timeout` frame before max_s so the client resumes."""
    job_id = job["job_id"]
    deadline = time.monotonic() + max_s
    last = after
    known = int(job.get("last_seq") or 0)
    yield f"retry: {retry_ms}\n\n"
    with hub.subscribe(job_id) as sub:
        while True:
            if known > last:
                for ev in events.read_range(job_id, last, known):
                    yield frame(ev.data, ev.type, ev.seq)
                    last = ev.seq
                    if ev.type == "done":
                        return
                if last < known:
                    # An id we were told exists is not readable yet: retry shortly rather than skip it.
                    time.sleep(0.05)
                    continue
            if job.get("status") in ("completed", "failed") and last >= known:
                return  # the client already has everything, done included
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                yield frame({"last_event_id": last, "reason": "max_stream_duration"}, "timeout")
                return
            newer = sub.wait(known, timeout=min(heartbeat_s, remaining))
            if newer > known:
                known = newer
            else:
                yield frame({"ts": int(time.time() * 1000)}, "heartbeat")
