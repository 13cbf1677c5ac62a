"""What a create-job request must satisfy before a job is made: its upload, its callback, its profile."""
from __future__ import annotations

from common.api.schemas import CreateJobRequest
from common.core.errors import AppError, BadRequest
from common.core.settings import Settings
from common.jobs import ids
from common.jobs.create import NewJob
from common.notify import egress
from common.profiles import builtin, store
from common.profiles.pinned import Pinned


def admit(req: CreateJobRequest, version: str, owner: str | None, settings: Settings) -> tuple[NewJob, Pinned | None]:
    """The job to make and its pinned profile; a 4xx naming what is wrong, or 501 for a feature the
    deployment lacks."""
    pages = _pages(req)  # first: a bad page is named by its place in gcs_uris
    bucket, name = ids.parse_gcs_uri(req.gcs_uri)
    if req.callback_url:
        if not settings.notify.webhook_secret_list:
            # Not the caller's mistake, nor an outage that passes: the deployment lacks the feature.
            raise AppError("callback_url: this deployment has no webhook signing secret (WEBHOOK_SECRETS)",
                           code="CALLBACKS_DISABLED", status=501)
        egress.check(req.callback_url, allow_loopback=settings.notify.callback_allow_loopback)  # 400 naming why
    store.check_ref(req.profile)
    if req.profile not in builtin.OFFLINE and settings.models.engine_name == "local":
        raise BadRequest(f"profile {req.profile[:60]} needs a model: this deployment runs the offline engine, which "
                         f"reads {', '.join(builtin.OFFLINE)} only (set GEMINI_API_KEY)", code="PROFILE_NEEDS_MODEL")
    profile = store.resolve(req.profile, owner)  # a 404 for another caller's, as for none
    return new_job(req, bucket, name, version, pages), profile


def _pages(req: CreateJobRequest) -> tuple[str, ...]:
    """A multi-page scan's object names, each a signed upload of ours; only a menu reads several pages."""
    if not req.gcs_uris:
        return ()
    if req.profile != "menu":
        raise BadRequest(f"gcs_uris: profile {req.profile[:60]} reads one photo; send gcs_uri", code="INVALID_REQUEST")
    names = []
    for i, uri in enumerate(req.gcs_uris):
        try:
            names.append(ids.parse_gcs_uri(uri)[1])
        except BadRequest as exc:
            raise BadRequest(f"gcs_uris[{i}]: {exc.message}", code=exc.code) from None
    return tuple(names)


def new_job(req: CreateJobRequest, bucket: str, name: str, version: str, pages: tuple[str, ...] = ()) -> NewJob:
    prefs = req.user_preferences
    return NewJob(gcs_uri=req.gcs_uri, bucket=bucket, object_name=name, language=prefs.language,
                  language_requested=prefs.language_requested, language_known=prefs.language_known,
                  push_token=req.push_token, callback_url=req.callback_url, profile=req.profile, api_version=version,
                  page_objects=pages)
