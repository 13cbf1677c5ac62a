"""The photo a run reads: the upload, checked and normalised; the job's deadline starts from it."""
from __future__ import annotations

from common.core import logs, tracing
from common.core.sections import UploadSettings
from common.gcp import storage
from common.jobs import payloads
from common.scan import photos
from common.scan.engine import engine
from common.scan.state import RunState

log = logs.get_logger(__name__)
ANALYZING = ("analyzing", "Reading the menu")


def analyzing(job_id: str) -> tuple[str, dict]:
    """Stored by the claim itself for a fresh job (lease.claim's `opening`): the phone sees it a commit sooner."""
    return "status", payloads.status(*ANALYZING, job_id)


def read(state: RunState, uploads: UploadSettings, partials_sent: int) -> tuple[storage.Upload, photos.Photo]:
    """The upload and the photo to read from it; the job's deadline from the later of the two starts.
    Says `analyzing` when nothing has yet, and settles the language the engine will write."""
    job = state.job
    with tracing.span("upload.read"):
        upload = storage.read_upload(job.bucket, job.object_name)
    state.start_deadline(upload.created)
    with tracing.span("photo.normalise", bytes=len(upload.data)):
        photo = photos.normalise(upload.data, uploads.max_image_pixels, uploads.decode_budget_pixels)
    if not state.last_status_is("analyzing") and not partials_sent:
        state.log.append(*analyzing(state.job_id))  # a job claimed by an older deploy, before claims stored it
    choose_language(state)
    return upload, photo


def choose_language(state: RunState) -> None:
    """The language the engine writes in; when it is not the one asked for, the reader is told why."""
    job = state.job
    state.language_used, reason = engine().reader_language(job.language, job.language_known)
    if reason:
        state.language_fallback = {"requested": job.language_requested or job.language,
                                   "used": state.language_used, "reason": reason}
        log.info("language fallback", **state.language_fallback)
