"""POST /api/v{1,2}/uploads/signed-url: a short-lived V4 signed PUT URL for one menu photo."""
import functions_framework

from common.api import auth, bodies, ratelimit, schemas, web
from common.core import logs
from common.core.settings import get_settings
from common.gcp import storage

settings = get_settings().require("upload_bucket", "upload_name_secrets")
logs.configure(settings.cloud.log_level, settings.cloud.google_cloud_project)
router = web.Router("signed_url")


@router.route("/api/<any(v1, v2):version>/uploads/signed-url", ["POST"])
def create_upload_url(request, version):
    caller = auth.identify(request.headers, request.remote_addr)
    ratelimit.take(caller, "signed_url", settings.limits.rate_upload_per_min, settings.limits.rate_burst)
    req = bodies.parse_json(request, schemas.SignedUrlRequest)
    return web.json_response(storage.issue_upload_url(req.content_type, version))


@functions_framework.http
def signed_url(request):
    return router(request)
