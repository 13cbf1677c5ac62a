"""Request bodies: read within a size bound, parsed as JSON into the entry point's schema, with a 4xx
naming what is wrong; a Cloud Task's body that can never succeed is dropped, not retried."""
from __future__ import annotations

import json
from typing import TypeVar

import flask

from common.core import logs, tracing
from common.core.errors import AppError, InvalidJson, PayloadTooLarge, UnsupportedMediaType
from common.core.text import clean, has_surrogate
from common.jobs.ids import validate_job_id

M = TypeVar("M")


MAX_JSON_BYTES = 64 * 1024  # every JSON body but the compatibility stream's inline photo
# Deeper than any body we take (a profile's schema is at most 12 levels, inside two); Firestore
# itself stores maps 20 deep at most.
MAX_JSON_DEPTH = 32


def read_body(request: flask.Request, max_bytes: int) -> bytes:
    """The body, refused (413) past max_bytes before more than that is read: a declared length is
    checked first, and a chunked body is read only up to the bound."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"the request body is {request.content_length} bytes; at most {max_bytes} are accepted",
                              code="BODY_TOO_LARGE")
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the request body is over {max_bytes} bytes", code="BODY_TOO_LARGE")
    request._body_read = True
    return data


def parse_json(request: flask.Request, model: type[M], *args, max_bytes: int = MAX_JSON_BYTES) -> M:
    """Parse the body with `model.from_json(data, *args)` (common/api/schemas.py); a 4xx naming the offending field."""
    ctype = request.mimetype or ""
    if ctype != "application/json":
        raise UnsupportedMediaType(f"Content-Type must be application/json, got {ctype or 'none'}")
    raw = read_body(request, max_bytes)
    try:
        data = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidJson(f"request body is not valid JSON: {exc}") from None
    except RecursionError:  # the parser's own stack: about a thousand nested arrays do it
        raise InvalidJson(f"request body is nested deeper than {MAX_JSON_DEPTH} levels") from None
    if not isinstance(data, dict):
        raise InvalidJson("request body must be a JSON object")
    _check_text(data)
    return model.from_json(data, *args)


def _check_text(data: dict) -> None:
    """400 for a body nested past MAX_JSON_DEPTH or holding a lone surrogate ("\\ud800"), which no
    store or schema check downstream could take. Walked without recursion."""
    stack = [(data, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidJson(f"request body is nested deeper than {MAX_JSON_DEPTH} levels")
        pairs = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in pairs:
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_surrogate(key) or isinstance(value, str) and has_surrogate(value):
                raise InvalidJson(f"{clean(where[:80])}: holds a lone UTF-16 surrogate, which is not text")
            if isinstance(value, (dict, list)):
                stack.append((value, depth + 1, where))


class DroppedTask(Exception):
    """A task whose body can never succeed: answered 200 {"dropped": code}, so the queue does not
    retry it 30 times."""

    def __init__(self, err: AppError):
        super().__init__(err.message)
        self.err = err


def parse_task(request: flask.Request, model: type[M]) -> tuple[M, str]:
    """A Cloud Task's body and the job id it names; DroppedTask when either is unusable."""
    try:
        body = parse_json(request, model)
        job_id = validate_job_id(body.job_id)
    except AppError as err:
        raise DroppedTask(err) from None
    logs.job_id_var.set(job_id)  # the router resets it after the answer
    tracing.annotate(job_id=job_id)
    return body, job_id
