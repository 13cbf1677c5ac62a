"""One typed settings object, read from the environment once per process."""
from __future__ import annotations

import functools
from typing import Literal, Optional

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.errors import ConfigError


class Settings(BaseSettings):
    """Every knob the functions read. Environment variable names are the field names upper-cased."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Project and storage
    google_cloud_project: str = "demo-omakase"
    region: str = "asia-east1"
    upload_bucket: str = ""
    upload_prefix: str = "uploads/"
    max_upload_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    signed_url_ttl_s: int = Field(900, ge=60, le=3600)
    allowed_content_types: str = "image/jpeg,image/png,image/webp,image/heic"
    # Where phones send the signed PUT; the emulator's address locally.
    gcs_public_endpoint: str = "https://storage.googleapis.com"
    # Without a private key (Cloud Run) URLs are signed through IAM as this account.
    signing_service_account: str = ""
    # Local stacks sign with a throwaway key file; never set on Cloud Run.
    signing_key_file: str = ""

    # Cloud Tasks
    tasks_queue: str = "scan-jobs"
    tasks_location: str = ""
    run_scan_task_url: str = ""
    tasks_service_account: str = ""
    cloud_tasks_emulator_host: str = ""

    # Cloudflare R2 (S3 API) and the public origin
    r2_endpoint: str = ""
    r2_access_key_id: str = ""
    r2_secret_access_key: SecretStr = SecretStr("")
    r2_bucket: str = "menu-assets"
    public_base_url: str = ""

    # Engines
    engine: Literal["auto", "gemini", "local"] = "auto"
    gemini_api_key: SecretStr = SecretStr("")
    gemini_base_url: str = ""
    gemini_menu_model: str = "gemini-2.5-flash"
    gemini_image_model: str = "gemini-2.5-flash-image"
    gemini_timeout_ms: int = Field(60_000, ge=1_000)
    model_max_attempts: int = Field(4, ge=1, le=10)
    model_retry_budget_s: float = Field(90.0, gt=0)
    model_backoff_initial_s: float = Field(1.0, ge=0)
    model_max_output_tokens: int = 8192
    prompt_version: str = "menu-v1"

    # Jobs, events, streams
    lease_s: float = Field(60.0, ge=1)
    upload_wait_s: float = Field(600.0, ge=1)
    ttl_days: int = Field(7, ge=1)
    sse_heartbeat_s: float = Field(15.0, gt=0, le=15)
    sse_max_stream_s: float = Field(3300.0, gt=0)
    sse_retry_ms: int = 2000
    log_level: str = "INFO"

    @property
    def content_types(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.allowed_content_types.split(",") if t.strip())

    @property
    def tasks_region(self) -> str:
        return self.tasks_location or self.region

    @property
    def engine_name(self) -> str:
        """The engine in use: explicit setting, else gemini when a key is present, else local."""
        if self.engine != "auto":
            return self.engine
        return "gemini" if self.gemini_api_key.get_secret_value() else "local"

    def require(self, *names: str) -> "Settings":
        """Fail fast when a variable this entry point needs is unset."""
        missing = [n.upper() for n in names if not _present(getattr(self, n))]
        if missing:
            raise ConfigError(f"missing required environment variable(s): {', '.join(missing)}")
        return self


def _present(value: object) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; raises ConfigError naming the bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        names = ", ".join(str(e["loc"][0]).upper() for e in exc.errors())
        raise ConfigError(f"invalid environment variable(s): {names}: {exc}") from None


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
