"""Exact-match result cache: same photo bytes, language and prompt version give the same menu.

A cache fault is logged and ignored: it can make a job slower, never make it fail.
"""
from __future__ import annotations

import hashlib

from common.core import clock, logs
from common.gcp import db

log = logs.get_logger(__name__)
CACHE = "scan_cache"


def key(photo_bytes: bytes, language: str, prompt_version: str, engine: str) -> str:
    h = hashlib.sha256(photo_bytes)
    h.update(f"\x00{language}\x00{prompt_version}\x00{engine}".encode())
    return h.hexdigest()


def get(cache_key: str) -> dict | None:
    try:
        snap = db.client().collection(CACHE).document(cache_key).get(**db.fast())
        if not snap.exists:
            return None
        rec = snap.to_dict()
        return rec if rec.get("expire_at") and rec["expire_at"] > clock.now() else None
    except Exception as exc:  # noqa: BLE001 - see module docstring
        log.warning("cache read failed", error=str(exc)[:200])
        return None


def put(cache_key: str, items: list[dict], engine: str, source_language: str | None) -> None:
    try:
        db.client().collection(CACHE).document(cache_key).set(
            {"items": items, "engine": engine, "source_language": source_language,
             "created_at": clock.now(), "expire_at": db.expiry()})
    except Exception as exc:  # noqa: BLE001 - see module docstring
        log.warning("cache write failed", error=str(exc)[:200])
