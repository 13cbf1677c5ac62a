"""The fake Gemini server in this process, on a free loopback port, for tests of the engine alone:
the real google-genai client speaks HTTP to it (nothing is mocked), without a whole local stack.
A pytest plugin (tests/conftest.py): the fixture `gemini`, reset before each test that uses it."""
from __future__ import annotations

import io
import threading
import time

import httpx
import pytest

from common.core.sections import ModelSettings, Secret
from common.engines import Call


class LocalGemini:
    def __init__(self):
        from devstack import fake_gemini

        self.server = fake_gemini.serve(0)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def control(self, what: str, body: dict | None = None) -> None:
        httpx.post(f"{self.url}/_control/{what}", json=body or {}).raise_for_status()

    def script(self, kind: str, *responses: dict) -> None:
        self.control("script", {"kind": kind, "responses": list(responses)})

    def requests(self, kind: str | None = None) -> list[dict]:
        reqs = httpx.get(f"{self.url}/_control/calls").json()["requests"]
        return [r for r in reqs if kind is None or r["kind"] == kind]

    def settings(self, **overrides) -> ModelSettings:
        base = {"engine": "gemini", "gemini_api_key": Secret("test-key"), "gemini_base_url": self.url,
                "model_max_attempts": 3, "model_backoff_initial_s": 0.01, "gemini_timeout_ms": 10_000}
        return ModelSettings(**{**base, **overrides})

    def engine(self, **overrides):
        from common.engines.gemini import GeminiEngine

        return GeminiEngine(self.settings(**overrides))

    def client(self):
        """One SDK client, kept: the SDK closes its HTTP client when a Client is collected."""
        from google import genai
        from google.genai import types

        if not hasattr(self, "_client"):
            self._client = genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=self.url))
        return self._client


@pytest.fixture(scope="module")
def gemini():
    server = LocalGemini()
    yield server
    server.server.shutdown()


@pytest.fixture(autouse=True)
def _fresh(request):
    if "gemini" in request.fixturenames:
        request.getfixturevalue("gemini").control("reset")
    yield


def photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 160), (240, 236, 220)).save(out, "JPEG")
    return out.getvalue()


def call(seconds: float = 60, on_items=None) -> Call:
    return Call(deadline=time.monotonic() + seconds, on_items=on_items)
