"""The drawing stage: a picture of each top-3 dish, three at once, each announced as it settles; the
last settles with done. A picture still out at the deadline is reported failed (DEADLINE), and its
late result dropped."""
from __future__ import annotations

import contextvars
import time
from concurrent.futures import ThreadPoolExecutor, wait

from common.core import logs, tracing
from common.core.errors import LeaseLost, ScanError
from common.engines import Call, pictures
from common.gcp import assets
from common.jobs import payloads
from common.menu.items import MenuItem
from common.scan import dish_pictures, photos
from common.scan.engine import engine
from common.scan.menu import generating
from common.scan.state import RunState

log = logs.get_logger(__name__)
DRAW_CUT_MARGIN_S = 0.25
DRAWERS = 3


class Drawing:
    def __init__(self, state: RunState):
        self.state = state
        self._cut: set[str] = set()  # items whose drawing ran past the deadline: their results are dropped
        self._dishes: dict[str, str] = {}  # item id -> its dish's record in dish_pictures (scan/dish_pictures.py)
        self._drawn_before: dict[str, dict] = {}  # item id -> the record of a picture drawn for an earlier job

    def draw_pending(self) -> None:
        """Draw every top-3 dish still pending (a takeover draws what the dead run had not)."""
        state = self.state
        pending = [i for i in state.items if i.is_top3 and i.image_status == "pending"]
        if not pending:
            return
        self._look_up(pending)
        if not state.time_for_images():
            for item in pending:  # reported with done, in one commit
                self.settle(item, "failed", None, {"code": "DEADLINE", "message": "not drawn: the scan's time "
                                                   "budget was nearly spent"})
            log.warning("images skipped for the time budget", items=len(pending))
            return
        restarted = [generating(state, i) for i in pending if not i.image_url]
        if restarted and not state.announced:  # a takeover: say again that drawing (re)starts
            state.log.append_many(restarted, job_fields=state.snapshot("running"))
        t0 = time.monotonic()
        pool = ThreadPoolExecutor(max_workers=DRAWERS, thread_name_prefix="draw")
        try:
            # Each drawing in a copy of this context: its log lines and spans belong to the job.
            futures = {pool.submit(contextvars.copy_context().run, self._draw_one, item): item for item in pending}
            # A little before the calls' own deadline, so a drawing still out is cut here (and says
            # DEADLINE) rather than failing on its timeout a moment later.
            cut_at = state.engine_deadline() - DRAW_CUT_MARGIN_S
            finished, late = wait(futures, timeout=max(0.0, cut_at - time.monotonic()))
            for fut in finished:
                fut.result()  # LeaseLost propagates; per-image failures were already reported
            with state.lock:
                for item in (futures[f] for f in late):
                    self._cut.add(item.id)
                    if item.image_status != "pending":
                        continue  # it settled between the wait and the lock
                    self.settle(item, "failed", None, {"code": "DEADLINE", "message": "not finished within the "
                                                       "scan's time budget"})
            if late:
                log.warning("images cut at the deadline", items=len(late))
        finally:
            # A late drawing finishes on its own (its call is bounded by the deadline) and is dropped.
            pool.shutdown(wait=False, cancel_futures=True)
        state.timings["image_gen_ms"] = int((time.monotonic() - t0) * 1000)

    def _look_up(self, pending: list[MenuItem]) -> None:
        """Which pending dishes were drawn for an earlier job (one read for all of them)."""
        state = self.state
        if not state.settings.reuse_pictures:
            return
        for item in pending:
            record_id = dish_pictures.key(item, state.source_language, state.engine_name, state.language_used)
            if record_id:
                self._dishes[item.id] = record_id
        unlinked = {i.id for i in pending if not i.image_url}  # a cached scan's pictures are linked already
        with tracing.span("pictures.lookup", items=len(unlinked)):
            self._drawn_before = dish_pictures.find({i: k for i, k in self._dishes.items() if i in unlinked})

    def _draw_one(self, item: MenuItem) -> None:
        state = self.state
        url, error = item.image_url, None  # a cached image from an identical earlier scan
        call = Call(deadline=state.engine_deadline())
        try:
            with tracing.span("image", item_id=item.id, cached=bool(url)):
                if not url and item.id in self._drawn_before:
                    with tracing.span("assets.copy"):
                        url = dish_pictures.reuse(self._drawn_before[item.id], state.asset_id, item.id)
                reused = bool(url)
                if not url:
                    with tracing.span("model.draw_dish", engine=state.engine_name):
                        data = photos.to_jpeg(engine().draw_dish(item, state.language_used, call))
                    with tracing.span("assets.upload", bytes=len(data)):
                        url = assets.put_jpeg(state.asset_id, item.id, data)
                    if item.id in self._dishes:
                        dish_pictures.remember(self._dishes[item.id], state.asset_id, item)
                elif item.id in self._drawn_before and dish_pictures.aging(self._drawn_before[item.id]):
                    dish_pictures.remember(self._dishes[item.id], state.asset_id, item)  # the copy lives on after it
            status = "ready"
        except LeaseLost:
            raise
        except ScanError as exc:
            log.warning("image failed", item_id=item.id, code=exc.code, error=exc.message)
            status, url, error, reused = "failed", None, {"code": exc.code, "message": exc.message}, False
        except Exception as exc:  # noqa: BLE001 - one image must never sink the job
            log.exception("image crashed", item_id=item.id, error=str(exc)[:200])
            status, url, reused = "failed", None, False
            error = {"code": "IMAGE_GEN_FAILED", "message": "the image could not be made"}
        with state.lock:
            state.add_usage("images", call.tokens)
            if item.id in self._cut:
                return  # the deadline came first: already reported failed
            state.used_fallback = state.used_fallback or call.used_fallback
            self.settle(item, status, url, error, reused)

    def settle(self, item: MenuItem, status: str, url: str | None, error: dict | None, reused: bool = False) -> None:
        """Record one image's outcome; the last one waits to go with done in the finishing commit."""
        state = self.state
        item.image_status, item.image_url, item.image_error = status, url, error
        item.image_kind = pictures.KIND if status == "ready" else None  # both engines draw, neither photographs
        # One line per image (docs/observability.md: the images_failed metric counts these by code).
        log.info("image settled", item_id=item.id, image_status=status, code=(error or {}).get("code"), reused=reused)
        update = ("image_update", payloads.image_update(state.job_id, item.id, status, url, error=error,
                                                        kind=item.image_kind, reused=reused))
        if any(i.is_top3 and i.image_status == "pending" for i in state.items):
            state.log.append(*update, job_fields=state.snapshot("running"))
        else:
            state.held.append(update)
