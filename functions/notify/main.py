"""notify: the Cloud Task target that tells whoever asked that a job finished (Expo push, webhook).

Private (Cloud Tasks' OIDC token, or the local stack's shared secret). A delivery that may succeed
later answers 503 with Retry-After, so the queue's retry policy backs it off; one that never will
answers 2xx, so it is not retried 30 times.
"""
import functions_framework

from common.api import auth, bodies, schemas, web
from common.core import logs
from common.core.settings import get_settings
from common.notify import deliveries as notifications

settings = get_settings().require("notify_task_url")
logs.configure(settings.cloud.log_level, settings.cloud.google_cloud_project)
log = logs.get_logger("notify")
router = web.Router("notify", public=False)


@router.route("/", ["POST"])
def task(request):
    auth.require_internal(request.headers)
    body, job_id = bodies.parse_task(request, schemas.NotifyTask)
    outcome = notifications.handle(job_id, body.channel, body.attempt)
    payload = {"job_id": job_id, "channel": body.channel, "attempt": body.attempt, "done": outcome.done,
               "detail": outcome.detail, **outcome.extra}
    if outcome.done:
        return web.json_response(payload, 200)
    return web.json_response(payload, 503, {"Retry-After": str(outcome.retry_after_s)})


@functions_framework.http
def notify_task(request):
    return router(request)
