"""Cloud Run's metadata server: the runtime account's access token and email, standard library only.

Used where loading google-auth (and with it requests and cryptography) would cost a function its
cold-start budget: the rate limiter's Firestore calls and IAM URL signing.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.request

_BASE = "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default"
_lock = threading.Lock()
_token: tuple[str, float] = ("", 0.0)


def _get(path: str) -> bytes:
    req = urllib.request.Request(f"{_BASE}/{path}", headers={"Metadata-Flavor": "Google"})
    with urllib.request.urlopen(req, timeout=2) as resp:
        return resp.read()


def access_token() -> str:
    """A token for the runtime account, cached until a minute before it expires."""
    global _token
    with _lock:
        token, expires = _token
        if time.monotonic() >= expires:
            body = json.loads(_get("token"))
            token = body["access_token"]
            _token = (token, time.monotonic() + max(30.0, float(body.get("expires_in", 300)) - 60))
        return token


def service_account_email() -> str:
    """The runtime account's email."""
    return _get("email").decode().strip()
