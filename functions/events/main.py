"""GET /api/v1/scan/jobs/{id} (snapshot) and GET /api/v1/scan/jobs/{id}/events (SSE, resumable).

Served as ASGI (functions-framework runs an @aio.http function under uvicorn): an open stream is a
coroutine waiting on a queue, not a thread, and one Listen stream feeds every stream of the instance.
"""
import asyncio

import functions_framework.aio
from starlette.responses import StreamingResponse

from common import asgi, auth, jobs, logs, sse
from common.config import get_settings
from common.watch import EventFeed

settings = get_settings()
logs.configure(settings.log_level)
router = asgi.Router("events")
feed = EventFeed()


@router.route("/api/v1/scan/jobs/<job_id>", ["GET"])
async def snapshot(request, job_id):
    access = await asyncio.to_thread(auth.job_access, request.headers, request.query_params.get("access_token"))
    return asgi.json_response(await asyncio.to_thread(jobs.snapshot, job_id, access))


@router.route("/api/v1/scan/jobs/<job_id>/events", ["GET"])
async def stream(request, job_id):
    # In a thread: verifying a JWT may fetch the issuer's keys.
    access = await asyncio.to_thread(auth.job_access, request.headers, request.query_params.get("access_token"))
    after = sse.parse_last_event_id(request.query_params.get("last_event_id"), request.headers.get("last-event-id"))
    # The job document's first state comes from the feed's listener: a missing job, or one this
    # credential does not open, is a JSON 404 before any byte of the stream, with no separate read.
    frames = await sse.astream(feed, job_id, after, access=access, heartbeat_s=settings.sse_heartbeat_s,
                               max_s=settings.sse_max_stream_s, retry_ms=settings.sse_retry_ms)
    return StreamingResponse(frames, media_type="text/event-stream", headers=sse.HEADERS)


@functions_framework.aio.http
async def events(request):
    return await router(request)
