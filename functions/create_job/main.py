"""POST /api/v{1,2}/scan/jobs: record the job, queue its scan, answer at once."""
import functions_framework

from common.api import admission, auth, bodies, budget, quota, requestkeys, schemas, web
from common.core import logs, tracing
from common.core.settings import get_settings
from common.gcp import tasks
from common.jobs import create as jobs

settings = get_settings().require("upload_bucket", "upload_name_secrets", "run_scan_task_url")
logs.configure(settings.cloud.log_level, settings.cloud.google_cloud_project)
router = web.Router("create_job")
daily = budget.DailyBudget.from_settings(settings.limits)


@router.route("/api/<any(v1, v2):version>/scan/jobs", ["POST"])
def create(request, version):
    caller = auth.identify(request.headers, request.remote_addr)
    edge = requestkeys.edge_key(request.headers)
    charge = quota.JobCharge(caller, "create_job", settings.limits.rate_job_per_min, settings.limits.rate_burst,
                             settings.limits.daily_job_cap_per_caller, daily)
    # The Worker's repeat of one request is not another request: it looks for the job its first send
    # made, and is charged (when jobs.create spends the budget) only if there is none.
    if not (edge and edge.repeat):
        charge.limit()
    req = bodies.parse_json(request, schemas.CreateJobRequest, version)
    new, profile = admission.admit(req, version, caller.subject, settings)
    charge.photos = len(new.page_objects) or 1
    made = jobs.create(new, caller_key=caller.key, owner=caller.subject,
                       idempotency_key=requestkeys.idempotency_key(request.headers), budget=charge,
                       profile=profile, edge=edge, caller=caller.wide_key)
    job_id = made.job.job_id
    # From here on the request's lines and spans name the job (the router resets it after the answer).
    logs.job_id_var.set(job_id)
    tracing.annotate(job_id=job_id, replayed=not made.created)
    try:
        # Also on a replay: the task is named after the job, so this heals an enqueue that was lost.
        tasks.enqueue_scan(job_id)
    except Exception:
        if made.created:
            try:
                jobs.discard(made.job)  # never leave a job that nothing will run
            finally:
                charge.refund()
        raise
    body = {"job_id": job_id, "status": made.job.status, "session_id": job_id, "language": made.job.language,
            "events_url": f"/api/{version}/scan/jobs/{job_id}/events",
            "snapshot_url": f"/api/{version}/scan/jobs/{job_id}"}
    if made.access_token:
        body["access_token"] = made.access_token
    return web.json_response(body, 201 if made.created else 200)


@functions_framework.http
def create_job(request):
    return router(request)
