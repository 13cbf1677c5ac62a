"""The shipped app's network behaviour, as ../shared/DESIGN.md states it, and nothing more.

No access token, no Authorization, no Last-Event-ID header; the language as a display name; a PUT
with Content-Type alone; an SSE parser that reads only "id: ", "event: " and "data: " lines and acts
on frames holding both an event and data. If this client needs a change to work, /api/v1 broke.
"""
from __future__ import annotations

import base64
import io
import json
import time
from dataclasses import dataclass, field

import httpx

REQUEST_TIMEOUT_S = 180  # the app's request timeout
LATE_IMAGE_S = 3  # after done it keeps reading this long for a late image_update
EXPO_TOKEN = "ExponentPushToken[xk3Fh2LmQ9aZ0pR7tY4wB1]"


def phone_jpeg(photo: bytes) -> bytes:
    """What the app uploads: the photo as a JPEG resized to 2048 px wide."""
    from PIL import Image

    img = Image.open(io.BytesIO(photo)).convert("RGB")
    img = img.resize((2048, round(img.height * 2048 / img.width)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass
class Frame:
    id: int | None
    event: str
    data: dict


@dataclass
class Reading:
    """What one events request gave the app: the frames it acted on, and how the request ended."""

    frames: list[Frame] = field(default_factory=list)
    ended: str = ""  # "closed" by the server, "left" by the app

    @property
    def last_id(self) -> int | None:
        ids = [f.id for f in self.frames if f.id is not None]
        return ids[-1] if ids else None


class AppClient:
    def __init__(self, base_url: str, *, client_ip: str | None = None):
        self.base = base_url.rstrip("/")
        # The gateway plays Cloudflare's edge; a test phone may say which address it has.
        self._edge = {"CF-Connecting-IP": client_ip} if client_ip else {}
        self.http = httpx.Client(timeout=REQUEST_TIMEOUT_S)

    # -- the job flow -------------------------------------------------------------------------
    def signed_url(self, content_type: str = "image/jpeg") -> dict:
        r = self.http.post(f"{self.base}/api/v1/uploads/signed-url", content=json.dumps({"content_type": content_type}),
                           headers={"Content-Type": "application/json", **self._edge})
        assert r.status_code == 200, r.text
        return r.json()

    def upload(self, upload_url: str, jpeg: bytes) -> httpx.Response:
        """XHR PUT with only Content-Type: whatever else the server asked for, the app does not send."""
        return httpx.put(upload_url, content=jpeg, headers={"Content-Type": "image/jpeg"}, timeout=REQUEST_TIMEOUT_S)

    def create_job(self, gcs_uri: str, language: str = "繁體中文", push_token: str | None = EXPO_TOKEN) -> str:
        body = {"gcs_uri": gcs_uri, "user_preferences": {"language": language}}
        if push_token:
            body["push_token"] = push_token
        r = self.http.post(f"{self.base}/api/v1/scan/jobs", content=json.dumps(body, ensure_ascii=False).encode(),
                           headers={"Content-Type": "application/json", **self._edge})
        assert 200 <= r.status_code < 300, r.text  # the app needs a 2xx and reads job_id, nothing else
        return r.json()["job_id"]

    def events(self, job_id: str, last_event_id: int | None = None, *, leave_after: str | None = None) -> Reading:
        """One events request, as the app makes it; `leave_after` an event type to drop the connection at."""
        url = f"{self.base}/api/v1/scan/jobs/{job_id}/events"
        if last_event_id is not None:
            url += f"?last_event_id={last_event_id}"
        headers = {"Accept": "text/event-stream", "Accept-Charset": "utf-8", **self._edge}
        with self.http.stream("GET", url, headers=headers) as r:
            assert r.status_code == 200, r.read()
            return self._read(r, leave_after)

    @staticmethod
    def _read(r: httpx.Response, leave_after: str | None = None) -> Reading:
        """The app's parser: "id: ", "event: ", "data: " lines, a blank line ends a frame, and only
        frames with both an event and data count. After done it reads on for LATE_IMAGE_S."""
        reading, buf, done_at, started = Reading(), {}, None, time.monotonic()
        for line in r.iter_lines():
            if time.monotonic() - started > REQUEST_TIMEOUT_S:  # the app's request gives up
                reading.ended = "timed out"
                return reading
            if done_at is not None and time.monotonic() - done_at > LATE_IMAGE_S:
                reading.ended = "left"
                return reading
            if line == "":
                if "event" in buf and "data" in buf:
                    frame = Frame(int(buf["id"]) if "id" in buf else None, buf["event"], json.loads(buf["data"]))
                    reading.frames.append(frame)
                    done_at = time.monotonic() if frame.event == "done" else done_at
                    if leave_after and frame.event == leave_after:
                        reading.ended = "left"
                        return reading
                buf = {}
                continue
            for prefix in ("id: ", "event: ", "data: "):
                if line.startswith(prefix):
                    buf[prefix[:-2]] = line[len(prefix):]
        reading.ended = "closed"
        return reading

    def snapshot(self, job_id: str) -> dict:
        """The poll the app makes when the stream is quiet, and its first read back from the background."""
        r = self.http.get(f"{self.base}/api/v1/scan/jobs/{job_id}", headers=self._edge)
        assert r.status_code == 200, r.text
        return r.json()

    # -- legacy startScan ---------------------------------------------------------------------
    def start_scan(self, jpeg: bytes, language: str = "繁體中文") -> Reading:
        body = {"image_base64": base64.b64encode(jpeg).decode(), "language": language}
        with self.http.stream("POST", f"{self.base}/api/v1/scan/stream", content=json.dumps(body, ensure_ascii=False),
                              headers={"Content-Type": "application/json", "Accept": "text/event-stream",
                                       **self._edge}) as r:
            assert r.status_code == 200, r.read()
            return self._read(r)
