"""The settings' sections, one per concern: what each reads from the environment, and its bounds.

Field names are the environment variables' names in lower case (unchanged since the single settings
object, so deploy.sh and every deployment keep working); core/settings.py reads them.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Literal


class Secret:
    """A string that never shows itself in a repr, a log line or an exception."""

    __slots__ = ("_value",)

    def __init__(self, value: str = ""):
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__


def _num(default, *, ge=None, gt=None, le=None):
    """A numeric field with bounds, checked when the environment is read."""
    return field(default=default, metadata={"ge": ge, "gt": gt, "le": le})


@dataclass(frozen=True)
class CloudSettings:
    """The project, how long stored documents live, and what the logs and traces record."""

    google_cloud_project: str = "demo-omakase"
    ttl_days: int = _num(7, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Traces (docs/observability.md): "gcp" exports to Cloud Trace, "file" writes JSON lines to
    # TRACE_DIR (the local stack; ./run trace reads them), "none" creates no spans. A caller's
    # traceparent decides sampling when it has one; otherwise this share of traces is kept.
    trace_exporter: Literal["none", "gcp", "file"] = "none"
    trace_sample_ratio: float = _num(1.0, ge=0, le=1)
    trace_dir: str = ""


@dataclass(frozen=True)
class UploadSettings:
    """Where photos are uploaded, how large they may be, and how the upload URL is signed."""

    upload_bucket: str = ""
    upload_prefix: str = "uploads/"
    max_upload_bytes: int = _num(10 * 1024 * 1024, ge=1)
    max_image_pixels: int = _num(40_000_000, ge=1)
    # Pixels decoded at full size at once per process (PNG, WebP, HEIC; a JPEG decodes reduced).
    # 80 MP is two of the largest photos: eight 40 MP PNGs at once peak at 0.79 of run_scan's 1 GiB
    # instead of 2.98 (bench/decode_memory.py, docs/benchmarks.md).
    decode_budget_pixels: int = _num(80_000_000, ge=0)
    signed_url_ttl_s: int = _num(900, ge=60, le=3600)
    allowed_content_types: str = "image/jpeg,image/png,image/webp,image/heic"
    # Where phones send the signed PUT; the emulator's address locally.
    gcs_public_endpoint: str = "https://storage.googleapis.com"
    # Without a private key (Cloud Run) URLs are signed through IAM as this account.
    signing_service_account: str = ""
    # Local stacks sign with a throwaway key file; never set on Cloud Run.
    signing_key_file: str = ""
    # Keys that tag the names of uploads (gcp/upload_names.py), space-separated: the first names new
    # uploads, every one is accepted (rotation). create-job takes only a name one of them tagged.
    upload_name_secrets: Secret = Secret()

    @property
    def content_types(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.allowed_content_types.split(",") if t.strip())

    @property
    def upload_name_keys(self) -> tuple[str, ...]:
        return tuple(self.upload_name_secrets.get_secret_value().replace(",", " ").split())

    @property
    def upload_origin(self) -> str:
        """The origin signed upload URLs point at: the page's Content-Security-Policy lets it PUT there."""
        parts = urllib.parse.urlsplit(self.gcs_public_endpoint)
        return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class TaskSettings:
    """The Cloud Tasks queues that start scans and deliver notifications, and their targets."""

    region: str = "asia-east1"
    tasks_location: str = ""  # the queues' location when it is not REGION
    tasks_queue: str = "scan-jobs"
    run_scan_task_url: str = ""
    tasks_service_account: str = ""
    cloud_tasks_emulator_host: str = ""
    # Notifications when a job finishes (docs/notifications.md) go on a queue of their own.
    notify_queue: str = "scan-notify"
    notify_task_url: str = ""

    @property
    def tasks_region(self) -> str:
        return self.tasks_location or self.region


@dataclass(frozen=True)
class AssetSettings:
    """Cloudflare R2 (S3 API), where generated images go, and the public origin that serves them."""

    r2_endpoint: str = ""
    r2_access_key_id: str = ""
    r2_secret_access_key: Secret = Secret()
    r2_bucket: str = "menu-assets"
    public_base_url: str = ""


@dataclass(frozen=True)
class ModelSettings:
    """Which engine reads menus and draws dishes, and how its model calls are budgeted."""

    engine: Literal["auto", "gemini", "local"] = "auto"
    gemini_api_key: Secret = Secret()
    gemini_base_url: str = ""
    # Google's current stable models (docs/benchmarks.md, "Models"); each call's parameters come from
    # its model's family (common/engines/models.py).
    gemini_menu_model: str = "gemini-3.6-flash"
    gemini_image_model: str = "gemini-3.1-flash-image"
    # One try on these once the model's retry budget is spent, the whole budget when the model is gone
    # (NOT_FOUND): another size, so a failure of one is rarely the other's ("" is none).
    gemini_menu_fallback_model: str = "gemini-3.5-flash-lite"
    gemini_image_fallback_model: str = "gemini-3.1-flash-lite-image"
    # The menu call streams (streamGenerateContent): items reach the phone as the model writes them.
    gemini_stream: bool = True
    gemini_timeout_ms: int = _num(60_000, ge=1_000)
    model_max_attempts: int = _num(4, ge=1, le=10)
    model_retry_budget_s: float = _num(90.0, gt=0)
    model_backoff_initial_s: float = _num(1.0, ge=0)
    # Thinking counts against it. 32k holds a 250-dish menu (about 80 tokens a dish) with room to
    # think; a longer one is continued from its last item (common/engines/menu_read.py).
    model_max_output_tokens: int = _num(32_768, ge=256)
    prompt_version: str = "menu-v3"
    # A large photo is read as overlapping strips at once (common/engines/tiles.py): auto for photos
    # larger than the app's, off, or always that many.
    menu_tiles: Literal["off", "auto", "2", "3", "4"] = "auto"

    @property
    def engine_name(self) -> str:
        """The engine in use: explicit setting, else gemini when a key is present, else local."""
        if self.engine != "auto":
            return self.engine
        return "gemini" if self.gemini_api_key else "local"


@dataclass(frozen=True)
class RunSettings:
    """One scan run: its time budget, lease, partial menus, and what it learns."""

    # Every job's time budget, from its upload (the app gives up 180 s after it opens the stream):
    # model calls get what is left, less the reserve that stores the outcome; an image is started
    # only with IMAGE_MIN_REMAINING_S left, else it is reported failed as skipped.
    job_deadline_s: float = _num(170.0, ge=10)
    deadline_reserve_s: float = _num(4.0, ge=0)
    image_min_remaining_s: float = _num(15.0, ge=0)
    lease_s: float = _num(60.0, ge=1)
    upload_wait_s: float = _num(600.0, ge=1)
    # The watchdog ends any job still unfinished this long after it was created (nothing runs it:
    # task retries spent, IAM misconfigured), so no viewer waits forever.
    job_overdue_s: float = _num(1800.0, ge=10)
    # Partial menus (menu_data is_partial: true) while the model writes: one for the first item, then
    # one per MENU_PARTIAL_EVERY_ITEMS new items and MENU_PARTIAL_MIN_INTERVAL_S, at most
    # MENU_PARTIAL_MAX per job (each costs one Firestore write: EventLog.post_many); 0 is none.
    menu_partial_max: int = _num(3, ge=0, le=20)
    menu_partial_every_items: int = _num(10, ge=1)
    menu_partial_min_interval_s: float = _num(1.0, ge=0)
    # The dish_knowledge collection (scan/knowledge.py): read once per job to fill blanks, written after done.
    knowledge: bool = True
    # A re-shot of a page read before shows that menu at once, as a hint, while it is read again
    # (scan/lookalike.py, page_lookalikes); a dish drawn before is not drawn again (scan/dish_pictures.py).
    lookalike_hints: bool = True
    reuse_pictures: bool = True
    # A multi-page scan (v2 gcs_uris) reads this many pages at once with a model; the offline engine one.
    page_readers: int = _num(4, ge=1, le=10)
    # ...and gives up on a page not uploaded this long after every page that was uploaded is read.
    page_late_s: float = _num(30.0, ge=0)
    # Scan profiles (docs/profiles.md): books read with less confidence than this are listed for review.
    bookshelf_review_threshold: float = _num(0.6, ge=0, le=1)


@dataclass(frozen=True)
class StreamSettings:
    """Server-Sent Events: keep-alives, how long one stream lasts, the client's reconnect delay."""

    # Under 15: the shipped app starts polling the snapshot after 15 s without a byte.
    sse_heartbeat_s: float = _num(10.0, gt=0, le=14)
    sse_max_stream_s: float = _num(3300.0, gt=0)
    sse_retry_ms: int = _num(2000, ge=0)


@dataclass(frozen=True)
class AccessSettings:
    """Who may call what (docs/security.md): end users, internal callers, the Worker, other origins."""

    # End users: "off" means job access tokens only; "optional" makes a verified JWT's subject the
    # job's owner; "required" refuses uploads, jobs and streams without one.
    user_auth: Literal["off", "optional", "required"] = "off"
    auth_issuer: str = ""
    auth_audience: str = ""
    auth_jwks_url: str = ""
    firebase_project_id: str = ""  # shorthand for Firebase Auth's issuer, audience and key set
    auth_leeway_s: int = _num(30, ge=0, le=300)
    auth_jwks_min_refresh_s: float = _num(30.0, ge=0)
    # Internal entry points (task and finalize targets). Deployed private behind Cloud Run IAM; when
    # set, the function also verifies the caller's Google OIDC token (audience and account) itself.
    internal_audiences: str = ""
    internal_service_accounts: str = ""
    internal_issuer: str = "https://accounts.google.com"
    internal_jwks_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    # Local stacks, where no OIDC token exists: a shared header instead.
    internal_secret: Secret = Secret()
    # The Worker proves a request came through it with this secret; only then is X-Client-IP believed.
    origin_secret: Secret = Secret()
    # During a rotation, the secret the Worker may still send: accepted too, until the Worker has the new one.
    origin_secret_previous: Secret = Secret()
    # Web front ends on other origins that may call /api (CORS; the page at / is same-origin and needs
    # none): exact origins, space- or comma-separated. The Worker gets the same list as its CORS_ORIGINS.
    cors_origins: str = ""
    # /api/v1 reads a job by its id alone, as the shipped app does (a 128-bit random capability).
    # Turn off once the app fleet sends access tokens: v1 reads then need a credential, like v2.
    v1_id_only_reads: bool = True

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return tuple(self.cors_origins.replace(",", " ").split())

    @property
    def user_auth_keys(self) -> tuple[str, str, str]:
        """(issuer, audience, JWKS URL) for end-user tokens; Firebase's when only its project is set."""
        if self.firebase_project_id and not self.auth_issuer:
            return (f"https://securetoken.google.com/{self.firebase_project_id}", self.firebase_project_id,
                    "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com")
        return self.auth_issuer, self.auth_audience, self.auth_jwks_url


@dataclass(frozen=True)
class LimitSettings:
    """What one caller, and the whole deployment, may spend."""

    # Token buckets per caller: requests per minute and the burst a caller may spend at once; 0 is off.
    rate_upload_per_min: float = _num(30.0, ge=0)
    rate_job_per_min: float = _num(20.0, ge=0)
    rate_stream_per_min: float = _num(10.0, ge=0)
    rate_burst: int = _num(10, ge=1)
    # Photos a deployment's jobs read per UTC day (model spend: a multi-page scan counts each page);
    # past it job creation is 429; 0 is no cap.
    daily_job_budget: int = _num(20_000, ge=0)
    # Photos one caller's jobs (an address, an IPv6 /48, or a signed-in user) may read per UTC day;
    # 0 is no cap. 20 a minute would otherwise be 28,800 a day, more than the whole budget.
    daily_job_cap_per_caller: int = _num(1000, ge=0)
    # The share of the daily budget kept for callers under their usual volume: fewer than
    # DAILY_JOB_LIGHT_CALLER photos that day (0: no reserve).
    daily_job_reserve: float = _num(0.2, ge=0, le=1)
    daily_job_light_caller: int = _num(10, ge=0)
    # Snapshot and stream reads, per caller and instance (api/readlimits.py): reads that found their
    # job, and apart from them reads of jobs that do not exist (what probing for ids is made of).
    # Sized for a carrier NAT: a phone polls every 10 s while its stream is quiet, so 600 a minute
    # is a hundred phones behind one address, on one instance.
    rate_read_per_min: float = _num(600.0, ge=0)
    rate_read_burst: int = _num(300, ge=1)
    rate_read_miss_per_min: float = _num(10.0, ge=0)
    rate_read_miss_burst: int = _num(10, ge=1)
    max_open_streams_per_caller: int = _num(50, ge=0)  # per instance; 0 is no cap
    idempotency_ttl_s: int = _num(86_400, ge=60)  # how long an Idempotency-Key answers with its first job


@dataclass(frozen=True)
class NotifySettings:
    """Telling whoever asked that a job finished: Expo pushes and signed webhooks (docs/notifications.md)."""

    expo_push_url: str = "https://exp.host/--/api/v2/push"
    expo_access_token: Secret = Secret()  # Expo's "enhanced security" access token, when turned on
    push_on_failure: bool = True  # a failed job notifies too, with its own wording
    push_timeout_s: float = _num(10.0, gt=0)
    push_receipt_delay_s: float = _num(900.0, ge=0)  # Expo keeps receipts a day; they are ready in minutes
    # whsec_ secrets (Secret Manager), space-separated: every one signs, so receivers can rotate.
    webhook_secrets: Secret = Secret()
    webhook_timeout_s: float = _num(10.0, gt=0)
    webhook_max_bytes: int = _num(65536, ge=1024)  # a larger snapshot goes as a summary and its URL
    webhook_retry_scale: float = _num(1.0, gt=0)  # < 1 compresses the retry schedule (local stacks)
    # https only and public addresses only; a local stack lets receivers on loopback (http) through.
    callback_allow_loopback: bool = False

    @property
    def webhook_secret_list(self) -> tuple[str, ...]:
        return tuple(self.webhook_secrets.get_secret_value().replace(",", " ").split())
