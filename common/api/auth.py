"""Who is calling, and what they may see: job access tokens, end-user JWTs, internal callers.

The security model is in docs/security.md. In short: a job is readable with its access token (issued
once by create_job, stored only as a hash) or, when end-user auth is on, by a JWT whose subject owns
it. The task and finalize targets are private; locally a shared header stands in for the OIDC token.
PyJWT and cryptography are imported only when a token is actually verified.
"""
from __future__ import annotations

import hmac
import ipaddress
import re
import threading
from dataclasses import dataclass
from typing import Mapping

from common.api.jwt import JwtVerifier
from common.gcp.tasks import INTERNAL_HEADER
from common.core import logs
from common.core.errors import Forbidden, Unauthorized
from common.jobs.ids import token_hash
from common.core.settings import Settings, get_settings

log = logs.get_logger(__name__)
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_IP = re.compile(r"^[0-9A-Fa-f:.]{2,45}$")
ORIGIN_HEADER = "X-Origin-Secret"
CLIENT_IP_HEADER = "X-Client-IP"


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _bearer(headers: Mapping[str, str]) -> str | None:
    scheme, _, value = (headers.get("Authorization") or "").strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


# -- callers ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Caller:
    """The party behind a public request: a verified end user, else a client address."""

    ip: str
    subject: str | None = None

    @property
    def key(self) -> str:
        """What rate limits and idempotency keys are scoped to: the user, else the address (an IPv6
        caller by its /64, which one subscriber holds whole)."""
        return f"user:{self.subject}" if self.subject else f"ip:{_address_key(self.ip)}"

    @property
    def wide_key(self) -> str:
        """What job creation is limited by: as `key`, but an IPv6 caller by its /48. A site is given
        a /48, so one holder of a /48 would otherwise be 65,536 callers, each with its own day."""
        return f"user:{self.subject}" if self.subject else f"ip:{_address_key(self.ip, 48)}"


def _address_key(ip: str, v6_prefix: int = 64) -> str:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, v6_prefix), strict=False))
    return str(addr)


def origin_proof(headers: Mapping[str, str], settings: Settings | None = None) -> str | None:
    """The origin secret the request carries when it is ours: ORIGIN_SECRET, or during a rotation
    ORIGIN_SECRET_PREVIOUS (the Worker may still send the old one while the functions have the new)."""
    access = (settings or get_settings()).access
    sent = headers.get(ORIGIN_HEADER) or ""
    if not sent:
        return None
    for secret in (access.origin_secret.get_secret_value(), access.origin_secret_previous.get_secret_value()):
        if secret and _same(sent, secret):
            return secret
    return None


def client_ip(headers: Mapping[str, str], peer: str | None, settings: Settings | None = None) -> str:
    """The Worker's X-Client-IP when the request proves it came through the Worker, else the peer."""
    claimed = (headers.get(CLIENT_IP_HEADER) or "").strip()
    if origin_proof(headers, settings) and _IP.match(claimed):
        return claimed
    return peer or "unknown"


def identify(headers: Mapping[str, str], peer: str | None) -> Caller:
    """The caller of a public entry point; 401 when end-user auth is required and no valid JWT came."""
    settings = get_settings()
    ip = client_ip(headers, peer, settings)
    if settings.access.user_auth == "off":
        return Caller(ip)
    token = _bearer(headers)
    if token and _JWT.match(token):
        return Caller(ip, user_verifier().verify(token)["sub"])
    if settings.access.user_auth == "required":
        raise Unauthorized("sign in first: send Authorization: Bearer <ID token>", code="AUTH_REQUIRED")
    return Caller(ip)


def signed_in(headers: Mapping[str, str]) -> str:
    """The verified subject of the caller's ID token: 401 without one; 501 where end-user sign-in is off."""
    if get_settings().access.user_auth == "off":
        # 403, not 401: no credential can help here; not a 5xx: nothing is down.
        raise Forbidden("this needs end-user sign-in, which this deployment does not have (USER_AUTH=off)",
                        code="SIGN_IN_DISABLED")
    token = _bearer(headers)
    if not token or not _JWT.match(token):
        raise Unauthorized("sign in first: send Authorization: Bearer <ID token>", code="AUTH_REQUIRED")
    return user_verifier().verify(token)["sub"]


# -- job access ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobAccess:
    """A reader's credential for one job: its access token, a verified end user, or (v1) none at all."""

    token: str | None = None
    subject: str | None = None
    anonymous: bool = False  # /api/v1 with id-only reads on: the job id is the capability

    @property
    def kind(self) -> str:
        return "none" if self.anonymous else "user" if self.subject else "token"

    def permits(self, access_token_hash: str | None, owner: str | None, id_only_reads: bool = False) -> bool:
        if self.anonymous:
            return id_only_reads
        if self.subject is not None and owner and _same(self.subject, owner):
            return True
        return bool(self.token and access_token_hash and _same(token_hash(self.token), access_token_hash))

    def check(self, job_id: str, access_token_hash: str | None, owner: str | None, id_only_reads: bool = False) -> None:
        """404, exactly as for a job that does not exist, unless the credential opens this job."""
        if not self.permits(access_token_hash, owner, id_only_reads):
            from common.jobs.ids import job_not_found

            raise job_not_found(job_id)


def job_access(headers: Mapping[str, str], query_token: str | None, version: str = "v2") -> JobAccess:
    """The credential a snapshot or stream request carries; 401 when there is none and one is needed.

    Authorization: Bearer <access_token or JWT>, or ?access_token= for EventSource, which cannot
    set headers. A JWT is verified here, before any job is read, so a bad one says nothing of the job.
    A credential that is sent is always checked, on v1 too; v1 without one reads by the job id alone
    while V1_ID_ONLY_READS is on (only jobs created through v1 open that way).
    """
    token = _bearer(headers) or (query_token or "").strip() or None
    if not token:
        if version == "v1" and get_settings().access.v1_id_only_reads:
            return JobAccess(anonymous=True)
        raise Unauthorized("send the job's access_token as Authorization: Bearer <token> or ?access_token=",
                           code="ACCESS_TOKEN_REQUIRED")
    if len(token) > 4096:
        raise Unauthorized("the credential is too long", code="INVALID_TOKEN")
    if _JWT.match(token) and get_settings().access.user_auth != "off":
        return JobAccess(subject=user_verifier().verify(token)["sub"])
    return JobAccess(token=token)


# -- internal entry points ---------------------------------------------------------------------
def through_origin(headers: Mapping[str, str]) -> bool:
    """Whether the Worker passed this request on (always, where no ORIGIN_SECRET is set)."""
    return not get_settings().access.origin_secret or origin_proof(headers) is not None


def require_origin(headers: Mapping[str, str]) -> None:
    """Public entry points answer only requests the Worker passed on, once ORIGIN_SECRET is set."""
    if not through_origin(headers):
        raise Forbidden("call this API through its public origin, not the function's own URL",
                        code="ORIGIN_REQUIRED")


def require_internal(headers: Mapping[str, str]) -> None:
    """Let only Cloud Tasks and Eventarc (or, locally, holders of the shared secret) start scans.

    With INTERNAL_AUDIENCES and/or INTERNAL_SERVICE_ACCOUNTS set, the Google OIDC token must be for
    one of those audiences and/or issued to one of those accounts (verified email). With none of
    them, nor INTERNAL_SECRET, configured, every caller is refused: an internal entry point fails
    closed (deploy.sh configures each one).
    """
    settings = get_settings()
    secret = settings.access.internal_secret.get_secret_value()
    if not (secret or settings.access.internal_audiences or settings.access.internal_service_accounts):
        raise Unauthorized("internal entry point: no caller is configured (INTERNAL_AUDIENCES, "
                           "INTERNAL_SERVICE_ACCOUNTS or, locally, INTERNAL_SECRET)", code="INTERNAL_ONLY")
    if secret:
        sent = headers.get(INTERNAL_HEADER) or ""
        if not (sent and _same(sent, secret)):
            raise Unauthorized(f"internal entry point: missing or wrong {INTERNAL_HEADER}", code="INTERNAL_ONLY")
    if settings.access.internal_audiences or settings.access.internal_service_accounts:
        token = _bearer(headers)
        if not token:
            raise Unauthorized("internal entry point: no OIDC token", code="INTERNAL_ONLY")
        claims = internal_verifier().verify(token)
        allowed = {a.strip() for a in settings.access.internal_service_accounts.split(",") if a.strip()}
        if allowed and not (claims.get("email") in allowed and claims.get("email_verified") is True):
            raise Unauthorized("internal entry point: the token's account may not call this", code="INTERNAL_ONLY")


_verifiers: dict[str, JwtVerifier] = {}
_verifiers_lock = threading.Lock()


def _verifier(name: str, build) -> JwtVerifier:
    with _verifiers_lock:
        if name not in _verifiers:
            _verifiers[name] = build()
        return _verifiers[name]


def user_verifier() -> JwtVerifier:
    """The instance's verifier for end-user tokens (Firebase Auth or any OIDC issuer)."""
    def build():
        s = get_settings()
        issuer, audience, url = s.access.user_auth_keys
        return JwtVerifier(issuer, [audience], url, leeway_s=s.access.auth_leeway_s, min_refresh_s=s.access.auth_jwks_min_refresh_s)
    return _verifier("user", build)


def internal_verifier() -> JwtVerifier:
    """The instance's verifier for Google-signed OIDC tokens from Cloud Tasks and Eventarc."""
    def build():
        s = get_settings()
        audiences = [a.strip() for a in s.access.internal_audiences.split(",") if a.strip()]
        return JwtVerifier(s.access.internal_issuer, audiences, s.access.internal_jwks_url, leeway_s=s.access.auth_leeway_s,
                           min_refresh_s=s.access.auth_jwks_min_refresh_s)
    return _verifier("internal", build)


def reset_verifiers() -> None:
    """Forget cached verifiers and keys (tests change the settings)."""
    with _verifiers_lock:
        _verifiers.clear()
