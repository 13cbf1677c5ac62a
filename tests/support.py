"""What the test tiers share, in four parts: waiting (for what another process does) and moving time that is
ours; what the tests send; the stack as the tests see it; what a test does to the store that no client can.

Helpers that more than one test module uses live here, not in a test module or a conftest: a test
module imports from this module, never from another test module. The stand-ins for what cannot run here
have modules of their own (api.py, app_client.py, idp.py, lossy_origin.py, webhook_receiver.py, browser.py).
"""
from __future__ import annotations

import functools
import io
import json
import re
import queue
import struct
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# -- waiting for what another process does, and moving time that is ours -------------------------------------
def eventually(fn, timeout_s: float = 30.0, what="the condition", every_s: float = 0.05):
    """Call fn until it returns something truthy and return that; fail naming `what` after timeout_s.

    For waiting on what another process does (a log line, a stored document, a delivery), never on
    time itself: a test that needs time to pass moves a clock or ages what is stored instead.
    `what` may be a function, called for the message at the timeout (to show what was seen).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what() if callable(what) else what}")
        time.sleep(every_s)


def consistently(fn, for_s: float, what: str, every_s: float = 0.05) -> None:
    """Check that fn stays truthy for for_s seconds, and fail the moment it does not.

    For what must not happen (a second delivery, a span that should not exist) where nothing says it
    is over: the window is a bound on a delivery's lateness, not a wait for a clock.
    """
    deadline = time.monotonic() + for_s
    while True:
        assert fn(), f"{what}: no longer so {for_s - (deadline - time.monotonic()):.2f} s in"
        if time.monotonic() >= deadline:
            return
        time.sleep(every_s)


def drain(q) -> list:
    """Every message a queue holds now, without waiting for more."""
    out = []
    while True:
        try:
            out.append(q.get_nowait())
        except queue.Empty:
            return out


class Clock:
    """A monotonic clock a test moves: stands in for a module's `time` (monotonic, time, sleep)."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


# -- what the tests send: photos, profiles, push tokens ------------------------------------------------------
# A valid-looking Expo push token; the fake Expo server (devstack/fake_expo.py) takes it as a device.
EXPO_TOKEN = "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]"


def render_photo(lines: tuple[str, ...] = ("唐揚げ 680円", "焼き鳥 980円", "刺身 1,280円"), size=(900, 1200)) -> bytes:
    """A menu photo: the lines drawn on paper-coloured ground, as a JPEG."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (246, 241, 228))
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((80, 120 + i * 90), line, fill=(30, 30, 30))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def png_bomb(side: int = 30_000) -> bytes:
    """A 1-bit side x side PNG of zeros: ~110 KB on the wire, 900 MB once decoded as Pillow would."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" * (1 + (side + 7) // 8)
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


# A caller's own profile schema (a wine list), and profile bodies the API refuses, each with what its 400 names.
WINES = {"type": "object", "required": ["wines"], "properties": {"wines": {"type": "array", "items": {
    "type": "object", "required": ["name", "vintage"],
    "properties": {"name": {"type": "string"}, "vintage": {"type": "integer", "minimum": 1900},
                   "region": {"type": "object", "properties": {"country": {"type": "string"}}}}}}}}
BAD_PROFILES = [
    ({"schema": {"type": "objekt"}}, "not a valid JSON Schema"),
    ({"schema": {"type": "array", "items": {"type": "string"}}}, 'top level must be "type": "object"'),
    ({"schema": {"type": "object", "properties": {"a": {"$ref": "https://evil.test/s.json"}}}}, "only local $ref"),
    ({"schema": {"$schema": "https://evil.test/meta", "type": "object"}}, "$schema must name a JSON Schema draft"),
    ({"schema": "not an object"}, "must be a JSON object"),
    ({"schema": {"type": "object", "properties": {"a": {"$ref": "#/definitions/nope"}}}}, "does not exist"),
    ({"schema": {"type": "object", "properties": {"a": {"type": "string", "pattern": "(("}}}}, "regex"),
    ({"schema": WINES, "example": {"a": 1}}, "either schema"),
    ({}, "either schema"),
    ({"example": [1, 2]}, "example: must be a JSON object"),
    ({"schema": WINES, "instructions": "short"}, "instructions"),
    ({"schema": WINES, "format": "pdf"}, "format: must be one of json, yaml, xml, csv, text"),
]
WINE_LIST = {"name": "Wine list", "instructions": "List every wine on the list with its vintage and region."}


# -- the stack as the tests see it: its settings, answers, logs and fakes ------------------------------------
# The test stack's settings: short leases, waits and timeouts so fault paths finish in seconds; the
# code paths are the same.
TEST_ENV = {
    "LEASE_S": "3",
    "UPLOAD_WAIT_S": "6",
    "GEMINI_TIMEOUT_MS": "1500",
    "MODEL_MAX_ATTEMPTS": "3",
    "MODEL_BACKOFF_INITIAL_S": "0.05",
    "MODEL_RETRY_BUDGET_S": "20",
    "SSE_HEARTBEAT_S": "1",
    "SSE_MAX_STREAM_S": "30",
    "MAX_UPLOAD_BYTES": str(2 * 1024 * 1024),
    "MAX_IMAGE_PIXELS": "25000000",
    # The suite is one client address: generous limits. Rate-limit tests play other addresses.
    "RATE_UPLOAD_PER_MIN": "60",
    "RATE_JOB_PER_MIN": "60",
    "RATE_STREAM_PER_MIN": "60",
    "RATE_BURST": "30",
    # The suite makes more jobs from its one address than a caller's day holds; tests/stack/test_job_budget.py
    # restarts create-job with a cap of its own.
    "DAILY_JOB_CAP_PER_CALLER": "100000",
    "AUTH_JWKS_MIN_REFRESH_S": "2",
    # Read limits are per instance and the suite reads a lot from one address; tests/stack/test_app.py
    # checks the deployed defaults.
    "RATE_READ_PER_MIN": "6000",
    "RATE_READ_BURST": "3000",
    "RATE_READ_MISS_PER_MIN": "600",
    "RATE_READ_MISS_BURST": "300",
    "MAX_OPEN_STREAMS_PER_CALLER": "0",
    "JOB_OVERDUE_S": "300",  # above the 200-job burst's queueing (the local queue dispatches one at a time)
    "JOB_DEADLINE_S": "300",
    # The webhook retry schedule (0, 5 s, 5 min, 30 min, ...) at 1/500: 0, 10 ms, 0.6 s, 3.6 s, ...
    "WEBHOOK_RETRY_SCALE": "0.002",
    # The same: tests/stack/test_progressive.py runs short budgets on a stack of its own.
    "PUSH_RECEIPT_DELAY_S": "1",
    # Another web front end allowed to call the API (CORS; tests/stack/test_front.py).
    "CORS_ORIGINS": "https://front.example",
}


def signed_in(stack, names: tuple[str, ...]):
    """The named functions run with end-user sign-in on (USER_AUTH=optional) until the generator
    resumes, then as the stack started them: a module fixture's body (`yield from signed_in(...)`)."""
    for name in names:
        stack.restart(name, env={"USER_AUTH": "optional"})
    yield
    for name in names:
        stack.restart(name)


def error(r, status: int, code: str | None = None) -> dict:
    """The answer is `status` with a JSON error naming what is wrong (and `code`, when given): the error."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()["error"]
    assert body["message"], r.text
    if code:
        assert body["code"] == code, r.text
    return body


def log_entries(stack, name: str, containing: str = "") -> list[dict]:
    """The JSON lines a stack process has logged so far (those holding `containing`, when given)."""
    text = stack.log_path(name).read_text(errors="replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and containing in line]


def expo(stack, what: str, body: dict | None = None) -> dict:
    """The fake Expo server's control API: GET /_control/<what> without a body, POST it with one."""
    import httpx

    if body is None:
        return httpx.get(f"{stack.expo_url}/_control/{what}").json()
    httpx.post(f"{stack.expo_url}/_control/{what}", json=body).raise_for_status()
    return {}


def listen_target_change(kind: str, target_ids, code: int = 0):
    """A Listen stream's target change (added, removed, current) as the adapter hands it to the feed,
    for a feed played by hand (tests/unit/test_listen.py decodes the protobufs themselves)."""
    from common.streaming.listen import Change

    return Change(kind, tuple(target_ids), cause="removed" if code else "")


@functools.lru_cache(maxsize=1)
def log_metrics() -> dict[str, dict]:
    """The log-based metrics deploy.sh creates (monitoring/metrics/*.json), by name."""
    return {p.stem: json.loads(p.read_text()) for p in sorted((ROOT / "monitoring" / "metrics").glob("*.json"))}


def log_filter_matches(log_filter: str, entry: dict) -> bool:
    """Cloud Logging's filter language, the part monitoring/metrics/ uses: field=value clauses joined by
    AND, a value quoted, bare (true, false, a number) or a parenthesised OR of quoted strings."""
    for clause in re.split(r"\s+AND\s+", log_filter):
        field, _, value = clause.partition("=")
        if field == "resource.type":
            continue  # the platform's, not on a local line
        assert field.startswith("jsonPayload."), clause
        wanted = re.findall(r'"([^"]*)"', value) if value.startswith("(") else [json.loads(value)]
        if entry.get(field.removeprefix("jsonPayload.")) not in wanted:
            return False
    return True


def extract_label(expression: str, entry: dict):
    """A metric's EXTRACT(jsonPayload.field) applied to one log line."""
    field = re.fullmatch(r"EXTRACT\(jsonPayload\.([a-z_]+)\)", expression).group(1)
    return entry.get(field)


# -- what a test does to the store that no client can --------------------------------------------------------
def make_job(gcs_uri: str, version: str = "v1", **request):
    """A job made in this process as create_job makes one (its document and first event; no task)."""
    return create_job(gcs_uri, version, **request).job


def create_job(gcs_uri: str, version: str = "v1", **request):
    """make_job's whole answer: the job and its access token (jobs.create.Created)."""
    from common.api import admission, schemas
    from common.jobs import create

    bucket, _, name = gcs_uri.removeprefix("gs://").partition("/")  # unchecked: tests make odd ones
    req = schemas.CreateJobRequest(gcs_uri=gcs_uri, **request)
    return create.create(admission.new_job(req, bucket, name, version))


def lease_s() -> float:
    """The test stack's lease (LEASE_S), as this process's settings read it."""
    from common.core.settings import get_settings

    return get_settings().run.lease_s


def jobs_of(gcs_uri: str) -> list[str]:
    """The ids of every job made for this upload."""
    from google.cloud.firestore import FieldFilter

    from common.gcp import db
    from common.jobs import store

    return [d.id for d in db.client().collection(store.JOBS).where(filter=FieldFilter("gcs_uri", "==", gcs_uri)).stream()]


def job_without_deliveries() -> str:
    """A job made with the store alone: no Cloud Task and no upload, so nothing but the test claims it."""
    import os

    from devstack.stack import UPLOAD_BUCKET

    return make_job(f"gs://{UPLOAD_BUCKET}/uploads/{os.urandom(16).hex()}.jpg").job_id


def age_job(job_id: str, seconds: float) -> None:
    """The job was created `seconds` ago, for every reader of its created_at (the watchdog, the upload wait)."""
    import datetime as dt

    from common.core import clock
    from common.jobs import store
    from common.jobs.model import F

    store.update(job_id, {F.CREATED_AT: clock.now() - dt.timedelta(seconds=seconds)})


def expire_lease(job_id: str, renewals: bool = True) -> None:
    """End the job's lease now, as LEASE_S passing would, by writing its stored expiry into the past.

    A claim judges a lease by comparing what is stored with the store's clock: the job's
    lease_expires_at (the owner's term, moved on by each of its appends) and, past that, the owner's
    renewal in scan_leases. A stored expiry written behind that clock reads, to every claim in every
    process, exactly as one the clock has passed: the run that takes over is a real function process
    whose clock a test cannot move, so the expiry is moved instead of waiting for it.

    renewals=False ends the job's own term only: the owner's renewals keep the lease alive. A renewal
    that names another run than the job's owner is left as it is (a claim ignores it). This writes the
    job document, so the owner's next append finds its fence moved and fails: age the lease of a run
    that is dead, as one whose lease ran out is, or of one meant to lose the job.
    """
    import datetime as dt

    from common.core import clock
    from common.gcp import db
    from common.jobs import lease, store
    from common.jobs.model import F

    client, past = db.client(), clock.now() - dt.timedelta(seconds=1)
    owner = store.lease_owner(job_id)
    store.update(job_id, {F.LEASE_EXPIRES_AT: past})
    renewal = client.collection(lease.LEASES).document(job_id)
    if renewals and (record := renewal.get().to_dict() or {}) and record.get("owner") == owner:
        renewal.update({"expires_at": past})


@functools.lru_cache(maxsize=None)
def _template_page(template: str, draw: int):
    from devstack import menu_templates

    t = next(t for t in menu_templates.TEMPLATES if t.key == template)
    return menu_templates.render(t, draw)[0]


def reshot_page(template: str, draw: int, seed: int) -> bytes:
    """A phone's photo of a rendered template page (devstack/reshoot.py); one seed, one photo."""
    from devstack.reshoot import reshoot

    return reshoot(_template_page(template, draw), seed)
