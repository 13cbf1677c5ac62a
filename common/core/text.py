"""Text we store or show that came from outside: made storable (no lone surrogates) and bounded.

A JSON string may carry an escaped half of a surrogate pair ("\\ud800"), which Python decodes into a
str that cannot be encoded as UTF-8: Firestore refuses the write (and the job's final write with
it), so a request carrying one is refused and a model's answer carrying one is cleaned. A message
quoting a caller's or a model's value is cut: a failure must always fit in the job document.
"""
from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
MAX_MESSAGE_CHARS = 500  # a stored error message: room for a few schema problems, never a whole answer


def has_surrogate(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def clean(value: Any) -> Any:
    """The value with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub(REPLACEMENT, value) if has_surrogate(value) else value
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def bounded(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A message cut to `limit` characters (saying so), with lone surrogates cleaned."""
    message = clean(message)
    if len(message) <= limit:
        return message
    return message[:limit - 20].rstrip() + f" … ({len(message)} chars)"
