"""Session fixtures: the real local stack, started once; data cleaned between tests."""
from __future__ import annotations

import collections
import io
import os
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.stack import HOST, PROJECT, Stack  # noqa: E402
from tests.api import Api  # noqa: E402

# Short leases, waits and timeouts so fault paths finish in seconds; the code paths are the same.
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
    # The suite makes more jobs from its one address than a caller's day holds; tests/test_job_budget.py
    # restarts create-job with a cap of its own.
    "DAILY_JOB_CAP_PER_CALLER": "100000",
    "AUTH_JWKS_MIN_REFRESH_S": "2",
    # Read limits are per instance and the suite reads a lot from one address; tests/test_app.py
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
    "PUSH_RECEIPT_DELAY_S": "1",  # the same: tests/test_progressive.py runs short budgets on a stack of its own
    # Another web front end allowed to call the API (CORS; tests/test_front.py).
    "CORS_ORIGINS": "https://front.example",
}


@pytest.fixture(scope="session")
def idp():
    from tests.idp import Issuer

    issuer = Issuer()
    yield issuer
    issuer.stop()


@pytest.fixture(scope="session")
def stack(idp):
    # The production default, USER_AUTH=off; tests/test_user_auth.py turns end-user tokens on (optional)
    # for its own tests, with this issuer.
    env = {**TEST_ENV, "USER_AUTH": "off", "AUTH_ISSUER": idp.issuer, "AUTH_AUDIENCE": idp.audience,
           "AUTH_JWKS_URL": idp.jwks_url}
    s = Stack(base_port=int(os.environ.get("STACK_PORT_BASE", "8800")), gemini_api_key="test-key", extra_env=env,
              watchdog_every_s=5)
    s.gemini_base_url = s.gemini_url
    s.start()
    # This process also uses common/ (to inspect Firestore and to play a dead run), with the same settings.
    os.environ.update(s.env())
    # Not this process's spans: a router built here would instrument its HTTP client and send its
    # own trace ids to the stack, in place of the ones a test sends.
    os.environ["TRACE_EXPORTER"] = "none"
    from common.core.settings import reset_settings

    reset_settings()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def clean(request):
    if "stack" not in request.fixturenames:
        yield
        return
    s = request.getfixturevalue("stack")
    httpx.delete(f"http://{HOST}:{s.ports.firestore}/emulator/v1/projects/{PROJECT}/databases/(default)/documents")
    httpx.post(f"{s.gemini_url}/_control/reset")
    httpx.post(f"{s.expo_url}/_control/reset")
    yield


def signed_in(stack, names: tuple[str, ...]):
    """The named functions run with end-user sign-in on (USER_AUTH=optional) until the generator
    resumes, then as the stack started them: a module fixture's body (`yield from signed_in(...)`)."""
    for name in names:
        stack.restart(name, env={"USER_AUTH": "optional"})
    yield
    for name in names:
        stack.restart(name)


@pytest.fixture
def api(stack) -> Api:
    return Api(stack)


@pytest.fixture
def api_v2(stack) -> Api:
    return Api(stack, "v2")


@pytest.fixture(scope="session")
def menu_photo() -> bytes:
    return render_photo()


def render_photo(lines: tuple[str, ...] = ("唐揚げ 680円", "焼き鳥 980円", "刺身 1,280円"), size=(900, 1200)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (246, 241, 228))
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((80, 120 + i * 90), line, fill=(30, 30, 30))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


class Campaign:
    """Counts what the fault campaign exercised (deliveries, disconnects, ...); printed after the run."""

    def __init__(self):
        self.counts: collections.Counter = collections.Counter()

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n


_campaign = Campaign()


@pytest.fixture
def campaign() -> Campaign:
    return _campaign


def pytest_terminal_summary(terminalreporter):
    if _campaign.counts:
        terminalreporter.section("fault campaign")
        for what, n in sorted(_campaign.counts.items()):
            terminalreporter.write_line(f"{what}: {n}")
