"""Uploads in GCS: V4 signed PUT URLs issued by the server, and bounded reads of what arrived."""
from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Optional

from common.core import logs
from common.core.errors import BadRequest, ScanError, Unavailable
from common.core.settings import get_settings
from common.gcp import signing, upload_names

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}


@functools.lru_cache(maxsize=1)
def client():
    from google.cloud import storage

    # STORAGE_EMULATOR_HOST makes the client talk to the emulator anonymously.
    return storage.Client(project=get_settings().cloud.google_cloud_project)


def issue_upload_url(content_type: str, version: str = "v2") -> dict:
    """A signed PUT URL for a server-named object: the content type bound in, and on v2 the size range.

    v1 signs Content-Type alone: the shipped app's PUT sends nothing else, and GCS refuses a request
    that lacks a signed header. Its size is checked by run_scan before any work instead, and the
    uploads bucket's lifecycle deletes what is left.
    """
    settings = get_settings()
    ctype = content_type.strip().lower()
    if ctype not in settings.uploads.content_types or ctype not in _EXTENSIONS:
        raise BadRequest(f"content_type {content_type!r} is not supported; use one of: "
                         f"{', '.join(settings.uploads.content_types)}", code="UNSUPPORTED_CONTENT_TYPE")
    # A name only this server makes: create-job takes no other (gcp/upload_names.py).
    upload_id, name = upload_names.issue(settings.uploads.upload_bucket, _EXTENSIONS[ctype])
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=settings.uploads.signed_url_ttl_s)
    required_headers = {"Content-Type": ctype}
    if version != "v1":
        required_headers["x-goog-content-length-range"] = f"1,{settings.uploads.max_upload_bytes}"
    url = signing.signed_url(bucket=settings.uploads.upload_bucket, name=name, method="PUT",
                             expires_s=settings.uploads.signed_url_ttl_s, headers=required_headers,
                             endpoint=settings.uploads.gcs_public_endpoint, key_file=settings.uploads.signing_key_file,
                             service_account=settings.uploads.signing_service_account)
    return {
        "upload_url": url,
        "gcs_uri": f"gs://{settings.uploads.upload_bucket}/{name}",
        "expires_at": expires.isoformat().replace("+00:00", "Z"),
        "upload_id": upload_id,
        "method": "PUT",
        "headers": required_headers,
        "max_bytes": settings.uploads.max_upload_bytes,
    }


def _retry():
    """The client's own retry of 5xx and transport faults, for 20 s rather than its default 120 s:
    past that the job is given back and its delivery retried later, under a lease that is not held."""
    from google.cloud.storage.retry import DEFAULT_RETRY

    return DEFAULT_RETRY.with_timeout(20.0)


@functools.lru_cache(maxsize=1)
def outages() -> tuple[type[BaseException], ...]:
    """The storage client's errors for an outage (5xx, 429, transport), imported on first use."""
    import requests
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    # RetryError: the client's own retry (_retry) ran out while the outage lasted.
    return (gexc.ServerError, gexc.TooManyRequests, gexc.RetryError, requests.ConnectionError, requests.Timeout,
            requests.exceptions.ChunkedEncodingError, auth_exc.TransportError)


@dataclass
class Upload:
    data: bytes
    content_type: str
    size: int
    created: Optional[dt.datetime] = None  # when the object was written (the job's time budget counts from it)


def read_upload(bucket: str, name: str) -> Upload:
    """Fetch the upload, refusing oversize objects before downloading them."""
    from google.api_core import exceptions as gexc

    settings = get_settings()
    try:
        blob = client().bucket(bucket).get_blob(name, timeout=10, retry=_retry())
    except gexc.NotFound:
        blob = None
    except outages() as exc:
        # Not "not uploaded yet": an outage must never end a job as UPLOAD_NOT_FOUND.
        raise Unavailable(f"storage unavailable: {str(exc)[:200]}", code="STORAGE_UNAVAILABLE") from None
    if blob is None:
        raise Unavailable(f"upload gs://{bucket}/{name} has not arrived yet", code="UPLOAD_PENDING")
    # No local emulator checks signatures or the signed size range, and a bucket writer might
    # bypass them: what arrived is checked again before any byte is downloaded.
    declared = (blob.content_type or "").split(";")[0].strip().lower()
    if declared not in settings.uploads.content_types:
        raise ScanError("UNSUPPORTED_CONTENT_TYPE",
                        f"the upload was stored as {declared or 'no content type'}; "
                        f"expected one of {', '.join(settings.uploads.content_types)}")
    size = int(blob.size or 0)
    if size == 0:
        raise ScanError("UPLOAD_EMPTY", "the uploaded photo is empty (0 bytes)")
    if size > settings.uploads.max_upload_bytes:
        raise ScanError("UPLOAD_TOO_LARGE",
                        f"the uploaded photo is {size} bytes; the limit is {settings.uploads.max_upload_bytes}")
    try:
        data = blob.download_as_bytes(raw_download=True, timeout=30, retry=_retry())
    except outages() as exc:
        raise Unavailable(f"storage unavailable: {str(exc)[:200]}", code="STORAGE_UNAVAILABLE") from None
    return Upload(data=data, content_type=blob.content_type or "", size=size, created=blob.time_created)


def uploaded_at(bucket: str, name: str) -> dt.datetime | None:
    """When the object was written, or None while it is not there; Unavailable when storage is down.
    (Its metadata only: a multi-page scan looks at every page before it reads any.)"""
    from google.api_core import exceptions as gexc

    try:
        blob = client().bucket(bucket).get_blob(name, timeout=10, retry=_retry())
    except gexc.NotFound:
        return None
    except outages() as exc:
        raise Unavailable(f"storage unavailable: {str(exc)[:200]}", code="STORAGE_UNAVAILABLE") from None
    return blob.time_created if blob is not None else None


def upload_arrived(bucket: str, name: str) -> bool | None:
    """Whether the object exists now; None when storage cannot say (an outage is not an answer)."""
    try:
        return client().bucket(bucket).blob(name).exists(timeout=10, retry=_retry())
    except Exception as exc:  # noqa: BLE001 - a second look only; the task's retry looks again anyway
        logs.get_logger(__name__).warning("could not tell whether the upload is there", object=name,
                                          error=f"{type(exc).__name__}: {str(exc)[:150]}")
        return None


def write_upload(data: bytes, content_type: str) -> tuple[str, str]:
    """Store an inline photo (the compatibility stream) where a signed upload would have put it."""
    settings = get_settings()
    ext = _EXTENSIONS.get(content_type, "jpg")
    name = f"{settings.uploads.upload_prefix}{uuid.uuid4().hex}.{ext}"
    client().bucket(settings.uploads.upload_bucket).blob(name).upload_from_string(data, content_type=content_type)
    return settings.uploads.upload_bucket, name


def delete_upload(bucket: str, name: str) -> None:
    """Remove an inline photo whose job could not be made (best effort: the lifecycle deletes it anyway)."""
    try:
        client().bucket(bucket).blob(name).delete(timeout=10)
    except Exception as exc:  # noqa: BLE001 - the request already fails for the reason that matters
        logs.get_logger(__name__).warning("could not delete an orphan upload", object=name, error=str(exc)[:200])


def finalized_at(event_data: dict) -> dt.datetime | None:
    """When a finalize event's object was written (its timeCreated), or None when absent or malformed."""
    raw = event_data.get("timeCreated") or event_data.get("updated")
    if not isinstance(raw, str):
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
