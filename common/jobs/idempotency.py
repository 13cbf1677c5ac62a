"""scan_idempotency: what makes a repeated create-job return the first job (the client's Idempotency-Key,
per draft-ietf-httpapi-idempotency-key-header, or the Worker's own key): per caller, atomic, expiring.

The record's id hashes the caller with the key, so one caller's key never finds another's job. A
replay answers as the first response did, access token included: the token is kept sealed (AES-GCM)
under a key derived from the Idempotency-Key and the body, neither of which is stored, so the record
alone opens nothing. An expired record is replaced, not honoured.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass

from common.core.errors import Unprocessable
from common.core.settings import get_settings
from common.gcp import db
from common.core import clock

IDEMPOTENCY = "scan_idempotency"


@dataclass(frozen=True)
class Key:
    """One caller's Idempotency-Key for one request body."""

    record_id: str
    body_hash: str
    _seal: bytes

    @classmethod
    def of(cls, caller_key: str, key: str, body: str) -> "Key":
        body_hash = hashlib.sha256(body.encode()).hexdigest()
        record_id = hashlib.sha256(f"record\n{caller_key}\n{key}".encode()).hexdigest()
        seal = hashlib.sha256(f"seal\n{caller_key}\n{key}\n{body}".encode()).digest()
        return cls(record_id, body_hash, seal)

    @property
    def ref(self):
        return db.client().collection(IDEMPOTENCY).document(self.record_id)

    def record(self, job_id: str, access_token: str, now: dt.datetime) -> dict:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = nonce + AESGCM(self._seal).encrypt(nonce, access_token.encode(), job_id.encode())
        return {"job_id": job_id, "body_hash": self.body_hash, "sealed_token": base64.b64encode(sealed).decode(),
                "created_at": now, "expire_at": now + dt.timedelta(seconds=get_settings().limits.idempotency_ttl_s)}

    def lookup(self):
        """(job_id, access_token) of a live record for this key; None and the stale snapshot otherwise.

        422 when the key was used with another body. The stale snapshot (an expired record) is what
        a new record must replace, on the condition that nobody replaced it first.
        """
        snap = self.ref.get(**db.fast())
        if not snap.exists:
            return None, None
        rec = snap.to_dict()
        if rec["expire_at"] <= clock.now():
            return None, snap
        if rec["body_hash"] != self.body_hash:
            raise Unprocessable("Idempotency-Key was already used with a different request body",
                                code="IDEMPOTENCY_KEY_REUSED")
        return (rec["job_id"], self._unseal(rec["job_id"], rec.get("sealed_token", ""))), None

    def _unseal(self, job_id: str, sealed_b64: str) -> str | None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            sealed = base64.b64decode(sealed_b64)
            return AESGCM(self._seal).decrypt(sealed[:12], sealed[12:], job_id.encode()).decode()
        except (InvalidTag, ValueError):
            return None


@dataclass(frozen=True)
class EdgeKey:
    """The Worker's key for one create-job request: the job's id and access token follow from it,
    so when the Worker sends the request again, the repeat finds the job the first send made."""

    job_id: str
    access_token: str
    repeat: bool  # a second or later send: the first may have made the job

    @classmethod
    def derive(cls, key: str, secret: str, repeat: bool) -> "EdgeKey":
        """The job id and token an edge key names under the origin secret (HMAC-SHA256)."""
        def mac(label: str) -> bytes:
            return hmac.new(secret.encode(), f"edge {label}\n{key}".encode(), hashlib.sha256).digest()

        return cls(mac("job").hex()[:32], base64.urlsafe_b64encode(mac("token")).rstrip(b"=").decode(), repeat)
