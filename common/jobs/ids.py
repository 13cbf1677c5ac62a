"""Job ids, access tokens and the gcs_uri a job names: their shapes, checked before anything is read, and the one
answer for a job a caller may not see."""
from __future__ import annotations

import hashlib
import re

from common.core.errors import BadRequest, NotFound
from common.core.settings import get_settings
from common.gcp import upload_names

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def job_not_found(job_id: str) -> NotFound:
    """The answer for a job that does not exist and for one the caller may not open: the same, always."""
    return NotFound(f"job {job_id!r} not found", code="JOB_NOT_FOUND")


def validate_job_id(job_id: str) -> str:
    # Shape check first: a malformed id is simply an unknown job, and never reaches Firestore.
    if not _JOB_ID.match(job_id or ""):
        raise job_not_found(job_id)
    return job_id



def parse_gcs_uri(uri: str) -> tuple[str, str]:
    """Accept only gs://<our bucket>/<uploads prefix><server-made name>; 400 naming the rule broken."""
    settings = get_settings()
    if not uri.startswith("gs://"):
        raise BadRequest("gcs_uri must start with gs://", code="INVALID_GCS_URI")
    bucket, _, name = uri[5:].partition("/")
    if bucket != settings.uploads.upload_bucket:
        raise BadRequest(f"gcs_uri must be in bucket {settings.uploads.upload_bucket!r}", code="INVALID_GCS_URI")
    if not name.startswith(settings.uploads.upload_prefix):
        raise BadRequest(f"gcs_uri must be under {settings.uploads.upload_prefix!r}", code="INVALID_GCS_URI")
    # The name's tag, not only its shape: a job needs an upload this server signed (gcp/upload_names.py).
    if not upload_names.issued(bucket, name[len(settings.uploads.upload_prefix):]):
        raise BadRequest("gcs_uri must name an object issued by /api/v1/uploads/signed-url", code="INVALID_GCS_URI")
    return bucket, name


def token_hash(token: str) -> str:
    """What the job stores instead of its access token."""
    return hashlib.sha256(token.encode()).hexdigest()


def pseudonym(caller_key: str) -> str:
    """What a job stores of who made it: enough to tell two callers apart, not to name one."""
    return hashlib.sha256(f"caller\n{caller_key}".encode()).hexdigest()[:16]
