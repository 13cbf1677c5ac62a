"""Generated dish images in Cloudflare R2, written through its S3 API."""
from __future__ import annotations

import functools

from common.core import tracing
from common.core.settings import get_settings

CACHE_CONTROL = "public, max-age=31536000, immutable"


@functools.lru_cache(maxsize=1)
def client():
    import boto3
    from botocore.config import Config

    tracing.instrument("botocore")
    settings = get_settings()
    return boto3.client(
        "s3",
        endpoint_url=settings.assets.r2_endpoint,
        region_name="auto",
        aws_access_key_id=settings.assets.r2_access_key_id,
        aws_secret_access_key=settings.assets.r2_secret_access_key.get_secret_value(),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 3, "mode": "standard"},
                      connect_timeout=5, read_timeout=20, max_pool_connections=16),
    )


def key_for(session_id: str, item_id: str) -> str:
    return f"gen/{session_id}/{item_id}.jpg"


def public_url(key: str) -> str:
    return f"{get_settings().assets.public_base_url.rstrip('/')}/assets/{key}"


def expire_after(days: int) -> dict:
    """The bucket's lifecycle rule: generated images are deleted `days` after they are written.
    deploy.sh sets it through the S3 API to 2 x TTL_DAYS + 1, the longest any job can show an image
    (a cache hit reuses one up to TTL_DAYS old). It replaces the bucket's rules; returns the rule."""
    rule = {"ID": "expire-generated-images", "Filter": {"Prefix": "gen/"}, "Status": "Enabled",
            "Expiration": {"Days": int(days)}}
    client().put_bucket_lifecycle_configuration(Bucket=get_settings().assets.r2_bucket,
                                                LifecycleConfiguration={"Rules": [rule]})
    return rule


def put_jpeg(session_id: str, item_id: str, data: bytes) -> str:
    """Upload at the deterministic key (a retry overwrites the same object) and return its URL."""
    key = key_for(session_id, item_id)
    client().put_object(Bucket=get_settings().assets.r2_bucket, Key=key, Body=data,
                        ContentType="image/jpeg", CacheControl=CACHE_CONTROL)
    return public_url(key)


def copy_jpeg(source_key: str, session_id: str, item_id: str) -> str:
    """Copy a stored picture to this job's own key (server-side: no bytes pass through us); its URL.

    A reused dish picture is a copy, not a link to another job's object: each job's pictures live
    under its own asset id and expire with it, as the bucket's lifecycle rule says."""
    bucket, key = get_settings().assets.r2_bucket, key_for(session_id, item_id)
    client().copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": source_key},
                         MetadataDirective="REPLACE", ContentType="image/jpeg", CacheControl=CACHE_CONTROL)
    return public_url(key)


if __name__ == "__main__":  # deploy.sh: python -m common.gcp.assets expire-after DAYS
    import sys

    if sys.argv[1:2] != ["expire-after"] or len(sys.argv) != 3:
        sys.exit("usage: python -m common.gcp.assets expire-after DAYS")
    print(expire_after(int(sys.argv[2])))
