"""The keys a create-job request carries: the client's Idempotency-Key and the Worker's own.

The Worker adds its key (256 random bits) to a create-job sent without an Idempotency-Key, and says
which send this is, so its repeat after a lost answer finds the job the first send made
(worker/index.js). The key is believed only from a request that proves it came through the Worker.
"""
from __future__ import annotations

import re

from common.api import auth
from common.core.errors import BadRequest
from common.jobs.idempotency import EdgeKey

MAX_KEY_LENGTH = 255
EDGE_HEADER = "X-Edge-Request-Key"
EDGE_SEND_HEADER = "X-Edge-Send"
_EDGE_KEY = re.compile(r"^[0-9a-f]{64}$")


def idempotency_key(headers) -> str | None:
    """The Idempotency-Key header's value, or None; 400 for an empty or oversized key."""
    key = headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= MAX_KEY_LENGTH):
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters", code="INVALID_IDEMPOTENCY_KEY")
    return key


def edge_key(headers) -> EdgeKey | None:
    """The Worker's key, when the request proves it came through the Worker and the key is well-formed."""
    key = headers.get(EDGE_HEADER) or ""
    # Without an origin secret anyone could send a key and so choose a job's id and token. The key is
    # read under the secret the request proved (the old one, during a rotation, for every send of it).
    secret = auth.origin_proof(headers)
    if not secret or not _EDGE_KEY.match(key):
        return None
    return EdgeKey.derive(key, secret, repeat=(headers.get(EDGE_SEND_HEADER) or "1").strip() != "1")
