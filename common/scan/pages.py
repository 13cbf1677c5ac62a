"""A multi-page scan (v2 gcs_uris): each page read as soon as its upload lands, several at once where
the engine allows, shown as it is read (scan/page_board.py), then one menu: the pages joined in
order, overlaps merged, the top three chosen across them (menu/pages.py).

The run starts once any page is there (none yet: the job is given back, as a one-photo job is); each
page goes to a reader as its upload lands (scan/arrivals.py, which also gives up on pages that never
do). The job's one deadline covers every page; the first outage or lost lease ends the run at once. A page that cannot be read (not a menu, blurry,
never uploaded, refused) fails alone and says why in `pages`; only when every page fails does the job.
"""
from __future__ import annotations

import contextvars
import time
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from common.core import logs, tracing
from common.core.errors import ScanError, Unavailable
from common.core.sections import UploadSettings
from common.engines import Call
from common.gcp import storage
from common.jobs.model import Job
from common.menu import pages as menu_pages
from common.menu.items import MenuItem
from common.scan import arrivals, menu, photos, upload
from common.scan.engine import engine
from common.scan.hints import HintLookup
from common.scan.page_board import Board
from common.scan.partials import Partials
from common.scan.state import RunState

log = logs.get_logger(__name__)


@dataclass
class Page:
    number: int
    items: list[MenuItem]
    source_language: str | None


def read(state: RunState, uploads: UploadSettings, prompt_version: str) -> None:
    """Read every page and store the whole menu (menu.publish), as menu.read does for one photo."""
    job = state.job
    landed = [t for t in (storage.uploaded_at(job.bucket, name) for name in job.objects) if t is not None]
    if not landed:  # given back, as a one-photo job is, until a page's upload or the next delivery
        raise Unavailable("no page of this scan has arrived yet", code="UPLOAD_PENDING")
    state.start_deadline(min(landed))  # the job's one deadline, from the first page to land
    upload.choose_language(state)
    state.pages = [{"page": n, "status": "waiting"} for n in range(1, len(job.objects) + 1)]
    partials = Partials(state)
    board = Board(state, partials)
    t0 = partials.started = time.monotonic()
    readers = 1 if state.engine_name == "local" else min(len(job.objects), state.settings.page_readers)
    pool = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="page")

    def start(number: int, name: str) -> Future:
        # Each page in a copy of this context: its log lines and spans belong to the job.
        return pool.submit(contextvars.copy_context().run, _read_page, state, board, number, name, uploads,
                           prompt_version)

    try:
        futures = arrivals.dispatch(state, board, start)
        wait(futures.values(), return_when=FIRST_EXCEPTION)  # the first failure, not the slowest page
        read_ = [_result(futures, n) for n in range(1, len(job.objects) + 1)]
    except BaseException:
        # An outage or a lost lease ends the run now: pages not started never start, and a model call
        # under way is left to finish on its own (its result, and any write it tries, are dropped).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    state.timings["vlm_ms"] = int((time.monotonic() - t0) * 1000)
    done = [p for p in read_ if p is not None]
    if not done:
        raise _all_failed(state.pages)
    joined, cut = menu_pages.bounded(menu_pages.join([p.items for p in done]))
    if cut:
        log.warning("menu cut to fit the job document", items=len(joined))
        state.incomplete = True
    menu.fill_known(state, joined)
    state.items = menu_pages.top3_across([p.items for p in done], joined)
    state.unknown = sum(1 for i in state.items if not i.known)
    state.source_language = done[0].source_language
    log.info("pages read", pages=len(state.pages), failed=len(state.pages) - len(done), items=len(state.items))
    menu.publish(state, partials.events)


def _result(futures: dict[int, Future], number: int) -> Page | None:
    """A page's reading once it is over (None: never started); the first failure ends the run."""
    return futures[number].result() if number in futures else None


def _read_page(state: RunState, board: Board, number: int, name: str, uploads: UploadSettings,
               prompt_version: str) -> Page | None:
    with tracing.span("page.read", page=number):
        try:
            photo = photos.normalise(_landed(state, name).data, uploads.max_image_pixels, uploads.decode_budget_pixels)
            board.status(number, "reading")
            lookup = HintLookup(state, photo.jpeg, prompt_version, lambda items: board.hint(number, items), number)
            call = Call(deadline=state.engine_deadline(), on_items=lambda items: board.offer(number, items))
            reading = None
            try:
                reading = engine().read_menu(photo.jpeg, state.language_used, call)
            finally:
                # An incomplete reading is no page to show a later re-shot of it.
                kept = reading.items if reading and not reading.incomplete else []
                lookup.keep(kept, reading.source_language if reading else None)
                with state.lock:
                    state.used_fallback = state.used_fallback or call.used_fallback
                    state.add_usage("menu", call.tokens)
                    state.incomplete = state.incomplete or bool(reading and reading.incomplete)
        except ScanError as exc:
            log.warning("page failed", page=number, code=exc.code, error=exc.message)
            board.status(number, "failed", error={"code": exc.code, "message": exc.message})
            return None
        items = menu_pages.on_page(number, reading.items)
        board.read(number, items)
        return Page(number, items, reading.source_language)


def _landed(state: RunState, name: str) -> storage.Upload:
    """A page's upload, which storage said is there (gone again: UPLOAD_NOT_FOUND for this page)."""
    try:
        return storage.read_upload(state.job.bucket, name)
    except Unavailable as exc:
        if exc.code != "UPLOAD_PENDING":
            raise
        raise ScanError("UPLOAD_NOT_FOUND", "this page's photo is no longer there") from None


def _all_failed(pages: list[dict]) -> ScanError:
    """The job's error when no page could be read: the first page's, and every page's said in the message."""
    errors = [p.get("error") or {"code": "VLM_FAILED", "message": "not read"} for p in pages]
    codes = {e["code"] for e in errors}
    code = errors[0]["code"] if len(codes) > 1 else codes.pop()
    said = "; ".join(f"page {p['page']}: {e['message']}" for p, e in zip(pages, errors))
    recoverable = code not in ("UPLOAD_EMPTY", "UPLOAD_TOO_LARGE", "UNSUPPORTED_IMAGE", "IMAGE_CORRUPT",
                               "IMAGE_TOO_LARGE", "UNSUPPORTED_CONTENT_TYPE")
    return ScanError(code, f"no page could be read ({said})", recoverable=recoverable)


def any_arrived(job: Job) -> bool | None:
    """Whether any of the job's uploads is there; None when storage cannot say for one that is not."""
    answers = [storage.upload_arrived(job.bucket, name) for name in job.objects]
    return True if True in answers else (None if None in answers else False)
