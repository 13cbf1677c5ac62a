"""The id a request is logged under, and the trace its spans are in, are minted at the origin: a client's
own X-Request-Id is logged beside ours as client_request_id, and its traceparent becomes a link."""
from __future__ import annotations

import json
import os
import time

import pytest

from common.core import trace_ids
from devstack import waterfall
from devstack.stack import ENTRY_POINTS
from tests import fronts
from tests.support import eventually, log_entries


@pytest.fixture(params=fronts.KINDS)
def front(request, stack, tmp_path):
    with fronts.front(request.param, stack, tmp_path, {n: stack.function_url(n) for n in ENTRY_POINTS}) as url:
        yield url


def _logged(stack, function: str) -> list[dict]:
    return [json.loads(line) for line in stack.log_path(function).read_text(errors="replace").splitlines()
            if line.startswith("{")]


def test_a_clients_request_id_is_logged_beside_the_origins_own_never_in_its_place(front, stack):
    import httpx

    chosen = "client-chosen-" + os.urandom(6).hex()
    r = httpx.post(front + "/api/v2/uploads/signed-url", json={"content_type": "text/html"},
                   headers={"X-Request-Id": chosen, "X-Cloud-Trace-Context": "0" * 31 + "1/1;o=1"})
    assert r.status_code == 400  # refused: a line is logged for it
    ours = r.headers["x-request-id"]
    assert ours != chosen and len(ours) >= 32
    (line,) = eventually(lambda: [e for e in log_entries(stack, "signed-url") if e.get("client_request_id") == chosen],
                         timeout_s=10, what="the request's line in signed-url's log")
    assert line["request_id"] == ours and line["message"] == "request refused"
    assert not [e for e in _logged(stack, "signed-url") if e.get("request_id") == chosen]


def test_a_request_id_a_client_makes_up_is_dropped_not_passed_on(front, stack):
    import httpx

    r = httpx.post(front + "/api/v2/uploads/signed-url", json={"content_type": "text/html"},
                   headers={"X-Request-Id": "bad id\twith spaces" + "x" * 200})
    (line,) = eventually(lambda: [e for e in log_entries(stack, "signed-url")
                                  if e.get("request_id") == r.headers["x-request-id"]],
                         timeout_s=10, what="the request's line in signed-url's log")
    assert "client_request_id" not in line


def test_a_clients_traceparent_is_linked_from_the_requests_span_not_followed(front, stack, menu_photo):
    import httpx

    client = trace_ids.Ids(os.urandom(16).hex(), os.urandom(8).hex(), sampled=True)
    r = httpx.post(front + "/api/v2/uploads/signed-url", json={}, headers={"traceparent": client.traceparent})
    assert r.status_code == 200
    deadline = time.monotonic() + 10
    while not (spans := [s for s in waterfall.load(stack.trace_dir) if s["service"] == "signed_url"
                         and any(link["trace_id"] == client.trace_id for link in s.get("links") or ())]):
        assert time.monotonic() < deadline, "the request's span was never written"
        time.sleep(0.1)
    (span,) = spans
    assert span["trace_id"] != client.trace_id and span["parent_id"] != client.span_id
    assert not [s for s in waterfall.load(stack.trace_dir) if s["trace_id"] == client.trace_id]
