"""A client of the public API as the app uses it, plus access to the fake Gemini's controls."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx


@dataclass
class Frame:
    id: int | None
    event: str
    data: dict


def parse_sse(lines) -> list[Frame]:
    """Parse SSE lines into frames (comments and retry lines dropped)."""
    frames, cur = [], {}
    for line in lines:
        if line == "":
            if "event" in cur or "data" in cur:
                frames.append(Frame(int(cur["id"]) if "id" in cur else None, cur.get("event", "message"),
                                    json.loads(cur.get("data", "{}"))))
            cur = {}
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        cur[key] = value[1:] if value.startswith(" ") else value
    return frames


class Api:
    def __init__(self, stack, version: str = "v1"):
        self.stack = stack
        self.version = version
        self.prefix = f"/api/{version}"
        self.base = stack.gateway_url
        self.http = httpx.Client(base_url=self.base, timeout=30)
        self.tokens: dict[str, str] = {}  # job_id -> access_token, as the app keeps them

    def auth(self, job_id: str) -> dict:
        """The Authorization header the app sends for a job it created."""
        return {"Authorization": f"Bearer {self.tokens[job_id]}"} if job_id in self.tokens else {}

    def internal(self) -> dict:
        """The header Cloud Tasks' OIDC token stands for on the local stack."""
        return {"X-Internal-Secret": self.stack.shared_secret}

    # -- uploads and jobs ---------------------------------------------------------------------
    def signed_url(self, content_type="image/jpeg") -> dict:
        r = self.http.post(f"{self.prefix}/uploads/signed-url", json={"content_type": content_type})
        assert r.status_code == 200, r.text
        return r.json()

    def put(self, signed: dict, data: bytes) -> httpx.Response:
        r = httpx.put(signed["upload_url"], content=data, headers=signed["headers"], timeout=30)
        assert r.status_code == 200, r.text
        return r

    def upload(self, data: bytes, content_type="image/jpeg") -> str:
        signed = self.signed_url(content_type)
        self.put(signed, data)
        return signed["gcs_uri"]

    def create_job(self, gcs_uri: str, language="zh-TW", headers=None, **extra) -> httpx.Response:
        r = self.http.post(f"{self.prefix}/scan/jobs", headers=headers or {},
                           json={"gcs_uri": gcs_uri, "user_preferences": {"language": language}, **extra})
        if r.status_code in (200, 201) and r.json().get("access_token"):
            self.tokens[r.json()["job_id"]] = r.json()["access_token"]
        return r

    def job(self, gcs_uri: str, language="zh-TW", **extra) -> str:
        r = self.create_job(gcs_uri, language, **extra)
        assert r.status_code == 201, r.text
        return r.json()["job_id"]

    def scan(self, photo: bytes, language="zh-TW") -> tuple[str, list[Frame]]:
        job_id = self.job(self.upload(photo), language)
        return job_id, self.events(job_id)

    # -- events -------------------------------------------------------------------------------
    def events(self, job_id: str, after: int | None = None, header: int | None = None, max_frames: int | None = None,
               timeout: float = 60) -> list[Frame]:
        """Read the stream until done (or max_frames stored events); heartbeats are dropped."""
        params = {"last_event_id": str(after)} if after is not None else {}
        headers = {"Last-Event-ID": str(header)} if header is not None else {}
        headers.update(self.auth(job_id))
        frames: list[Frame] = []
        deadline = time.monotonic() + timeout
        with self.http.stream("GET", f"{self.prefix}/scan/jobs/{job_id}/events", params=params, headers=headers,
                              timeout=httpx.Timeout(timeout)) as r:
            assert r.status_code == 200, r.read()
            assert r.headers["content-type"].startswith("text/event-stream")
            buf = []
            for line in r.iter_lines():
                buf.append(line)
                if line == "":
                    for f in parse_sse(buf):
                        if f.event != "heartbeat":
                            frames.append(f)
                    buf = []
                    if frames and (frames[-1].event in ("done", "timeout") or
                                   (max_frames and sum(f.id is not None for f in frames) >= max_frames)):
                        break
                assert time.monotonic() < deadline, f"stream did not finish: {[f.event for f in frames]}"
        return frames

    def snapshot(self, job_id: str) -> dict:
        r = self.http.get(f"{self.prefix}/scan/jobs/{job_id}", headers=self.auth(job_id))
        assert r.status_code == 200, r.text
        return r.json()

    # -- internal deliveries, as Cloud Tasks and Eventarc make them ---------------------------
    def deliver_task(self, job_id: str, headers: dict | None = None) -> httpx.Response:
        return httpx.post(self.stack.function_url("run-scan-task") + "/", json={"job_id": job_id}, timeout=60,
                          headers=self.internal() if headers is None else headers)

    def deliver_finalize(self, gcs_uri: str, event_id: str, time_created: str | None = None,
                         headers: dict | None = None) -> httpx.Response:
        bucket, _, name = gcs_uri[5:].partition("/")
        ce = {"ce-id": event_id, "ce-specversion": "1.0", "ce-type": "google.cloud.storage.object.v1.finalized",
              "ce-source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
              "ce-subject": f"objects/{name}", "content-type": "application/json"}
        body = {"bucket": bucket, "name": name}
        if time_created is not None:
            body["timeCreated"] = time_created
        return httpx.post(self.stack.function_url("run-scan-finalize"), json=body, timeout=60,
                          headers={**ce, **(self.internal() if headers is None else headers)})

    # -- the fake Gemini ----------------------------------------------------------------------
    def script(self, kind: str, *responses: dict) -> None:
        httpx.post(f"{self.stack.gemini_url}/_control/script", json={"kind": kind, "responses": list(responses)})

    def gemini_calls(self) -> dict:
        return httpx.get(f"{self.stack.gemini_url}/_control/calls").json()


def assert_well_formed(frames: list[Frame]) -> None:
    """ids 1..N gapless, types in contract order, exactly one done and it is last."""
    ids = [f.id for f in frames if f.id is not None]
    assert ids == list(range(ids[0], ids[0] + len(ids))), ids
    order = {"status": 0, "menu_data": 1, "image_update": 2, "result": 2, "error": 3, "done": 4}
    ranks = [order[f.event] for f in frames if f.event in order]
    assert ranks == sorted(ranks), [f.event for f in frames]
    assert [f.event for f in frames].count("done") == 1 and frames[-1].event == "done"


def make_job(gcs_uri: str, version: str = "v1", **request):
    """A job made in this process as create_job makes one (its document and first event; no task)."""
    from common.api import admission, schemas
    from common.jobs import create

    bucket, _, name = gcs_uri.removeprefix("gs://").partition("/")  # unchecked: tests make odd ones
    req = schemas.CreateJobRequest(gcs_uri=gcs_uri, **request)
    return create.create(admission.new_job(req, bucket, name, version)).job


def wait_for(check, timeout: float = 30, what: str = "the condition"):
    """check()'s first truthy value, looked for every 0.1 s (for what lands after done: records, notifications)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def lease_s() -> float:
    """The test stack's lease (LEASE_S), as this process's settings read it."""
    from common.core.settings import get_settings

    return get_settings().run.lease_s
