"""Items out of a JSON menu while the model is still writing it.

A structured-output stream arrives as arbitrary slices of one JSON document,
{"is_menu": ..., "items": [{...}, {...}, ...]}. The scanner keeps the text so far and reports each
object of the top-level "items" array once its closing brace has arrived; nothing is parsed twice,
and a slice may end anywhere (inside a string, an escape, a number).
"""
from __future__ import annotations

import json


class ItemStream:
    """Feed text slices; `feed` returns the items completed by that slice (as dicts)."""

    def __init__(self, key: str = "items"):
        self._key = key
        self._parts: list[str] = []
        self._buf = ""          # text not yet scanned past the start of an unfinished item
        self._depth = 0         # nesting depth at the end of what was scanned
        self._in_string = False
        self._escape = False
        self._string_start = -1  # where the string being read began (in _buf)
        self._last_string = ""   # the last complete string at depth 1: a key, once ':' follows
        self._key_is_ours = False
        self._in_items = False   # inside the top-level array named `key`
        self._item_start = -1    # where the item being read began (in _buf)
        self.count = 0

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return "".join(self._parts)

    @property
    def pending_chars(self) -> int:
        """Characters of the item still being written (0 between items): a runaway item is a loop."""
        return len(self._buf) - self._item_start if self._item_start >= 0 else 0

    def feed(self, piece: str) -> list[dict]:
        self._parts.append(piece)
        start = len(self._buf)
        self._buf += piece
        out: list[dict] = []
        buf = self._buf
        for i in range(start, len(buf)):
            ch = buf[i]
            if self._in_string:
                if self._escape:
                    self._escape = False
                elif ch == "\\":
                    self._escape = True
                elif ch == '"':
                    self._in_string = False
                    if self._depth == 1:
                        self._last_string = buf[self._string_start + 1:i]
                continue
            if ch == '"':
                self._in_string, self._string_start = True, i
            elif ch == ":" and self._depth == 1:
                self._key_is_ours = self._last_string == self._key
            elif ch in "{[":
                self._depth += 1
                if ch == "[" and self._depth == 2 and self._key_is_ours:
                    self._in_items = True
                elif ch == "{" and self._depth == 3 and self._in_items:
                    self._item_start = i
            elif ch in "}]":
                self._depth -= 1
                if ch == "}" and self._depth == 2 and self._in_items and self._item_start >= 0:
                    item = self._parse(buf[self._item_start:i + 1])
                    self._item_start = -1
                    if item is not None:
                        self.count += 1
                        out.append(item)
                elif ch == "]" and self._depth == 1:
                    self._in_items = False
            elif ch == "," and self._depth == 1:
                self._key_is_ours = False
        # Keep only what an unfinished item or string still needs; offsets move with the cut.
        keep = min(x for x in (self._item_start, self._string_start if self._in_string else -1, len(buf))
                   if x >= 0)
        if keep:
            self._buf = buf[keep:]
            if self._item_start >= 0:
                self._item_start -= keep
            if self._in_string:
                self._string_start -= keep
        return out

    @staticmethod
    def _parse(raw: str) -> dict | None:
        try:
            value = json.loads(raw)
        except ValueError:
            return None  # the final parse of the whole answer reports it precisely
        return value if isinstance(value, dict) else None
