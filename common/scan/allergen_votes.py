"""Allergens a scan teaches count only once two different callers agree on them.

A dish's allergens are what an offline reader trusts most, and the least checkable: one anonymous
scan (a forged menu, a model misled by it) must not decide them for every later reader. Each
completed scan records its claim (the set of allergens) with who made it; a reading takes the set
that most callers claimed, once at least two did. Who: a bucket of the job's caller (one of 256, by
its pseudonym), so a claim stays a bounded map written blind (a merge, no read) and one caller,
always in the same bucket, can never look like two. Two callers who share a bucket count once: an
agreement then waits for a third.
"""
from __future__ import annotations

import hashlib

FIELD = "allergen_votes"
MIN_CALLERS = 2
MAX_ALLERGENS = 20


def vote(allergens: list[str], caller: str | None) -> dict:
    """The fields that record this caller's claim, for a merge; nothing without a caller or a claim."""
    if not caller or not allergens:
        return {}
    claim = sorted({a for a in allergens if isinstance(a, str) and a})[:MAX_ALLERGENS]
    key = hashlib.sha256("\n".join(claim).encode()).hexdigest()[:12]
    return {FIELD: {key: {"set": claim, "by": {caller[:2]: True}}}}


def agreed(record: dict) -> list[str] | None:
    """The allergens at least two callers claimed (the most claimed set), or None."""
    best_count, best = 0, None
    for _, claim in sorted((record.get(FIELD) or {}).items()):
        if not isinstance(claim, dict):
            continue
        count = len(claim.get("by") or {})
        if count > best_count:
            best_count, best = count, claim.get("set")
    return list(best) if best_count >= MIN_CALLERS and best is not None else None
