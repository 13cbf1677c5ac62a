"""GET /api/v{1,2}/scan/jobs/{id} (snapshot) and GET .../events (SSE, resumable).

Served as ASGI (functions-framework runs an @aio.http function under uvicorn): an open stream is a
coroutine waiting on a queue, not a thread, and one Listen stream feeds every stream of the instance.
"""
import asyncio

import functions_framework.aio
from starlette.responses import Response, StreamingResponse

from common.api import asgi, auth, readlimits
from common.core import logs
from common.core.errors import NotFound
from common.core.settings import get_settings
from common.jobs import views
from common.profiles import formats
from common.streaming import session, sse
from common.streaming.feed import EventFeed

settings = get_settings()
logs.configure(settings.cloud.log_level, settings.cloud.google_cloud_project)
log = logs.get_logger("events")
router = asgi.Router("events")
feed = EventFeed()
reads = readlimits.ReadLimiter.from_settings(settings.limits)


def _reader(request, version: str) -> tuple[auth.Caller, auth.JobAccess]:
    """The reader's credential and who it is for the read limits; in a thread (a JWT may fetch keys).
    429 here only when the caller's reads of found jobs are spent: misses are charged apart."""
    access = auth.job_access(request.headers, request.query_params.get("access_token"), version)
    caller = auth.Caller(auth.client_ip(request.headers, request.client.host if request.client else None),
                         access.subject)
    reads.admit(caller)
    # What retiring id-only reads waits for: v1 reads that come without a credential (docs/api-versions.md).
    log.info("job read", api=version, credential=access.kind,
             read="events" if request.url.path.rstrip("/").endswith("/events") else "snapshot")
    return caller, access


@router.route("/api/<any(v1, v2):version>/scan/jobs/<job_id>", ["GET"])
async def snapshot(request, version, job_id):
    caller, access = await asyncio.to_thread(_reader, request, version)
    try:
        body = await asyncio.to_thread(views.snapshot, job_id, access)
    except NotFound:
        reads.missed(caller)  # 429 instead, once the caller's misses are spent
        raise
    reads.found(caller)
    return asgi.json_response(body)


@router.route("/api/v2/scan/jobs/<job_id>/result", ["GET"])
async def result(request, job_id):
    """The job's result as a document: json, yaml, xml, csv or text (default: its profile's format)."""
    caller, access = await asyncio.to_thread(_reader, request, "v2")
    try:
        fmt, body = await asyncio.to_thread(views.result_document, job_id, access, request.query_params.get("format"))
    except NotFound:
        reads.missed(caller)
        raise
    reads.found(caller)
    return Response(body, media_type=f"{formats.MEDIA_TYPES[fmt]}; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{job_id}.{"txt" if fmt == "text" else fmt}"'})


@router.route("/api/<any(v1, v2):version>/scan/jobs/<job_id>/events", ["GET"])
async def stream(request, version, job_id):
    caller, access = await asyncio.to_thread(_reader, request, version)
    after = session.parse_last_event_id(request.query_params.get("last_event_id"), request.headers.get("last-event-id"),
                                    lenient=version == "v1")
    release = reads.open_stream(caller)
    # The job document's first state comes from the feed's listener: a missing job, or one this
    # credential does not open, is a JSON 404 before any byte of the stream, with no separate read.
    try:
        frames = await sse.astream(feed, job_id, after, access=access, heartbeat_s=settings.streams.sse_heartbeat_s,
                                   max_s=settings.streams.sse_max_stream_s, retry_ms=settings.streams.sse_retry_ms,
                                   on_close=release)
    except NotFound:
        release()
        reads.missed(caller)
        raise
    except BaseException:
        release()
        raise
    reads.found(caller)
    return StreamingResponse(frames, media_type="text/event-stream", headers=sse.HEADERS)


@functions_framework.aio.http
async def events(request):
    return await router(request)
