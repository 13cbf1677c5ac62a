"""A menu read by Gemini: one streamed structured-output call, continued (never restarted) when it
reaches its output cap or loops (common/engines/menu_read.py), a large page as strips read at once
(common/engines/tiles.py); a failure part way keeps what was read, and only a menu with no dish fails.
"""
from __future__ import annotations

import contextvars
import json
import re
import threading
from typing import TYPE_CHECKING, Iterator, Optional

from google.genai import errors as genai_errors
from google.genai import types
from pydantic import ValidationError

from common.core import logs
from common.engines import Call, models, pictures, tiles
from common.menu.items import MenuItem, MenuReading, finalise_top3
from common.engines.gemini_calls import (BLOCKS, CUT, TIMEOUTS, api_error, blocked, chunk_text, finish_reason,
                                         until)
from common.engines.item_stream import ItemStream
from common.engines.menu_prompt import Item, Menu, menu_prompt
from common.engines.menu_read import MAX_ITEM_CHARS, Looping, MenuRead
from common.core.errors import ScanError
from common.core.retry import Retryable

if TYPE_CHECKING:
    from common.engines.gemini import GeminiEngine

log = logs.get_logger(__name__)

MAX_SEGMENTS = 8       # calls one menu may take: the first, its continuations and its retries
_HEAD = re.compile(r'"(is_menu|legible)"\s*:\s*(true|false)|"(source_language|cuisine)"\s*:\s*"((?:[^"\\]|\\.)*)"')


class MenuReader:
    """One menu read with the engine's client, budget and tallies."""

    def __init__(self, engine: "GeminiEngine"):
        self.engine = engine

    def read(self, jpeg: bytes, language: str, call: Call) -> MenuReading:
        """The whole menu, or as much of it as was read when a failure or the deadline came."""
        on_items = call.on_items if self.engine.settings.gemini_stream else None  # unstreamed: all at once
        strips = tiles.plan(jpeg, self.engine.settings.menu_tiles)
        if strips:
            return self._read_strips(strips, language, call, on_items)
        read = MenuRead(on_items)
        read.replace(_seeded(call.seed))
        reason = None
        try:
            self._read(jpeg, language, call, read)
        except ScanError as exc:
            if not read.raw:
                raise
            reason = exc.code
            log.warning("menu not read to its end; the job finishes with the items read", items=len(read.raw),
                        code=exc.code, error=exc.message[:300])
        return self._reading(read, reason)

    def _read_strips(self, strips: list, language: str, call: Call, on_items) -> MenuReading:
        """A large page as overlapping strips read at once (common/engines/tiles.py), merged in order;
        a strip that fails leaves the others' dishes (the menu is then incomplete)."""
        tiled, failures = tiles.Tiled(len(strips), on_items), []

        def one(k: int) -> None:
            try:
                self._read(strips[k][0], language, call, tiled.reads[k], strips[k][1])
            except ScanError as exc:
                failures.append(exc)

        threads = [threading.Thread(target=contextvars.copy_context().run, args=(one, k), name=f"strip-{k + 1}")
                   for k in range(len(strips))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        page = tiled.whole()
        log.info("menu read in strips", strips=len(strips), items=len(page.raw), failed=len(failures))
        if failures and not page.raw:
            raise failures[0]
        return self._reading(page, failures[0].code if failures else None)

    def _read(self, jpeg: bytes, language: str, call: Call, read: MenuRead, tile=None) -> None:
        s = self.engine.settings
        while not read.finished:
            if read.segments >= MAX_SEGMENTS:
                raise ScanError("VLM_FAILED", f"the menu was not finished in {MAX_SEGMENTS} calls", recoverable=True)
            before = len(read.raw)
            outcome = self.engine.budgeted(lambda model, _n: self._segment(model, jpeg, language, call, read, tile),
                                           s.gemini_menu_model, s.gemini_menu_fallback_model, call, "VLM_FAILED",
                                           "menu")
            if outcome != "stop" and len(read.raw) == before:
                # Cut off or looping with nothing new: asking again the same way gets the same.
                raise ScanError("VLM_FAILED", f"the model added no dish before it stopped ({outcome})",
                                recoverable=True)
            if outcome != "stop":
                log.info("menu continues where it was cut off", outcome=outcome, items=len(read.raw))

    def _segment(self, model: str, jpeg: bytes, language: str, call: Call, read: MenuRead, tile) -> str:
        """One call: items go to `read` as they complete. "stop" (the menu is whole), "max_tokens" or
        "loop" (continue from what was read); Retryable or ScanError otherwise."""
        so_far = read.begin()
        contents = [types.Part.from_bytes(data=jpeg, mime_type="image/jpeg"), menu_prompt(language, so_far, tile)]
        config = models.text_config(model, self.engine.settings.model_max_output_tokens, schema=Menu,
                                    http_options=self.engine.http_options(call))
        scanner, reason, block, last, looped = ItemStream(), None, None, None, None
        try:
            for chunk in self._chunks(model, contents, config, call):
                block, reason = block or blocked(chunk), reason or finish_reason(chunk)  # from any chunk
                last = chunk if chunk.usage_metadata else last
                text = chunk_text(chunk)
                for raw in scanner.feed(text) if text else ():
                    read.add(raw)
                if scanner.pending_chars > MAX_ITEM_CHARS:
                    raise Looping(f"one item ran past {MAX_ITEM_CHARS} characters")
        except Looping as exc:
            looped = str(exc)
            log.warning("the model repeats itself; its answer is dropped there", model=model, error=looped)
        finally:
            self.engine.count(call, model, "menu", last, reason or ("LOOP" if looped else None), read.new_in_segment)
        if looped:
            return "loop"
        if block:
            raise ScanError("VLM_FAILED", f"Gemini blocked the photo ({block})")
        if reason is None:
            raise Retryable("VLM_FAILED", "the menu stream ended before the model finished")
        read.note_head(_head(scanner.text))
        if reason in BLOCKS:
            raise ScanError("VLM_FAILED", f"Gemini stopped reading the menu ({reason})")
        if reason == "RECITATION":
            read.recitations += 1
            if read.recitations > 1:
                raise ScanError("VLM_FAILED", "Gemini stopped reading the menu (RECITATION, twice)")
            raise Retryable("VLM_FAILED", "Gemini stopped at RECITATION; asked once more")
        if reason == "MAX_TOKENS":
            return "max_tokens"
        try:
            doc = json.loads(scanner.text)
        except ValueError as exc:
            raise Retryable("VLM_FAILED", f"Gemini returned malformed menu JSON: {str(exc)[:200]}") from None
        if not isinstance(doc, dict):
            raise Retryable("VLM_FAILED", "Gemini's menu JSON is not an object")
        read.finish(doc)
        return "stop"

    def _chunks(self, model: str, contents, config, call: Call) -> Iterator[types.GenerateContentResponse]:
        """The answer's chunks (one, unstreamed), with the SDK's errors sorted for the budget."""
        try:
            if self.engine.settings.gemini_stream:
                yield from until(lambda: self.engine.client.models.generate_content_stream(
                    model=model, contents=contents, config=config), call.deadline)
            else:
                yield self.engine.client.models.generate_content(model=model, contents=contents, config=config)
        except genai_errors.APIError as exc:
            raise api_error(exc, "VLM_FAILED", model) from None
        except TIMEOUTS as exc:
            raise Retryable("UPSTREAM_TIMEOUT", f"Gemini did not answer in time: {type(exc).__name__}") from None
        except CUT as exc:
            raise Retryable("VLM_FAILED", f"the menu stream was cut off ({type(exc).__name__})") from None

    def _reading(self, read: MenuRead, reason: Optional[str]) -> MenuReading:
        items = read.items()
        if not items:
            if read.head.get("is_menu") is False:
                raise ScanError("IMAGE_NOT_MENU", "this photo does not look like a menu", recoverable=True)
            raise ScanError("IMAGE_TOO_BLURRY", "the menu could not be read; try a sharper, closer photo",
                            recoverable=True)
        _mark_picks(items, read.top3)
        finalise_top3(items)
        for item in items:
            if item.is_top3:
                item.image_prompt = pictures.subject(item, read.head.get("cuisine"))
        return MenuReading(items=items, engine=self.engine.name, source_language=read.head.get("source_language"),
                           incomplete=reason is not None, incomplete_reason=reason)


def _head(text: str) -> dict:
    """is_menu, legible, source_language and cuisine from the start of an answer, even a cut-off one."""
    head: dict = {}
    for m in _HEAD.finditer(text[:2000]):
        if m.group(1):
            head.setdefault(m.group(1), m.group(2) == "true")
        else:
            head.setdefault(m.group(3), json.loads(f'"{m.group(4)}"'))
    return head


def _seeded(items: list[MenuItem]) -> list[dict]:
    """A dead run's dishes as items read (the reading continues after them), or none when one of them
    is not a whole item of the schema (read again from the start)."""
    try:
        return [Item.model_validate(i.model_dump()).model_dump() for i in items]
    except ValidationError:
        log.warning("the dishes a dead run sent cannot be continued; the menu is read again")
        return []


def _mark_picks(items: list[MenuItem], names: list[str]) -> None:
    """The model's top three, by name, as is_top3 (a drink is never one, whatever the model said)."""
    def norm(name: str) -> str:
        return " ".join(name.split()).casefold()

    for name in names:
        if sum(i.is_top3 for i in items) >= 3:
            break
        match = next((i for i in items if norm(i.original_name) == norm(name) and not i.is_top3), None)
        match = match or next((i for i in items if norm(name) and norm(name) in norm(i.original_name)
                               and not i.is_top3), None)
        if match is not None and match.kind != "drink":
            match.is_top3 = True
