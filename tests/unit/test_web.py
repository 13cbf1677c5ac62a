"""Errors become HTTP answers in one place (common/api/web.py and asgi.py): an outage is a 503 with
Retry-After on both kinds of entry point, a bug a JSON 500."""
from __future__ import annotations

import json

import pytest


def _outage_exceptions():
    import urllib.error

    import botocore.exceptions
    import grpc
    import requests
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    class RpcDown(grpc.RpcError):
        def code(self):
            return grpc.StatusCode.UNAVAILABLE

    return {
        "firestore unavailable": gexc.ServiceUnavailable("connect failed"),
        "firestore deadline": gexc.DeadlineExceeded("deadline"),
        "firestore quota": gexc.ResourceExhausted("quota"),
        "firestore retry budget spent": gexc.RetryError("gave up", cause=None),
        "gcs 503": gexc.ServiceUnavailable("backend"),
        "gcs transport": requests.ConnectionError("reset"),
        "r2 unreachable": botocore.exceptions.EndpointConnectionError(endpoint_url="https://r2.example"),
        "r2 500": botocore.exceptions.ClientError({"Error": {"Code": "InternalError"},
                                                   "ResponseMetadata": {"HTTPStatusCode": 500}}, "PutObject"),
        "signBlob 503": urllib.error.HTTPError("https://iam", 503, "unavailable", {}, None),
        "metadata unreachable": urllib.error.URLError("connection refused"),
        "grpc unavailable": RpcDown(),
        "token refresh": auth_exc.TransportError("metadata"),
        "socket timeout": TimeoutError("timed out"),
    }


@pytest.mark.parametrize("what", list(_outage_exceptions()))
def test_a_dependency_outage_is_a_503_with_retry_after_on_wsgi_and_asgi_entry_points(what):
    import asyncio

    import flask
    from starlette.requests import Request

    from common.api import asgi, web

    exc = _outage_exceptions()[what]
    router, arouter = web.Router("t", public=False), asgi.Router("t", public=False)

    @router.route("/x", ["GET"])
    def boom(request):
        raise exc

    @arouter.route("/x", ["GET"])
    async def aboom(request):
        raise exc

    with flask.Flask("t").test_request_context("/x"):
        resp = router(flask.request)
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}
    aresp = asyncio.run(arouter(Request(scope)))
    for status, headers, body in ((resp.status_code, resp.headers, resp.get_data()),
                                  (aresp.status_code, aresp.headers, aresp.body)):
        assert status == 503 and int(headers["retry-after"]) >= 1
        assert json.loads(body)["error"]["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize("exc", [ValueError("a bug"), KeyError("x")])
def test_a_bug_is_still_a_json_500_not_dressed_as_an_outage(exc):
    import flask

    from common.api import web

    router = web.Router("t", public=False)

    @router.route("/x", ["GET"])
    def boom(request):
        raise exc

    with flask.Flask("t").test_request_context("/x"):
        resp = router(flask.request)
    assert resp.status_code == 500 and resp.get_json()["error"]["code"] == "INTERNAL"
