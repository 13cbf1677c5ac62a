"""run_scan: the Cloud Task target, the GCS-finalize CloudEvent target, POST /api/v1/scan/stream,
and the watchdog (Cloud Scheduler's target).

One source, four deployed entry points, each with its own router: the task target and the watchdog
serve only their own private route, the compatibility stream only its public one.
"""
import base64
import binascii
import contextvars
import os
import threading

import flask
import functions_framework
from common.api import auth, budget, ratelimit, schemas, web
from common.core import logs, tracing
from common.gcp import storage, tasks
from common.jobs import store as jobs
from common.scan import photos as images, pipeline
from common.streaming import sse
from common.core.settings import get_settings
from common.core.errors import AppError, BadRequest, PayloadTooLarge
from common.streaming.feed import EventFeed

# The watchdog only ends jobs: it reads no menu, draws nothing and holds no model or R2 secret.
WATCHDOG = os.environ.get("FUNCTION_TARGET") == "run_scan_watchdog"
settings = get_settings().require("upload_bucket", "notify_task_url",
                                 *(() if WATCHDOG else ("r2_endpoint", "r2_bucket", "public_base_url")))
logs.configure(settings.log_level, settings.google_cloud_project)
log = logs.get_logger("run_scan")
task_router = web.Router("run_scan_task", public=False)
stream_router = web.Router("scan_stream")
watchdog_router = web.Router("run_scan_watchdog", public=False)
feed = EventFeed()
daily = budget.DailyBudget(settings.daily_job_budget)
if settings.engine_name == "local" and not WATCHDOG:
    from common.engines.local import check_prerequisites

    check_prerequisites()  # a missing font or model stops start-up with a message naming the fix
if not WATCHDOG:
    pipeline.preload_in_worker()

# What each run outcome tells the delivery: 2xx ends it, 503 asks Cloud Tasks to try again later.
_TASK_STATUS = {"completed": 200, "failed": 200, "finished": 200, "missing": 200, "lost": 200,
                "busy": 503, "waiting": 503}
# The inline photo as base64, with room for the JSON around it.
STREAM_MAX_BYTES = (settings.max_upload_bytes * 4) // 3 + 64 * 1024


@task_router.route("/", ["POST"])
def task(request):
    auth.require_internal(request.headers)
    _, job_id = web.parse_task(request, schemas.TaskBody)
    outcome = pipeline.run_job(job_id, "task")
    status = _TASK_STATUS[outcome]
    headers = {"Retry-After": "5"} if status == 503 else None
    return web.json_response({"job_id": job_id, "outcome": outcome}, status, headers)


@watchdog_router.route("/", ["POST"])
def watchdog(request):
    auth.require_internal(request.headers)
    counts = pipeline.expire_overdue()
    log.info("watchdog swept", **counts)
    return web.json_response(counts)


@stream_router.route("/api/v1/scan/stream", ["POST"])
def compat_stream(request):
    caller = auth.identify(request.headers, request.remote_addr)
    ratelimit.take(caller, "scan_stream", settings.rate_stream_per_min, settings.rate_burst)
    req = web.parse_json(request, schemas.StreamRequest, max_bytes=STREAM_MAX_BYTES)
    data = _decode_image(req.image_base64)
    kind = images.sniff(data)
    if kind is None:
        raise BadRequest("image_base64 is not a JPEG, PNG, WebP or HEIC image", code="UNSUPPORTED_IMAGE")
    daily.check()  # no upload written for a scan the budget refuses anyway
    bucket, name = storage.write_upload(data, kind)
    try:
        job, _ = jobs.create(schemas.CreateJobRequest(gcs_uri=f"gs://{bucket}/{name}",
                                                      user_preferences=req.user_preferences), bucket, name,
                             caller=caller, version="v1", budget=daily)
    except Exception:
        storage.delete_upload(bucket, name)
        raise
    try:
        # Run here for speed; a delayed task takes over if this instance dies mid-run.
        tasks.enqueue_scan(job["job_id"], delay_s=settings.lease_s * 2)
    except Exception:
        try:
            jobs.discard(job)  # nothing would take over a run that dies: no job without its safety net
        finally:
            daily.refund()
            storage.delete_upload(bucket, name)
        raise
    # The run logs with this request's id, as its own lines would.
    run = contextvars.copy_context()
    threading.Thread(target=run.run, args=(pipeline.run_job, job["job_id"], "stream"), daemon=True).start()
    frames = sse.stream(feed, job["job_id"], 0, heartbeat_s=settings.sse_heartbeat_s, max_s=settings.sse_max_stream_s,
                        retry_ms=settings.sse_retry_ms)
    return flask.Response(frames, mimetype="text/event-stream",
                          headers={**sse.HEADERS, "X-Job-Id": job["job_id"]})


def _decode_image(value: str) -> bytes:
    if value.startswith("data:"):
        value = value.partition(",")[2]
    if len(value) > (settings.max_upload_bytes * 4) // 3 + 8:
        raise PayloadTooLarge(f"image is larger than {settings.max_upload_bytes} bytes", code="UPLOAD_TOO_LARGE")
    try:
        data = base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("image_base64 is not valid base64", code="INVALID_BASE64") from None
    if not data:
        raise BadRequest("image_base64 decodes to 0 bytes", code="UPLOAD_EMPTY")
    return data


@functions_framework.http
def run_scan_task(request):
    return task_router(request)


@functions_framework.http
def scan_stream(request):
    return stream_router(request)


@functions_framework.http
def run_scan_watchdog(request):
    return watchdog_router(request)


@functions_framework.cloud_event
def run_scan_finalize(cloud_event):
    """google.cloud.storage.object.v1.finalized: run jobs already waiting for this upload."""
    # The event id is the request id: Eventarc redelivers with the same one, which ties retries together.
    logs.request_id_var.set(str(cloud_event["id"]))
    # functions-framework serves CloudEvents inside a Flask request. Each job it runs joins the
    # job's own trace (tracing.job_run), linked to this one.
    with tracing.request("finalize", flask.request.headers, event_id=str(cloud_event["id"])) as sp:
        try:
            auth.require_internal(flask.request.headers)
        except AppError as err:
            web.log_refusal(err, flask.request.path)
            tracing.fail(sp, err)
            flask.abort(web.error_response(err))
        data = cloud_event.data or {}
        bucket, name = data.get("bucket", ""), data.get("name", "")
        if bucket != settings.upload_bucket or not name.startswith(settings.upload_prefix):
            log.info("finalize ignored", bucket=bucket, object=name)
            return
        # Not yet a job for this upload is fine: create_job's task will run it. Busy or waiting too.
        for job_id in jobs.find_pending_by_object(bucket, name, storage.finalized_at(data)):
            pipeline.run_job(job_id, "finalize")
