"""/api/v2/profiles: a signed-in caller's own scan profiles (docs/profiles.md).

Create, list, read, add a version, publish a version, roll back to an earlier one. Every route needs
an ID token; another caller's profile answers 404, as one that does not exist.
"""
import functions_framework

from common.api import auth, bodies, ratelimit, schemas, web
from common.core import logs
from common.core.settings import get_settings
from common.profiles import store as profiles

settings = get_settings()
logs.configure(settings.cloud.log_level, settings.cloud.google_cloud_project)
router = web.Router("profiles")


def _owner(request) -> str:
    owner = auth.signed_in(request.headers)
    caller = auth.Caller(auth.client_ip(request.headers, request.remote_addr), owner)
    ratelimit.take(caller, "profiles", settings.limits.rate_job_per_min, settings.limits.rate_burst)
    return owner


@router.route("/api/v2/profiles", ["POST"])
def create(request):
    owner = _owner(request)
    return web.json_response(profiles.create(owner, bodies.parse_json(request, schemas.Body)), 201)


@router.route("/api/v2/profiles", ["GET"])
def list_profiles(request):
    return web.json_response({"profiles": profiles.list_owned(_owner(request))})


@router.route("/api/v2/profiles/<profile_id>", ["GET"])
def read(request, profile_id):
    return web.json_response(profiles.get(_owner(request), profile_id))


@router.route("/api/v2/profiles/<profile_id>/versions", ["POST"])
def new_version(request, profile_id):
    owner = _owner(request)
    return web.json_response(profiles.add_version(owner, profile_id, bodies.parse_json(request, schemas.Body)), 201)


@router.route("/api/v2/profiles/<profile_id>/versions/<n>", ["GET"])
def read_version(request, profile_id, n):
    return web.json_response(profiles.version(_owner(request), profile_id, n))


@router.route("/api/v2/profiles/<profile_id>/publish", ["POST"])
def publish(request, profile_id):
    owner = _owner(request)
    return web.json_response(profiles.publish(owner, profile_id, bodies.parse_json(request, schemas.Body)))


@router.route("/api/v2/profiles/<profile_id>/rollback", ["POST"])
def rollback(request, profile_id):
    owner = _owner(request)
    return web.json_response(profiles.publish(owner, profile_id, bodies.parse_json(request, schemas.Body), rollback=True))


@functions_framework.http
def profiles_api(request):
    return router(request)
