"""V4 signed URLs for Cloud Storage, without the storage client.

The algorithm of Google's V4 signing process (the same as google-cloud-storage's
`generate_signed_url(version="v4")`, which a test compares it with byte for byte). Importing that
client for one signature cost signed_url ~0.3 s on each new instance's first request. With a key
file (local stacks) the string to sign is signed here; on Cloud Run, which has no private key, IAM's
signBlob signs it as the runtime account.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import urllib.parse
import urllib.request

from common.gcp import metadata

IAM_CREDENTIALS = "https://iamcredentials.googleapis.com/v1"
ALGORITHM = "GOOG4-RSA-SHA256"


def _quote(value: str, safe: str = "~") -> str:
    return urllib.parse.quote(value, safe=safe)


def signed_url(*, bucket: str, name: str, method: str, expires_s: int, headers: dict, endpoint: str,
               key_file: str = "", service_account: str = "", now: dt.datetime | None = None) -> str:
    """A URL allowing `method` on gs://bucket/name for expires_s, only with exactly these headers."""
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    timestamp, datestamp = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    signer = _KeyFile(key_file) if key_file else _Iam(service_account)
    scope = f"{datestamp}/auto/storage/goog4_request"
    resource = f"/{bucket}/{_quote(name, safe='/~')}"
    canonical = {k.lower().strip(): v for k, v in headers.items()}
    canonical.setdefault("host", urllib.parse.urlparse(endpoint).netloc)
    query = {"X-Goog-Algorithm": ALGORITHM, "X-Goog-Credential": f"{signer.email}/{scope}",
             "X-Goog-Date": timestamp, "X-Goog-Expires": str(expires_s),
             "X-Goog-SignedHeaders": ";".join(sorted(canonical))}
    request = canonical_request(method, resource, query, canonical)
    signature = signer.sign(string_to_sign(timestamp, scope, request).encode("ascii")).hex()
    return f"{endpoint}{resource}?{canonical_query(query)}&X-Goog-Signature={signature}"


def canonical_query(query: dict) -> str:
    return "&".join(sorted(f"{_quote(k)}={_quote(v)}" for k, v in query.items()))


def canonical_request(method: str, resource: str, query: dict, headers: dict) -> str:
    """V4's canonical request: `headers` are the signed ones (lower-case names), query without the signature."""
    ordered = sorted((k.lower().strip(), " ".join(str(v).split())) for k, v in headers.items())
    signed_headers = ";".join(k for k, _ in ordered)
    return "\n".join([method, resource, canonical_query(query), "".join(f"{k}:{v}\n" for k, v in ordered),
                      signed_headers, "UNSIGNED-PAYLOAD"])


def string_to_sign(timestamp: str, scope: str, request: str) -> str:
    return "\n".join([ALGORITHM, timestamp, scope, hashlib.sha256(request.encode("utf-8")).hexdigest()])


class _KeyFile:
    """Signs with a service-account key file's private key (RSA, PKCS#1 v1.5, SHA-256)."""

    def __init__(self, path: str):
        self.email, self._key = _load_key(path)

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        return self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())


@functools.lru_cache(maxsize=4)
def _load_key(path: str):
    from cryptography.hazmat.primitives import serialization

    with open(path) as fh:
        info = json.load(fh)
    return info["client_email"], serialization.load_pem_private_key(info["private_key"].encode(), password=None)


class _Iam:
    """Signs through IAM Credentials' signBlob as the runtime account (Cloud Run has no private key)."""

    def __init__(self, email: str):
        self.email = email or _runtime_email()

    def sign(self, message: bytes) -> bytes:
        url = f"{IAM_CREDENTIALS}/projects/-/serviceAccounts/{urllib.parse.quote(self.email)}:signBlob"
        req = urllib.request.Request(url, data=json.dumps({"payload": base64.b64encode(message).decode()}).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {metadata.access_token()}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return base64.b64decode(json.loads(resp.read())["signedBlob"])


@functools.lru_cache(maxsize=1)
def _runtime_email() -> str:
    return metadata.service_account_email()
