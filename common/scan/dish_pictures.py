"""Dish pictures reused across jobs (dish_pictures): a picture drawn once is stored under the dish, so a
later job whose top three has the same dish gets it at once, with no image-model call.

The dish is its name as names.key folds it (NFKC, case, kana, simplified as traditional Han), the
cuisine (the menu's own language, as the engine read it: the same name on a Japanese and a Thai menu
is not one dish) and the picture style's version (STYLES: Gemini's follows its prompt's text, so a new
prompt draws every picture anew; bump the card's when its design changes). The offline engine's cards carry the
reader's language on their face, so theirs is in the style too; Gemini's photos carry no text.

A record names the R2 object the picture was drawn to; reusing it copies the object to the new job's
own key (scan/drawing.py; gcp/assets.copy_jpeg), so every job's pictures live and expire under its
own asset id; once a record is half its life old the next copy takes its place, so a dish ordered
every day keeps a live record without a write for every reuse.
Records expire with the job documents (TTL_DAYS), well inside the images' lifecycle (2 x TTL_DAYS + 1).
A fault here is logged and ignored: the picture is drawn instead.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from common.core import clock, logs
from common.core.settings import get_settings
from common.engines.pictures import STYLE
from common.gcp import assets, db
from common.menu import names
from common.menu.items import MenuItem

log = logs.get_logger(__name__)
PICTURES = "dish_pictures"
STYLES = {"gemini": "illustration-" + hashlib.sha256(STYLE.encode()).hexdigest()[:8], "local": "card-1"}
LOOKUP_TIMEOUT_S = 2.0


def key(item: MenuItem, source_language: str | None, engine: str, language: str) -> str | None:
    """The dish's record id, or None for a name that folds to nothing."""
    name = names.key(item.original_name)
    if not name:
        return None
    cuisine = (source_language or "").split("-")[0].lower()
    style = STYLES.get(engine, engine) + (f":{language.lower()}" if engine == "local" else "")
    return hashlib.sha256(f"{name}\x00{cuisine}\x00{style}".encode()).hexdigest()[:40]


def find(keys: dict[str, str]) -> dict[str, dict]:
    """{item id: record} for the items whose dish has a live picture (keys: item id -> record id); one read."""
    if not keys:
        return {}
    try:
        coll = db.client().collection(PICTURES)
        snaps = db.client().get_all([coll.document(k) for k in set(keys.values())], retry=None,
                                    timeout=LOOKUP_TIMEOUT_S)
        live = {s.id: s.to_dict() for s in snaps if s.exists}
        now = clock.now()
        live = {k: r for k, r in live.items() if r.get("expire_at") and r["expire_at"] > now and r.get("object")}
        return {item_id: live[k] for item_id, k in keys.items() if k in live}
    except Exception as exc:  # noqa: BLE001 - see module docstring
        log.warning("dish picture lookup failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return {}


def reuse(record: dict, asset_id: str, item_id: str) -> str | None:
    """The picture copied to this job's key; its URL, or None when it cannot be (then it is drawn)."""
    try:
        return assets.copy_jpeg(record["object"], asset_id, item_id)
    except Exception as exc:  # noqa: BLE001 - e.g. the object is gone: draw it again
        log.warning("dish picture could not be reused", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return None


def aging(record: dict) -> bool:
    """Whether a reused picture's record should name the new copy: once it is half its life old (a dish
    ordered every day keeps a live record without a write each time)."""
    created = record.get("created_at")
    return not created or clock.now() - created > dt.timedelta(days=get_settings().cloud.ttl_days / 2)


def remember(record_id: str, asset_id: str, item: MenuItem) -> None:
    """This job's picture of the dish is the one to reuse from now on (one write)."""
    try:
        db.client().collection(PICTURES).document(record_id).set(
            {"object": assets.key_for(asset_id, item.id), "dish": item.original_name[:200],
             "created_at": clock.now(), "expire_at": db.expiry()}, **db.fast_write())
    except Exception as exc:  # noqa: BLE001 - see module docstring
        log.warning("dish picture record failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
