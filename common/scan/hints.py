"""A page's near-duplicate hint, looked for beside its reading: the photo fingerprinted and the index
asked (scan/lookalike.py) in a thread of its own, so the model call starts at once; a strict match is
shown through `show` unless the reading got there first. After the reading, the fingerprint is kept
with what the page read as, for the index once the job completes."""
from __future__ import annotations

import contextvars
import threading
import time
from typing import Callable

from common.core import logs, tracing
from common.menu.items import MenuItem
from common.scan import lookalike
from common.scan.fingerprint import fingerprint
from common.scan.state import RunState

log = logs.get_logger(__name__)
KEEP_WAIT_S = 5.0  # a fingerprint takes ~0.15 s and the lookup one try of 2 s at most


class HintLookup:
    def __init__(self, state: RunState, jpeg: bytes, prompt_version: str, show: Callable[[list[MenuItem]], bool],
                 page: int | None = None):
        self.state, self.page = state, page
        self.scope = lookalike.scope(state.language_used, state.engine_name, prompt_version)
        self.fingerprint = None
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=contextvars.copy_context().run, args=(self._run, jpeg, show),
                                        name="lookalike", daemon=True)
        if state.settings.lookalike_hints and state.settings.menu_partial_max > 0:  # a hint is a partial menu
            self._thread.start()

    def _run(self, jpeg: bytes, show: Callable[[list[MenuItem]], bool]) -> None:
        t0 = time.monotonic()
        try:
            with tracing.span("lookalike.find", page=self.page or 1) as sp:
                self.fingerprint = fingerprint(jpeg)
                hint = lookalike.find(self.fingerprint, self.scope) if self.fingerprint else None
                if sp is not None:
                    sp.set_attribute("hint", bool(hint))
            if hint is None:
                return
            with self._lock:
                shown = not self._closed and show(hint.items)
            if shown:
                self.state.timings.setdefault("hint_ms", int((time.monotonic() - t0) * 1000))
            log.info("lookalike found", page=self.page, distance=hint.distance, items=len(hint.items), shown=shown)
        except Exception as exc:  # noqa: BLE001 - a hint is optional: the reading goes on without one
            log.warning("lookalike failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")

    def keep(self, items: list[MenuItem], source_language: str | None) -> None:
        """The page is read: no hint after this; its fingerprint is kept to be recorded at completion."""
        with self._lock:
            self._closed = True
        if not self._thread.is_alive() and self.fingerprint is None:
            return
        self._thread.join(timeout=KEEP_WAIT_S)
        if self.fingerprint is not None and items:
            self.state.lookalikes.append((self.fingerprint, self.scope, list(items), source_language))
