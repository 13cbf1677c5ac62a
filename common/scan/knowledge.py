"""Dish knowledge that grows with every scan: a Firestore collection keyed by dish name and reader language.

Written after a completed job's done is stored, from whichever engine read it; read once per job (one
get_all for the job's names) to fill blanks: a dish a gemini scan named is known offline afterwards,
and a gemini answer with a missing translation or description gets the one learned earlier.
A fault here is logged and swallowed: knowledge can make a result poorer, never make a job fail.
"""
from __future__ import annotations

import hashlib
import re

from common.core import clock, logs
from common.menu import names
from common.menu.items import MenuItem
from common.gcp import db
from common.scan import allergen_votes

log = logs.get_logger(__name__)

KNOWLEDGE = "dish_knowledge"  # what scans taught about dishes, by name and reader language
MAX_NAMES = 300  # a job's distinct names looked up or written; past this, the rest are skipped
# Documents per commit: each write also carries two transforms (seen, engines), and a commit holds
# at most 500 operations.
BATCH_DOCS = 150
TEXT_FIELDS = ("translated_name", "description", "reading", "romanji")
LOOKUP_TIMEOUT_S = 2.0


def name_key(name: str) -> str:
    """The normalised name the collection is keyed on: NFKC, case, accents, spaces and kana folded, and
    Han as traditional, so 红烧牛肉 on a simplified menu finds what 紅燒牛肉 on a traditional one taught."""
    return names.key(name)


def doc_id(name: str, language: str) -> str:
    return hashlib.sha256(f"{name_key(name)}\x00{language.lower()}".encode()).hexdigest()[:40]


def _teaches(engine: str) -> bool:
    """Only a model's reading teaches text. The offline engine's known dishes are its own bundled
    list already, and what it writes for an unknown one (a transliteration, a description and
    allergens guessed from ingredient words) must never come back as knowledge, nor replace a
    model's answer through a loose match; it counts what it sees."""
    return engine != "local"


def record(items: list[MenuItem], language: str, engine: str, caller: str | None = None) -> int:
    """Merge a completed scan's items into the collection; returns the documents written (0 on a fault).
    Allergens are a claim of `caller`'s (the job's), counted once another caller agrees (allergen_votes)."""
    try:
        from google.cloud import firestore

        client = db.client()
        writes: dict[str, dict] = {}
        for item in items:
            ident = doc_id(item.original_name, language)
            # The offline engine counts only dishes it knows: an unknown name may be OCR noise.
            if not name_key(item.original_name) or ident in writes or (not _teaches(engine) and not item.known):
                continue
            if len(writes) == MAX_NAMES:
                break
            fields: dict = {"name_key": name_key(item.original_name), "original_name": item.original_name,
                            "language": language, "seen": firestore.Increment(1), "updated_at": clock.now(),
                            "engines": firestore.ArrayUnion([engine])}
            if _teaches(engine):
                # Only filled values are sent: a merge never overwrites a filled field with an empty one.
                fields.update({f: getattr(item, f) for f in TEXT_FIELDS if getattr(item, f)})
                if item.tags:
                    fields["tags"] = item.tags
                fields.update(allergen_votes.vote(item.allergens, caller))
                if item.dish_id:
                    fields["dish_id"] = item.dish_id
            writes[ident] = fields
        idents = list(writes)
        for start in range(0, len(idents), BATCH_DOCS):
            batch = client.batch()
            for ident in idents[start:start + BATCH_DOCS]:
                batch.set(client.collection(KNOWLEDGE).document(ident), writes[ident], merge=True)
            batch.commit(**db.fast_write())
        return len(writes)
    except Exception as exc:  # noqa: BLE001 - see module docstring
        log.warning("knowledge write failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return 0


def lookup(names: list[str], language: str) -> dict[str, dict]:
    """Learned entries for these names in one batched read, by name key; {} on a fault."""
    try:
        client = db.client()
        ids = list(dict.fromkeys(doc_id(n, language) for n in names if name_key(n)))[:MAX_NAMES]
        if not ids:
            return {}
        refs = [client.collection(KNOWLEDGE).document(i) for i in ids]
        found = {}
        # One try, briefly: knowledge is optional, and this read sits before menu_data.
        for snap in client.get_all(refs, retry=None, timeout=LOOKUP_TIMEOUT_S):
            if snap.exists:
                rec = snap.to_dict()
                found[rec.get("name_key", "")] = rec
        return found
    except Exception as exc:  # noqa: BLE001 - see module docstring
        log.warning("knowledge read failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        return {}


def _guessed(description: str) -> bool:
    """Whether a description is the offline engine's own ("Made with …", "食材：…。"), not the menu's."""
    from common.engines.local import MADE_WITH

    return not description or any(re.fullmatch(re.escape(t).replace(r"\{\}", ".+"), description)
                                   for t in MADE_WITH.values())


def fill(items: list[MenuItem], language: str) -> int:
    """Fill blanks in a reading from what earlier scans taught; returns the items changed.

    An item the offline engine did not know becomes known when a scan learned its translation; a
    field an engine left empty takes the learned value. Filled fields are kept as the engine wrote them.
    """
    learned = lookup([i.original_name for i in items], language)
    if not learned:
        return 0  # nothing learned, or the lookup failed (logged there, keys included)
    changed = 0
    for item in items:
        rec = learned.get(name_key(item.original_name))
        if not rec or not rec.get("translated_name"):
            continue
        before = item.model_dump()
        agreed = allergen_votes.agreed(rec)  # one scan's word is not enough (allergen_votes.py)
        if not item.known:
            # The engine's own text for an unknown dish was a guess (a transliteration, allergens from
            # ingredient words): what a model taught replaces it, allergens once two callers agree on
            # them. A description printed on the menu stays; one made from ingredient words does not.
            item.translated_name = rec["translated_name"]
            for f in TEXT_FIELDS[1:]:
                if rec.get(f) and (f != "description" or _guessed(item.description)):
                    setattr(item, f, rec[f])
            if rec.get("tags") is not None:
                item.tags = list(rec["tags"])
            if agreed is not None:
                item.allergens = agreed
            item.known = True
        for f in TEXT_FIELDS[1:]:
            if not getattr(item, f) and rec.get(f):
                setattr(item, f, rec[f])
        if not item.translated_name or item.translated_name == item.original_name:
            item.translated_name = rec["translated_name"]
        if not item.tags and rec.get("tags"):
            item.tags = list(rec["tags"])
        if not item.allergens and agreed:
            item.allergens = agreed
        if not item.image_prompt:
            item.image_prompt = rec["translated_name"]
        changed += item.model_dump() != before
    return changed
