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

from common.api import admission, auth, bodies, budget, quota, schemas, web
from common.core import logs, tracing
from common.core.errors import AppError, BadRequest, PayloadTooLarge
from common.core.settings import get_settings
from common.gcp import storage, tasks
from common.jobs import create as jobs, store
from common.scan import engine, photos, run
from common.scan import watchdog as sweeps
from common.streaming import sse
from common.streaming.feed import EventFeed

# The watchdog only ends jobs: it reads no menu, draws nothing and holds no model or R2 secret.
WATCHDOG = os.environ.get("FUNCTION_TARGET") == "run_scan_watchdog"
settings = get_settings().require("upload_bucket", "notify_task_url",
                                 *(() if WATCHDOG else ("r2_endpoint", "r2_bucket", "public_base_url")))
logs.configure(settings.cloud.log_level, settings.cloud.google_cloud_project)
log = logs.get_logger("run_scan")
task_router = web.Router("run_scan_task", public=False)
stream_router = web.Router("scan_stream")
watchdog_router = web.Router("run_scan_watchdog", public=False)
feed = EventFeed()
daily = budget.DailyBudget.from_settings(settings.limits)
if settings.models.engine_name == "local" and not WATCHDOG:
    from common.engines.local import check_prerequisites

    check_prerequisites()  # a missing font or model stops start-up with a message naming the fix
if not WATCHDOG:
    engine.preload_in_worker()

# What each run outcome tells the delivery: 2xx ends it, 503 asks Cloud Tasks to try again later.
_TASK_STATUS = {"completed": 200, "failed": 200, "finished": 200, "missing": 200, "lost": 200,
                "busy": 503, "waiting": 503}
# The inline photo as base64, with room for the JSON around it.
STREAM_MAX_BYTES = (settings.uploads.max_upload_bytes * 4) // 3 + 64 * 1024


@task_router.route("/", ["POST"])
def task(request):
    auth.require_internal(request.headers)
    _, job_id = bodies.parse_task(request, schemas.TaskBody)
    outcome = run.run_job(job_id, "task")
    status = _TASK_STATUS[outcome]
    headers = {"Retry-After": "5"} if status == 503 else None
    return web.json_response({"job_id": job_id, "outcome": outcome}, status, headers)


@watchdog_router.route("/", ["POST"])
def watchdog(request):
    auth.require_internal(request.headers)
    counts = sweeps.expire_overdue()
    log.info("watchdog swept", **counts)
    return web.json_response(counts)


@stream_router.route("/api/v1/scan/stream", ["POST"])
def compat_stream(request):
    caller = auth.identify(request.headers, request.remote_addr)
    charge = quota.JobCharge(caller, "scan_stream", settings.limits.rate_stream_per_min, settings.limits.rate_burst,
                             settings.limits.daily_job_cap_per_caller, daily)
    charge.limit()
    req = bodies.parse_json(request, schemas.StreamRequest, max_bytes=STREAM_MAX_BYTES)
    data = _decode_image(req.image_base64)
    kind = photos.sniff(data)
    if kind is None:
        raise BadRequest("image_base64 is not a JPEG, PNG, WebP or HEIC image", code="UNSUPPORTED_IMAGE")
    charge.check()  # no upload written for a scan the budget refuses anyway
    bucket, name = storage.write_upload(data, kind)
    try:
        request_ = schemas.CreateJobRequest(gcs_uri=f"gs://{bucket}/{name}", user_preferences=req.user_preferences)
        job = jobs.create(admission.new_job(request_, bucket, name, "v1"), caller_key=caller.key,
                          owner=caller.subject, budget=charge, caller=caller.wide_key).job
    except Exception:
        storage.delete_upload(bucket, name)
        raise
    try:
        # Run here for speed; a delayed task takes over if this instance dies mid-run.
        tasks.enqueue_scan(job.job_id, delay_s=settings.run.lease_s * 2)
    except Exception:
        try:
            jobs.discard(job)  # nothing would take over a run that dies: no job without its safety net
        finally:
            charge.refund()
            storage.delete_upload(bucket, name)
        raise
    # The run logs with this request's id, as its own lines would.
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run.run_job, job.job_id, "stream"), daemon=True).start()
    frames = sse.stream(feed, job.job_id, 0, heartbeat_s=settings.streams.sse_heartbeat_s, max_s=settings.streams.sse_max_stream_s,
                        retry_ms=settings.streams.sse_retry_ms)
    return flask.Response(frames, mimetype="text/event-stream",
                          headers={**sse.HEADERS, "X-Job-Id": job.job_id})


def _decode_image(value: str) -> bytes:
    if value.startswith("data:"):
        value = value.partition(",")[2]
    if len(value) > (settings.uploads.max_upload_bytes * 4) // 3 + 8:
        raise PayloadTooLarge(f"image is larger than {settings.uploads.max_upload_bytes} bytes", code="UPLOAD_TOO_LARGE")
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
        if bucket != settings.uploads.upload_bucket or not name.startswith(settings.uploads.upload_prefix):
            log.info("finalize ignored", bucket=bucket, object=name)
            return
        # Not yet a job for this upload is fine: create_job's task will run it. Busy or waiting too.
        for job_id in store.find_pending_by_object(bucket, name, storage.finalized_at(data)):
            run.run_job(job_id, "finalize")
