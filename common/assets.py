"""Generated dish images in Cloudflare R2, written through its S3 API."""
from __future__ import annotations

import functools

from common.config import get_settings

CACHE_CONTROL = "public, max-age=31536000, immutable"


@functools.lru_cache(maxsize=1)
def client():
    import boto3
    from botocore.config import Config

    settings = get_settings()
    return boto3.client(
        "s3",
        endpoint_url=settings.r2_endpoint,
        region_name="auto",
        aws_access_key_id=settings.r2_access_key_id,
        aws_secret_access_key=settings.r2_secret_access_key.get_secret_value(),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 3, "mode": "standard"},
                      connect_timeout=5, read_timeout=20, max_pool_connections=16),
    )


def key_for(session_id: str, item_id: str) -> str:
    return f"gen/{session_id}/{item_id}.jpg"


def public_url(key: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/assets/{key}"


def put_jpeg(session_id: str, item_id: str, data: bytes) -> str:
    """Upload at the deterministic key (a retry overwrites the same object) and return its URL."""
    key = key_for(session_id, item_id)
    client().put_object(Bucket=get_settings().r2_bucket, Key=key, Body=data,
                        ContentType="image/jpeg", CacheControl=CACHE_CONTROL)
    return public_url(key)
