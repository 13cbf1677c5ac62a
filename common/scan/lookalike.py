"""The near-duplicate index (page_lookalikes): pages read before, found by their photo's fingerprint
without scanning the collection, so a re-shot of a page already read can show its menu at once as a
hint while the model reads it again.

Each record holds a page's fingerprint (scan/fingerprint.py), the menu read from it, and 30 band keys:
12 of the 256 bits each, at fixed positions, prefixed by the scope (reader language, engine, prompt
version). One array-contains-any query on the keys returns the candidates that share a band (a
re-shot within STRICT bits shares one 97 % of the time on the tuning set; a page of another menu 2 %
of the time), and the Hamming distances decide (`matches`). Only a strict match is a hint, and only an unambiguous
one: when the two closest records read as different pages (sharing under SAME_PAGE_SHARE of their
dishes) there is none; two readings of one popular page that differ by a dish still give one. A hint never skips the reading.

Records are written after a job completes, from the engine's own reading (never from a cache hit or
another hint), and expire with the job documents. A fault here is logged and ignored.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from common.core import clock, logs
from common.gcp import db
from common.menu import names
from common.menu.items import MenuItem
from common.scan.fingerprint import BITS, Fingerprint

log = logs.get_logger(__name__)
LOOKALIKES = "page_lookalikes"
# A match differs by at most STRICT of the 256 layout bits and STRICT_FINE of the 576 line bits. On the
# tuning set re-shots of one page differed by 28 layout bits (median), 56 at the 90th percentile. Two
# draws of one layout (a restaurant's page 1 and 2) came within 42 layout bits, and within 108 line
# bits on a page of dot leaders (the two sets looked at, docs/benchmarks.md): STRICT_FINE is three
# quarters of that. Fewer hints, never a wrong one: prefer false negatives.
STRICT = 56
STRICT_FINE = 80
BANDS, BAND_BITS = 30, 12  # 30: Firestore's limit on array-contains-any values
CANDIDATES = 40            # read at most this many (hashes only); beyond, a miss (never a wrong match)
LOOKUP_TIMEOUT_S = 2.0     # one try: a hint that comes late is worth nothing
SAME_PAGE_SHARE = 0.8  # the dishes two records of one page share, at least
# Fixed forever: the stored keys are made with them ("v1" in each key's scope names this set).
_DRAW = random.Random("lookalike-bands-v1")
_POSITIONS = [_DRAW.sample(range(BITS), BAND_BITS) for _ in range(BANDS)]


@dataclass(frozen=True)
class Hint:
    items: list[MenuItem]
    distance: int
    source_language: str | None


def scope(language: str, engine: str, prompt_version: str) -> str:
    """What a hint must share with the page it is for: the reader's language, the engine, the prompt."""
    return hashlib.sha256(f"v1\x00{language.lower()}\x00{engine}\x00{prompt_version}".encode()).hexdigest()[:12]


def band_keys(fp: Fingerprint, scope_: str) -> list[str]:
    keys = []
    for n, positions in enumerate(_POSITIONS):
        value = 0
        for p in positions:
            value = value << 1 | (fp.bits >> (BITS - 1 - p)) & 1
        keys.append(f"{scope_}:{n}:{value:03x}")
    return keys


def find(fp: Fingerprint, scope_: str) -> Hint | None:
    """The menu of a page read before whose photo strictly matches this one, or None (also on a fault)."""
    from google.cloud import firestore

    try:
        coll = db.client().collection(LOOKALIKES)
        query = coll.where(filter=firestore.FieldFilter("bands", "array_contains_any", band_keys(fp, scope_)))
        close = sorted((fp.distance(other), ident) for ident, other in (
            (s.id, Fingerprint.from_hex(s.get("fingerprint"), s.get("fine") or "0"))
            for s in query.select(["fingerprint", "fine"]).limit(CANDIDATES).stream(**_once())) if matches(fp, other))
        if not close:
            return None
        snaps = {s.id: s.to_dict() for s in db.client().get_all([coll.document(i) for _, i in close[:2]], **_once())
                 if s.exists}
        records = [snaps[i] for _, i in close[:2] if i in snaps]
        if not records or (len(records) == 2 and not same_page(_dishes(records[0]), _dishes(records[1]))):
            return None  # two close pages that read as different pages: no hint rather than the wrong one
        first = records[0]
        return Hint([MenuItem(**i) for i in first["items"]], close[0][0], first.get("source_language"))
    except Exception as exc:  # noqa: BLE001 - see module docstring
        log.warning("lookalike lookup failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return None


def matches(a: Fingerprint, b: Fingerprint) -> bool:
    """The strict match: the same layout and the same lines."""
    return a.distance(b) <= STRICT and a.fine_distance(b) <= STRICT_FINE


def record(fp: Fingerprint, scope_: str, items: list[MenuItem], source_language: str | None) -> None:
    """Remember what this page read as (one write; the same fingerprint overwrites its record)."""
    if not items:
        return
    shown = [i.model_copy(update={"is_top3": False, "image_status": "none", "image_url": None, "image_error": None,
                                  "page": None}).model_dump() for i in items]
    ident = hashlib.sha256(f"{scope_}\x00{fp.hex}".encode()).hexdigest()[:40]
    try:
        db.client().collection(LOOKALIKES).document(ident).set(
            {"fingerprint": fp.hex, "fine": fp.fine_hex, "bands": band_keys(fp, scope_), "items": shown,
             "source_language": source_language, "created_at": clock.now(), "expire_at": db.expiry()},
            **db.fast_write())
    except Exception as exc:  # noqa: BLE001 - see module docstring
        log.warning("lookalike write failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")


def same_page(a: list[str], b: list[str]) -> bool:
    """Whether two readings are of one page: most dishes shared (two model readings of a popular page may
    differ by a dish; page 1 and page 2 of one menu share few)."""
    sa, sb = set(a), set(b)
    return bool(sa and sb) and len(sa & sb) >= SAME_PAGE_SHARE * max(len(sa), len(sb))


def _once() -> dict:
    return {"retry": None, "timeout": LOOKUP_TIMEOUT_S}


def _dishes(rec: dict) -> list[str]:
    return [names.plain_key(i.get("original_name", "")) for i in rec.get("items") or []]
