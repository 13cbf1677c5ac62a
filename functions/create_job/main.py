"""POST /api/v{1,2}/scan/jobs: record the job, queue its scan, answer at once."""
import functions_framework

from common.api import auth, budget, idempotency, ratelimit, schemas, web
from common.core import logs, tracing
from common.gcp import tasks
from common.jobs import ids as job_ids, store as jobs
from common.notify import egress
from common.profiles import catalog as profiles
from common.core.settings import get_settings
from common.core.errors import AppError, BadRequest

settings = get_settings().require("upload_bucket", "run_scan_task_url")
logs.configure(settings.log_level, settings.google_cloud_project)
router = web.Router("create_job")
daily = budget.DailyBudget(settings.daily_job_budget)


@router.route("/api/<any(v1, v2):version>/scan/jobs", ["POST"])
def create(request, version):
    caller = auth.identify(request.headers, request.remote_addr)
    edge = idempotency.EdgeKey.of(request.headers)
    if not (edge and edge.repeat):  # the Worker's repeat of one request is not another request
        ratelimit.take(caller, "create_job", settings.rate_job_per_min, settings.rate_burst)
    req = web.parse_json(request, schemas.CreateJobRequest, version)
    bucket, name = job_ids.parse_gcs_uri(req.gcs_uri)
    if req.callback_url:
        if not settings.webhook_secret_list:
            # Not the caller's mistake, nor an outage that passes: the deployment lacks the feature.
            raise AppError("callback_url: this deployment has no webhook signing secret (WEBHOOK_SECRETS)",
                           code="CALLBACKS_DISABLED", status=501)
        egress.check(req.callback_url, allow_loopback=settings.callback_allow_loopback)  # 400 naming the reason
    key = idempotency.validate(request.headers.get("Idempotency-Key"))
    profiles.check_ref(req.profile)
    if req.profile not in profiles.OFFLINE and settings.engine_name == "local":
        raise BadRequest(f"profile {req.profile[:60]} needs a model: this deployment runs the offline engine, which "
                         f"reads {', '.join(profiles.OFFLINE)} only (set GEMINI_API_KEY)", code="PROFILE_NEEDS_MODEL")
    profile = profiles.resolve(req.profile, caller.subject)  # a 404 for another caller's, as for none
    job, created = jobs.create(req, bucket, name, key, caller, version, budget=daily, profile=profile, edge=edge)
    job_id = job["job_id"]
    # From here on the request's lines and spans name the job (the router resets it after the answer).
    logs.job_id_var.set(job_id)
    tracing.annotate(job_id=job_id, replayed=not created)
    try:
        # Also on a replay: the task is named after the job, so this heals an enqueue that was lost.
        tasks.enqueue_scan(job_id)
    except Exception:
        if created:
            try:
                jobs.discard(job)  # never leave a job that nothing will run
            finally:
                daily.refund()
        raise
    body = {
        "job_id": job_id,
        "status": job["status"],
        "session_id": job_id,
        "language": job["language"],
        "events_url": f"/api/{version}/scan/jobs/{job_id}/events",
        "snapshot_url": f"/api/{version}/scan/jobs/{job_id}",
    }
    if job.get("access_token"):
        body["access_token"] = job["access_token"]
    return web.json_response(body, 201 if created else 200)


@functions_framework.http
def create_job(request):
    return router(request)
