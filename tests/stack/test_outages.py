"""The outage campaign: Firestore, GCS and the S3 server fail under running jobs, through fault proxies.

Every job must still end with done, no event may be lost or repeated across the client's
reconnects, and every HTTP answer must be 2xx, 4xx or 503 (never a 500 or a hang). The client here
behaves as a careful real one does: it retries a 503 after Retry-After with the same
Idempotency-Key, and resumes its stream from the last id it saw, as EventSource does.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from devstack.stack import Stack
from tests.api import parse_sse
from tests.app_client import phone_jpeg
from tests.support import eventually

pytestmark = pytest.mark.slow

JOBS_PER_SCENARIO = 3
DEADLINE_S = 150  # a job not done by then is stuck


@pytest.fixture(scope="module")
def outage_stack():
    base = int(os.environ.get("STACK_PORT_BASE", "8800")) + 300
    env = {"LEASE_S": "4", "MODEL_BACKOFF_INITIAL_S": "0.05", "SSE_HEARTBEAT_S": "1", "JOB_OVERDUE_S": "300",
           "RATE_UPLOAD_PER_MIN": "6000", "RATE_JOB_PER_MIN": "6000", "RATE_BURST": "3000",
           "RATE_READ_PER_MIN": "60000", "RATE_READ_BURST": "30000", "MAX_OPEN_STREAMS_PER_CALLER": "0"}
    s = Stack(base_port=base, gemini_api_key="test-key", fault_proxies=True, settings_from_environ=False,
              extra_env=env, watchdog_every_s=5)
    s.gemini_base_url = s.gemini_url
    s.start()
    yield s
    s.stop()


@dataclass
class Phone:
    """One careful client's view of one job."""

    base: str
    statuses: list = field(default_factory=list)
    ids: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    reconnects: int = 0
    done: dict | None = None
    error: str = ""

    def call(self, method: str, url: str, **kw) -> httpx.Response:
        """Until a 2xx or a 4xx: a 503 or a dropped connection is tried again after Retry-After."""
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.request(method, url, timeout=20, **kw)
                self.statuses.append(r.status_code)
                if r.status_code != 503:
                    return r
                wait = float(r.headers.get("retry-after", "1"))
            except httpx.TimeoutException:
                self.statuses.append("hang")  # an answer must come: 2xx, 4xx or a 503 saying when to retry
                wait = 1.0
            except httpx.TransportError:
                self.statuses.append("transport")
                wait = 1.0
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {url} never succeeded: {self.statuses[-5:]}")
            time.sleep(min(wait, 2.0))

    def scan(self, photo: bytes) -> None:
        try:
            signed = self.call("POST", f"{self.base}/api/v1/uploads/signed-url", json={}).json()
            put = self.call("PUT", signed["upload_url"], content=photo, headers={"Content-Type": "image/jpeg"})
            assert put.status_code == 200, put.text
            job = self.call("POST", f"{self.base}/api/v1/scan/jobs", json={"gcs_uri": signed["gcs_uri"]},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
            assert job.status_code in (200, 201), job.text
            self.follow(job.json()["job_id"])
        except Exception as exc:  # noqa: BLE001 - reported by the test, with the phone's history
            self.error = f"{type(exc).__name__}: {exc}"

    def follow(self, job_id: str) -> None:
        deadline = time.monotonic() + DEADLINE_S
        last = 0
        while self.done is None and time.monotonic() < deadline:
            try:
                with httpx.stream("GET", f"{self.base}/api/v1/scan/jobs/{job_id}/events",
                                  params={"last_event_id": last}, timeout=httpx.Timeout(30, read=10)) as r:
                    self.statuses.append(r.status_code)
                    if r.status_code != 200:
                        time.sleep(float(r.headers.get("retry-after", "1")) if r.status_code == 503 else 1)
                        continue
                    buf = []
                    for line in r.iter_lines():
                        buf.append(line)
                        if line != "":
                            continue
                        for frame in parse_sse(buf):
                            if frame.id is None:
                                continue
                            if frame.id <= last:
                                self.duplicates.append(frame.id)
                                continue
                            self.ids.append(frame.id)
                            last = frame.id
                            if frame.event == "done":
                                self.done = frame.data
                        buf = []
                        if self.done is not None:
                            break
            except httpx.TransportError:
                self.statuses.append("transport")
            if self.done is None:
                self.reconnects += 1
                time.sleep(0.3)


def _run(stack: Stack, photo: bytes, inject) -> list[Phone]:
    phones = [Phone(stack.gateway_url) for _ in range(JOBS_PER_SCENARIO)]
    threads = [threading.Thread(target=p.scan, args=(photo,)) for p in phones]
    injector = threading.Thread(target=inject)
    injector.start()
    for t in threads:
        t.start()
    injector.join()
    for t in threads:
        t.join(DEADLINE_S + 120)
    return phones


def _check(phones: list[Phone], campaign, what: str) -> None:
    for p in phones:
        assert not p.error, (what, p.error, p.statuses[-10:])
        assert p.done is not None, (what, "stuck", p.ids, p.statuses[-10:])
        assert p.ids == list(range(1, len(p.ids) + 1)), (what, "lost or out of order", p.ids)
        assert p.duplicates == [], (what, "repeated", p.duplicates)
        bad = [s for s in p.statuses if not (s == "transport" or (isinstance(s, int) and (200 <= s < 500 or s == 503)))]
        assert bad == [], (what, "answers outside 2xx/4xx/503, or none at all", bad)
        # An outage is not the scan's fault: the job completes (images lost to an R2 outage are
        # reported per item, and the job still completes).
        assert p.done["status"] == "completed", (what, p.done)
    campaign.count(f"outage: {what}")
    campaign.count("outage: jobs through an outage", len(phones))
    campaign.count("outage: stream reconnects", sum(p.reconnects for p in phones))
    campaign.count("outage: requests answered 503", sum(p.statuses.count(503) for p in phones))


@pytest.fixture
def fresh(outage_stack):
    outage_stack.reset()
    # Slow images, so each outage lands in the middle of the runs.
    httpx.post(f"{outage_stack.gemini_url}/_control/script",
               json={"kind": "image", "responses": [{"delay_s": 1.5}] * (3 * JOBS_PER_SCENARIO)})
    return outage_stack


def _after(delay_s: float, stack: Stack, dependency: str, mode: str, **fault):
    def inject():
        time.sleep(delay_s)
        stack.fault(dependency, mode, **fault)

    return inject


@pytest.mark.parametrize("start_s, dependency, mode, fault", [
    (0.0, "firestore", "refuse", {"seconds": 20}),  # from the first request: creation waits it out
    (1.0, "firestore", "refuse", {"seconds": 8}),   # mid-run: appends, leases and streams through it
    (1.0, "firestore", "delay", {"seconds": 6, "delay_ms": 700}),
    (1.0, "gcs", "error", {"seconds": 5, "status": 503}),
    (1.0, "gcs", "refuse", {"seconds": 5}),
    (1.0, "s3", "refuse", {"seconds": 5}),
    (1.0, "s3", "error", {"seconds": 5, "status": 503}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_every_job_ends_with_done_and_no_event_is_lost_or_repeated_through_an_outage(fresh, menu_photo, campaign,
                                                                                   start_s, dependency, mode, fault):
    photos = phone_jpeg(menu_photo)
    before = fresh.fault_stats(dependency)
    phones = _run(fresh, photos, _after(start_s, fresh, dependency, mode, **fault))
    _check(phones, campaign, f"{dependency} {mode} {fault['seconds']} s")
    # Jobs may finish inside the outage (an R2 outage fails images fast, and the job still completes):
    # the fault lifts on its own when its time is up, before the next scenario starts.
    after = eventually(lambda: (stats := fresh.fault_stats(dependency))["mode"] == "pass" and stats,
                       timeout_s=start_s + fault["seconds"] + 10, every_s=0.2, what=f"the {dependency} fault to lift")
    assert after["mode"] == "pass"
    # The outage really happened under the jobs: connections were cut, refused, answered with errors
    # or slowed (new connections made while it lasted).
    hit = {k: after[k] - before[k] for k in ("connections", "refused", "cut", "errors_answered")}
    print(f"{dependency} {mode}: {hit}; 503s {sum(p.statuses.count(503) for p in phones)}, "
          f"reconnects {sum(p.reconnects for p in phones)}")
    assert hit["refused"] + hit["cut"] + hit["errors_answered"] > 0 or (mode == "delay" and hit["connections"] > 0)
