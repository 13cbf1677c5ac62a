"""A multi-page scan's uploads as they land: each page handed to a reader the moment storage has it, in
the order they land (a page not uploaded yet holds no reader), and when to give up on those still
missing: PAGE_LATE_S after every page that did land was read, when waiting longer would leave the
pictures no time, or UPLOAD_WAIT_S after the job was made (UPLOAD_NOT_FOUND for each)."""
from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Callable

from common.core import clock, logs
from common.gcp import storage
from common.scan.page_board import Board
from common.scan.state import RunState

log = logs.get_logger(__name__)
POLL_S = (0.25, 2.0)  # first and longest wait between looks for a page not uploaded yet
MIN_READ_S = 10.0     # a page still missing with less than this left of the deadline is given up


def dispatch(state: RunState, board: Board, start: Callable[[int, str], Future]) -> dict[int, Future]:
    """Start each page's reading as its upload lands, in the order they land (a missing page never holds
    a reader); give up on the pages still missing when waiting for them would cost the others' time."""
    job, wait_s, idle_since = state.job, POLL_S[0], None
    waiting = dict(enumerate(job.objects, 1))
    futures: dict[int, Future] = {}
    while True:
        for number, name in list(waiting.items()):
            if storage.uploaded_at(job.bucket, name) is not None:
                futures[number] = start(number, name)
                del waiting[number]
        for f in futures.values():  # an outage or a lost lease ends the run now, as for one photo
            if f.done() and f.exception() is not None:
                raise f.exception()
        if not waiting:
            return futures
        idle = futures and all(f.done() for f in futures.values())
        idle_since = (idle_since or time.monotonic()) if idle else None
        why = _give_up(state, idle_since)
        if why:
            for number in waiting:
                board.status(number, "failed", error={"code": "UPLOAD_NOT_FOUND", "message": why})
            log.warning("pages not uploaded", pages=sorted(waiting), why=why)
            return futures
        time.sleep(wait_s)
        wait_s = min(wait_s * 2, POLL_S[1])


def _give_up(state: RunState, idle_since: float | None) -> str | None:
    """Why the pages still missing are given up on, or None to keep waiting for them."""
    settings, waited = state.settings, (clock.now() - state.job.created_at).total_seconds()
    if waited > settings.upload_wait_s:
        return f"this page's photo did not arrive within {int(waited)} s of the job"
    if state.remaining_s() < settings.deadline_reserve_s + settings.image_min_remaining_s + MIN_READ_S:
        return "this page's photo did not arrive in time to be read with the others"
    if idle_since is not None and time.monotonic() - idle_since >= settings.page_late_s:
        return f"this page's photo did not arrive within {int(settings.page_late_s)} s of the other pages being read"
    return None
