"""GET /api/v1/scan/jobs/{id} (snapshot) and GET /api/v1/scan/jobs/{id}/events (SSE, resumable)."""
import flask
import functions_framework

from common import jobs, logs, sse, web
from common.config import get_settings
from common.watch import JobWatchHub

settings = get_settings()
logs.configure(settings.log_level)
router = web.Router("events")
hub = JobWatchHub()


@router.route("/api/v1/scan/jobs/<job_id>", ["GET"])
def snapshot(request, job_id):
    return web.json_response(jobs.snapshot(job_id))


@router.route("/api/v1/scan/jobs/<job_id>/events", ["GET"])
def stream(request, job_id):
    after = sse.parse_last_event_id(request.args.get("last_event_id"), request.headers.get("Last-Event-ID"))
    job = jobs.get(job_id)  # 404 as JSON before any byte of the stream is sent
    frames = sse.stream(hub, job, after, heartbeat_s=settings.sse_heartbeat_s,
                        max_s=settings.sse_max_stream_s, retry_ms=settings.sse_retry_ms)
    return flask.Response(frames, mimetype="text/event-stream", headers=sse.HEADERS)


@functions_framework.http
def events(request):
    return router(request)
